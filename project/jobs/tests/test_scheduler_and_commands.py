"""
The scheduler (project/scheduler.py, ``manage.py scheduler``) and ``manage.py worker`` in the
test process: periodic work runs once per period per scheduler, once-per-slot work once in all,
and the worker runs jobs while its heartbeat says it is alive.
"""

import io

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus

from project import scheduler
from project.jobs.models import PeriodicRun, WorkerHeartbeat
from project.jobs.tests.helpers import jobs
from project.jobs.tests.jobs_for_tests import succeeds

calls: list[str] = []


def every_scheduler():
    calls.append("every")


def once_in_all():
    calls.append("once")


@pytest.fixture
def probes():
    calls.clear()
    scheduler.register("test.every", every_scheduler, every=60)
    scheduler.register("test.once", once_in_all, every=60, once_per_slot=True)
    yield calls
    scheduler.unregister("test.every")
    scheduler.unregister("test.once")


@pytest.mark.django_db
def test_periodic_work_runs_once_per_period_and_slot(probes):
    first, second = scheduler.Scheduler(), scheduler.Scheduler()
    now = 1_000_000_020.0  # 20 s into a 60 s slot

    ran = first.tick(now)
    assert {"test.every", "test.once", "events.sweep", "jobs.purge"} <= set(ran)
    assert "test.once" not in second.tick(now + 1)  # the other scheduler, same slot
    assert {"test.every", "test.once"}.isdisjoint(first.tick(now + 30))  # same slot
    assert probes == ["every", "once", "every"]

    # The next slot: each scheduler runs its own work again, one of them the slot's.
    first.tick(now + 60)
    second.tick(now + 60)
    assert sorted(probes[3:]) == ["every", "every", "once"]
    assert PeriodicRun.objects.filter(name="test.once").count() == 2


@pytest.mark.django_db
def test_a_failing_periodic_function_does_not_stop_the_others(probes):
    def broken():
        raise RuntimeError("down")

    scheduler.register("test.broken", broken, every=60)
    try:
        ran = scheduler.Scheduler().tick(1_000_000_020.0)
    finally:
        scheduler.unregister("test.broken")
    assert "test.broken" not in ran
    assert "test.every" in ran


@pytest.mark.django_db
def test_scheduler_once_runs_everything_registered():
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert set(out.getvalue().split("\n")) >= {
        "ran events.sweep",
        "ran jobs.retry_failed",
        "ran jobs.recover_stuck",
        "ran jobs.purge",
    }


@pytest.mark.django_db(transaction=True)
def test_worker_runs_jobs_with_a_heartbeat(database_queue):
    seen = []

    def heartbeat_while_running(sender, task_result, **kwargs):
        seen.extend(WorkerHeartbeat.objects.values_list("worker_id", flat=True))

    from django.tasks.signals import task_started

    task_started.connect(heartbeat_while_running)
    try:
        succeeds.enqueue("one")
        succeeds.enqueue("two")
        call_command("worker", "--batch", "--worker-id", "w-test")
    finally:
        task_started.disconnect(heartbeat_while_running)
    assert [job.status for job in jobs()] == [TaskResultStatus.SUCCESSFUL] * 2
    assert seen == ["w-test", "w-test"]
    # Stopped: its heartbeat is gone with it.
    assert not WorkerHeartbeat.objects.exists()


def test_worker_refuses_the_immediate_backend(settings):
    from django.core.management.base import CommandError

    settings.TASKS_BACKEND = "immediate"
    with pytest.raises(CommandError, match="no worker needed"):
        call_command("worker", "--batch")
