"""The signed-in user's time zone for each request, and where they are signed in."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


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
        from allauth.account.adapter import get_adapter
        from allauth.usersessions.models import UserSession

        now = int(time.time())
        address = get_adapter().get_client_ip(request)
        seen = session.get(self.SEEN_KEY)
        if seen and seen[1] == address and now - seen[0] < self.RESOLUTION_SECONDS:
            return
        UserSession.objects.create_from_request(request)
        session[self.SEEN_KEY] = [now, address]


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

        if settings.REQUIRE_STAFF_2FA and self.needs_second_factor(request):
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
