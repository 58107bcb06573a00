"""
Real servers for the tests that need more than one process: gunicorn serving the project on a
database of its own (a file SQLite database, or a fresh PostgreSQL database when the suite
runs on PostgreSQL), and a private ``redis-server`` that a test may stop or freeze. Every
server binds 127.0.0.1 on a free port and is stopped, with its children, on exit.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlparse

import psycopg2
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable

# One user, one project she owns and a token for her, in the server's own database.
SEED = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import ApiToken, User
from tasks import services
user = User.objects.create_user("alice", "alice@example.com", "correct-horse-battery")
project = services.project_create(by=user, name="Alpha")
_, secret = ApiToken.issue(user=user, name="servers")
print(json.dumps({"token": secret, "project": project.pk}))
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    *,
    body: dict | None = None,
    form: dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Answer:
    """One HTTP request on a fresh connection, timed; ``body`` goes as JSON, ``form`` encoded."""
    sent = {"Host": "127.0.0.1", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    elif form is not None:
        data = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    return Answer(
        response.status,
        {name.lower(): value for name, value in response.getheaders()},
        payload,
        time.monotonic() - started,
    )


def collect_static(static_root: Path) -> None:
    """Production serves hashed files from a manifest: build it once for every server."""
    env = server_environment("sqlite://", static_root)
    result = subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def server_environment(database_url: str, static_root: Path, **overrides: str) -> dict[str, str]:
    """Production settings on loopback over plain HTTP; nothing from the shell's .env leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DOTENV_FILE="",  # the checkout's .env (make run writes one) must not leak in
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        THROTTLE_USER="100000/min",
        THROTTLE_ANON="100000/min",
        CACHE_URL="locmemcache://",
        REDIS_URL="",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=str(static_root),
        # Sign-up sends a confirmation: the server prints it instead of needing a mail server.
        EMAIL_URL="consolemail://",
    )
    env.update(overrides)
    return env


def seed(env: dict[str, str]) -> dict:
    """Migrate the server's database and create alice, her project and her token."""
    result = subprocess.run(
        [PYTHON, "-c", SEED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def server_database(tmp_path: Path, backend: str) -> Iterator[str]:
    """A database URL no one else uses: a file under ``tmp_path``, or a fresh PostgreSQL one."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    url = urlparse(os.environ["DATABASE_URL"])
    name = f"{url.path.lstrip('/') or 'td'}_srv_{uuid.uuid4().hex[:8]}"
    admin = url._replace(path="/postgres").geturl()
    with contextlib.closing(psycopg2.connect(admin)) as connection:
        connection.autocommit = True
        connection.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield url._replace(path=f"/{name}").geturl()
    finally:
        with contextlib.closing(psycopg2.connect(admin)) as connection:
            connection.autocommit = True
            connection.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def suite_backend() -> str:
    """The backend this run of the suite tests: PostgreSQL when DATABASE_URL names it."""
    scheme = urlparse(os.environ.get("DATABASE_URL", "")).scheme
    return "postgres" if scheme.startswith("postgres") else "sqlite"


class Gunicorn:
    """gunicorn serving the project; its own process group, so its workers stop with it."""

    def __init__(
        self, env: dict[str, str], log_path: Path, *, workers: int = 2, threads: int = 1
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        command = [
            PYTHON, "-m", "gunicorn", "project.wsgi:application",
            "--workers", str(self.workers),
            "--threads", str(self.threads),
            "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "120",
            "--graceful-timeout", "2",
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
            start_new_session=True,
        )
        self.wait_until_up()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_until_up(self, timeout: float = 60.0) -> None:
        """Until every worker could answer: /healthz answers (200, or 503 without a database)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            with contextlib.suppress(OSError):
                if call(self.port, "GET", "/healthz", timeout=10).status in (200, 503):
                    # The first answer came from one worker; give the others their imports.
                    time.sleep(1.0)
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not come up:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self) -> None:
        stop_process_group(self.process)


class RedisServer:
    """A private, throw-away redis-server: no persistence, loopback, a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def pause(self) -> None:
        """Freeze it: connections are still accepted by the kernel, nothing ever answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class TcpProxy:
    """
    A TCP forwarder in front of a real server. ``stop()`` drops every connection and refuses
    new ones, as a crashed or restarting database server does; ``start()`` brings it back on
    the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> TcpProxy:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
            listener, self._listener = self._listener, None
        for sock in [listener, *sockets]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


NGINX_CONF = """
{user}
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            # What the README's Deploy section prescribes: append the socket address to
            # whatever the client sent.
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


class Nginx:
    """
    A private nginx in front of ``upstream_port``: its own configuration, pid, logs and temp
    files under ``root``, loopback on a free port, in the foreground (``daemon off``).
    """

    def __init__(self, root: Path, upstream_port: int) -> None:
        self.root = root
        self.upstream_port = upstream_port
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Nginx:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed")
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "nginx.conf"
        config.write_text(
            NGINX_CONF.format(
                # As root, nginx's workers would run as "nobody" and could not use its temp dirs.
                user="user root;" if os.geteuid() == 0 else "",
                root=self.root,
                port=self.port,
                upstream=self.upstream_port,
            )
        )
        self.process = subprocess.Popen(
            [binary, "-p", str(self.root), "-c", str(config), "-e", str(self.root / "error.log"),
             "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited early:\n{self.log()}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not start:\n{self.log()}")

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log(self) -> str:
        path = self.root / "error.log"
        stderr = ""
        if self.process is not None and self.process.poll() is not None and self.process.stderr:
            stderr = self.process.stderr.read().decode(errors="replace")
        return stderr + (path.read_text() if path.exists() else "")

    def stop(self) -> None:
        stop_process_group(self.process)


def stop_process_group(process: subprocess.Popen | None) -> None:
    """Stop a server started in its own process group: politely, then for sure."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
