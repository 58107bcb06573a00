"""
Smoke tests over real HTTP against real server processes: ``manage.py runserver`` (what
``make run`` starts, DEBUG on) and gunicorn (what the README deploys, DEBUG off), each a
subprocess on a free port of 127.0.0.1. They share one database made for them: a migrated
SQLite file, or a fresh PostgreSQL database next to the test database when ``DATABASE_URL``
names PostgreSQL, loaded with the demo data of ``make run``.

What the in-process test client cannot show is caught here: a header value the WSGI server
refuses, a page that needs collected static files, CSRF as a browser meets it, and the
README's API examples run word for word with curl.

Run: ``.venv/bin/pytest project/tests/test_smoke_http.py -v`` (about a minute: migrating,
seeding and collecting the static files come first).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import environ
import pytest
import requests
from django.conf import settings

from tasks.management.commands.seed_demo import DEBUG_PASSWORD

pytestmark = pytest.mark.server

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
GUNICORN = Path(sys.executable).with_name("gunicorn")
START_TIMEOUT = 90  # seconds; a loaded 2-core CI machine is slow to import Django
README = ROOT / "README.md"
README_HOST = "http://127.0.0.1:8000"


# ------------------------------------------------------------------------------------------
# The database and the servers
# ------------------------------------------------------------------------------------------
@dataclass
class SmokeDatabase:
    url: str

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a process on this database, independent of any ``.env``."""
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "CACHE_URL": "locmemcache://",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DOTENV_FILE": "",  # the checkout's .env (make run writes one) must not leak in
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env.update(extra)
        return env

    def manage(self, *args: str, **extra: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout


def _postgres_database(url: str) -> Iterator[str]:
    """A fresh database named after the one ``url`` names, dropped afterwards."""
    import psycopg2

    config = environ.Env.db_url_config(url)
    name = f"test_{config['NAME']}_http_{os.getpid()}"[:63]
    connect = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }

    def run(sql: str) -> None:
        connection = psycopg2.connect(**{k: v for k, v in connect.items() if v})
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def smoke_database(tmp_path_factory) -> Iterator[SmokeDatabase]:
    """Migrated, with the demo data of ``make run``, and the static files collected."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        databases = contextlib.contextmanager(_postgres_database)(url)
    else:
        path = tmp_path_factory.mktemp("http") / "smoke.sqlite3"
        databases = contextlib.nullcontext(f"sqlite:///{path}")
    with databases as database_url:
        database = SmokeDatabase(database_url)
        database.manage("migrate", "--no-input", "-v", "0")
        database.manage("seed_demo", DEBUG="true")
        # gunicorn runs with DEBUG off: pages need the hashed files of a production build.
        database.manage("collectstatic", "--no-input", "-v", "0", **production_env())
        yield database


def production_env() -> dict[str, str]:
    """DEBUG off as in production, with what plain HTTP on loopback needs."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        # Sign-up sends a confirmation: printed to the log instead of needing a mail server.
        "EMAIL_URL": "consolemail://",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    kind: str
    url: str
    process: subprocess.Popen
    log: Path
    database: SmokeDatabase
    env: dict[str, str] = field(default_factory=dict)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def assert_no_errors(self) -> None:
        """Nothing in the server's log looks like a crash."""
        text = self.log_text()
        assert "Traceback" not in text, f"{self.kind} logged an error:\n{text[-5000:]}"
        assert not re.search(r'" 5\d\d\b', text), f"{self.kind} answered a 5xx:\n{text[-5000:]}"


def start_server(kind: str, database: SmokeDatabase, log: Path) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if kind == "runserver":
        env = {"DEBUG": "true"}
        command = [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    else:
        env = production_env()
        command = [
            str(GUNICORN),
            "project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
            "--access-logfile",
            "-",
            "--access-logformat",
            '%(h)s "%(r)s" %(s)s %(b)s',
        ]
    handle = log.open("w")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=database.env(**env),
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    handle.close()
    server = Server(kind=kind, url=url, process=process, log=log, database=database, env=env)
    try:
        wait_until_up(server)
    except BaseException:
        stop_server(server)
        raise
    return server


def wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"{server.kind} exited at start:\n{server.log_text()}", pytrace=False)
        try:
            if requests.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or workers still booting
            pass
        time.sleep(0.3)
    pytest.fail(f"{server.kind} did not answer within {START_TIMEOUT} s:\n{server.log_text()}")


def stop_server(server: Server) -> None:
    """Stop the server and whatever it started (gunicorn's workers): its process group."""
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=15)


@pytest.fixture(scope="module", params=["runserver", "gunicorn"])
def server(request, smoke_database, tmp_path_factory) -> Iterator[Server]:
    if request.param == "gunicorn" and not GUNICORN.exists():
        pytest.fail(f"gunicorn is not installed next to {PYTHON}", pytrace=False)
    log = tmp_path_factory.mktemp(request.param) / "server.log"
    server = start_server(request.param, smoke_database, log)
    yield server
    stop_server(server)


# ------------------------------------------------------------------------------------------
# A browser's part: forms as they are on the page
# ------------------------------------------------------------------------------------------
@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]]
    buttons: list[tuple[str, str]]

    def names(self) -> set[str]:
        return {name for name, _ in self.fields}


class FormParser(HTMLParser):
    """The forms of a page with the values a browser would submit (no JavaScript)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.inputs: dict[str, str] = {}
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict[str, str] | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = {key: value or "" for key, value in attrs}
        if tag == "input" and attrs.get("id"):
            self.inputs[attrs["id"]] = attrs.get("value", "")
        if tag == "form":
            self._form = Form(attrs.get("action", ""), attrs.get("method", "get").lower(), [], [])
            self.forms.append(self._form)
        if self._form is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        kind = attrs.get("type", "text").lower()
        if tag == "input" and name:
            if kind in ("submit", "image", "button"):
                self._form.buttons.append((name, attrs.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value", "on")))
            elif kind != "file":
                self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "button" and name:
            self._form.buttons.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            self._option = attrs
            self._text = []
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._option is not None or self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._form is not None:
            value = self._option.get("value", "".join(self._text).strip())
            if self._select_first is None:
                self._select_first = value
            if "selected" in self._option:
                self._form.fields.append((self._select, value))
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select and self._form is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            # The parser keeps the newline that HTML drops right after <textarea>.
            self._form.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


class Browser:
    """A requests session that fills in and submits forms like a browser without JavaScript."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.session = requests.Session()
        self.page: requests.Response | None = None

    def get(self, path: str) -> requests.Response:
        self.page = self.session.get(urljoin(self.server.url, path), timeout=30)
        assert self.page.status_code == 200, (path, self.page.status_code, self.page.text[:2000])
        return self.page

    def form(self, *, having: str | None = None, action: str | None = None) -> Form:
        """The page's POST form that has the field ``having`` or the ``action`` path."""
        assert self.page is not None
        for form in parse(self.page.text).forms:
            if form.method != "post":
                continue
            if having and having not in form.names():
                continue
            if action and urlsplit(urljoin(self.page.url, form.action)).path != action:
                continue
            return form
        raise AssertionError(f"no form with {having or action} on {self.page.url}")

    def submit(self, form: Form, expect: int = 302, **values: str) -> requests.Response:
        """Post ``form`` with ``values`` typed in; return the answer (redirects not followed)."""
        assert self.page is not None
        data = [(name, value) for name, value in form.fields if name not in values]
        data += list(values.items())
        assert "csrfmiddlewaretoken" in dict(data), "a form without its CSRF token"
        target = urljoin(self.page.url, form.action or self.page.url)
        response = self.session.post(
            target, data=data, headers={"Referer": self.page.url}, allow_redirects=False
        )
        assert response.status_code == expect, (target, response.status_code, response.text[:3000])
        return response

    def follow(self, response: requests.Response) -> requests.Response:
        return self.get(response.headers["Location"])

    def log_in(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        form = self.form(having="password")
        self.follow(self.submit(form, login=username, password=password))
        assert "sessionid" in self.session.cookies


def new_id(location: str, pattern: str) -> int:
    match = re.search(pattern, urlsplit(location).path)
    assert match, (pattern, location)
    return int(match.group(1))


# ------------------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def account(server) -> tuple[str, str]:
    """A person who signed up through the sign-up page of this server, then logged out."""
    username, password = f"smoke-{server.kind}", f"smoke-pass-{secrets.token_hex(8)}"
    browser = Browser(server)
    browser.get("/accounts/signup/")
    form = browser.form(having="password1")
    browser.submit(
        form,
        username=username,
        email=f"{username}@example.com",
        password1=password,
        password2=password,
    )
    browser.get("/")
    browser.submit(browser.form(action="/accounts/logout/"))
    assert "sessionid" not in browser.session.cookies
    return username, password


def test_pages_log_in_then_create_edit_and_delete_a_project_and_a_task(server, account):
    browser = Browser(server)
    browser.log_in(*account)

    # A project: create, rename.
    browser.get("/projects/new/")
    name = f"Smoke {server.kind} {uuid.uuid4().hex[:6]}"
    created = browser.submit(browser.form(having="name"), name=name)
    project_id = new_id(created.headers["Location"], r"/projects/(\d+)/$")
    assert name in browser.follow(created).text
    browser.get(f"/projects/{project_id}/settings/")
    renamed = f"{name} (renamed)"
    browser.submit(browser.form(having="name"), name=renamed)
    assert renamed in browser.get(f"/projects/{project_id}/").text

    # A task: create, edit, delete.
    browser.get(f"/projects/{project_id}/tasks/new/")
    created = browser.submit(browser.form(having="title"), title="Check the smoke alarm")
    page = browser.follow(created).text
    assert "Check the smoke alarm" in page
    # The project's only task: every link to a task on its page goes to it.
    (task_id,) = {int(found) for found in re.findall(r'href="/tasks/(\d+)/"', page)}
    browser.get(f"/tasks/{task_id}/edit/")
    form = browser.form(having="title")
    assert ("version", "1") in form.fields
    browser.submit(form, title="Check the smoke alarm twice", priority="high")
    page = browser.get(f"/tasks/{task_id}/").text
    assert "Check the smoke alarm twice" in page
    browser.get(f"/tasks/{task_id}/delete/")
    browser.submit(browser.form(action=f"/tasks/{task_id}/delete/"))
    assert browser.session.get(f"{server.url}/tasks/{task_id}/").status_code == 404

    # The project goes too, after its name is typed out.
    browser.get(f"/projects/{project_id}/delete/")
    browser.submit(browser.form(having="confirm_name"), confirm_name=renamed)
    assert browser.session.get(f"{server.url}/projects/{project_id}/").status_code == 404
    server.assert_no_errors()


def api_session(server: Server, account) -> requests.Session:
    """A session carrying a bearer token made on the token page (shown once, after a redirect)."""
    browser = Browser(server)
    browser.log_in(*account)
    browser.get("/accounts/settings/tokens/")
    # It may manage tokens: the walk below creates and revokes one with it.
    created = browser.submit(
        browser.form(having="expires_on"), name="smoke", can_manage_tokens="on"
    )
    page = browser.follow(created)
    secret = parse(page.text).inputs["new-token-secret"]
    assert secret
    assert secret not in browser.get("/accounts/settings/tokens/").text
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {secret}"
    return api


def test_api_create_patch_and_delete_with_a_bearer_token(server, account):
    api = api_session(server, account)
    base = f"{server.url}/api/v1"

    def call(method: str, url: str, expect: int, **kwargs) -> requests.Response:
        response = api.request(method, url, timeout=30, **kwargs)
        assert response.status_code == expect, (method, url, response.status_code, response.text)
        return response

    # Every create answers 201 with the new object's address in Location.
    project = call("POST", f"{base}/projects/", 201, json={"name": f"API {server.kind}"})
    project_url = project.headers["Location"]
    assert project_url == project.json()["url"]
    assert project_url.startswith(f"{server.url}/api/v1/projects/")
    assert call("GET", project_url, 200).json()["name"] == f"API {server.kind}"
    project_id = project.json()["id"]

    tag = call("POST", f"{base}/tags/", 201, json={"project": project_id, "name": "smoke"})
    assert tag.headers["Location"] == tag.json()["url"]

    task = call(
        "POST",
        f"{base}/tasks/",
        201,
        json={"project": project_id, "title": "Ship it", "tags": [tag.json()["id"]]},
    )
    task_url = task.headers["Location"]
    assert task_url == task.json()["url"]
    assert task.headers["ETag"] == '"1"'

    comment = call("POST", f"{task_url}comments/", 201, json={"body": "On it."})
    assert comment.headers["Location"] == comment.json()["url"]

    token = call("POST", f"{base}/tokens/", 201, json={"name": "another"})
    assert token.headers["Location"] == token.json()["url"]
    call("DELETE", token.headers["Location"], 204)

    # Conditional writes: the current version wins once, a stale one is refused.
    patched = call("PATCH", task_url, 200, json={"status": "done"}, headers={"If-Match": '"1"'})
    assert patched.json()["status"] == "done"
    assert patched.headers["ETag"] == '"2"'
    call("PATCH", task_url, 412, json={"title": "Stale"}, headers={"If-Match": '"1"'})
    call("GET", task_url, 304, headers={"If-None-Match": '"2"'})
    call("DELETE", task_url, 412, headers={"If-Match": '"1"'})
    call("DELETE", task_url, 204, headers={"If-Match": '"2"'})
    call("GET", task_url, 404)

    call("DELETE", project_url, 204)
    call("GET", project_url, 404)
    server.assert_no_errors()


# ------------------------------------------------------------------------------------------
# The README's API examples, word for word, on the demo data
# ------------------------------------------------------------------------------------------
def readme_api_commands() -> str:
    """The shell block of the README's "The API in five lines" section."""
    text = README.read_text()
    section = text.split("## The API in five lines", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the README's API section has no ```sh block"
    return match.group(1)


def test_readme_api_commands_work_on_the_demo_data(server):
    commands = readme_api_commands()
    assert README_HOST in commands and "curl" in commands
    script = "\n".join(
        [
            "set -euo pipefail",
            # As written, plus: fail on any HTTP error, and end each answer with a newline.
            'curl() { command curl --silent --show-error --fail-with-body "$@"; echo; }',
            commands.replace(README_HOST, server.url).replace(".venv/bin/python", PYTHON),
        ]
    )
    assert shutil.which("curl"), "curl is not installed"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=server.database.env(**server.env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"README commands failed:\n{done.stdout}\n{done.stderr}"
    # Each curl printed one JSON answer; the task made by the README ends up done.
    assert '"title":"Ship it"' in done.stdout
    assert '"status":"done"' in done.stdout
    server.assert_no_errors()


def test_demo_accounts_log_in_with_the_password_the_readme_gives(server):
    assert f"`{DEBUG_PASSWORD}`" in README.read_text()
    browser = Browser(server)
    browser.log_in("ada", DEBUG_PASSWORD)
    assert "Website relaunch" in browser.get("/projects/").text
