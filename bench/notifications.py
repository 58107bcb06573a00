"""
Notification benchmarks (DESIGN §8) on PostgreSQL, reported as figures, never as pass/fail
timings in the test suite:

1. **Fan-out.** A task followed by 50 people (all mailable) changes ``--changes`` times. One
   ``manage.py worker`` process turns the queued dispatch jobs into inbox rows; then one mail
   pass (what the scheduler runs) sends the e-mails to a local SMTP sink. Reported: jobs/s,
   notifications/s and mails/s, from the jobs' own start and finish times.
2. **Reminder scan.** 1,000,000 tasks and 100,000 pending reminders (plus 100,000 already
   fired), 1,000 of them due. One scheduler tick (``fire_due_reminders``) claims the due ones;
   reported: the claim query's plan (``EXPLAIN (ANALYZE, BUFFERS)``, expected: an index scan of
   ``reminder_pending``) and the tick's duration (goal: under 1 s).
3. **No notification work inline.** p50/p99 of ``PATCH /api/v1/tasks/{id}/`` on a task with
   50 followers and on one with none, strictly alternating, in one process. With the database
   queue a request only writes its job row; goal: p99 within 10 % of each other.

    .venv/bin/python -m bench.notifications            # everything (about 2–4 minutes)
    .venv/bin/python -m bench.notifications --quick    # 100,000 tasks, fewer requests

The database ``taskdesk_bench_notify`` on 127.0.0.1:5432 (user ``postgres``) is dropped and
recreated. Results go to ``bench/results/notifications-<time>.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/taskdesk_bench_notify"
FOLLOWERS = 50


def log(message: str) -> None:
    print(f"  [notifications] {message}", file=sys.stderr, flush=True)


def environment(smtp_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DOTENV_FILE": "",
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "TASKS_BACKEND": "database",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "NOTIFICATION_BURST_SECONDS": "0",
        "THROTTLE_USER": "10000000/min",
        "THROTTLE_ANON": "10000000/min",
        "CACHE_URL": "locmemcache://",
        "REDIS_URL": "",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
    }
    return env


class SmtpSink:
    """A real SMTP server on loopback that counts what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                sink.messages += 1
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.messages = 0
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def make_people(count: int, prefix: str):
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    password = make_password("bench-password")
    return User.objects.bulk_create(
        [
            User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password=password)
            for n in range(count)
        ]
    )


def make_project(owner, members, name: str):
    from tasks import services
    from tasks.models import Membership, Role

    project = services.project_create(by=owner, name=name)
    Membership.objects.bulk_create(
        [Membership(project=project, user=user, role=Role.EDITOR) for user in members]
    )
    return project


def follow(task, users) -> None:
    from notifications.models import Follow

    Follow.objects.bulk_create([Follow(task=task, user=user) for user in users])


def copy_tasks(template_pk: int, count: int) -> None:
    """``count`` copies of one task in one INSERT … SELECT (a million rows in seconds)."""
    from django.db import connection

    from tasks.models import Task

    columns = [f.column for f in Task._meta.concrete_fields if not f.primary_key]
    overrides = {"title": "'Task ' || g", "position": "(g + 1) * 1024", "version": "1"}
    selected = [overrides.get(column, f't."{column}"') for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Task._meta.db_table} ({', '.join(f'"{c}"' for c in columns)}) "
            f"SELECT {', '.join(selected)} FROM {Task._meta.db_table} t, "
            f"generate_series(1, %s) g WHERE t.id = %s",
            [count, template_pk],
        )


def make_reminders(user_id: int, pending: int, fired: int, due: int) -> None:
    """Reminders on the first tasks: ``due`` already due, the other pending ones over 30 days."""
    from django.db import connection

    from notifications.models import Reminder

    table = Reminder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (task_id, user_id, before_minutes, remind_at, fired_at, created_at)
            SELECT id, %(user)s, NULL,
                   CASE WHEN n <= %(due)s THEN now() - (n || ' seconds')::interval
                        ELSE now() + ((n * 26) || ' seconds')::interval END,
                   NULL, now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM tasks_task) numbered
            WHERE n <= %(pending)s
            """,
            {"user": user_id, "due": due, "pending": pending},
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (task_id, user_id, before_minutes, remind_at, fired_at, created_at)
            SELECT id, %(user)s, NULL, now() - interval '2 days', now() - interval '2 days',
                   now() - interval '3 days'
            FROM tasks_task ORDER BY id DESC LIMIT %(fired)s
            """,
            {"user": user_id, "fired": fired},
        )


# ---------------------------------------------------------------------------
# 1. Fan-out
# ---------------------------------------------------------------------------
def fan_out(env: dict[str, str], sink: SmtpSink, changes: int) -> dict:
    from django.db.models import Max, Min
    from django_tasks_db.models import DBTaskResult

    from notifications.mail import send_pending_mail
    from notifications.models import Notification, NotificationSettings
    from tasks import services
    from tasks.models import Status

    owner, *followers = make_people(FOLLOWERS + 1, "fan")
    project = make_project(owner, followers, "Fan-out")
    task = services.task_create(project=project, by=owner, title="Followed by fifty")
    follow(task, followers)
    # Every follower wants status changes by e-mail at once (the default is the digest).
    NotificationSettings.objects.bulk_create(
        [NotificationSettings(user=user, email={"status_changed": "instant"}) for user in followers]
    )
    DBTaskResult.objects.all().delete()
    # Status changes: each one notifies every follower (a priority change would not).
    statuses = [Status.IN_PROGRESS, Status.TODO]
    for n in range(changes):
        task = services.task_update(task=task, by=owner, status=statuses[n % 2])
    queued = DBTaskResult.objects.count()
    log(f"fan-out: {changes} changes queued {queued} jobs; starting one worker")

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.05"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while DBTaskResult.objects.exclude(status="SUCCESSFUL").exists():
            if DBTaskResult.objects.filter(status="FAILED").exists():
                raise SystemExit("a dispatch job failed; see the admin's task results")
            if time.monotonic() > deadline:
                raise SystemExit("the worker did not finish within 5 minutes")
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(10)
    span = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
    elapsed = (span["last"] - span["first"]).total_seconds()
    notifications = Notification.objects.filter(task=task).count()

    started = time.perf_counter()
    sent = send_pending_mail(now=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1))
    mail_seconds = time.perf_counter() - started
    return {
        "followers": FOLLOWERS,
        "changes": changes,
        "jobs": queued,
        "worker_seconds": round(elapsed, 3),
        "jobs_per_second": round(queued / elapsed, 1),
        "notifications": notifications,
        "notifications_per_second": round(notifications / elapsed, 1),
        "mail_pass_seconds": round(mail_seconds, 3),
        "mails_sent": sink.messages,
        "mails_reported": sent,
        "mails_per_second": round(sink.messages / mail_seconds, 1) if mail_seconds else None,
    }


# ---------------------------------------------------------------------------
# 2. Reminder scan
# ---------------------------------------------------------------------------
def reminder_scan(task_count: int, pending: int, due: int) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from notifications.models import Reminder
    from notifications.reminders import fire_due_reminders
    from tasks import services

    (owner,) = make_people(1, "scan")
    project = make_project(owner, [], "Reminder scan")
    template = services.task_create(project=project, by=owner, title="Template")
    started = time.perf_counter()
    copy_tasks(template.pk, task_count - 1)
    make_reminders(owner.pk, pending, pending, due)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(
        f"reminder scan: {task_count:,} tasks, {Reminder.objects.count():,} reminders "
        f"in {time.perf_counter() - started:.1f} s"
    )

    # The plans of a tick's reads of the reminders, captured from a tick that is rolled back:
    # the scan for due ones (which must read the partial index ``reminder_pending``) and the
    # claim of those rows (FOR UPDATE SKIP LOCKED).
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        fire_due_reminders()
        transaction.set_rollback(True)
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "notifications_reminder"' in q["sql"]
    ][:2]
    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in reads:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            plans.append([row[0] for row in cursor.fetchall()])
        transaction.set_rollback(True)

    started = time.perf_counter()
    claimed = fire_due_reminders(now=timezone.now())
    tick = time.perf_counter() - started
    return {
        "tasks": task_count,
        "pending_reminders": pending,
        "fired_reminders": pending,
        "due": due,
        "claimed": claimed,
        "tick_seconds": round(tick, 3),
        "scan_sql": reads[0],
        "scan_plan": plans[0],
        "claim_sql": reads[1] if len(reads) > 1 else None,
        "claim_plan": plans[1] if len(plans) > 1 else [],
        "index_scan": any("reminder_pending" in line for line in plans[0]),
    }


# ---------------------------------------------------------------------------
# 3. Inline cost of a change
# ---------------------------------------------------------------------------
def inline_cost(requests: int) -> dict:
    from django.test import Client

    from accounts.models import ApiToken
    from tasks import services

    owner, *followers = make_people(FOLLOWERS + 1, "inline")
    project = make_project(owner, followers, "Inline")
    followed = services.task_create(project=project, by=owner, title="Followed")
    follow(followed, followers)
    lonely = services.task_create(project=project, by=owner, title="Nobody follows")
    _, secret = ApiToken.issue(user=owner, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def patch(task, n: int) -> float:
        started = time.perf_counter()
        response = client.patch(
            f"/api/v1/tasks/{task.pk}/",
            data=json.dumps({"title": f"{task.title.split(' #')[0]} #{n}"}),
            content_type="application/json",
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"PATCH answered {response.status_code}: {response.content[:200]}")
        return elapsed

    for n in range(20):  # warm-up
        patch(followed, n)
        patch(lonely, n)
    # Strictly alternating, so that whatever else the machine does falls on both alike.
    timings: dict[str, list[float]] = {"followers_50": [], "followers_0": []}
    for n in range(requests):
        timings["followers_50"].append(patch(followed, 2 * n))
        timings["followers_0"].append(patch(lonely, 2 * n + 1))

    def summary(values: list[float]) -> dict:
        ordered = sorted(values)
        return {
            "requests": len(values),
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
        }

    result = {key: summary(values) for key, values in timings.items()}
    result["p99_ratio"] = round(
        result["followers_50"]["p99_ms"] / result["followers_0"]["p99_ms"], 3
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 tasks, fewer requests")
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args(argv)
    task_count, pending = (100_000, 10_000) if args.quick else (1_000_000, 100_000)
    requests = 200 if args.quick else 1000

    sys.path.insert(0, str(BASE_DIR))
    with SmtpSink() as sink:
        env = environment(sink.port)
        os.environ.update(env)
        from bench.prepare import recreate_database

        recreate_database(DATABASE_URL)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        results = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "fan_out": fan_out(env, sink, args.changes),
            "inline": inline_cost(requests),
            "reminder_scan": reminder_scan(task_count, pending, due=1000),
        }
    out = BASE_DIR / "bench" / "results" / f"notifications-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))

    fan, inline, scan = results["fan_out"], results["inline"], results["reminder_scan"]
    print()
    print("Notification fan-out (one worker, PostgreSQL)")
    print(
        f"  {fan['changes']} changes × {fan['followers']} followers: {fan['jobs']} jobs in "
        f"{fan['worker_seconds']} s = {fan['jobs_per_second']} jobs/s, "
        f"{fan['notifications']} notifications = {fan['notifications_per_second']}/s"
    )
    print(
        f"  mail pass: {fan['mails_sent']} e-mails (bursts merged per person and task) in "
        f"{fan['mail_pass_seconds']} s = {fan['mails_per_second']}/s"
    )
    print("Reminder scan")
    print(
        f"  {scan['tasks']:,} tasks, {scan['pending_reminders']:,} pending reminders: one tick "
        f"claimed {scan['claimed']} due in {scan['tick_seconds']} s "
        f"({'index scan of reminder_pending' if scan['index_scan'] else 'NO index scan'})"
    )
    print("  the scan for due reminders:")
    for line in scan["scan_plan"]:
        print(f"    {line}")
    print("  the claim of a batch of them:")
    for line in scan["claim_plan"]:
        print(f"    {line}")
    print("A change's request cost (PATCH /api/v1/tasks/{id}/, in process)")
    for key in ("followers_50", "followers_0"):
        row = inline[key]
        print(
            f"  {key}: p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms ({row['requests']} requests)"
        )
    print(f"  p99 ratio 50 followers / none: {inline['p99_ratio']} (goal ≤ 1.10)")
    print(f"\nWritten to {out.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
