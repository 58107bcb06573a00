"""
Query parameters an endpoint does not read are a 400 naming them, never silently ignored: a
misspelt filter (``?stauts=done``) would otherwise return the unfiltered list as if it worked.

This runs as a permission class because permissions are the one hook DRF runs for every view
before its handler; it grants nothing and refuses only with a ``ValidationError``.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission

#: DRF's own ``?format=`` (``json`` or ``api``, the browsable API) is read everywhere.
ALWAYS = frozenset({"format"})


def known_query_parameters(request, view) -> set[str]:
    """What ``view`` reads from the query string for this request."""
    known = set(ALWAYS) | set(getattr(view, "query_parameters", ()))
    if getattr(view, "action", None) != "list":
        return known
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        for name in ("cursor_query_param", "page_size_query_param", "ordering_query_param"):
            if value := getattr(paginator, name, None):
                known.add(value)
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        known |= set(filterset_class.base_filters)
    return known


def handles(request, view) -> bool:
    """Whether ``view`` has a handler for this method (else DRF answers 405 after us)."""
    method = request.method.lower()
    return method in view.http_method_names and hasattr(view, method)


class KnownQueryParameters(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not handles(request, view):
            # A method the endpoint does not offer is a 405, whatever its query string says.
            return True
        unknown = sorted(set(request.query_params) - known_query_parameters(request, view))
        if unknown:
            accepted = ", ".join(sorted(known_query_parameters(request, view))) or "none"
            message = f"Unknown query parameter; this endpoint reads: {accepted}."
            raise ValidationError({name: [message] for name in unknown})
        return True
