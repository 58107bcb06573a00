from __future__ import annotations

import datetime

from django.utils import timezone

from notifications.models import Delivery, Kind, Notification


def make_note(
    recipient,
    *,
    task=None,
    project=None,
    kind=Kind.COMMENTED,
    actor=None,
    ago: float = 180,
    delivery=Delivery.INSTANT,
    summary: str = "",
    at: datetime.datetime | None = None,
    data: dict | None = None,
) -> Notification:
    """A notification waiting to be mailed, as the notifications consumer makes them."""
    created = at or timezone.now() - datetime.timedelta(seconds=ago)
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        task=task,
        project=project or (task.project if task else None),
        actor=actor,
        summary=summary or f"{actor.name if actor else 'Someone'} did {kind}",
        data=data or {},
        created_at=created,
        email_delivery=delivery,
        email_state=Notification.EmailState.PENDING
        if delivery != Delivery.OFF
        else Notification.EmailState.NONE,
    )
