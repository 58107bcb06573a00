"""
The RQ (Redis) backend: django-tasks-rq's, with RQ's own retries. A job that raises is tried
again after 10 s, 40 s, 160 s … (``TASKS_RETRY_BASE_SECONDS`` × 4ⁿ) up to
``TASKS_MAX_ATTEMPTS`` tries in all, like on the database queue; then it stays in RQ's failed
job registry. Delayed retries need RQ's scheduler, which ``manage.py worker`` runs inside each
RQ worker (``--with-scheduler``; RQ makes sure only one of them schedules at a time).

A worker killed mid-job: RQ's own worker heartbeats notice it, and the job is handled as
abandoned (``AbandonedJobError``): retried while it has retries left, then failed.
"""

from __future__ import annotations

import django_rq
from django.conf import settings
from django_tasks.base import TASK_MAX_PRIORITY, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id
from django_tasks_rq.backend import Job, failed_callback, success_callback
from django_tasks_rq.backend import RQBackend as BaseRQBackend
from rq.job import Callback, JobStatus, Retry


def retry_policy() -> Retry | None:
    retries = settings.TASKS_MAX_ATTEMPTS - 1
    if retries < 1:
        return None
    base = settings.TASKS_RETRY_BASE_SECONDS
    return Retry(max=retries, interval=[int(base * 4**n) for n in range(retries)])


class RQBackend(BaseRQBackend):
    def enqueue(self, task, args, kwargs):
        # django-tasks-rq's enqueue, with ``retry`` passed to RQ.
        self.validate_task(task)
        task_result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        queue = django_rq.get_queue(task.queue_name, job_class=Job)
        job = queue.create_job(
            task.module_path,
            args=args,
            kwargs=kwargs,
            job_id=task_result.id,
            status=JobStatus.SCHEDULED if task.run_after else JobStatus.QUEUED,
            on_failure=Callback(failed_callback),
            on_success=Callback(success_callback),
            meta={"backend_name": self.alias},
            retry=retry_policy(),
        )
        if task.run_after is None:
            job = queue.enqueue_job(job, at_front=task.priority == TASK_MAX_PRIORITY)
        else:
            job = queue.schedule_job(job, task.run_after)
        object.__setattr__(task_result, "enqueued_at", job.enqueued_at)
        task_enqueued.send(type(self), task_result=task_result)
        return task_result
