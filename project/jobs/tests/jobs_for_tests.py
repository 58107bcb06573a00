"""Jobs and consumers the job tests enqueue and register (module level, as django.tasks needs)."""

from django.tasks import task

#: What the consumers have handled, as (consumer, activity id); how often flaky still fails.
handled: list[tuple[str, int]] = []
failures_left = {"count": 0}


def record(name: str, activity) -> None:
    """Idempotent handling: remember what was handled and skip it the second time."""
    if (name, activity.pk) not in handled:
        handled.append((name, activity.pk))


def recording_consumer(activity) -> None:
    record("recording", activity)


def flaky_consumer(activity) -> None:
    """Fails while ``failures_left`` says so, before recording anything."""
    if failures_left["count"] > 0:
        failures_left["count"] -= 1
        raise RuntimeError("the mail server is away")
    record("flaky", activity)


@task
def always_fails(label: str) -> None:
    raise ValueError(f"{label} cannot be done")


@task
def succeeds(label: str) -> str:
    return label
