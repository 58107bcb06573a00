"""
Workers and schedulers as the separate processes they are in production, on the real
PostgreSQL (and Redis for the RQ queue):

- two ``manage.py worker`` and two ``manage.py scheduler`` processes; activities written
  through the real services (their dispatch enqueued on commit) plus activities whose enqueue
  was lost (only the schedulers' sweep finds them): every one is handled exactly once, and
  the once-per-slot periodic probe runs each slot once in all;
- a worker killed with SIGKILL in the middle of a slow job: another worker runs it to the end
  once the dead one's heartbeat is stale; nothing is left running;
- ``TASKS_BACKEND=rq``: two RQ workers run the dispatches exactly once.

The processes use ``project.tests.settings_jobs_probe`` (the project's settings plus the
``jobs_probe`` app, whose consumer, periodic function and slow job write what they did,
a second time as a ``Duplicate``) on a PostgreSQL database of their own, migrated once.
Skipped on SQLite (CI runs this suite on PostgreSQL too). Without Redis the RQ test is skipped
locally and fails in CI (``CI`` set).

Run: ``DATABASE_URL=postgres://… .venv/bin/pytest project/jobs/tests/test_processes.py -v``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg2
import pytest

from project.tests.servers import (
    PYTHON,
    ROOT,
    RedisServer,
    server_database,
    stop_process_group,
    suite_backend,
)

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        suite_backend() != "postgres",
        reason="worker and scheduler processes are tested on PostgreSQL (DATABASE_URL=postgres://…)",
    ),
]

WORKER_TIMEOUT = 3  # seconds without a heartbeat before a worker's job runs again

SCENARIO = """
import datetime, json, sys
import django
django.setup()
from django.db.models.signals import post_save
from django.utils import timezone
from accounts.models import User
from tasks import services
from tasks.models import Activity

name, count, lost = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
user = User.objects.create_user(name, f"{name}@example.com", "not-a-real-password-123")
project = services.project_create(by=user, name=name)
task = None
for n in range(count):
    task = services.task_create(project=project, by=user, title=f"Task {n}")
    if n % 3 == 0:
        services.comment_add(task=task, by=user, body="Looks good")
    if n % 4 == 0:
        services.task_complete(task=task, by=user)
# Committed, but the enqueue after commit never happens (as if the process died there).
post_save.disconnect(sender=Activity, dispatch_uid="events.activity_saved")
for n in range(lost):
    Activity.objects.create(
        project=project, task=task, task_title=task.title, actor=user, verb="updated",
        created_at=timezone.now() - datetime.timedelta(minutes=1),
    )
print(json.dumps(list(Activity.objects.filter(project=project).values_list("pk", flat=True))))
"""

ENQUEUE_SLOW = """
import sys
import django
django.setup()
from project.tests.jobs_probe.probes import slow
print(slow.enqueue(sys.argv[1], float(sys.argv[2])).id)
"""


def environment(database_url: str, **overrides: str) -> dict[str, str]:
    """Development settings plus the probe app; nothing from the shell's .env leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="project.tests.settings_jobs_probe",
        DOTENV_FILE="",
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
        DATABASE_URL=database_url,
        DEBUG="true",
        LOG_LEVEL="WARNING",
        CACHE_URL="locmemcache://",
        REDIS_URL="",
        TASKS_BACKEND="database",
        TASKS_HEARTBEAT_SECONDS="0.5",
        TASKS_WORKER_TIMEOUT=str(WORKER_TIMEOUT),
        TASKS_RETRY_BASE_SECONDS="1",
        EVENTS_SWEEP_AFTER_SECONDS="3",
    )
    env.update(overrides)
    return env


class Process:
    """``manage.py <args>`` in its own process group, its output in a log file."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str, *args: str) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [PYTHON, "manage.py", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM, as systemd stops it: the job at hand finishes, then it exits."""
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process_group(self.process)
            raise AssertionError(f"{self.name} did not stop on SIGTERM:\n{self.log()}") from None

    def kill(self) -> None:
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def cleanup(self) -> None:
        stop_process_group(self.process)


@contextlib.contextmanager
def processes(env, log_dir, *specs):
    """Start ``(name, *args)`` processes; on exit stop whichever still run."""
    started = [Process(env, log_dir, name, *args) for name, *args in specs]
    try:
        yield started
    finally:
        for process in started:
            process.cleanup()


def run_script(env, script: str, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


class Database:
    def __init__(self, url: str) -> None:
        self.url = url

    def value(self, sql: str, *params):
        with contextlib.closing(psycopg2.connect(self.url)) as connection:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()[0]

    def rows(self, sql: str, *params) -> list[tuple]:
        with contextlib.closing(psycopg2.connect(self.url)) as connection:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()


def wait_for(condition, timeout: float, what: str, *logs: Process) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    details = "\n".join(f"--- {p.name}\n{p.log()[-3000:]}" for p in logs)
    raise AssertionError(f"timed out waiting for {what}\n{details}")


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A PostgreSQL database of the processes' own, migrated with the probe app."""
    root = tmp_path_factory.mktemp("jobs-processes")
    with server_database(root, "postgres") as url:
        done = subprocess.run(
            [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=environment(url),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        yield Database(url)


def handled(database: Database, ids: list[int]) -> int:
    return database.value(
        "SELECT count(*) FROM jobs_probe_handled WHERE activity_id = ANY(%s)", ids
    )


def undispatched(database: Database, ids: list[int]) -> int:
    return database.value(
        "SELECT count(*) FROM tasks_activity WHERE dispatched_at IS NULL AND id = ANY(%s)", ids
    )


def test_two_workers_and_two_schedulers_handle_every_activity_once(database, tmp_path):
    env = environment(database.url)
    with processes(
        env,
        tmp_path,
        ("worker-1", "worker", "--interval", "0.2"),
        ("worker-2", "worker", "--interval", "0.2"),
        ("scheduler-1", "scheduler", "--interval", "0.2"),
        ("scheduler-2", "scheduler", "--interval", "0.2"),
    ) as started:
        ids = json.loads(run_script(env, SCENARIO, "alice", "40", "15"))
        assert len(ids) == 40 + 14 + 10 + 15  # created, commented, completed; lost
        wait_for(
            lambda: handled(database, ids) == len(ids) and undispatched(database, ids) == 0,
            45,
            "every activity handled and marked dispatched",
            *started,
        )
        wait_for(
            lambda: database.value("SELECT count(*) FROM jobs_probe_tick") >= 3,
            15,
            "the periodic probe to run a few slots",
            *started,
        )
        codes = {process.name: process.terminate() for process in started}

    assert codes == dict.fromkeys(codes, 0), "\n".join(p.log() for p in started)
    assert database.rows("SELECT what, pid FROM jobs_probe_duplicate") == []
    assert sorted(
        database.rows("SELECT activity_id FROM jobs_probe_handled WHERE activity_id = ANY(%s)", ids)
    ) == sorted((pk,) for pk in ids)
    # Handled by the workers only, and every job ran to success (none failed, none left).
    pids = {pid for (pid,) in database.rows("SELECT DISTINCT pid FROM jobs_probe_handled")}
    assert pids <= {started[0].pid, started[1].pid}
    assert (
        database.rows(
            "SELECT status, count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status <> 'SUCCESSFUL' GROUP BY status"
        )
        == []
    )
    # Each slot of the once-per-slot probe ran once in all, by one scheduler or the other.
    ticks = database.value("SELECT count(*) FROM jobs_probe_tick")
    claimed = database.value("SELECT count(*) FROM jobs_periodicrun WHERE name = 'probe.tick'")
    assert ticks == claimed
    # Stopped cleanly: no heartbeat left behind.
    assert database.value("SELECT count(*) FROM jobs_workerheartbeat") == 0


def test_a_job_of_a_killed_worker_is_finished_by_another(database, tmp_path):
    env = environment(database.url)
    with processes(env, tmp_path, ("doomed", "worker", "--interval", "0.2")) as (doomed,):
        # Longer than the heartbeat timeout: the rescuer's own heartbeats, written while the
        # job runs, keep the scheduler from taking it away from the rescuer in turn.
        job_id = run_script(env, ENQUEUE_SLOW, "kill-me", str(WORKER_TIMEOUT + 1))
        wait_for(
            lambda: (
                database.value("SELECT count(*) FROM jobs_probe_slowrun WHERE label = 'kill-me'")
                > 0
            ),
            30,
            "the slow job to start",
            doomed,
        )
        doomed.kill()  # SIGKILL: no goodbye, the job stays RUNNING, its heartbeat goes stale
    killed_at = time.monotonic()
    assert (
        database.value(
            "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", job_id
        )
        == "RUNNING"
    )

    with processes(
        env,
        tmp_path,
        ("rescuer", "worker", "--interval", "0.2"),
        ("scheduler", "scheduler", "--interval", "0.2"),
    ) as started:
        rescuer = started[0]
        wait_for(
            lambda: (
                database.value(
                    "SELECT count(*) FROM jobs_probe_slowrun WHERE label = 'kill-me' "
                    "AND event = 'finished'"
                )
                > 0
            ),
            40,
            "another worker to finish the job",
            *started,
        )
        recovered_after = time.monotonic() - killed_at
        for process in started:
            assert process.terminate() == 0

    runs = database.rows(
        "SELECT event, pid FROM jobs_probe_slowrun WHERE label = 'kill-me' ORDER BY id"
    )
    assert runs == [("started", doomed.pid), ("started", rescuer.pid), ("finished", rescuer.pid)]
    status, worker_ids = database.rows(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = %s", job_id
    )[0]
    assert status == "SUCCESSFUL"
    assert len(worker_ids) == 2
    assert (
        database.value(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
        )
        == 0
    )
    # Picked up once the heartbeat was stale, not long after.
    assert recovered_after < WORKER_TIMEOUT + 20


def redis_url():
    """A private redis-server when one is installed, else the local one (database 1)."""
    if shutil.which("redis-server") or Path("/usr/bin/redis-server").exists():
        return "private"
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), timeout=1):
        return "redis://127.0.0.1:6379/1"
    reason = "Redis is neither installed (redis-server) nor running on 127.0.0.1:6379; CI has it"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def redis():
    url = redis_url()
    if url != "private":
        yield url
        return
    with RedisServer() as server:
        yield server.url


def test_two_rq_workers_dispatch_every_activity_once(database, redis, tmp_path):
    env = environment(database.url, TASKS_BACKEND="rq", TASKS_REDIS_URL=redis)
    database_jobs = database.value("SELECT count(*) FROM django_tasks_database_dbtaskresult")
    with processes(
        env,
        tmp_path,
        ("rq-worker-1", "worker"),
        ("rq-worker-2", "worker"),
        ("scheduler", "scheduler", "--interval", "0.2"),
    ) as started:
        ids = json.loads(run_script(env, SCENARIO, "robin", "20", "5"))
        wait_for(
            lambda: handled(database, ids) == len(ids) and undispatched(database, ids) == 0,
            45,
            "every activity handled through RQ",
            *started,
        )
        codes = [process.terminate() for process in started]

    assert codes == [0, 0, 0], "\n".join(p.log() for p in started)
    assert database.rows("SELECT what, pid FROM jobs_probe_duplicate") == []
    assert sorted(
        database.rows("SELECT activity_id FROM jobs_probe_handled WHERE activity_id = ANY(%s)", ids)
    ) == sorted((pk,) for pk in ids)
    # Nothing went through the database queue.
    assert (
        database.value("SELECT count(*) FROM django_tasks_database_dbtaskresult") == database_jobs
    )
