"""
The database-queue worker: django-tasks-db's ``Worker`` (it claims one ready job at a time with
``SELECT … FOR UPDATE SKIP LOCKED``, in an exclusive transaction on SQLite), plus

- a heartbeat: a thread writes ``WorkerHeartbeat(worker_id)`` every
  ``TASKS_HEARTBEAT_SECONDS``, also while a long job runs, so that the scheduler can tell a
  busy worker from a dead one (``maintenance.recover_stuck_jobs``);
- retries: when a job raises, the worker records the failure and, in the same write, when the
  job runs again (``maintenance.retry_at``); the scheduler queues it again at that time
  (``maintenance.retry_due_jobs``). That is done here, in the worker, rather than in a
  ``task_finished`` receiver, so that the failure and its retry time are one write.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from traceback import format_exception

from django.core.exceptions import SuspiciousOperation
from django.db import close_old_connections, connection
from django.tasks import TaskContext, TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import retry

from project.jobs import maintenance
from project.jobs.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Writes the worker's heartbeat row every ``interval`` seconds until stopped."""

    def __init__(self, worker_id: str, interval: float) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.stopped = threading.Event()
        self.started_at = timezone.now()

    def beat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"last_seen": timezone.now(), "pid": os.getpid()},
            create_defaults={
                "last_seen": timezone.now(),
                "started_at": self.started_at,
                "pid": os.getpid(),
                "host": socket.gethostname()[:255],
            },
        )

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    close_old_connections()
                    self.beat()
                except Exception:
                    logger.exception("Heartbeat of worker %s failed", self.worker_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=self.interval + 5)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except Exception:
            logger.exception("Could not remove the heartbeat of worker %s", self.worker_id)


class Worker(DatabaseWorker):
    """django-tasks-db's worker whose failures also carry their retry time (one write)."""

    def configure_signals(self) -> None:
        # Started in the background of a shell (make run), SIGINT is ignored: keep it so, and
        # stop on the SIGTERM that follows instead (one signal: the job at hand finishes).
        ignore_interrupt = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        super().configure_signals()
        if ignore_interrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # django-tasks-db's run_task, with record_failure in place of set_failed.
        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend_type = task.get_backend()
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                return_value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                return_value = task.call(*task_result.args, **task_result.kwargs)
            db_task_result.set_successful(return_value)
            task_finished.send(sender=backend_type, task_result=db_task_result.task_result)
        except BaseException as error:
            record_failure(db_task_result, error)
            try:
                sender = type(db_task_result.task.get_backend())
                task_result = db_task_result.task_result
            except (ImportError, SuspiciousOperation):
                logger.exception("Job %s failed unexpectedly", db_task_result.pk)
            else:
                task_finished.send(sender=sender, task_result=task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1


@retry()
def record_failure(result: DBTaskResult, error: BaseException) -> None:
    """Mark a job failed with its error and, in the same write, when it runs again."""
    now = timezone.now()
    result.status = TaskResultStatus.FAILED
    result.finished_at = now
    result.exception_class_path = f"{type(error).__module__}.{type(error).__qualname__}"
    result.traceback = "".join(format_exception(error))
    result.return_value = None
    result.run_after = maintenance.retry_at(result, now)
    result.save(
        update_fields=[
            "status",
            "finished_at",
            "exception_class_path",
            "traceback",
            "return_value",
            "run_after",
        ]
    )
    tried = maintenance.attempts(result)
    if result.run_after.year < 9999:
        logger.warning(
            "Job %s (%s) failed, attempt %d: runs again at %s",
            result.pk,
            result.task_path,
            tried,
            result.run_after.isoformat(),
        )
    else:
        logger.error(
            "Job %s (%s) failed %d times: no attempts left", result.pk, result.task_path, tried
        )
