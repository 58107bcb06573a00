"""Mail about the account itself, sent to the people it concerns."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

logger = logging.getLogger(__name__)

EMAIL_CHANGED_SUBJECT = "Your Taskdesk email address was changed"


def notify_email_changed(
    user: User, old_address: str, *, request: HttpRequest | None = None
) -> None:
    """
    Tell the old address that the account's email changed (to the new one), so that whoever
    owned it learns of a take-over while they can still act. Call it after the change is
    saved; it sends nothing when there was no old address or it did not really change.
    """
    new_address = user.email
    if not old_address or old_address.casefold() == (new_address or "").casefold():
        return
    path = reverse("settings")
    body = render_to_string(
        "accounts/email/email_changed.txt",
        {
            "user": user,
            "old_address": old_address,
            "new_address": new_address,
            "when": timezone.localtime(),
            "settings_url": request.build_absolute_uri(path) if request is not None else path,
        },
    )
    try:
        send_mail(EMAIL_CHANGED_SUBJECT, body, settings.DEFAULT_FROM_EMAIL, [old_address])
    except (OSError, smtplib.SMTPException):
        # The change itself stands; a mail server that is down must not turn it into a 500.
        logger.exception("Could not send the email-changed notice of user %s", user.pk)
