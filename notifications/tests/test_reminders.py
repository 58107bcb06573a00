"""Reminders: when they are due, how they follow the task, and that they fire exactly once."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.http import Http404

from notifications import services
from notifications.models import Kind, Notification, NotificationSettings, Reminder
from notifications.reminders import fire_due_reminders
from tasks import services as task_services
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def at(text: str, zone: str = "UTC") -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@time_machine.travel(at("2030-01-01T08:00"), tick=False)
def test_fixed_reminder_fires_once_at_its_moment(erin, task):
    reminder = services.reminder_add(task=task, by=erin, remind_at=at("2030-01-01T10:00"))
    assert fire_due_reminders() == 0
    assert fire_due_reminders(now=at("2030-01-01T10:00")) == 1
    assert fire_due_reminders(now=at("2030-01-01T11:00")) == 0
    note = Notification.objects.get()
    assert note.kind == Kind.REMINDER and note.recipient == erin and note.task == task
    assert note.summary.startswith("Reminder: “Write the README”")
    reminder.refresh_from_db()
    assert reminder.fired_at == at("2030-01-01T10:00")


@time_machine.travel(at("2030-01-01T08:00"), tick=False)
def test_reminder_in_the_past_or_ambiguous_is_refused(erin, task):
    with pytest.raises(ValidationError):
        services.reminder_add(task=task, by=erin, remind_at=at("2029-12-31T10:00"))
    with pytest.raises(ValidationError):
        services.reminder_add(task=task, by=erin)
    with pytest.raises(ValidationError):  # no due date to count back from
        services.reminder_add(task=task, by=erin, before_minutes=10)


def test_outsider_cannot_add_a_reminder(oscar, task):
    with pytest.raises(Http404):
        services.reminder_add(task=task, by=oscar, remind_at=at("2099-01-01T10:00"))


@pytest.mark.parametrize(
    ("zone", "expected_utc"),
    [("Asia/Tokyo", "2030-03-10T00:00"), ("America/Los_Angeles", "2030-03-10T16:00")],
)
@time_machine.travel(at("2030-01-01T08:00"), tick=False)
def test_untimed_task_counts_from_nine_local(erin, project, zone, expected_utc):
    erin.time_zone = zone
    erin.save()
    task = TaskFactory(project=project, due_date=datetime.date(2030, 3, 10))
    reminder = services.reminder_add(task=task, by=erin, before_minutes=0)
    assert reminder.remind_at == at(expected_utc)


@time_machine.travel(at("2030-01-01T08:00"), tick=False)
def test_one_day_before_keeps_the_wall_clock_across_dst(erin, project):
    erin.time_zone = "Europe/Berlin"
    erin.save()
    # Berlin moves to summer time on 31 March 2030: 9:00 on the 31st is 07:00 UTC.
    task = TaskFactory(project=project, due_date=datetime.date(2030, 3, 31))
    reminder = services.reminder_add(task=task, by=erin, before_minutes=24 * 60)
    assert reminder.remind_at == at("2030-03-30T09:00", "Europe/Berlin")
    assert reminder.remind_at == at("2030-03-30T08:00")
    hour = services.reminder_add(task=task, by=erin, before_minutes=60)
    assert hour.remind_at == at("2030-03-31T06:00")


@time_machine.travel(at("2030-01-01T08:00"), tick=False)
def test_due_change_moves_relative_reminders(alice, erin, project, deliver):
    task = TaskFactory(project=project, due_date=datetime.date(2030, 3, 10))
    relative = services.reminder_add(task=task, by=erin, before_minutes=60)
    fixed = services.reminder_add(task=task, by=erin, remind_at=at("2030-02-01T12:00"))
    task_services.task_update(task=task, by=alice, due_date=datetime.date(2030, 4, 1))
    deliver()
    relative.refresh_from_db()
    fixed.refresh_from_db()
    assert relative.remind_at == at("2030-04-01T08:00")
    assert fixed.remind_at == at("2030-02-01T12:00")
    task_services.task_update(task=task, by=alice, due_date=None)
    deliver()
    relative.refresh_from_db()
    assert relative.remind_at is None


@time_machine.travel(at("2030-01-01T08:00"), tick=False)
def test_done_or_invisible_tasks_fire_silently(alice, erin, victor, project):
    done = TaskFactory(project=project)
    services.reminder_add(task=done, by=erin, remind_at=at("2030-01-01T09:00"))
    task_services.task_complete(task=done, by=alice)
    gone = TaskFactory(project=project)
    services.reminder_add(task=gone, by=victor, remind_at=at("2030-01-01T09:00"))
    project.memberships.filter(user=victor).delete()
    assert fire_due_reminders(now=at("2030-01-01T09:30")) == 2
    assert Notification.objects.count() == 0
    assert not Reminder.objects.filter(fired_at__isnull=True).exists()


@time_machine.travel(at("2030-01-01T08:00"), tick=False)
def test_default_reminder_when_assigned(alice, erin, project, deliver):
    NotificationSettings.objects.create(user=erin, default_reminder_minutes=10)
    task = task_services.task_create(
        project=project, by=alice, title="Due", due_date=datetime.date(2030, 2, 1), assignee=erin
    )
    undated = task_services.task_create(project=project, by=alice, title="Undated", assignee=erin)
    deliver()
    reminder = Reminder.objects.get()
    assert reminder.task == task and reminder.user == erin and reminder.before_minutes == 10
    assert reminder.remind_at == at("2030-02-01T08:50")
    assert not undated.reminders.exists()


@time_machine.travel(at("2030-01-01T08:00"), tick=False)
def test_batches_fire_everything(erin, project, task):
    for minute in range(5):
        services.reminder_add(task=task, by=erin, remind_at=at(f"2030-01-01T09:0{minute}"))
    assert fire_due_reminders(now=at("2030-01-01T10:00"), batch_size=2) == 5
    assert Notification.objects.count() == 5


def test_claim_uses_the_partial_index():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    from notifications.reminders import pending_reminders

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = pending_reminders(at("2030-01-01T10:00")).explain()
        cursor.execute("SET enable_seqscan = on")
    assert "reminder_pending" in plan


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_fire_each_reminder_once(erin, project):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    task = TaskFactory(project=project)
    Reminder.objects.bulk_create(
        [
            Reminder(
                task=task,
                user=erin,
                remind_at=at("2030-01-01T09:00") + datetime.timedelta(seconds=i),
            )
            for i in range(200)
        ]
    )
    barrier = threading.Barrier(2)
    counts = []

    def scheduler():
        try:
            barrier.wait()
            counts.append(fire_due_reminders(now=at("2030-01-02T00:00"), batch_size=7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 200
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 200
    assert Notification.objects.values("data__reminder").distinct().count() == 200
