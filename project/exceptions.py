"""
The refusals the domain raises besides Django's own (``ValidationError``, ``PermissionDenied``,
``Http404``).

They live outside every app so that an edge translates them without importing the app that
raises them (the API's error handler answers 409 and 412 knowing only this module), and an
app raises them without depending on any edge. ``tasks.services`` re-exports both, so callers
keep writing ``except services.Conflict``.
"""

from __future__ import annotations

from typing import Protocol


class Versioned(Protocol):
    """What a stale write reports back: the current version and its ``ETag`` value."""

    version: int

    @property
    def etag(self) -> str: ...


class Conflict(Exception):
    """The change would break a uniqueness rule (a duplicate tag name, member, …)."""


class StaleVersion(Exception):
    """The object changed since the caller read it; ``current`` is the newer copy."""

    def __init__(self, current: Versioned):
        name = getattr(getattr(current, "_meta", None), "verbose_name", "object")
        super().__init__(
            f"This {name} was changed by someone else (now version {current.version}); "
            "reload it and apply your change again."
        )
        self.current = current
