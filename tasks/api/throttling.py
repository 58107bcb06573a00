"""
DRF's throttles, reading their rates when a request arrives rather than when DRF is imported,
so that a changed ``REST_FRAMEWORK`` setting (a test, an override) takes effect at once.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class SettingsRateMixin:
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Per client address, for requests without credentials."""


class UserRateThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    """Per signed-in user, whichever way they authenticated."""


class ScopedRateThrottle(SettingsRateMixin, throttling.ScopedRateThrottle):
    """Per user and view scope, e.g. ``token_create``."""
