"""
Two-factor code forms. Their own module: allauth.mfa is not installed with SSO_ONLY (the
provider asks for the second factor), and only settings.MFA_FORMS names these.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.core import context, ratelimit
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm

from accounts.models import User


class PerAccountCodeLimit:
    """
    Wrong two-factor codes are limited per account too (``ACCOUNT_RATE_LIMITS["mfa_code"]``),
    not only per address as django-allauth does: six digits must not be guessable by someone
    who has the password and many addresses. A right code clears the count.
    """

    user: User

    def clean_code(self) -> str:
        key = f"mfa-code-user-{self.user.pk}"
        if not ratelimit.consume(context.request, action="mfa_code", key=key):
            raise get_adapter().validation_error("too_many_login_attempts")
        code = super().clean_code()
        ratelimit.clear(context.request, action="mfa_code", key=key)
        return code


class TwoFactorAuthenticateForm(PerAccountCodeLimit, AuthenticateForm):
    """The second step of signing in."""


class TwoFactorReauthenticateForm(PerAccountCodeLimit, ReauthenticateForm):
    """Confirming it is you with a code before a sensitive change."""
