"""
Changes to notifications, follows, reminders and settings: one transaction each.

Every function looks the task up through ``Task.objects.visible_to(by)`` first, so a task the
caller cannot see is a 404 whatever they ask, and a read-only API token changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from types import EllipsisType

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import READ_ONLY_TOKEN, User, token_scope
from notifications.models import (
    Delivery,
    Follow,
    Kind,
    Notification,
    NotificationSettings,
    Reminder,
)
from tasks.models import Task, require_token_allows
from tasks.services import hold

#: The offsets the reminder form offers, in minutes before the due time.
REMINDER_PRESETS = [(0, "At the due time"), (10, "10 minutes before"), (60, "1 hour before")]
REMINDER_PRESETS.append((24 * 60, "1 day before"))
#: The longest offset anyone may ask for: four weeks.
MAX_BEFORE_MINUTES = 4 * 7 * 24 * 60


def due_instant(task: Task, user: User) -> datetime.datetime | None:
    """
    When ``task`` is due, for ``user``'s reminders: its due instant when it has a time of day,
    else its due date at ``REMINDER_UNTIMED_HOUR`` in ``user``'s own time zone; None without
    a due date.
    """
    due_at = getattr(task, "due_at", None)
    if due_at is not None:
        return due_at.astimezone(user.zone)
    if task.due_date is None:
        return None
    hour = datetime.time(settings.REMINDER_UNTIMED_HOUR)
    return datetime.datetime.combine(task.due_date, hour, tzinfo=user.zone)


def reminder_time(task: Task, user: User, before_minutes: int) -> datetime.datetime | None:
    """
    ``before_minutes`` before the due time, counted on the owner's wall clock: "1 day before"
    a task due at 9:00 is 9:00 the day before even across a daylight-saving change.
    """
    due = due_instant(task, user)
    if due is None:
        return None
    # Aware datetimes with a ZoneInfo subtract in wall time; the offset is then recomputed.
    local = due - datetime.timedelta(minutes=before_minutes)
    return local.astimezone(datetime.UTC)


def recompute_reminders(task: Task) -> None:
    """
    After the task's due date or time changed: move the relative reminders with it. A fired one
    whose new moment is still ahead fires again; an unfired one follows the due time (and
    waits, with no moment, while the task has no due date).
    """
    now = timezone.now()
    changed = []
    for reminder in Reminder.objects.filter(task=task, before_minutes__isnull=False).select_related(
        "user"
    ):
        new = reminder_time(task, reminder.user, reminder.before_minutes)
        if reminder.fired_at is not None and (new is None or new <= now):
            continue
        reminder.remind_at = new
        reminder.fired_at = None
        changed.append(reminder)
    if changed:
        Reminder.objects.bulk_update(changed, ["remind_at", "fired_at"])


def visible_task(task_id: int, by: User) -> Task:
    """
    The task, if ``by`` can see it. Inside a transaction it is also held (``hold``) until
    the end, so what is written about it cannot race its deletion.
    """
    if transaction.get_connection().in_atomic_block:
        hold(tasks=[task_id])
    task = Task.objects.visible_to(by).select_related("project").filter(pk=task_id).first()
    if task is None:
        raise Http404("No such task.")
    return task


def _require_write(task: Task, by: User) -> None:
    """Following and reminders are one's own business: any role, but no read-only token."""
    require_token_allows(by, task.project, write=True)


@transaction.atomic
def reminder_add(
    *,
    task: Task,
    by: User,
    remind_at: datetime.datetime | None = None,
    before_minutes: int | None = None,
) -> Reminder:
    """A reminder for ``by`` about ``task``: at a fixed moment, or some minutes before it is due."""
    task = visible_task(task.pk, by)
    _require_write(task, by)
    if (remind_at is None) == (before_minutes is None):
        raise ValidationError("Give either a moment (remind_at) or an offset (before_minutes).")
    if before_minutes is not None:
        if not 0 <= before_minutes <= MAX_BEFORE_MINUTES:
            raise ValidationError(
                {"before_minutes": f"Choose between 0 and {MAX_BEFORE_MINUTES} minutes."}
            )
        if task.due_date is None:
            raise ValidationError(
                {"before_minutes": "This task has no due date to count back from."}
            )
        remind_at = reminder_time(task, by, before_minutes)
    else:
        if timezone.is_naive(remind_at):
            remind_at = timezone.make_aware(remind_at, by.zone)
        if remind_at <= timezone.now():
            raise ValidationError({"remind_at": "Choose a moment in the future."})
    return Reminder.objects.create(
        task=task, user=by, before_minutes=before_minutes, remind_at=remind_at
    )


@transaction.atomic
def reminder_remove(*, reminder: Reminder, by: User) -> None:
    """Remove one of one's own reminders (someone else's is a 404)."""
    task = visible_task(reminder.task_id, by)
    _require_write(task, by)
    deleted, _ = Reminder.objects.filter(pk=reminder.pk, user=by).delete()
    if not deleted:
        raise Http404("No such reminder.")


def add_default_reminder(task: Task, user: User, minutes: int | None) -> None:
    """The assignee's default reminder, unless they already have a relative one on this task."""
    if minutes is None or task.due_date is None:
        return
    if Reminder.objects.filter(task=task, user=user, before_minutes__isnull=False).exists():
        return
    Reminder.objects.create(
        task=task,
        user=user,
        before_minutes=minutes,
        remind_at=reminder_time(task, user, minutes),
    )


@transaction.atomic
def follow(*, task: Task, by: User) -> Follow:
    """Follow a task one can see (following it again changes nothing)."""
    task = visible_task(task.pk, by)
    _require_write(task, by)
    follow, _ = Follow.objects.get_or_create(
        task=task, user=by, defaults={"reason": Follow.Reason.MANUAL}
    )
    return follow


@transaction.atomic
def unfollow(*, task: Task, by: User) -> None:
    task = visible_task(task.pk, by)
    _require_write(task, by)
    Follow.objects.filter(task=task, user=by).delete()


@transaction.atomic
def mark_read(*, notification: Notification, by: User, read: bool = True) -> Notification:
    """Mark one of one's own notifications read (or unread again)."""
    _require_not_read_only(by)
    if notification.recipient_id != by.pk:
        raise Http404("No such notification.")
    notification.read_at = (notification.read_at or timezone.now()) if read else None
    Notification.objects.filter(pk=notification.pk).update(read_at=notification.read_at)
    return notification


@transaction.atomic
def mark_all_read(*, by: User) -> int:
    _require_not_read_only(by)
    return Notification.objects.filter(recipient=by).unread().update(read_at=timezone.now())


def _require_not_read_only(user: User) -> None:
    """One's own inbox and settings: any token may read them, a read-only one changes nothing."""
    scope = token_scope(user)
    if scope is not None and scope.read_only:
        raise PermissionDenied(READ_ONLY_TOKEN)


def settings_for(user: User) -> NotificationSettings:
    """Someone's settings, the defaults (unsaved) until they first change them."""
    try:
        return user.notification_settings
    except NotificationSettings.DoesNotExist:
        return NotificationSettings(user=user)


@transaction.atomic
def settings_update(
    *,
    user: User,
    email: dict[str, str] | None = None,
    digest_hour: int | None = None,
    default_reminder_minutes: int | None | EllipsisType = ...,
) -> NotificationSettings:
    """
    Change some of one's notification settings; the rest stay as they are (``...``: leave the
    default reminder alone, ``None``: no default reminder).
    """
    _require_not_read_only(user)
    current, _ = NotificationSettings.objects.select_for_update().get_or_create(user=user)
    if email is not None:
        unknown = set(email) - set(Kind.values)
        if unknown:
            raise ValidationError({"email": f"Unknown kinds: {', '.join(sorted(unknown))}."})
        bad = {kind for kind, value in email.items() if value not in Delivery.values}
        if bad:
            raise ValidationError(
                {"email": f"Choose one of {', '.join(Delivery.values)} for {', '.join(bad)}."}
            )
        current.email = {**current.email, **email}
    if digest_hour is not None:
        if not 0 <= digest_hour <= 23:
            raise ValidationError({"digest_hour": "Choose an hour from 0 to 23."})
        current.digest_hour = digest_hour
    if default_reminder_minutes is not ...:
        if default_reminder_minutes is not None and not (
            0 <= default_reminder_minutes <= MAX_BEFORE_MINUTES
        ):
            raise ValidationError(
                {"default_reminder_minutes": f"Choose between 0 and {MAX_BEFORE_MINUTES}."}
            )
        current.default_reminder_minutes = default_reminder_minutes
    current.save()
    user.notification_settings = current
    return current


def followers_of(task: Task) -> Iterable[Follow]:
    return Follow.objects.filter(task=task).select_related("user").order_by("user__username")
