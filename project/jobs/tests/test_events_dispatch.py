"""
The event bus (project/events.py): every committed Activity row is handed to each registered
consumer once, after commit; a consumer that fails makes the job fail and retry without the
others handling the row twice; the sweep finds rows whose enqueue was lost.
"""

import datetime

import pytest
import time_machine
from django.tasks import TaskResultStatus
from django.utils import timezone

from project import events
from project.jobs import maintenance
from project.jobs.models import OutboxSweep
from project.jobs.tests.helpers import jobs, run_worker
from tasks import services
from tasks.models import Activity
from tasks.tests.factories import ActivityFactory

DISPATCH = "project.events.dispatch_activity"


@pytest.mark.django_db
def test_a_committed_change_is_handed_to_each_consumer_once(
    project, alice, consumer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        task = services.task_create(project=project, by=alice, title="Ship it")
    activity = Activity.objects.get(task=task)

    assert consumer.handled == [("recording", activity.pk)]
    assert activity.dispatched_at is not None

    # Handed on again (a duplicate job): nothing happens twice.
    assert events.dispatch_activity.call(activity.pk) == "already dispatched"
    assert consumer.handled == [("recording", activity.pk)]


@pytest.mark.django_db
def test_nothing_is_enqueued_before_commit(
    project, alice, database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task = services.task_create(project=project, by=alice, title="Ship it")
        assert not jobs(DISPATCH).exists()
    for callback in callbacks:
        callback()
    activity = Activity.objects.get(task=task)
    assert [job.args_kwargs for job in jobs(DISPATCH)] == [{"args": [activity.pk], "kwargs": {}}]
    assert activity.dispatched_at is None


@pytest.mark.django_db(transaction=True)
def test_a_failing_consumer_retries_without_handling_anything_twice(
    project, alice, consumer, flaky, database_queue
):
    flaky.failures_left["count"] = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        task = services.task_create(project=project, by=alice, title="Ship it")
        activity = Activity.objects.get(task=task)

        run_worker()
        job = jobs(DISPATCH).get()
        assert job.status == TaskResultStatus.FAILED
        assert "the mail server is away" in job.traceback
        assert job.run_after == start + datetime.timedelta(seconds=10)
        # The consumer that succeeded keeps its handling; the row is not dispatched yet.
        assert consumer.handled == [("recording", activity.pk)]
        activity.refresh_from_db()
        assert activity.dispatched_at is None

        clock.shift(10)
        assert maintenance.retry_due_jobs() == 1
        run_worker()

    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert maintenance.attempts(job) == 2
    assert consumer.handled == [("recording", activity.pk), ("flaky", activity.pk)]
    activity.refresh_from_db()
    assert activity.dispatched_at is not None


@pytest.mark.django_db
def test_the_sweep_enqueues_rows_whose_dispatch_was_lost(
    project, database_queue, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        lost = ActivityFactory(project=project)  # committed, but its enqueue never ran
        ActivityFactory(project=project, dispatched_at=start)  # handed on already
        clock.shift(20)
        recent = ActivityFactory(project=project)  # may still be on its way

        clock.shift(11)  # lost is 31 s old, recent 11 s
        with django_capture_on_commit_callbacks(execute=True):
            assert events.sweep_undispatched() == 1
        assert [job.args_kwargs["args"] for job in jobs(DISPATCH)] == [[lost.pk]]
        assert OutboxSweep.objects.filter(activity_id=lost.pk).exists()

        # Claimed: the next sweep (this scheduler or another) leaves it to its job.
        with django_capture_on_commit_callbacks(execute=True):
            assert events.sweep_undispatched() == 0

        # Still not dispatched long after (the queue lost that job too): enqueued again,
        # together with the row that has grown old enough since.
        clock.shift(events.RESWEEP_AFTER.total_seconds() + 1)
        with django_capture_on_commit_callbacks(execute=True):
            assert events.sweep_undispatched() == 2
    assert sorted(job.args_kwargs["args"][0] for job in jobs(DISPATCH)) == sorted(
        [lost.pk, lost.pk, recent.pk]
    )


@pytest.mark.django_db
def test_a_deleted_activity_is_nothing_to_dispatch(project, consumer):
    activity = ActivityFactory(project=project)
    pk = activity.pk
    activity.delete()
    assert events.dispatch_activity.call(pk) == "gone"
    assert consumer.handled == []


def test_a_name_is_registered_once():
    events.register("twice", print)
    try:
        events.register("twice", print)  # the same handler again: fine (ready() twice)
        with pytest.raises(ValueError, match="already registered"):
            events.register("twice", repr)
    finally:
        events.unregister("twice")
