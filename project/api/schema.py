"""
OpenAPI details that drf-spectacular cannot infer: the bearer scheme, the one ``Error``
component on every error status an operation can answer, and the request headers that every
POST (``Idempotency-Key``) and every task operation (``If-Match``, ``If-None-Match``) read.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from project.api.errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: malformed JSON, a field or query parameter that is not valid.",
    "401": "No credentials, or a token that is unknown, expired or revoked.",
    "403": "Your role in the project does not allow this (or a failed CSRF check).",
    "404": "No such object, or one in a project you are not a member of.",
    "406": "No renderer for the requested Accept header.",
    "409": "The change clashes with an existing record (or the same Idempotency-Key is busy).",
    "412": "If-Match named an old version: nothing was changed; the ETag holds the current one.",
    "415": "Unsupported Content-Type; send application/json.",
    "422": "This Idempotency-Key was already used with a different request.",
    "429": "Too many requests; wait the number of seconds in Retry-After.",
}

ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=["200", "201", "304", "412"],
    description='The task\'s version in quotes, e.g. "3".',
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        'Only change the task if its version still matches this ETag (e.g. "3"); otherwise '
        "412 and nothing changes. `*` or absent: unconditional."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Answer 304 with no body when the task's ETag still matches.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (a UUID): a retry with the same key within 24 hours returns the "
        "first answer again and creates nothing; the same key with another body is a 422."
    ),
)

LOCATION_HEADER = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    OpenApiParameter.HEADER,
    response=["201"],
    description="The address of the new object.",
)
RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=["429"],
    description="Seconds to wait before trying again.",
)
WWW_AUTHENTICATE_HEADER = OpenApiParameter(
    "WWW-Authenticate",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=["401"],
    description='`Bearer realm="api"`',
)


class TaskdeskAutoSchema(AutoSchema):
    """Adds the error responses and headers that every Taskdesk operation shares."""

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "406", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")
        if self.method == "POST":
            codes += ["409", "422"]
        if self.method != "GET" and getattr(self.view, "may_conflict", False):
            codes.append("409")
        if self.method in ("PUT", "PATCH", "DELETE") and getattr(self.view, "conditional", False):
            codes.append("412")
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if (
            getattr(self.view, "conditional", False)
            and self.method == "GET"
            and not self._is_list_view()
        ):
            responses["304"] = self._get_response_for_code(
                OpenApiResponse(description="Not modified: your copy is current."),
                "304",
                direction=direction,
            )
        for code in self._error_codes():
            responses.setdefault(
                code,
                self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                ),
            )
        return responses

    def get_override_parameters(self):
        parameters = [
            *super().get_override_parameters(),
            RETRY_AFTER_HEADER,
            WWW_AUTHENTICATE_HEADER,
        ]
        if self.method == "POST":
            parameters += [IDEMPOTENCY_KEY, LOCATION_HEADER]
        if getattr(self.view, "conditional", False):
            if self.method in ("PUT", "PATCH", "DELETE"):
                parameters.append(IF_MATCH)
            if self.method == "GET" and not self._is_list_view():
                parameters.append(IF_NONE_MATCH)
            if self.method != "DELETE" and not self._is_list_view():
                parameters.append(ETAG_HEADER)
        return parameters


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token from Settings or POST /api/v1/tokens/: "
                "`Authorization: Bearer <token>`."
            ),
        }
