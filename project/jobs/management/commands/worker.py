"""
``manage.py worker``: run jobs from the configured queue until stopped (SIGINT/SIGTERM finish
the job at hand, then exit; a second signal stops at once).

- database backend: django-tasks-db's worker (SKIP LOCKED claim) with a heartbeat and retry
  times (``project.jobs.worker``);
- rq backend: an RQ worker on the queue, with RQ's scheduler for delayed retries;
- immediate backend: nothing to do (jobs run where they are enqueued).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from project.jobs.worker import Heartbeat, Worker

logger = logging.getLogger("project.jobs.worker")


class Command(BaseCommand):
    help = "Run background jobs from the queue (TASKS_BACKEND) until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", default="default", help="queues to work on, comma-separated, or '*'"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait when the queue is empty before looking again (default 1)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="run every ready job, then exit (database)"
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="exit after this many jobs (database)"
        )
        parser.add_argument(
            "--worker-id",
            default=None,
            help="a name unique among the workers (default: a random one)",
        )

    def handle(self, *args, queue, interval, batch, max_tasks, worker_id, **options):
        backend = settings.TASKS_BACKEND
        if backend == "immediate":
            raise CommandError(
                "TASKS_BACKEND is immediate: jobs run where they are enqueued, no worker needed."
            )
        if backend == "rq":
            self.run_rq(queue, worker_id, batch, options["verbosity"])
            return
        worker_id = worker_id or get_random_string(32)
        if len(worker_id) > 64:
            raise CommandError("--worker-id must be at most 64 characters.")
        worker = Worker(
            queue_names=queue.split(","),
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        heartbeat = Heartbeat(worker_id, settings.TASKS_HEARTBEAT_SECONDS)
        heartbeat.beat()
        heartbeat.start()
        worker.configure_signals()
        logger.info("Worker %s started (database queue %s)", worker_id, queue)
        try:
            worker.run()
        finally:
            heartbeat.stop()
            worker.reset_signals()
            logger.info("Worker %s stopped", worker_id)

    def run_rq(self, queue, worker_id, batch, verbosity):
        # RQ stops on SIGINT/SIGTERM itself (warm shutdown: the job at hand finishes).
        options = ["--job-class", "django_tasks_rq.Job", "--with-scheduler"]
        if worker_id:
            options += ["--name", worker_id]
        if batch:
            options.append("--burst")
        call_command("rqworker", *queue.split(","), *options, verbosity=verbosity)
