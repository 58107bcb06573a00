"""
The in-process half of the benchmark, run by ``bench/run.py`` in a child process that has
the server's environment: recreate the database, migrate, collect static files, seed, sign
in, and count the SQL queries of every target with Django's test client. On PostgreSQL each
captured SELECT is also run under ``EXPLAIN ANALYZE``; with ``--profile-dir`` every target
is profiled with pyinstrument.

    python -m bench.prepare --suite pages --database-url URL --out FILE
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import django

PROFILE_REQUESTS = 30
TIMED_REQUESTS = 10


def log(message: str) -> None:
    print(f"  [prepare] {message}", file=sys.stderr, flush=True)


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database, so every run starts from the same rows."""
    parts = urlparse(url)
    if parts.scheme.startswith("sqlite"):
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg2
    from psycopg2 import sql

    name = parts.path.lstrip("/")
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def explain(statements: list[str]) -> list[dict[str, Any]]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of each SELECT, with its execution time in ms."""
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for statement in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            # No parameters: the captured text is already the exact statement sent.
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
            lines = [row[0] for row in cursor.fetchall()]
            match = re.search(r"Execution Time: ([\d.]+) ms", "\n".join(lines))
            plans.append(
                {
                    "sql": statement,
                    "execution_ms": float(match.group(1)) if match else None,
                    "plan": lines,
                }
            )
    return plans


def rows_in(response) -> int | None:
    """How many rows a JSON list answered (a bare list or a paginated ``results``)."""
    try:
        payload = json.loads(response.content)
    except ValueError:
        return None
    if isinstance(payload, list):
        return len(payload)
    if isinstance(payload, dict) and isinstance(payload.get("results"), list):
        return len(payload["results"])
    return None


def measure(client, path: str, *, is_json: bool, postgres: bool) -> dict[str, Any]:
    """Status, size and SQL of one request after a first one has warmed the process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    statements = [query["sql"] for query in context.captured_queries]
    result: dict[str, Any] = {
        "status": response.status_code,
        "bytes": len(response.content),
        "queries": len(statements),
        "sql": statements,
    }
    exc_info = getattr(response, "exc_info", None)
    if exc_info:
        result["error"] = f"{exc_info[0].__name__}: {exc_info[1]}"
    if is_json:
        result["rows"] = rows_in(response)
    if response.status_code == 200:
        durations = []
        for _ in range(TIMED_REQUESTS):
            started = time.perf_counter()
            client.get(path)
            durations.append((time.perf_counter() - started) * 1000)
        result["in_process_ms"] = round(statistics.median(durations), 2)
        if postgres:
            result["explain"] = explain(statements)
    return result


def next_page(client, path: str, hops: int) -> str | None:
    """The path of the page ``hops`` pages down, following each answer's ``next`` link."""
    for _ in range(hops):
        response = client.get(path)
        link = json.loads(response.content).get("next") if response.status_code == 200 else None
        if not link:
            return None
        parts = urlparse(link)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    return path


def profile(client, path: str, destination: Path) -> str | None:
    """Profile a few requests with pyinstrument; the text report goes to ``destination``."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(PROFILE_REQUESTS):
        client.get(path)
    profiler.stop()
    destination.write_text(profiler.output_text(unicode=True, color=False, short_mode=False))
    destination.with_suffix(".html").write_text(profiler.output_html())
    return str(destination)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", choices=["pages", "api"], required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--collectstatic", action="store_true")
    parser.add_argument("--profile-dir", type=Path)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    recreate_database(args.database_url)
    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import ApiToken
    from bench import data

    # A failing view is reported in one line below, not as a logged traceback.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    call_command("migrate", interactive=False, verbosity=0)
    log(f"database ready ({connection.vendor}) in {time.perf_counter() - started:.1f} s")
    if args.collectstatic:
        call_command("collectstatic", interactive=False, verbosity=0, clear=True)
        log("static files collected")

    seeded = time.perf_counter()
    dataset = data.seed_pages() if args.suite == "pages" else data.seed_api()
    postgres = connection.vendor == "postgresql"
    if postgres:
        # Fresh tables have no statistics yet; production ones do.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    log(
        f"seeded {dataset.task_count} tasks, {dataset.tag_count} tags, "
        f"{dataset.comment_count} comments in {time.perf_counter() - seeded:.1f} s"
    )

    anonymous = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    headers: dict[str, str]
    if args.suite == "pages":
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        client.force_login(dataset.user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
        project = dataset.projects[0]
        paths = {
            "bare-html": ("/bench/bare/", anonymous),
            "bare-html-session": ("/bench/bare/", client),
            "task-list": (f"/projects/{project.pk}/", client),
            "board": (f"/projects/{project.pk}/board/", client),
        }
        base = f"/projects/{project.pk}/"
        variants = [
            f"{base}?status=todo&sort=-priority",
            f"{base}?due=overdue&sort=due_date",
            f"{base}?search=invoice",
            f"{base}?page=10",
        ]
    else:
        _token, secret = ApiToken.issue(user=dataset.user, name="Benchmark")
        headers = {"Authorization": f"Bearer {secret}"}
        client = Client(
            HTTP_HOST="127.0.0.1",
            HTTP_AUTHORIZATION=headers["Authorization"],
            raise_request_exception=False,
        )
        paths = {
            "bare-json": ("/bench/bare-json/", anonymous),
            "api-tasks": ("/api/v1/tasks/", client),
        }
        first = dataset.projects[0].pk
        variants = [
            "/api/v1/tasks/?ordering=due_date",
            "/api/v1/tasks/?ordering=-due_date",
            "/api/v1/tasks/?ordering=-priority",
            "/api/v1/tasks/?ordering=-updated",
            "/api/v1/tasks/?ordering=position",
            f"/api/v1/tasks/?project={first}&status=todo",
            "/api/v1/tasks/?assignee=me&overdue=true",
            "/api/v1/tasks/?search=invoice",
            "/api/v1/tasks/?page_size=200",
        ]

    targets = {}
    for name, (path, requester) in paths.items():
        result = measure(requester, path, is_json=args.suite == "api", postgres=postgres)
        result["path"] = path
        if args.profile_dir and result["status"] == 200 and not name.startswith("bare"):
            destination = args.profile_dir / f"profile-{args.suite}-{name}.txt"
            result["profile"] = profile(requester, path, destination)
        targets[name] = result
        error = f" ({result['error']})" if "error" in result else ""
        rows = f", {result['rows']} rows" if result.get("rows") is not None else ""
        log(f"{name} {path}: HTTP {result['status']}, {result['queries']} queries{rows}{error}")

    # The same endpoints with filters, sorts and deeper pages: counted and explained, not
    # load-tested, to show where a query stops being served by an index.
    if args.suite == "api":
        next_link = next_page(client, "/api/v1/tasks/", hops=20)
        if next_link:
            variants.append(next_link)
    checked = []
    for path in variants:
        result = measure(client, path, is_json=args.suite == "api", postgres=postgres)
        result["path"] = path
        checked.append(result)
        slowest = max((p["execution_ms"] or 0 for p in result.get("explain", [])), default=None)
        log(
            f"variant {path}: HTTP {result['status']}, {result['queries']} queries, "
            f"{result.get('in_process_ms')} ms in-process, slowest SQL {slowest} ms"
        )

    output = {
        "suite": args.suite,
        "database": connection.vendor,
        "dataset": {
            "tasks": dataset.task_count,
            "tags": dataset.tag_count,
            "comments": dataset.comment_count,
            "projects": [project.pk for project in dataset.projects],
            "user": dataset.user.username,
        },
        "headers": headers,
        "targets": targets,
        "variants": checked,
        "prepare_seconds": round(time.perf_counter() - started, 1),
    }
    args.out.write_text(json.dumps(output, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
