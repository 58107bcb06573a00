"""
One error shape for the whole API: ``{"detail": "...", "errors": {"field": ["..."]}}``.

DRF's own exceptions, Django's ``ValidationError``/``PermissionDenied``/``Http404`` and the
domain's ``Conflict``/``StaleVersion`` (from ``project.exceptions``, so no app is imported
here) all end up here; ``handler404``/``handler500`` give the same shape to URLs no view
matched and to crashes, but only under ``/api/`` — every other path keeps its HTML error page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from project.exceptions import Conflict, StaleVersion

NON_FIELD = "non_field_errors"


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API."""

    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Field errors, {"field": ["message", ...]}; empty when none apply.',
    )


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with an existing record."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it."
    default_code = "precondition_failed"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than {limit} bytes.")


class KeyInUse(ConflictError):
    """An ``Idempotency-Key`` whose first request is still running; ``wait`` is Retry-After."""

    default_detail = "A request with this Idempotency-Key is still being processed; retry later."
    default_code = "key_in_use"

    def __init__(self, detail: str | None = None, *, wait: int = 1):
        super().__init__(detail)
        self.wait = wait


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request could not be processed."
    default_code = "unprocessable"


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as ``{"field": ["message", ...]}``; nested fields joined with dots."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = NON_FIELD if key in ("__all__", NON_FIELD) and not prefix else str(key)
            flat.update(flatten_errors(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(detail, list | tuple):
        messages: list[str] = []
        nested: dict[str, list[str]] = {}
        for index, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                nested.update(flatten_errors(item, f"{prefix or NON_FIELD}.{index}"))
            else:
                messages.append(str(item))
        if messages:
            nested = {prefix or NON_FIELD: messages, **nested}
        return nested
    return {prefix or NON_FIELD: [str(detail)]}


def _from_django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({NON_FIELD: exc.messages})


def error_body(detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"detail": str(detail), "errors": errors or {}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, widened to the domain's exceptions and reshaped to the one error body."""
    original = exc
    if isinstance(exc, RequestDataTooBig):
        # Django refuses the body as DRF reads it; without this it would be an HTML 400.
        exc = RequestTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    elif isinstance(exc, DjangoValidationError):
        exc = _from_django_validation_error(exc)
    elif isinstance(exc, Conflict):
        exc = ConflictError(str(exc))
    elif isinstance(exc, StaleVersion):
        exc = PreconditionFailed(str(exc))

    response = exception_handler(exc, context)
    if response is None:
        # Not ours to explain: Django logs it and handler500 answers with JSON.
        return None

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        if set(errors) == {NON_FIELD} and len(errors[NON_FIELD]) == 1:
            detail = errors[NON_FIELD][0]
        elif len(errors) == 1:
            ((name, messages),) = errors.items()
            detail = f"{name}: {' '.join(messages)}"
        else:
            detail = "Some fields are not valid; see errors."
        response.data = error_body(detail, errors)
    else:
        data = response.data
        detail = data.get("detail", "") if isinstance(data, dict) else data
        if isinstance(exc, exceptions.NotAuthenticated):
            detail = _credentials_hint(context.get("request")) or detail
        response.data = error_body(detail)
    if isinstance(original, StaleVersion):
        # Tell the caller which version is current, so it can re-read and retry.
        response["ETag"] = original.current.etag
    return response


def _credentials_hint(request: Any) -> str | None:
    """What to say when credentials came in a scheme the API does not read (Token, Basic)."""
    header = getattr(request, "META", {}).get("HTTP_AUTHORIZATION", "")
    scheme = header.split(" ", 1)[0]
    if not scheme or scheme.lower() == "bearer":
        return None
    return (
        f"The {scheme} authorization scheme is not accepted; "
        "send your token as `Authorization: Bearer <token>`."
    )


def is_api_path(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """
    JSON for unknown ``/api/`` URLs (the URL resolver's 404), the HTML page elsewhere.

    An API URL missing only its trailing slash gets this 404 too, naming the right URL: a
    redirect would turn a POST into a GET and lose its body.
    """
    if is_api_path(request):
        detail = "Not found."
        if not request.path_info.endswith("/") and is_valid_path(f"{request.path_info}/"):
            detail = f"Not found. API URLs end with a slash: {request.path}/"
        return JsonResponse(error_body(detail), status=404)
    return defaults.page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> HttpResponse:
    """JSON without any traceback for crashes under ``/api/``, the HTML page elsewhere."""
    if is_api_path(request):
        return JsonResponse(
            error_body("Something went wrong on our side; it has been logged."), status=500
        )
    return defaults.server_error(request)
