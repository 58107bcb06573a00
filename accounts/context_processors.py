from django.conf import settings
from django.http import HttpRequest


def accounts(request: HttpRequest) -> dict:
    """What the frame needs to offer the right account links."""
    return {
        "signup_open": settings.SIGNUP_OPEN and not settings.SOCIALACCOUNT_ONLY,
        # Passwords, e-mail and two-factor pages exist only without SSO_ONLY.
        "sso_only": settings.SOCIALACCOUNT_ONLY,
        "sso_enabled": bool(settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS")),
    }
