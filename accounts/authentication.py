"""DRF authentication by personal API token: ``Authorization: Bearer <token>``."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.models import ApiToken
from project.api.throttling import FailedTokenThrottle


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: expected 'Bearer <token>'.")
            )
        try:
            secret = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None

        guard = FailedTokenThrottle()
        if guard.is_blocked(request):
            raise exceptions.Throttled(guard.wait())
        token = ApiToken.authenticate(secret)
        if token is None:
            guard.record_failure(request)
            # Deliberately one message for unknown, expired, revoked and inactive: the
            # caller learns nothing about which tokens exist. The secret is never logged.
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        token.mark_used()
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
