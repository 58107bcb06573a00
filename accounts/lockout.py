"""
Failed sign-ins for one username from anywhere slow it down; they never lock it.

django-axes locks a (username, address) pair after a few failures. On top of that, this module
counts the failures for a username from every address: after ``LOGIN_DELAY_FREE_FAILURES`` of
them each further attempt must wait ``2^(n - free)`` times ``LOGIN_DELAY_BASE_SECONDS`` after
the last failure (at most ``LOGIN_DELAY_MAX_SECONDS``); an attempt made too early is refused
before any password is checked, and is no failure itself. A success resets the count.

The real owner is never shut out by someone else's guesses: a browser that signed in to the
account before carries a signed "known device" cookie, and one that opened an unlock link
e-mailed to the account's address gets it too; such a browser is exempt from this delay (not
from the lock of its own address, which its own failures earn).

It all hangs on ``authenticate()`` and its signals, so the site's login, the admin's and any
other caller of ``authenticate()`` share it. The state lives in the cache (Redis in
production, shared by every web process).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import user_logged_in, user_login_failed
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from accounts.models import User

KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_SALT = "accounts.lockout.known-device"
KNOWN_DEVICE_LIMIT = 20  # accounts remembered per browser
UNLOCK_SALT = "accounts.lockout.unlock-link"
#: How long the count of a username's failures outlives its last failure.
STATE_SECONDS = 24 * 3600
#: How long the one attempt let through after a delay keeps others of the same moment out.
SLOT_SECONDS = 60


def now() -> float:
    return time.time()


# ---------------------------------------------------------------------------------------------
# The name an attempt is for
# ---------------------------------------------------------------------------------------------
def login_name(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """
    The username an attempt is for, lower case: an e-mail address is mapped to its account's
    username, so "alice" and "alice@example.com" are one name. Reads ``authenticate()``'s
    credentials (``username`` or ``email``), else the login form's field.
    """
    credentials = credentials or {}
    raw = credentials.get("username") or credentials.get("email")
    if not raw and request is not None:
        data = getattr(request, "POST", {})
        raw = data.get("login") or data.get("username")
    if not isinstance(raw, str) or not raw.strip():
        return None
    raw = raw.strip()
    if "@" in raw:
        username = User.objects.filter(email__iexact=raw).values_list("username", flat=True).first()
        return (username or raw).lower()
    return raw.lower()


def _key(name: str) -> str:
    return "login-delay:" + hashlib.sha256(name.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# The delay
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delay:
    failures: int
    last: float

    @property
    def seconds(self) -> int:
        """How long after the last failure the next attempt may come: 0, then 1, 2, 4, … × base"""
        free = settings.LOGIN_DELAY_FREE_FAILURES
        if self.failures < free:
            return 0
        exponent = min(self.failures - free, 40)
        return min(
            settings.LOGIN_DELAY_BASE_SECONDS * 2**exponent, settings.LOGIN_DELAY_MAX_SECONDS
        )

    def remaining(self, at: float) -> float:
        return max(0.0, self.last + self.seconds - at)


def delay_for(name: str) -> Delay:
    key = _key(name)
    state = cache.get_many([f"{key}:failures", f"{key}:last"])
    return Delay(
        failures=int(state.get(f"{key}:failures", 0)), last=float(state.get(f"{key}:last", 0.0))
    )


def record_failure(name: str) -> None:
    """Count one failure; atomic, so failures at the same moment on other workers all count."""
    key = _key(name)
    cache.add(f"{key}:failures", 0, STATE_SECONDS)
    try:
        cache.incr(f"{key}:failures")
    except ValueError:
        return  # the cache is away: no delay until it is back (the pair lock still holds)
    cache.touch(f"{key}:failures", STATE_SECONDS)
    cache.set(f"{key}:last", now(), STATE_SECONDS)


def reset(name: str) -> None:
    key = _key(name)
    cache.delete_many([f"{key}:failures", f"{key}:last"])


def wait_seconds(name: str) -> int:
    """
    Seconds before an attempt for ``name`` may be checked; 0 lets this one through. Once the
    delay applies, only one attempt per delay gets through, however many arrive at once.
    """
    delay = delay_for(name)
    if delay.seconds == 0:
        return 0
    remaining = delay.remaining(now())
    if remaining > 0:
        return max(1, math.ceil(remaining))
    slot = f"{_key(name)}:slot:{delay.failures}:{delay.last}"
    if not cache.add(slot, 1, SLOT_SECONDS):
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# Known devices
# ---------------------------------------------------------------------------------------------
def known_accounts(request: HttpRequest) -> list[int]:
    """The accounts this browser signed in to (or unlocked) before, from its signed cookie."""
    value = request.COOKIES.get(KNOWN_DEVICE_COOKIE)
    if not value:
        return []
    try:
        accounts = signing.loads(
            value, salt=KNOWN_DEVICE_SALT, max_age=settings.KNOWN_DEVICE_DAYS * 86400
        )
    except signing.BadSignature:
        return []
    if not isinstance(accounts, list):
        return []
    return [pk for pk in accounts if isinstance(pk, int)]


def is_known_device(request: HttpRequest, name: str) -> bool:
    accounts = known_accounts(request)
    if not accounts:
        return False
    user = User.objects.filter(pk__in=accounts, username__iexact=name).only("pk").first()
    return user is not None


def remember_device(request: HttpRequest, user: User) -> None:
    """Mark the browser as a known device of ``user`` once the response goes out."""
    request.known_device_user_id = user.pk


def set_known_device_cookie(request: HttpRequest, response: HttpResponse) -> None:
    user_id = getattr(request, "known_device_user_id", None)
    if user_id is None:
        return
    accounts = [pk for pk in known_accounts(request) if pk != user_id]
    accounts = [user_id, *accounts][:KNOWN_DEVICE_LIMIT]
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        signing.dumps(accounts, salt=KNOWN_DEVICE_SALT, compress=True),
        max_age=settings.KNOWN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# ---------------------------------------------------------------------------------------------
# Unlock links
# ---------------------------------------------------------------------------------------------
def _login_stamp(user: User) -> str:
    return user.last_login.isoformat() if user.last_login else ""


def unlock_token(user: User) -> str:
    """A signed token for ``user``; it dies after LOGIN_UNLOCK_LINK_SECONDS or a sign-in."""
    return signing.dumps({"u": user.pk, "l": _login_stamp(user)}, salt=UNLOCK_SALT)


def user_for_unlock_token(token: str) -> User | None:
    try:
        data = signing.loads(token, salt=UNLOCK_SALT, max_age=settings.LOGIN_UNLOCK_LINK_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or data.get("l") != _login_stamp(user):
        return None
    return user


# ---------------------------------------------------------------------------------------------
# authenticate() and its signals
# ---------------------------------------------------------------------------------------------
class LoginDelayed(PermissionDenied):
    """Too early for another attempt on this username; no password was checked."""


class LoginDelayBackend:
    """
    Placed before ModelBackend: refuses an attempt that comes too early for its username
    (``authenticate()`` then answers None at once), otherwise lets the next backend check it.
    Like axes' backend it has no ``get_user``: no session is ever tied to it, and
    ``force_login``/``login`` pass it by.
    """

    def authenticate(self, request, username=None, password=None, **credentials):
        if request is None:
            return None
        name = login_name(request, {"username": username, **credentials})
        if not name:
            return None
        if delay_for(name).seconds == 0 or is_known_device(request, name):
            return None
        wait = wait_seconds(name)
        if wait:
            request.login_delay_seconds = wait
            request.login_delay_name = name
            raise LoginDelayed
        return None


def refused_without_checking(request: HttpRequest, credentials: dict | None) -> bool:
    """Whether this request's attempt was refused before any password check (django-axes)."""
    return getattr(request, "login_delay_seconds", None) is not None


@receiver(user_login_failed)
def count_failure(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    if request is None or refused_without_checking(request, credentials):
        return
    if getattr(request, "axes_locked_out", False):
        return  # axes refused the pair before any password check
    name = login_name(request, credentials)
    if name:
        record_failure(name)


@receiver(user_logged_in)
def forget_failures(sender, request: HttpRequest | None, user: User, **kwargs):
    reset(user.username.lower())
    if request is not None:
        remember_device(request, user)
