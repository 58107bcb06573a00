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
