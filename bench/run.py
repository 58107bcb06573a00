"""
Measure the throughput of the task list, the board and the task API against bare Django
views served by the same stack (gunicorn, 2 sync workers, DEBUG off), with wrk on loopback.

    .venv/bin/python bench/run.py [--pages] [--api] [--quick] [--sqlite] [--profile]

Each suite gets a fresh database (PostgreSQL ``taskdesk_bench`` on 127.0.0.1:5432, dropped
and recreated; ``--sqlite`` puts the pages suite on SQLite), its own rows and its own
server. Requests per second are the median of several wrk runs; "% of bare" compares a
target with the bare view of the same kind, which cancels most of the machine out. SQL
queries per request are counted in-process with the same data. Results go to
``bench/results/`` as JSON. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
WRK = shutil.which("wrk") or "/usr/bin/wrk"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/taskdesk_bench"
SQLITE_PATH = RESULTS / "taskdesk_bench.sqlite3"
# High enough never to throttle. DRF keeps one timestamp per request of the window in the
# cache, so with a per-minute window the history, and its pickling on every request, grows
# with the request rate; bench/README.md says what that costs.
DEFAULT_THROTTLE_RATE = "10000000/min"
# Above this share of the CPUs taken by other work during a run, throughput is not trusted.
NOISY_OTHER_CPU_PCT = 10


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    suite: str
    baseline: str | None = None  # the bare view this target is compared with
    min_ratio: float | None = None  # % of the baseline's requests/s
    max_queries: int | None = None
    max_p99_ms: float | None = None
    signed_in: bool = True  # send the suite's session cookie or bearer token

    @property
    def has_goal(self) -> bool:
        return self.min_ratio is not None


# The bare views are requested without credentials: they are the floor of the stack, with
# no work of the application's own. "bare HTML, signed in" shows what the session and user
# lookups alone cost on every signed-in page.
TARGETS = [
    Target("bare-html", "bare HTML view", "pages", signed_in=False),
    Target("bare-html-session", "bare HTML view, signed in", "pages", baseline="bare-html"),
    Target(
        "task-list",
        "task list, first page",
        "pages",
        baseline="bare-html",
        min_ratio=1.6,
        max_queries=12,
    ),
    Target("board", "board", "pages", baseline="bare-html"),
    Target("bare-json", "bare JSON view", "api", signed_in=False),
    Target(
        "api-tasks",
        "GET /api/v1/tasks/ (50 rows)",
        "api",
        baseline="bare-json",
        min_ratio=5.5,
        max_queries=5,
        max_p99_ms=120.0,
    ),
]

# wrk load per suite: (threads, connections). 16 connections is the API's stated load; the
# pages get 8, a busy team's worth of people clicking at once, which already keeps both
# workers saturated.
LOAD = {"pages": (2, 8), "api": (2, 16)}


@dataclass(frozen=True)
class Plan:
    runs: int
    seconds: int
    warmup_seconds: int
    spare_rounds: int  # rounds that may replace ones spoilt by other work on the machine


FULL = Plan(runs=3, seconds=10, warmup_seconds=3, spare_rounds=2)
QUICK = Plan(runs=1, seconds=5, warmup_seconds=2, spare_rounds=1)


def say(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------
def server_environment(database_url: str, static_root: Path, throttle_rate: str
                       ) -> dict[str, str]:  # fmt: skip
    """Production settings, made to run on loopback over plain HTTP with no throttling."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        THROTTLE_USER=throttle_rate,
        THROTTLE_ANON=throttle_rate,
        AXES_ENABLED="false",
        # Each worker keeps its own cache, as with the project's default; a .env pointing at
        # a cache server that is not running must not break the run.
        CACHE_URL="locmemcache://",
        REDIS_URL="",
        LOG_LEVEL="WARNING",
        # Keep each worker's database connection for the whole run, so that the CPU of the
        # backend serving it can be followed (the default, 60 s, reconnects once a minute).
        CONN_MAX_AGE="3600",
        BENCH_STATIC_ROOT=str(static_root),
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with two sync workers on a free loopback port; always stopped on exit."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        command = [
            PYTHON, "-m", "gunicorn", "project.wsgi:application",
            "--workers", "2",
            "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "60",
            "--log-level", "warning",
            "--error-logfile", str(self.log_path),
            "--chdir", str(ROOT),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so the workers go with it
        )
        self.wait_until_healthy()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_until_healthy(self, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            status, _ = request(self.port, "/healthz", {})
            if status == 200:
                return
            time.sleep(0.25)
        raise RuntimeError(
            f"gunicorn did not answer /healthz in {timeout:.0f} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def request(port: int, path: str, headers: dict[str, str]) -> tuple[int | None, bytes]:
    """One GET without following redirects (a redirect to the login page is a failure)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError:
        return None, b""
    finally:
        connection.close()


# ---------------------------------------------------------------------------
# CPU time per request
# ---------------------------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process so far, from /proc (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    pids.append(int(entry.name))
    return pids


def machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far, all CPUs together."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    )
    busy = user + nice + system + irq + softirq + steal
    return busy / CLOCK_TICKS, (busy + idle + iowait) / CLOCK_TICKS


def own_cpu() -> float:
    """CPU seconds used by this process and its finished children (wrk) so far."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def machine_idle(seconds: float = 1.0) -> float:
    """The share of all CPUs' time that was idle over the next ``seconds``."""
    busy_before, total_before = machine_cpu()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu()
    return 1 - (busy_after - busy_before) / max(total_after - total_before, 1e-9)


def settle(limit: float, wanted_idle: float = 0.8) -> None:
    """Wait, at most ``limit`` seconds, for other work on the machine to quieten down."""
    deadline = time.monotonic() + limit
    while (idle := machine_idle()) < wanted_idle and time.monotonic() < deadline:
        say(f"  machine {100 * (1 - idle):.0f} % busy; waiting for it to settle")
        time.sleep(4)


class CpuMeter:
    """
    CPU time spent by the gunicorn workers and by the PostgreSQL backends serving them. Unlike
    requests/s it hardly moves when other work shares the machine, so "CPU ms per request"
    stays comparable between a quiet and a busy run.
    """

    def __init__(self, server_pid: int, database_url: str) -> None:
        self.server_pid = server_pid
        self.database = urlparse(database_url)
        self.postgres = self.database.scheme.startswith("postgres")

    def backend_pids(self) -> list[int]:
        if not self.postgres:
            return []
        import psycopg2

        try:
            connection = psycopg2.connect(
                host=self.database.hostname,
                port=self.database.port or 5432,
                user=self.database.username or "postgres",
                dbname=self.database.path.lstrip("/"),
            )
        except psycopg2.Error:
            return []
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                return [row[0] for row in cursor.fetchall()]
        finally:
            connection.close()

    def snapshot(self) -> dict[str, dict[int, float]]:
        groups = {"app": children_of(self.server_pid), "db": self.backend_pids()}
        return {
            group: {pid: t for pid in pids if (t := cpu_seconds(pid)) is not None}
            for group, pids in groups.items()
        }

    @staticmethod
    def spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
              ) -> dict[str, float]:  # fmt: skip
        """CPU seconds per group between two snapshots; a process started meanwhile counts whole."""
        return {
            group: sum(t - before[group].get(pid, 0.0) for pid, t in after[group].items())
            for group in after
        }


# ---------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, p50/p99 latency (ms), request count and error counts from ``wrk --latency``."""

    def latency(percentile: str) -> float | None:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return round(float(match.group(1)) * UNITS_MS[match.group(2)], 2) if match else None

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(rate.group(1)) if rate else None,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(
            zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
        )
        if sockets
        else {},
    }


def wrk(port: int, path: str, headers: dict[str, str], *, threads: int, connections: int,
        seconds: int) -> dict[str, Any]:  # fmt: skip
    command = [
        WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stderr.strip() or completed.stdout.strip()}")
    return parse_wrk(completed.stdout)


def combine(runs: list[dict[str, Any]], threads: int, connections: int, seconds: int
            ) -> dict[str, Any]:  # fmt: skip
    """The median of each figure over the runs of one target."""
    rates = [run["rps"] for run in runs if run["rps"] is not None]
    p99s = [run["p99_ms"] for run in runs if run["p99_ms"] is not None]

    def median_of(key: str) -> float | None:
        values = [run[key] for run in runs if run.get(key) is not None]
        return round(statistics.median(values), 3) if values else None

    return {
        "threads": threads,
        "connections": connections,
        "seconds": seconds,
        "runs": runs,
        "rps": round(statistics.median(rates), 1) if rates else None,
        "p99_ms": round(statistics.median(p99s), 2) if p99s else None,
        "non_2xx": sum(run["non_2xx"] for run in runs),
        "app_cpu_ms": median_of("app_cpu_ms"),
        "db_cpu_ms": median_of("db_cpu_ms"),
        "other_cpu_pct": median_of("other_cpu_pct"),
    }


def metered_wrk(meter: CpuMeter, port: int, path: str, headers: dict[str, str], **options: int
                ) -> dict[str, Any]:  # fmt: skip
    """
    One wrk run, plus the server's and the database's CPU ms per request during it, and the
    share of the machine's CPU that other work took meanwhile (``other_cpu_pct``).
    """
    before, (busy_before, total_before), own_before = meter.snapshot(), machine_cpu(), own_cpu()
    run = wrk(port, path, headers, **options)
    spent = meter.spent(before, meter.snapshot())
    (busy_after, total_after), own_after = machine_cpu(), own_cpu()
    requests = run["requests"] or 0
    for group, seconds in spent.items():
        run[f"{group}_cpu_ms"] = round(1000 * seconds / requests, 3) if requests else None
    other = (busy_after - busy_before) - sum(spent.values()) - (own_after - own_before)
    run["other_cpu_pct"] = round(100 * max(other, 0) / max(total_after - total_before, 1e-9), 1)
    return run


def load_test(port: int, jobs: list[tuple[str, str, dict[str, str]]], suite: str, plan: Plan,
              meter: CpuMeter, settle_limit: float = 0) -> dict[str, dict[str, Any]]:  # fmt: skip
    """
    Warm every target up, then run them in rounds (A B C, A B C, ...) rather than one after
    the other, so that a burst of load from elsewhere on the machine is shared out instead of
    landing on a single target and skewing its ratio to the bare view. A round during which
    other work took more than ``NOISY_OTHER_CPU_PCT`` of the CPUs is set aside and, while
    spare rounds last, run again; the medians come from the clean rounds when there are any.
    """
    threads, connections = LOAD[suite]
    for _name, path, headers in jobs:
        wrk(port, path, headers, threads=threads, connections=connections,
            seconds=plan.warmup_seconds)  # fmt: skip
    clean: list[dict[str, dict[str, Any]]] = []
    spoilt: list[dict[str, dict[str, Any]]] = []
    while len(clean) < plan.runs and len(clean) + len(spoilt) < plan.runs + plan.spare_rounds:
        if settle_limit:
            settle(settle_limit)
        number = len(clean) + len(spoilt) + 1
        results = {}
        for name, path, headers in jobs:
            run = metered_wrk(meter, port, path, headers, threads=threads,
                              connections=connections, seconds=plan.seconds)  # fmt: skip
            results[name] = run
            say(
                f"  round {number} {name:<17} {run['rps']:>8.1f} req/s, "
                f"p99 {run['p99_ms']} ms, CPU ms/request: app {run['app_cpu_ms']}, "
                f"db {run['db_cpu_ms']}; other work {run['other_cpu_pct']} % of the CPUs"
            )
        worst = max(run["other_cpu_pct"] for run in results.values())
        if worst > NOISY_OTHER_CPU_PCT:
            spoilt.append(results)
            say(f"  round {number} set aside: other work took up to {worst:.0f} % of the CPUs")
        else:
            clean.append(results)
    rounds = clean or spoilt
    return {
        name: combine([r[name] for r in rounds], threads, connections, plan.seconds)
        | {"rounds_set_aside": [r[name] for r in spoilt] if clean else []}
        for name, _, _ in jobs
    }


# ---------------------------------------------------------------------------
# One suite: database, data, server, load
# ---------------------------------------------------------------------------
def run_suite(suite: str, args: argparse.Namespace, plan: Plan, stamp: str,
              collectstatic: bool) -> dict[str, Any]:  # fmt: skip
    database_url = f"sqlite:///{SQLITE_PATH}" if suite == "pages" and args.sqlite else POSTGRES_URL
    env = server_environment(database_url, RESULTS / "static", args.throttle_rate)
    say(f"\n== {suite}: preparing {database_url.split('@')[-1]} ==")
    with tempfile.TemporaryDirectory(prefix="taskdesk-bench-") as scratch:
        out = Path(scratch) / "prepare.json"
        command = [PYTHON, "-m", "bench.prepare", "--suite", suite,
                   "--database-url", database_url, "--out", str(out)]  # fmt: skip
        if collectstatic:
            command.append("--collectstatic")
        if args.profile:
            command += ["--profile-dir", str(RESULTS)]
        subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=300)
        prepared = json.loads(out.read_text())
    headers = prepared.pop("headers")  # credentials stay out of the results file

    log_path = RESULTS / f"gunicorn-{stamp}-{suite}.log"
    prepared["load_average_before"] = os.getloadavg()
    with Server(env, log_path) as server:
        say(f"== {suite}: gunicorn on 127.0.0.1:{server.port}, "
            f"wrk -t{LOAD[suite][0]} -c{LOAD[suite][1]}, "
            f"{plan.runs} x {plan.seconds} s per target ==")  # fmt: skip
        jobs = []
        for target in (t for t in TARGETS if t.suite == suite):
            measured = prepared["targets"][target.name]
            path = measured["path"]
            target_headers = headers if target.signed_in else {}
            status, _ = request(server.port, path, target_headers)
            measured["http_status"] = status
            measured["load"] = None
            if status == 200:
                jobs.append((target.name, path, target_headers))
            else:
                say(f"  {target.name:<17} {path}: HTTP {status}, not load-tested")
        meter = CpuMeter(server.process.pid, database_url)
        results = load_test(server.port, jobs, suite, plan, meter, args.settle)
        for name, load in results.items():
            prepared["targets"][name]["load"] = load
            if load["non_2xx"]:
                say(f"  warning: {name}: {load['non_2xx']} responses were not 2xx/3xx")
        prepared["load_average_after"] = os.getloadavg()
        errors = server.log_tail(10) if log_path.exists() and log_path.stat().st_size else ""
    prepared["server_log_tail"] = errors
    prepared["wrk"] = {"threads": LOAD[suite][0], "connections": LOAD[suite][1]}
    return prepared


# ---------------------------------------------------------------------------
# Verdicts and report
# ---------------------------------------------------------------------------
def summarise(suites: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per target: req/s, p99, queries, % of its bare view, and the verdict."""
    rows = []
    measured = {name: m for s in suites.values() for name, m in s["targets"].items()}
    for target in TARGETS:
        m = measured.get(target.name)
        if m is None:
            continue
        load = m.get("load") or {}
        rps, p99 = load.get("rps"), load.get("p99_ms")
        base = (measured.get(target.baseline or target.name) or {}).get("load") or {}
        ratio = 100 * rps / base["rps"] if rps and base.get("rps") else None
        cpu, base_cpu = cpu_per_request(load), cpu_per_request(base)
        cpu_ratio = 100 * base_cpu / cpu if cpu and base_cpu else None
        row = {
            "target": target.name,
            "label": target.label,
            "path": m["path"],
            "status": m.get("http_status", m["status"]),
            "rps": rps,
            "p99_ms": p99,
            "queries": m["queries"] if m["status"] == 200 else None,
            "ratio_pct": round(ratio, 2) if ratio is not None else None,
            "app_cpu_ms": load.get("app_cpu_ms"),
            "db_cpu_ms": load.get("db_cpu_ms"),
            "cpu_ratio_pct": round(cpu_ratio, 2) if cpu_ratio is not None else None,
            "other_cpu_pct": load.get("other_cpu_pct"),
            "baseline": target.baseline,
            "verdict": None,
            "reasons": [],
        }
        if target.has_goal:
            reasons = []
            if row["status"] != 200:
                reasons.append(f"answers HTTP {row['status']}")
            else:
                if ratio is None or ratio < target.min_ratio:
                    reasons.append(
                        f"{_fmt(ratio, 2)} % of {target.baseline} < {target.min_ratio} %"
                    )
                if row["queries"] > target.max_queries:
                    reasons.append(f"{row['queries']} queries > {target.max_queries}")
                if target.max_p99_ms is not None and (p99 is None or p99 >= target.max_p99_ms):
                    reasons.append(f"p99 {_fmt(p99, 1)} ms >= {target.max_p99_ms:.0f} ms")
            row["verdict"] = "FAIL" if reasons else "PASS"
            row["reasons"] = reasons
            row["goal"] = goal_text(target)
        rows.append(row)
    return rows


def plan_hint(plan: list[str]) -> str:
    """What makes a plan costly, in a few words: full scans of the tasks and sorts."""
    hints = []
    if any("Seq Scan on tasks_task " in line for line in plan):
        hints.append("seq scan of tasks")
    for line in plan:
        match = re.search(r"Sort Method: ([\w -]+?)\s+(?:Memory|Disk)", line)
        if match:
            hints.append(match.group(1).strip())
            break
    return f" ({', '.join(hints)})" if hints else ""


def cpu_per_request(load: dict[str, Any]) -> float | None:
    """Server plus database CPU ms per request (the database part is 0 on SQLite)."""
    if load.get("app_cpu_ms") is None:
        return None
    return load["app_cpu_ms"] + (load.get("db_cpu_ms") or 0)


def goal_text(target: Target) -> str:
    parts = [f">= {target.min_ratio} % of {target.baseline} req/s"]
    if target.max_p99_ms is not None:
        parts.append(f"p99 < {target.max_p99_ms:.0f} ms")
    parts.append(f"<= {target.max_queries} queries")
    return ", ".join(parts)


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_report(rows: list[dict[str, Any]], suites: dict[str, dict[str, Any]]) -> None:
    header = (
        f"{'target':<30} {'HTTP':>4} {'req/s':>9} {'p99 ms':>8} {'queries':>7} "
        f"{'% of bare':>9} | {'app CPU':>7} {'db CPU':>7} {'CPU %':>6} | {'other':>5}"
    )
    say("\n" + "=" * len(header))
    say(header)
    say("-" * len(header))
    for row in rows:
        bare = row["baseline"] is None and row["rps"]
        ratio = "100" if bare else _fmt(row["ratio_pct"], 2)
        cpu_ratio = "100" if bare else _fmt(row["cpu_ratio_pct"], 2)
        say(
            f"{row['label']:<30} {row['status'] or '-':>4} "
            f"{_fmt(row['rps'], 1):>9} {_fmt(row['p99_ms'], 1):>8} "
            f"{row['queries'] if row['queries'] is not None else '-':>7} {ratio:>9} | "
            f"{_fmt(row['app_cpu_ms'], 2):>7} {_fmt(row['db_cpu_ms'], 2):>7} {cpu_ratio:>6} | "
            f"{_fmt(row['other_cpu_pct'], 0):>4}%"
        )
    say("-" * len(header))
    say("app CPU, db CPU: ms of CPU per request in the gunicorn workers and in the PostgreSQL")
    say("backends serving them; CPU %: the bare view's CPU per request over the target's, a")
    say("figure that stays steady when the machine is busy (the verdicts use req/s). other:")
    say("the share of the machine's CPU taken by work outside the benchmark during the runs.")
    say("")
    for suite, data in suites.items():
        threads, connections = data["wrk"]["threads"], data["wrk"]["connections"]
        before, after = data["load_average_before"][0], data["load_average_after"][0]
        say(f"{suite}: {data['database']}, {data['dataset']['tasks']} tasks, "
            f"wrk -t{threads} -c{connections}; load average {before:.1f} before, "
            f"{after:.1f} after (the machine has {os.cpu_count()} CPUs)")  # fmt: skip
        slow = [
            (plan["execution_ms"], name)
            for name, m in data["targets"].items()
            for plan in m.get("explain", [])
            if plan["execution_ms"] is not None
        ]
        if slow:
            worst_ms, worst_name = max(slow)
            say(f"  slowest SQL statement: {worst_ms:.2f} ms (EXPLAIN ANALYZE, {worst_name})")
        if data.get("variants"):
            say("  variants (in-process, not load-tested): path, status, queries, ms per request")
        for variant in data.get("variants", []):
            plans = variant.get("explain", [])
            slowest = max(plans, key=lambda p: p["execution_ms"] or 0, default=None)
            say(
                f"  {variant['path']:<52} HTTP {variant['status']}, "
                f"{variant['queries']:>2} queries, {_fmt(variant.get('in_process_ms'), 1):>6} ms"
                + (
                    f", slowest SQL {slowest['execution_ms']:.2f} ms{plan_hint(slowest['plan'])}"
                    if slowest and slowest["execution_ms"] is not None
                    else ""
                )
            )
        if data.get("server_log_tail"):
            say("  gunicorn log (tail):")
            for line in data["server_log_tail"].splitlines():
                say(f"    {line}")
    noisy = [row for row in rows if (row["other_cpu_pct"] or 0) > NOISY_OTHER_CPU_PCT]
    if noisy:
        worst = max(row["other_cpu_pct"] for row in noisy)
        say(
            f"\nWARNING: other work took up to {worst:.0f} % of the CPUs during the runs "
            f"({', '.join(row['target'] for row in noisy)}): requests/s, p99 and so the "
            "verdicts below are unreliable; the CPU columns much less so. Re-run on a quiet "
            "machine, or with --settle."
        )
    say("\nTargets:")
    for row in rows:
        if row["verdict"] is None:
            continue
        why = "; ".join(row["reasons"]) if row["reasons"] else "all met"
        say(f"  {row['verdict']}  {row['label']}: {row['goal']} -- {why}")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": subprocess.run(
            [WRK, "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[:1],  # fmt: skip
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", action="store_true", help="task list and board (default: both)")
    parser.add_argument("--api", action="store_true", help="GET /api/v1/tasks/ (default: both)")
    parser.add_argument("--quick", action="store_true", help="one short run per target")
    parser.add_argument("--sqlite", action="store_true", help="run the pages suite on SQLite")
    parser.add_argument("--profile", action="store_true",
                        help="also write pyinstrument profiles to bench/results/")  # fmt: skip
    parser.add_argument(
        "--settle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each round of runs, wait up to this long for the machine to be idle",
    )
    parser.add_argument(
        "--throttle-rate",
        default=DEFAULT_THROTTLE_RATE,
        help=f"THROTTLE_USER and THROTTLE_ANON of the server (default {DEFAULT_THROTTLE_RATE})",
    )
    args = parser.parse_args(argv)
    suites_wanted = [s for s in ("pages", "api") if getattr(args, s)] or ["pages", "api"]
    plan = QUICK if args.quick else FULL
    if not Path(WRK).exists():
        say(f"wrk is not installed (looked for {WRK}); install it with 'apt-get install wrk'.")
        return 2

    # A TERM (from make, CI or a terminal closing) must still stop gunicorn: turn it into
    # SystemExit so that the servers' context managers run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suites = {}
    for index, suite in enumerate(suites_wanted):
        suites[suite] = run_suite(suite, args, plan, stamp, collectstatic=index == 0)
    rows = summarise(suites)
    print_report(rows, suites)

    result = {
        "started_at": stamp,
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "options": {
            "suites": suites_wanted,
            "quick": args.quick,
            "sqlite": args.sqlite,
            "runs": plan.runs,
            "seconds_per_run": plan.seconds,
            "throttle_rate": args.throttle_rate,
            "settle_seconds": args.settle,
        },
        "summary": rows,
        "suites": suites,
    }
    path = RESULTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(result, indent=2))
    shutil.copyfile(path, RESULTS / "latest.json")
    say(f"\nResults: {path.relative_to(ROOT)} ({result['seconds']:.0f} s)")
    return 1 if any(row["verdict"] == "FAIL" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
