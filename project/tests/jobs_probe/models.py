from django.db import models


class Handled(models.Model):
    """One consumer's handling of one activity: a second one is a duplicate."""

    consumer = models.CharField(max_length=50)
    activity_id = models.BigIntegerField()
    pid = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "activity_id"], name="probe_handled_once")
        ]

    def __str__(self) -> str:
        return f"{self.consumer} handled {self.activity_id}"


class Tick(models.Model):
    """One slot of the once-per-slot periodic probe: a second one is a duplicate."""

    slot = models.BigIntegerField(unique=True)
    pid = models.IntegerField()

    def __str__(self) -> str:
        return f"slot {self.slot}"


class Duplicate(models.Model):
    """Something done twice that should have been done once."""

    what = models.CharField(max_length=100)
    pid = models.IntegerField()

    def __str__(self) -> str:
        return self.what


class SlowRun(models.Model):
    """A start (or the end) of the slow job, and the worker process that ran it."""

    label = models.CharField(max_length=50)
    event = models.CharField(max_length=10)  # started, finished
    pid = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.label} {self.event}"
