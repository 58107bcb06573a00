import pytest

from project import events
from project.jobs.tests import jobs_for_tests

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_queue(settings):
    """Jobs go to the database queue (rows for a worker) instead of running at once."""
    settings.TASKS = DATABASE_QUEUE


@pytest.fixture
def consumer():
    """The recording consumer registered on the bus for one test."""
    jobs_for_tests.handled.clear()
    jobs_for_tests.failures_left["count"] = 0
    events.register("recording", jobs_for_tests.recording_consumer)
    yield jobs_for_tests
    events.unregister("recording")


@pytest.fixture
def flaky():
    """A consumer that fails a given number of times (``flaky.failures_left["count"]``)."""
    jobs_for_tests.handled.clear()
    jobs_for_tests.failures_left["count"] = 0
    events.register("flaky", jobs_for_tests.flaky_consumer)
    yield jobs_for_tests
    events.unregister("flaky")
