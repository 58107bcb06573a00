"""
``manage.py scheduler``: run the registered periodic work (``project.scheduler``) until
stopped by SIGINT or SIGTERM (the function at hand finishes first). Any number may run.
"""

from __future__ import annotations

import logging
import signal

from django.core.management.base import BaseCommand

from project.scheduler import Scheduler

logger = logging.getLogger("project.scheduler")


class Command(BaseCommand):
    help = "Run periodic work (outbox sweep, retries, recovery, purges, reminders …)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="run everything registered once, then exit"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between two looks at what is due (default 1)",
        )

    def handle(self, *args, once, interval, **options):
        scheduler = Scheduler()
        if once:
            for name in scheduler.tick():
                self.stdout.write(f"ran {name}")
            return
        # In the background of a shell (make run) SIGINT is ignored: it stays so.
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, scheduler.stop)
        signal.signal(signal.SIGTERM, scheduler.stop)
        scheduler.run(interval=interval)
