"""
DRF's throttles, reading their rates when a request arrives rather than when DRF is imported,
so that a changed ``REST_FRAMEWORK`` setting (a test, an override) takes effect at once.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings

from project.net import client_ip


class SettingsRateMixin:
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        """
        The client address from ``project.net.client_ip`` (TRUSTED_PROXIES), never DRF's own
        reading of X-Forwarded-For, which believes whatever the client wrote there.
        """
        return client_ip(request)


class AnonRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Per client address, for requests without credentials."""


class UserRateThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    """Per signed-in user, whichever way they authenticated."""


class ScopedRateThrottle(SettingsRateMixin, throttling.ScopedRateThrottle):
    """Per user and view scope, e.g. ``token_create``."""


class FailedTokenThrottle(SettingsRateMixin, throttling.SimpleRateThrottle):
    """
    Failed bearer-token attempts per client address. DRF checks credentials before any
    throttle runs, so without this a token could be guessed at full speed. Unlike the other
    throttles it counts only failures, and once the limit is reached it refuses every token
    from that address, right or wrong, until the window has passed.
    """

    scope = "token_failure"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def is_blocked(self, request) -> bool:
        if self.rate is None:
            return False
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        return len(self.history) >= self.num_requests

    def record_failure(self, request) -> None:
        if self.rate is None:
            return
        self.is_blocked(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
