"""
API permissions that follow from the scope of the token a request came in with (a session has
none of these limits): a read-only token makes no unsafe request anywhere, and only a token
allowed to manage tokens reaches ``/api/v1/tokens/``.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import READ_ONLY_TOKEN, token_scope
from project.api.permissions import handles


class ReadOnlyTokens(BasePermission):
    """A read-only token gets a 403 for every unsafe method (a method the view lacks: 405)."""

    message = READ_ONLY_TOKEN

    def has_permission(self, request, view) -> bool:
        scope = token_scope(request.user)
        if scope is None or not scope.read_only or request.method in SAFE_METHODS:
            return True
        return not handles(request, view)


class CanManageTokens(BasePermission):
    message = (
        "This API token may not manage tokens. Create a token that may, or manage your "
        "tokens on the settings page."
    )

    def has_permission(self, request, view) -> bool:
        scope = token_scope(request.user)
        return scope is None or scope.can_manage_tokens
