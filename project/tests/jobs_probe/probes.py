import os
import time

from django.db import IntegrityError, transaction
from django.tasks import task

from project import scheduler
from project.tests.jobs_probe.models import Duplicate, Handled, SlowRun, Tick


def handle_activity(activity) -> None:
    """Record the handling; a second handling of the same row is recorded as a duplicate."""
    try:
        with transaction.atomic():
            Handled.objects.create(consumer="probe", activity_id=activity.pk, pid=os.getpid())
    except IntegrityError:
        Duplicate.objects.create(what=f"activity {activity.pk}", pid=os.getpid())


def tick() -> None:
    slot = scheduler.current_slot()
    try:
        with transaction.atomic():
            Tick.objects.create(slot=slot, pid=os.getpid())
    except IntegrityError:
        Duplicate.objects.create(what=f"tick {slot}", pid=os.getpid())


@task
def slow(label: str, seconds: float) -> str:
    """Takes its time; its start is committed at once so a test can see who runs it."""
    SlowRun.objects.create(label=label, event="started", pid=os.getpid())
    time.sleep(seconds)
    SlowRun.objects.create(label=label, event="finished", pid=os.getpid())
    return label
