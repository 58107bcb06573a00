"""
Periodic work (DESIGN §8), run by ``manage.py scheduler``. Apps register theirs in
``AppConfig.ready()``::

    from project import scheduler
    scheduler.register("notifications.fire_reminders", fire_due_reminders, every=30)

Any number of schedulers may run at once (two for redundancy is the usual choice), so a
periodic function must not do the same work twice when two schedulers call it together:

- work on rows claims them itself: ``select_for_update(skip_locked=True)`` and marks them in the
  same transaction, so the other scheduler skips them;
- work without rows of its own registers with ``once_per_slot=True``: time is cut into slots of
  ``every`` seconds, and the scheduler that inserts the ``PeriodicRun(name, slot)`` row runs the
  slot; the others find it there and skip it.

Heavy work is best enqueued as a job by the periodic function, so that workers do it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, close_old_connections, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[[], object]
    every: float
    once_per_slot: bool = False

    def slot(self, now: float) -> int:
        return int(now // self.every)


_registry: dict[str, Periodic] = {}
_running = threading.local()


def current_slot() -> int | None:
    """Inside a periodic function: the slot being run (seconds since the epoch // every)."""
    return getattr(_running, "slot", None)


def register(
    name: str, func: Callable[[], object], *, every: float, once_per_slot: bool = False
) -> None:
    """Call ``func()`` every ``every`` seconds in every scheduler (see the module's rules)."""
    if every <= 0:
        raise ValueError("every must be a positive number of seconds")
    existing = _registry.get(name)
    if existing is not None and existing.func is not func:
        raise ValueError(f"Another periodic function is already registered as {name!r}.")
    _registry[name] = Periodic(name, func, every, once_per_slot)


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> dict[str, Periodic]:
    return dict(_registry)


def claim_slot(name: str, slot: int) -> bool:
    """Insert-or-skip: whether this scheduler is the one that runs ``slot`` of ``name``."""
    from project.jobs.models import PeriodicRun

    try:
        with transaction.atomic():
            PeriodicRun.objects.create(name=name, slot=slot)
    except IntegrityError:
        return False
    return True


class Scheduler:
    """Runs each registered function once per period; ``tick()`` is one pass over them."""

    def __init__(self) -> None:
        self.last_slot: dict[str, int] = {}
        self.running = True

    def tick(self, now: float | None = None) -> list[str]:
        """Run what is due in this process; return the names run."""
        now = time.time() if now is None else now
        ran = []
        for periodic in registered().values():
            slot = periodic.slot(now)
            if self.last_slot.get(periodic.name) == slot:
                continue
            self.last_slot[periodic.name] = slot
            try:
                if periodic.once_per_slot and not claim_slot(periodic.name, slot):
                    continue
                _running.slot = slot
                periodic.func()
            except Exception:
                logger.exception("Periodic %s failed", periodic.name)
                continue
            finally:
                _running.slot = None
            ran.append(periodic.name)
        return ran

    def stop(self, *args: object) -> None:
        self.running = False

    def run(self, interval: float = 1.0) -> None:
        logger.info("Scheduler started: %s", ", ".join(sorted(registered())))
        while self.running:
            # As between two requests: drop a connection that is broken or too old.
            close_old_connections()
            self.tick()
            deadline = time.monotonic() + interval
            while self.running and time.monotonic() < deadline:
                time.sleep(min(0.1, interval))
        logger.info("Scheduler stopped")
