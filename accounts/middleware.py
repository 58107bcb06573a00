"""
The signed-in user's time zone for each request, where they are signed in, and the answer to
a sign-in attempt that the username delay refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import lockout
from accounts.unlock import UnlockForm


class TimeZoneMiddleware:
    """Activate the user's time zone for the request (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SessionActivityMiddleware:
    """
    Keep "Your sessions" current (address, device, last seen) at most once a minute per
    session, instead of a write on every request (django-allauth's own middleware writes on
    each one). Replaces ``allauth.usersessions.middleware.UserSessionsMiddleware``.
    """

    SEEN_KEY = "accounts:seen"
    RESOLUTION_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None:
            self.record(request, session)
        return self.get_response(request)

    def record(self, request: HttpRequest, session) -> None:
        from allauth.usersessions.models import UserSession

        now = int(time.time())
        if now - session.get(self.SEEN_KEY, 0) < self.RESOLUTION_SECONDS:
            return
        UserSession.objects.create_from_request(request)
        session[self.SEEN_KEY] = now


def session_recorded_at_login(sender, request, user, **kwargs) -> None:
    """allauth records the session as it signs in: the next minute needs no second write."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SessionActivityMiddleware.SEEN_KEY] = int(time.time())


class LoginDelayMiddleware:
    """
    Outside django-axes' middleware. An attempt that ``accounts.lockout`` refused for coming too
    early answers 429 with a page that says how long to wait and offers an unlock link; a
    sign-in marks the browser as a known device of the account (a signed cookie).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        wait = getattr(request, "login_delay_seconds", None)
        if wait is not None and not getattr(request, "axes_locked_out", False):
            response = render(
                request,
                "registration/login_delayed.html",
                {"wait_seconds": wait, "form": UnlockForm()},
                status=429,
            )
            response["Retry-After"] = str(wait)
        lockout.set_known_device_cookie(request, response)
        return response


class StaffTwoFactorMiddleware:
    """
    With ``REQUIRE_STAFF_2FA`` on, a staff member who has no authenticator app or passkey yet
    is sent to the two-factor page before any admin page works. Only the admin: staff have no
    other powers on the site, so the rest of it (the two-factor setup pages themselves,
    signing out, static files, the API) stays as it is for everyone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        # With SSO_ONLY the provider asks for the second factor (allauth.mfa is not installed).
        if (
            settings.REQUIRE_STAFF_2FA
            and not settings.SOCIALACCOUNT_ONLY
            and self.needs_second_factor(request)
        ):
            from django.contrib import messages
            from django.shortcuts import redirect

            messages.warning(
                request,
                "Staff must set up two-factor authentication (an authenticator app or a "
                "passkey) before using the admin.",
            )
            return redirect("mfa_index")
        return self.get_response(request)

    @staticmethod
    def needs_second_factor(request: HttpRequest) -> bool:
        from allauth.mfa.models import Authenticator
        from django.urls import reverse

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return False
        if not request.path.startswith(reverse("admin:index")):
            return False
        # Recovery codes alone are no second factor: they exist only beside one.
        return not Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()
