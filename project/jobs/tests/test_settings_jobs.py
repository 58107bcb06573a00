"""TASKS_BACKEND picks the queue: database (default), rq or immediate; anything else stops."""

import pytest

from project.tests.test_settings import run

SHOW = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.TASKS['default']['BACKEND'], getattr(settings, 'RQ_QUEUES', {}))"
)


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        (None, "django_tasks_db.DatabaseBackend"),
        ("database", "django_tasks_db.DatabaseBackend"),
        ("rq", "project.jobs.backends.RQBackend"),
        ("immediate", "django.tasks.backends.immediate.ImmediateBackend"),
    ],
)
def test_the_backend_follows_the_setting(backend, expected):
    done = run(["-c", SHOW], DJANGO_SETTINGS_MODULE="project.settings", TASKS_BACKEND=backend)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == expected


def test_rq_uses_tasks_redis_url_else_redis_url():
    both = run(
        ["-c", SHOW],
        DJANGO_SETTINGS_MODULE="project.settings",
        TASKS_BACKEND="rq",
        REDIS_URL="redis://cache:6379/0",
        TASKS_REDIS_URL="redis://queue:6379/2",
    )
    assert "redis://queue:6379/2" in both.stdout
    fallback = run(
        ["-c", SHOW],
        DJANGO_SETTINGS_MODULE="project.settings",
        TASKS_BACKEND="rq",
        REDIS_URL="redis://cache:6379/0",
        TASKS_REDIS_URL="",
    )
    assert "redis://cache:6379/0" in fallback.stdout


def test_an_unknown_backend_refuses_to_start():
    done = run(
        ["-c", "import django; django.setup()"],
        DJANGO_SETTINGS_MODULE="project.settings",
        TASKS_BACKEND="celery",
    )
    assert done.returncode != 0
    assert "TASKS_BACKEND must be one of database, rq, immediate" in done.stderr


def test_rq_retries_with_the_same_backoff_as_the_database_queue(settings):
    from project.jobs.backends import retry_policy

    settings.TASKS_MAX_ATTEMPTS = 5
    settings.TASKS_RETRY_BASE_SECONDS = 10
    policy = retry_policy()
    assert (policy.max, policy.intervals) == (4, [10, 40, 160, 640])

    settings.TASKS_MAX_ATTEMPTS = 1
    assert retry_policy() is None
