"""
The links in e-mails, signed with ``django.core.signing``: unsubscribing (user and kinds, no
expiry) and joining by invitation (invitation and address, expiring with the invitation).
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from notifications.models import Delivery, Kind, NotificationSettings
from tasks.models import Invitation

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
INVITATION_SALT = "notifications.invitation"


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def unsubscribe_token(user, kinds: list[str] | str) -> str:
    """A signed, non-expiring token for "no more of these e-mails": kinds, or ``"all"``."""
    return signing.dumps({"u": user.pk, "k": kinds}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[User, list[str]] | None:
    """The person and the kinds a token names, or ``None`` for a forged or broken one."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        kinds = Kind.values if data["k"] == "all" else list(data["k"])
        user = User.objects.get(pk=int(data["u"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        return None
    if not kinds or any(kind not in Kind.values for kind in kinds):
        return None
    return user, kinds


def unsubscribe_url(user, kinds: list[str] | str) -> str:
    return absolute(reverse("unsubscribe", args=[unsubscribe_token(user, kinds)]))


def settings_for(user) -> NotificationSettings:
    """Someone's notification settings row, made on first use."""
    try:
        with transaction.atomic():
            return NotificationSettings.objects.get_or_create(user=user)[0]
    except IntegrityError:  # made by someone else meanwhile
        return NotificationSettings.objects.get(user=user)


@transaction.atomic
def unsubscribe(user, kinds: list[str]) -> None:
    """Turn e-mail off for ``kinds``; waiting mails of those kinds are then not sent."""
    settings_for(user)
    row = NotificationSettings.objects.select_for_update().get(user=user)
    row.email = {**row.email, **dict.fromkeys(kinds, Delivery.OFF.value)}
    row.save(update_fields=["email"])


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(
        {"i": invitation.pk, "a": invitation.address}, salt=INVITATION_SALT, compress=True
    )


def read_invitation_token(token: str) -> Invitation | None:
    """
    The invitation a link names, while it can still be accepted: a forged, broken or
    outdated link (answered, cancelled, expired, or for another address) is ``None``.
    """
    max_age = datetime.timedelta(days=settings.INVITATION_EXPIRY_DAYS)
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
        invitation = Invitation.objects.select_related("project", "invited_by").get(
            pk=int(data["i"]), address=str(data["a"])
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, Invitation.DoesNotExist):
        return None
    if invitation.status != Invitation.Status.PENDING or invitation.is_expired:
        return None
    return invitation


def invitation_join_url(invitation: Invitation) -> str:
    return absolute(reverse("invitation-join", args=[invitation_token(invitation)]))


def signup_url_for(invitation: Invitation) -> str:
    """Sign-up with the invited address filled in, landing on the invitations afterwards."""
    query = urlencode({"email": invitation.address, "next": reverse("tasks:invitation-list")})
    return f"{reverse('account_signup')}?{query}"
