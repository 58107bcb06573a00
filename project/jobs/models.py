"""
What the job machinery keeps besides django-tasks-db's own rows (``DBTaskResult``): who is
alive (worker heartbeats), which scheduler ran a slot of once-per-slot periodic work, and which
undispatched activities the outbox sweep has already enqueued again.
"""

from django.db import models


class WorkerHeartbeat(models.Model):
    """A running worker, seen every few seconds; a job on a worker not seen lately is lost."""

    worker_id = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField()
    pid = models.IntegerField()
    host = models.CharField(max_length=255)

    def __str__(self) -> str:
        return f"{self.worker_id} (pid {self.pid} on {self.host})"


class PeriodicRun(models.Model):
    """
    One slot of a periodic function that has no rows of its own to claim: the scheduler that
    inserts the row runs the slot; every other one finds it there and skips it.
    """

    name = models.CharField(max_length=100)
    slot = models.BigIntegerField()  # seconds since the epoch // the function's period
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.slot}"


class OutboxSweep(models.Model):
    """An undispatched activity the sweep enqueued again, and when (not before long again)."""

    activity_id = models.BigIntegerField(primary_key=True)
    swept_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"activity {self.activity_id} swept at {self.swept_at}"
