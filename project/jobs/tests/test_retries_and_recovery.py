"""
The database queue's upkeep (project/jobs/maintenance.py): a failing job runs again after
10 s, 40 s, 160 s, 640 s and then stays failed; a job left running by a dead worker runs
again; successful jobs are purged after their retention, failed ones kept.
"""

import datetime

import pytest
import time_machine
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from project.jobs import maintenance
from project.jobs.models import OutboxSweep, PeriodicRun, WorkerHeartbeat
from project.jobs.tests.helpers import jobs, run_worker
from project.jobs.tests.jobs_for_tests import always_fails, succeeds

pytestmark = pytest.mark.usefixtures("database_queue")


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_retried_with_backoff_then_kept_failed(settings):
    settings.TASKS_MAX_ATTEMPTS = 5
    with time_machine.travel(timezone.now(), tick=False) as clock:
        always_fails.enqueue("the report")
        waits = []
        for attempt in range(1, 6):
            run_worker()
            job = jobs().get()
            assert job.status == TaskResultStatus.FAILED
            assert maintenance.attempts(job) == attempt
            assert job.exception_class_path == "builtins.ValueError"
            assert "the report cannot be done" in job.traceback
            if job.run_after == get_date_max():
                break
            wait = (job.run_after - job.finished_at).total_seconds()
            waits.append(wait)
            # Not before its time, by any scheduler.
            clock.shift(wait - 1)
            assert maintenance.retry_due_jobs() == 0
            clock.shift(1)
            assert maintenance.retry_due_jobs() == 1
            assert jobs().get().status == TaskResultStatus.READY
        assert waits == [10, 40, 160, 640]
        assert attempt == 5
        # No attempts left: it stays failed for staff to see, however long one waits.
        clock.shift(365 * 24 * 3600)
        assert maintenance.retry_due_jobs() == 0
    assert jobs().get().status == TaskResultStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_a_job_left_running_by_a_dead_worker_runs_again(settings):
    settings.TASKS_WORKER_TIMEOUT = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        lost = DBTaskResult.objects.get(pk=succeeds.enqueue("lost").id)
        busy = DBTaskResult.objects.get(pk=succeeds.enqueue("busy").id)
        lost.claim("dead-worker")
        busy.claim("live-worker")
        WorkerHeartbeat.objects.create(
            worker_id="dead-worker", last_seen=start, started_at=start, pid=1, host="a"
        )
        # Just claimed by a worker whose heartbeat is not written yet: left alone.
        clock.shift(20)
        assert maintenance.recover_stuck_jobs() == 0

        clock.shift(11)
        WorkerHeartbeat.objects.create(
            worker_id="live-worker", last_seen=timezone.now(), started_at=start, pid=2, host="b"
        )
        assert maintenance.recover_stuck_jobs() == 1
        lost.refresh_from_db()
        busy.refresh_from_db()
        assert lost.status == TaskResultStatus.READY
        assert busy.status == TaskResultStatus.RUNNING

        run_worker("worker-2")
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.SUCCESSFUL
    assert lost.worker_ids == ["dead-worker", "worker-2"]
    assert lost.return_value == "lost"


@pytest.mark.django_db
def test_a_job_that_keeps_killing_its_worker_ends_failed(settings):
    settings.TASKS_MAX_ATTEMPTS = 3
    job = DBTaskResult.objects.get(pk=succeeds.enqueue("poison").id)
    job.worker_ids = ["w1", "w2"]
    job.save()
    job.claim("w3")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        assert maintenance.recover_stuck_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == maintenance.WORKER_LOST
    assert "3 times" in job.traceback


@pytest.mark.django_db
def test_successful_jobs_are_purged_after_their_retention_failed_ones_kept(settings):
    settings.TASKS_RESULT_RETENTION_DAYS = 7
    old = timezone.now() - datetime.timedelta(days=8)
    young = timezone.now() - datetime.timedelta(days=6)

    def finished(status, when):
        job = DBTaskResult.objects.get(pk=succeeds.enqueue(str(when)).id)
        DBTaskResult.objects.filter(pk=job.pk).update(status=status, finished_at=when)
        return job.pk

    old_success = finished(TaskResultStatus.SUCCESSFUL, old)
    young_success = finished(TaskResultStatus.SUCCESSFUL, young)
    old_failure = finished(TaskResultStatus.FAILED, old)
    PeriodicRun.objects.create(name="x", slot=1)
    PeriodicRun.objects.filter(name="x").update(ran_at=old)
    OutboxSweep.objects.create(activity_id=1, swept_at=old)

    assert maintenance.purge_finished_jobs() == 1
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {young_success, old_failure}
    assert old_success not in DBTaskResult.objects.values_list("pk", flat=True)
    assert not PeriodicRun.objects.exists()
    assert not OutboxSweep.objects.exists()
