"""The API's error plumbing moved to ``project.api.errors``; these names remain for old imports."""

from project.api.errors import ConflictError, PreconditionFailed, Unprocessable

__all__ = ["ConflictError", "PreconditionFailed", "Unprocessable"]
