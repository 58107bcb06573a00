"""
The event bus (DESIGN §8): every ``tasks.Activity`` row is an event, written in the transaction
of its change (the outbox). After that transaction commits, ``dispatch_activity`` hands the row
to every registered consumer; apps register theirs in ``AppConfig.ready()``::

    from project import events
    events.register("notifications", handle_activity)

``handle_activity(activity)`` runs inside its own transaction and must be idempotent on its
own: it records what it has handled (in that same transaction) and skips rows it has seen. So a
row handed on twice (a retried job, two sweeps racing, a worker killed after a consumer
committed) is handled once by each consumer.

No event is lost: the enqueue happens on commit; should the process die between the commit and
the enqueue (or the queue lose the job), the scheduler's sweep finds the row still undispatched
after ``EVENTS_SWEEP_AFTER_SECONDS`` and enqueues it again.

``tasks`` knows nothing of this module: ``project.jobs`` connects ``activity_saved`` to
``post_save`` of ``Activity``.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)

Consumer = Callable[[object], object]

_consumers: dict[str, Consumer] = {}

#: How many undispatched rows one sweep enqueues at most; the next sweep takes the rest.
SWEEP_BATCH = 500
#: A row the sweep enqueued is not enqueued again before this long (its job may be queued).
RESWEEP_AFTER = datetime.timedelta(minutes=5)


class ConsumerFailed(Exception):
    """Some consumers raised: the job fails and is retried; the others' handling stands."""


def register(name: str, handler: Consumer) -> None:
    """Hand every committed activity to ``handler`` (idempotent, see above) under ``name``."""
    existing = _consumers.get(name)
    if existing is not None and existing is not handler:
        raise ValueError(f"Another consumer is already registered as {name!r}.")
    _consumers[name] = handler


def unregister(name: str) -> None:
    _consumers.pop(name, None)


def consumers() -> dict[str, Consumer]:
    return dict(_consumers)


def activity_saved(sender, instance, created: bool, raw: bool = False, using=None, **kwargs):
    """``post_save`` of ``Activity``: once the transaction commits, enqueue its dispatch."""
    if not created or raw:
        return
    # robust: a queue that is down must not turn a committed change into an error page; the
    # sweep enqueues the row later.
    transaction.on_commit(
        functools.partial(dispatch_activity.enqueue, instance.pk), using=using, robust=True
    )


@task
def dispatch_activity(activity_id: int) -> str:
    """
    Hand one activity to every consumer, each in its own transaction; once all of them have
    handled it, mark it dispatched. A consumer that raises does not stop the others; the job
    then fails and is retried with backoff, and the consumers that succeeded skip the row
    the next time (their own idempotency).
    """
    from tasks.models import Activity

    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return "gone"  # deleted with its project since
    if activity.dispatched_at is not None:
        return "already dispatched"
    failed: dict[str, Exception] = {}
    for name, handler in consumers().items():
        try:
            with transaction.atomic():
                handler(activity)
        except Exception as error:
            logger.exception("Consumer %s failed on activity %s", name, activity_id)
            failed[name] = error
    if failed:
        first = next(iter(failed.values()))
        raise ConsumerFailed(
            f"Activity {activity_id}: {', '.join(sorted(failed))} failed: {first!r}"
        ) from first
    Activity.objects.filter(pk=activity_id, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )
    return "dispatched"


def sweep_undispatched() -> int:
    """
    Periodic: enqueue the dispatch of activities committed more than
    ``EVENTS_SWEEP_AFTER_SECONDS`` ago and still not dispatched (their enqueue was lost).

    Any number of schedulers may run this at once: each claims rows with
    ``SELECT … FOR UPDATE SKIP LOCKED`` and records them as swept in the same transaction, so
    another scheduler skips them (and every scheduler leaves them alone for
    ``RESWEEP_AFTER``, time for the job to run). Should two sweeps still enqueue one row twice
    (a scheduler whose query began just before the other committed), nothing is handled twice:
    the second job finds the row dispatched, or the consumers skip what they have recorded.
    """
    from project.jobs.models import OutboxSweep
    from tasks.models import Activity

    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.EVENTS_SWEEP_AFTER_SECONDS)
    with transaction.atomic():
        recently_swept = OutboxSweep.objects.filter(swept_at__gt=now - RESWEEP_AFTER)
        claimed = list(
            Activity.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
            .exclude(pk__in=recently_swept.values("activity_id"))
            .order_by("created_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not claimed:
            return 0
        OutboxSweep.objects.bulk_create(
            [OutboxSweep(activity_id=pk, swept_at=now) for pk in claimed],
            update_conflicts=True,
            unique_fields=["activity_id"],
            update_fields=["swept_at"],
        )
        for pk in claimed:
            transaction.on_commit(functools.partial(dispatch_activity.enqueue, pk), robust=True)
    logger.warning("Enqueued %d activities whose dispatch was lost", len(claimed))
    return len(claimed)
