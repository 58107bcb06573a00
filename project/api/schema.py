"""
OpenAPI details that drf-spectacular cannot infer, so that a client generated from the
document works without hand fixes: integer path ids, every response field ``required``, a
summary for every operation, the one ``Error`` component on each error status an operation
can really answer (described for that operation), every header the API sends or reads, query
enums that reuse the shared enum components, and ``servers``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from project.api.errors import ErrorSerializer

BAD_QUERY = "an unknown query parameter or an invalid value of one (named in `errors`)"
ERROR_DESCRIPTIONS = {
    "401": "No credentials, or a token that is unknown, expired or revoked.",
    "403": (
        "Your role in the project does not allow this, nor does your API token's scope (a "
        "read-only token writing; a token limited to some projects creating a project), or a "
        "failed CSRF check."
    ),
    "404": "No such object, or one in a project you are not a member of.",
    "406": "No renderer for the requested Accept header.",
    "412": "If-Match named an old version: nothing was changed; the ETag holds the current one.",
    "413": "The request body is larger than the server accepts.",
    "415": "Unsupported Content-Type; send application/json.",
    "422": "This Idempotency-Key was already used with a different request.",
    "429": "Too many requests; wait the number of seconds in Retry-After.",
}
KEY_IN_USE = (
    "A request with the same Idempotency-Key is still being processed; retry after the "
    "seconds in Retry-After."
)
CLASH = "The change clashes with an existing record (a duplicate name, member or email)."

SUMMARY_VERBS = {
    "list": "List {plural}",
    "create": "Create {a} {singular}",
    "retrieve": "Get {a} {singular}",
    "update": "Replace {a} {singular}",
    "partial_update": "Update {a} {singular}",
    "destroy": "Delete {a} {singular}",
}


def _header(name: str, kind: Any, codes: list[str], description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, kind, OpenApiParameter.HEADER, response=codes, description=description
    )


ETAG = 'The task\'s version in quotes, e.g. "3".'
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
LOCATION_HEADER = _header("Location", OpenApiTypes.URI, ["201"], "The address of the new object.")
REPLAYED = (
    "`true` when this is the stored answer to an earlier request with the same "
    "Idempotency-Key (nothing new was created); absent otherwise."
)
REPLAYED_HEADER = _header("Idempotent-Replayed", OpenApiTypes.STR, ["201"], REPLAYED)
#: A POST that answers 202 (``accepted_create`` on the view: an invitation) has no Location.
REPLAYED_202_HEADER = _header("Idempotent-Replayed", OpenApiTypes.STR, ["202"], REPLAYED)
NO_STORE_HEADER = _header(
    "Cache-Control",
    OpenApiTypes.STR,
    ["201"],
    "Always includes `no-store` (with `no-cache, must-revalidate, private, max-age=0`): the "
    "answer carries a secret that no cache may keep.",
)
WWW_AUTHENTICATE_HEADER = _header(
    "WWW-Authenticate", OpenApiTypes.STR, ["401"], '`Bearer realm="api"`'
)


class TaskdeskAutoSchema(AutoSchema):
    """Adds what every Taskdesk operation shares; see the module's docstring."""

    def _conditional(self) -> bool:
        return getattr(self.view, "conditional", False)

    def _has_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH")

    def _error_descriptions(self) -> dict[str, str]:
        codes = {code: ERROR_DESCRIPTIONS[code] for code in ("401", "403", "406", "429")}
        if self._has_body():
            codes["400"] = (
                f"Invalid input: malformed JSON, a field that is not valid, or {BAD_QUERY}."
            )
            codes["413"] = ERROR_DESCRIPTIONS["413"]
            codes["415"] = ERROR_DESCRIPTIONS["415"]
        else:
            codes["400"] = BAD_QUERY[0].upper() + BAD_QUERY[1:] + "."
        if "{" in self.path:
            codes["404"] = ERROR_DESCRIPTIONS["404"]
        # ``may_conflict``: True for every write, or the methods that can clash.
        conflict = getattr(self.view, "may_conflict", False)
        clashes = self.method != "GET" and (
            conflict is True or (bool(conflict) and self.method in conflict)
        )
        if self.method == "POST":
            codes["409"] = f"{KEY_IN_USE} {CLASH}" if clashes else KEY_IN_USE
            codes["422"] = ERROR_DESCRIPTIONS["422"]
        elif clashes:
            codes["409"] = CLASH
        if self.method in ("PUT", "PATCH", "DELETE") and self._conditional():
            codes["412"] = ERROR_DESCRIPTIONS["412"]
        # ``error_descriptions``: {method: {code: text}} for what a view refuses its own way.
        codes.update(getattr(self.view, "error_descriptions", {}).get(self.method, {}))
        return codes

    def get_summary(self) -> str | None:
        summary = super().get_summary()
        if summary or self.method == "OPTIONS":
            return summary
        action = getattr(self.view, "action", None)
        template = SUMMARY_VERBS.get(action or "")
        model = getattr(getattr(self.get_request_serializer(), "Meta", None), "model", None)
        if template is None or model is None:
            return None
        singular = str(model._meta.verbose_name)
        return template.format(
            a="an" if singular[0].lower() in "aeiou" else "a",
            singular=singular,
            plural=str(model._meta.verbose_name_plural),
        )

    def _resolve_path_parameters(self, variables):
        # Every path variable is an id (the routes match \d+): say so, so that clients send ints.
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and schema.get("properties"):
            # A serializer renders every field every time (null where there is no value).
            schema["required"] = sorted(schema["properties"])
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        # A view whose PATCH is not partial (members: the one field, role, must be there)
        # describes its body with the required fields kept.
        if self.method == "PATCH" and not getattr(self.view, "partial_patch", True):
            self.method = "PUT"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._conditional() and self.method == "GET" and not self._is_list_view():
            responses["304"] = self._get_response_for_code(
                OpenApiResponse(description="Not modified: your copy is current."),
                "304",
                direction=direction,
            )
        for code, description in sorted(self._error_descriptions().items()):
            responses.setdefault(
                code,
                self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    code,
                    direction=direction,
                ),
            )
        return responses

    def get_override_parameters(self):
        retry_codes = ["429", "409"] if self.method == "POST" else ["429"]
        parameters = [
            *super().get_override_parameters(),
            _header(
                "Retry-After",
                OpenApiTypes.INT,
                retry_codes,
                "Seconds to wait before trying again.",
            ),
            WWW_AUTHENTICATE_HEADER,
        ]
        if self.method == "POST" and getattr(self.view, "accepted_create", False):
            parameters += [IDEMPOTENCY_KEY, REPLAYED_202_HEADER]
        elif self.method == "POST":
            parameters += [IDEMPOTENCY_KEY, LOCATION_HEADER, REPLAYED_HEADER]
        if self.method in getattr(self.view, "no_store", ()):
            # Answers that carry a secret (a new token's) must not be kept by any cache.
            parameters.append(NO_STORE_HEADER)
        if self._conditional():
            single = not self._is_list_view()
            if self.method in ("PUT", "PATCH", "DELETE"):
                parameters.append(IF_MATCH)
            if self.method == "GET" and single:
                parameters.append(IF_NONE_MATCH)
            if self.method == "DELETE":
                parameters.append(_header("ETag", OpenApiTypes.STR, ["412"], ETAG))
            elif self.method in ("PUT", "PATCH"):
                parameters.append(_header("ETag", OpenApiTypes.STR, ["200", "412"], ETAG))
            elif self.method == "POST":
                parameters.append(_header("ETag", OpenApiTypes.STR, ["201"], ETAG))
            elif single:
                parameters.append(_header("ETag", OpenApiTypes.STR, ["200", "304"], ETAG))
        return parameters


def _enum_values(schema: dict) -> tuple | None:
    values = schema.get("enum")
    return tuple(sorted(str(value) for value in values)) if values else None


def postprocess(result: dict, generator, request, public) -> dict:
    """
    Query parameters whose values are one of the shared enums (status, priority) refer to
    that component instead of repeating it inline; ``servers`` names this site.
    """
    components = result.get("components", {}).get("schemas", {})
    shared = {
        _enum_values(schema): name
        for name, schema in components.items()
        if _enum_values(schema) and "type" in schema
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                schema = parameter["schema"]
                target = schema.get("items", schema)
                name = shared.get(_enum_values(target))
                if name is None:
                    continue
                reference = {"$ref": f"#/components/schemas/{name}"}
                if target is schema:
                    parameter["schema"] = reference
                else:
                    schema["items"] = reference
                # The component describes its values; drop the inline copy's enum listing.
                parameter["description"] = parameter.get("description", "").split("\n\n")[0]
    if request is not None:
        result["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/")}]
    return result


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
