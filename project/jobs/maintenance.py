"""
The database queue's upkeep, run by the scheduler (``project.jobs.apps``):

- ``retry_due_jobs``: a failed job whose retry time has come is queued again. The worker sets
  that time when the job fails (``retry_at``): 10 s, 40 s, 160 s … after the failure
  (``TASKS_RETRY_BASE_SECONDS`` × 4ⁿ⁻¹ after the n-th attempt); after
  ``TASKS_MAX_ATTEMPTS`` attempts it sets none and the job stays failed, for staff to see (and
  retry) in the admin. Until it runs again, a failed job shows its error and its retry time
  (``run_after``) in the admin.
- ``recover_stuck_jobs``: a job still running on a worker whose heartbeat is older than
  ``TASKS_WORKER_TIMEOUT`` (killed, its machine gone) is queued again, or marked failed once it
  has used up its attempts.
- ``purge_finished_jobs``: successful jobs older than ``TASKS_RESULT_RETENTION_DAYS`` are
  deleted; failed ones stay until staff delete them.

Each claims its rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (or runs once per slot), so any
number of schedulers may run them. Jobs are idempotent, so a job that runs again after a
worker died does no harm.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from project.jobs.models import OutboxSweep, PeriodicRun, WorkerHeartbeat

logger = logging.getLogger(__name__)

BATCH = 200
#: What a job lost with its worker says, in the admin, once it has no attempts left.
WORKER_LOST = "project.jobs.maintenance.WorkerLost"


def attempts(result: DBTaskResult) -> int:
    """How many times a worker has started this job (django-tasks-db's ``worker_ids``)."""
    return len(result.worker_ids)


def backoff(attempt: int) -> datetime.timedelta:
    """The wait before the next try after the ``attempt``-th one: base × 4^(attempt − 1)."""
    return datetime.timedelta(seconds=settings.TASKS_RETRY_BASE_SECONDS * 4 ** (attempt - 1))


def retry_at(result: DBTaskResult, failed_at: datetime.datetime) -> datetime.datetime:
    """When a job that just failed runs again; the far future when it has no attempts left."""
    tried = attempts(result)
    if tried >= settings.TASKS_MAX_ATTEMPTS:
        return get_date_max()
    return failed_at + backoff(tried)


def retry_due_jobs() -> int:
    """Queue again the failed jobs whose retry time has come."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            DBTaskResult.objects.failed()
            .filter(run_after__lte=now)
            .order_by("run_after")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:BATCH]
        )
        if due:
            DBTaskResult.objects.filter(pk__in=due).update(
                status=TaskResultStatus.READY, finished_at=None
            )
    if due:
        logger.info("Queued %d failed jobs again", len(due))
    return len(due)


def recover_stuck_jobs() -> int:
    """Queue again the jobs left running by a worker that is gone."""
    now = timezone.now()
    timeout = datetime.timedelta(seconds=settings.TASKS_WORKER_TIMEOUT)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=now - timeout).values_list(
            "worker_id", flat=True
        )
    )
    recovered = 0
    with transaction.atomic():
        running = (
            DBTaskResult.objects.running()
            # A job started just now may belong to a worker whose heartbeat is on its way.
            .filter(started_at__lte=now - timeout)
            .order_by("started_at")
            .select_for_update(skip_locked=True)[:BATCH]
        )
        for result in running:
            if result.worker_ids and result.worker_ids[-1] in alive:
                continue
            if attempts(result) >= settings.TASKS_MAX_ATTEMPTS:
                result.status = TaskResultStatus.FAILED
                result.finished_at = now
                result.exception_class_path = WORKER_LOST
                result.traceback = (
                    f"The worker running this job ({result.worker_ids[-1]}) stopped without "
                    f"finishing it, {attempts(result)} times: no attempts left.\n"
                )
                result.run_after = get_date_max()
            else:
                result.status = TaskResultStatus.READY
                # At once: the worker died, not the job.
                result.run_after = get_date_max()
            result.save(
                update_fields=[
                    "status",
                    "finished_at",
                    "exception_class_path",
                    "traceback",
                    "run_after",
                ]
            )
            recovered += 1
    # Workers gone for a day are forgotten.
    WorkerHeartbeat.objects.filter(last_seen__lt=now - datetime.timedelta(days=1)).delete()
    if recovered:
        logger.warning("Recovered %d jobs left running by a lost worker", recovered)
    return recovered


def purge_finished_jobs() -> int:
    """Delete successful jobs past their retention, and the scheduler's old bookkeeping."""
    now = timezone.now()
    cutoff = now - datetime.timedelta(days=settings.TASKS_RESULT_RETENTION_DAYS)
    deleted, _ = DBTaskResult.objects.successful().filter(finished_at__lt=cutoff).delete()
    day_ago = now - datetime.timedelta(days=1)
    PeriodicRun.objects.filter(ran_at__lt=day_ago).delete()
    OutboxSweep.objects.filter(swept_at__lt=day_ago).delete()
    if deleted:
        logger.info("Deleted %d successful jobs older than %s", deleted, cutoff)
    return deleted
