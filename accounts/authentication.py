"""DRF authentication by personal API token: ``Authorization: Bearer <token>``."""

import logging

from django.db import DatabaseError, connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.models import ApiToken
from project.api.throttling import FailedTokenThrottle

logger = logging.getLogger(__name__)


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
        try:
            token.mark_used()
        except DatabaseError as error:
            # Bookkeeping only: a database that cannot take the write right now (read-only
            # during a failover, a lock held too long) must not fail a request it can serve.
            # Inside a transaction the failed statement has spoilt it, so the error goes on.
            if connection.in_atomic_block:
                raise
            logger.warning("Could not record the use of token %s: %s", token.prefix, error)
        # The token's scope rides on the user object, where the domain's scoped querysets and
        # role checks read it: every endpoint, present and future, is limited by it.
        user = token.user
        user.token_scope = token.scope
        return user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
