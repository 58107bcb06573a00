"""
Firing reminders: the periodic job ``fire_due_reminders``.

Any number of schedulers may run it at once. Each batch claims its rows with
``SELECT … FOR UPDATE SKIP LOCKED`` (on PostgreSQL; SQLite serialises writers anyway) and marks
them fired in the same transaction as it writes their notifications, so a reminder fires
exactly once: a second scheduler skips the rows the first holds and, after its commit, no
longer finds them (``fired_at`` is set).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import formats, timezone

from notifications.events import save_notifications
from notifications.models import Kind, Notification, Reminder
from tasks.models import Membership
from tasks.services import hold

BATCH_SIZE = 100


def fire_due_reminders(
    now: datetime.datetime | None = None, *, batch_size: int = BATCH_SIZE
) -> int:
    """Fire every reminder due by ``now``; returns how many were claimed."""
    now = now or timezone.now()
    claimed = 0
    while True:
        with transaction.atomic():
            count = _fire_batch(now, batch_size)
        claimed += count
        if count < batch_size:
            return claimed


def pending_reminders(now: datetime.datetime):
    """
    Unfired reminders due by ``now``, oldest first. The filter repeats the condition of the
    partial index ``reminder_pending`` so the planner can use it: the scan reads due rows in
    order, nothing else.
    """
    return Reminder.objects.filter(
        fired_at__isnull=True, remind_at__isnull=False, remind_at__lte=now
    ).order_by("remind_at")


def _fire_batch(now: datetime.datetime, batch_size: int) -> int:
    # Hold the tasks (and projects) first, then lock the reminders: deleting a project locks
    # it and then deletes its reminders, so the other order could deadlock with it.
    due = list(pending_reminders(now).values_list("task_id", "task__project_id")[:batch_size])
    if not due:
        return 0
    _, tasks = hold(projects={project for _, project in due}, tasks={task for task, _ in due})
    reminders = list(
        pending_reminders(now)
        .filter(task_id__in=tasks)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("task__project", "user")[:batch_size]
    )
    if not reminders:
        return 0
    Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(fired_at=now)
    # Whoever is no longer a member cannot see the task: their reminder fires silently.
    members = set(
        Membership.objects.filter(
            project_id__in={r.task.project_id for r in reminders},
            user_id__in={r.user_id for r in reminders},
        ).values_list("project_id", "user_id")
    )
    save_notifications(
        [
            Notification(
                recipient=reminder.user,
                kind=Kind.REMINDER,
                project_id=reminder.task.project_id,
                task=reminder.task,
                summary=_summary(reminder)[:300],
                data={"reminder": reminder.pk},
            )
            for reminder in reminders
            if not reminder.task.is_done
            and reminder.user.is_active
            and (reminder.task.project_id, reminder.user_id) in members
        ]
    )
    return len(reminders)


def _summary(reminder: Reminder) -> str:
    task = reminder.task
    due = getattr(task, "due_at", None)
    if due is not None:
        local = timezone.localtime(due, reminder.user.zone)
        when = formats.date_format(local, "DATETIME_FORMAT")
        return f"Reminder: “{task.title}” is due {when}"
    if task.due_date is not None:
        return f"Reminder: “{task.title}” is due {formats.date_format(task.due_date)}"
    return f"Reminder: “{task.title}”"
