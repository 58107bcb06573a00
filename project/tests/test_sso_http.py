"""
Single sign-on over real HTTP against a real OpenID Connect provider.

Two processes on 127.0.0.1: django-allauth's identity provider (``allauth.idp.oidc``, settings in
project/tests/oidc_provider/, its own SQLite file and an RSA key made for the run) and Taskdesk
under gunicorn with ``OIDC_ISSUER`` pointing at it. A ``requests`` session plays the browser
without JavaScript: Taskdesk's "Single sign-on" button, the provider's sign-in and consent
pages, the callback, and Taskdesk's pages after it. What each account looks like afterwards is
read from Taskdesk's own database by a short script in the server's environment.

Run: ``.venv/bin/pytest project/tests/test_sso_http.py -v`` (about 15 s, most of it starting
the two servers).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import psycopg2
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from project.tests.servers import (
    PYTHON,
    ROOT,
    Gunicorn,
    free_port,
    server_database,
    server_environment,
    suite_backend,
)
from project.tests.test_smoke_http import Form, parse

pytestmark = pytest.mark.server

CLIENT_ID = "taskdesk"
CLIENT_SECRET = secrets.token_urlsafe(32)
PASSWORD = "provider-pass-1234"  # every account on the provider
TASKDESK_PASSWORD = "correct-horse-battery"
CALLBACK = "/accounts/oidc/sso/login/callback/"

# The provider's people: (username, e-mail, whether the provider vouches for the address).
PROVIDER_USERS = [
    ("pat", "pat@idp.example", True),  # signs up through SSO
    ("quinn", "quinn@idp.example", False),  # signs up; the provider never confirmed her address
    ("mallory", "alice@example.com", True),  # claims alice's address
    ("robert", "robert@idp.example", True),  # bob links this account to his own
    ("sam", "sam@idp.example", True),  # signs up where SSO is the only way in
]

PROVIDER_SEED = """
import json, sys
import django
django.setup()
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from allauth.account.models import EmailAddress
from allauth.idp.oidc.models import Client
from django.contrib.auth.models import User
call_command("migrate", verbosity=0)
spec = json.loads(sys.argv[1])
for username, email, verified in spec["users"]:
    user = User.objects.create_user(username, email, spec["password"])
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
client = Client(id=spec["client_id"], name="Taskdesk", secret=make_password(spec["secret"]))
client.set_redirect_uris(spec["redirect_uris"])
client.set_scopes(["openid", "profile", "email"])
client.save()
"""

TASKDESK_SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
User.objects.create_user("alice", "alice@example.com", "correct-horse-battery")
User.objects.create_user("bob", "bob@example.com", "correct-horse-battery")
"""


def provider_uid(username: str) -> str:
    """The subject the provider names a person by: their user id there."""
    return str([name for name, _, _ in PROVIDER_USERS].index(username) + 1)


# Every account of Taskdesk: its addresses and the provider accounts linked to it.
ACCOUNTS_SQL = {
    "users": "SELECT id, username, email, password FROM accounts_user",
    "addresses": "SELECT user_id, email, verified FROM account_emailaddress",
    "sso": "SELECT user_id, uid FROM socialaccount_socialaccount",
}


def run(script: str, env: dict[str, str], *args: str) -> subprocess.Popen:
    """A Python script in ``env``, started; ``finish`` waits for it."""
    return subprocess.Popen(
        [PYTHON, "-c", script, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> None:
    _, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr


@dataclass
class Provider:
    url: str
    process: subprocess.Popen
    log_path: Path


@dataclass
class Taskdesk:
    url: str
    env: dict[str, str]

    def accounts(self) -> dict:
        """Read straight from the server's database (SQLite file or PostgreSQL)."""
        url = self.env["DATABASE_URL"]
        if url.startswith("sqlite"):
            connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        else:
            connection = psycopg2.connect(url)
        try:
            rows = {}
            for name, sql in ACCOUNTS_SQL.items():
                cursor = connection.cursor()
                cursor.execute(sql)
                rows[name] = cursor.fetchall()
        finally:
            connection.close()
        return {
            username: {
                "email": email,
                "has_password": not password.startswith("!"),
                "addresses": {a: bool(v) for u, a, v in rows["addresses"] if u == pk},
                "sso": [uid for u, uid in rows["sso"] if u == pk],
            }
            for pk, username, email, password in rows["users"]
        }


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def wait_for(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the provider exited early:\n{log_path.read_text()}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the provider did not come up:\n{log_path.read_text()}")


@dataclass
class World:
    provider: Provider
    taskdesk: Taskdesk
    sso_only: Taskdesk


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    """
    The provider (allauth's identity provider with one client, Taskdesk, and the people
    above) and two Taskdesk servers on one database: one as configured by default, one with
    SSO_ONLY on. All three are set up and started side by side.

    DEBUG is on in Taskdesk only so that the redirect URI it sends is http:// (in production
    allauth makes it https://, as a proxy terminating TLS serves it).
    """
    home = tmp_path_factory.mktemp("oidc")
    provider_port, taskdesk_port, sso_only_port = free_port(), free_port(), free_port()
    provider_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    provider_env.update(
        DJANGO_SETTINGS_MODULE="project.tests.oidc_provider.settings",
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
        IDP_DATABASE=str(home / "provider.sqlite3"),
        IDP_PRIVATE_KEY=private_key_pem(),
        IDP_SECRET_KEY=secrets.token_urlsafe(50),
        # oauthlib refuses plain HTTP otherwise; both ends are on loopback.
        OAUTHLIB_INSECURE_TRANSPORT="1",
    )
    spec = {
        "users": PROVIDER_USERS,
        "password": PASSWORD,
        "client_id": CLIENT_ID,
        "secret": CLIENT_SECRET,
        "redirect_uris": [
            f"http://127.0.0.1:{port}{CALLBACK}" for port in (taskdesk_port, sso_only_port)
        ],
    }
    provider_url = f"http://127.0.0.1:{provider_port}"
    with (
        server_database(home, suite_backend()) as database_url,
        contextlib.ExitStack() as stack,
        ThreadPoolExecutor(2) as pool,
    ):
        env = server_environment(
            database_url,
            home / "static",
            DEBUG="true",
            EMAIL_URL="consolemail://",
            EMAIL_VERIFICATION="optional",
            OIDC_ISSUER=provider_url,
            OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_NAME="Example SSO",
            SSO_ONLY="false",
            SIGNUP_OPEN="true",
        )
        sso_only_env = {**env, "SSO_ONLY": "true"}
        del sso_only_env["EMAIL_VERIFICATION"]  # its default follows SSO_ONLY
        seeds = [
            run(PROVIDER_SEED, provider_env, json.dumps(spec)),
            run(TASKDESK_SEED, env),
            # Django's system checks pass with SSO_ONLY (gunicorn itself never runs them).
            run("import django; django.setup(); "
                "from django.core.management import call_command; call_command('check')",
                sso_only_env),
        ]  # fmt: skip
        for seed in seeds:
            finish(seed)

        log_path = home / "provider.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [PYTHON, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{provider_port}"],
                cwd=ROOT,
                env=provider_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack.callback(process.wait, timeout=15)
        stack.callback(process.terminate)
        servers = []
        for port, server_env, name in (
            (taskdesk_port, env, "taskdesk"),
            (sso_only_port, sso_only_env, "sso-only"),
        ):
            server = Gunicorn(server_env, home / f"{name}.log", workers=1, threads=4)
            server.port = port
            servers.append(server)
            stack.push(server.__exit__)
        list(pool.map(lambda server: server.__enter__(), servers))
        wait_for(f"{provider_url}/.well-known/openid-configuration", process, log_path)
        yield World(
            Provider(provider_url, process, log_path),
            Taskdesk(f"http://127.0.0.1:{taskdesk_port}", env),
            Taskdesk(f"http://127.0.0.1:{sso_only_port}", sso_only_env),
        )


@pytest.fixture
def provider(world) -> Provider:
    return world.provider


@pytest.fixture
def taskdesk(world) -> Taskdesk:
    return world.taskdesk


@pytest.fixture
def sso_only_taskdesk(world) -> Taskdesk:
    return world.sso_only


class Browser:
    """One person's browser without JavaScript: a cookie jar, pages, forms, no auto-redirects."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.page: requests.Response | None = None

    def get(self, url: str, expect: int = 200) -> requests.Response:
        response = self.session.get(url, allow_redirects=False, timeout=30)
        assert response.status_code == expect, (url, response.status_code, response.text[:3000])
        if expect == 200:
            self.page = response
        return response

    def form(self, *, having: str | None = None, action: str | None = None) -> Form:
        assert self.page is not None
        for form in parse(self.page.text).forms:
            if form.method != "post":
                continue
            if having and having not in form.names() | {n for n, _ in form.buttons}:
                continue
            if action and urlsplit(urljoin(self.page.url, form.action)).path != action:
                continue
            return form
        raise AssertionError(f"no form with {having or action} on {self.page.url}")

    def submit(self, form: Form, expect: int = 302, **values: str) -> requests.Response:
        assert self.page is not None
        data = [(name, value) for name, value in form.fields if name not in values]
        data += list(values.items())
        target = urljoin(self.page.url, form.action or self.page.url)
        response = self.session.post(
            target, data=data, headers={"Referer": self.page.url}, allow_redirects=False
        )
        assert response.status_code == expect, (target, response.status_code, response.text[:3000])
        return response

    def location(self, response: requests.Response) -> str:
        return urljoin(response.url, response.headers["Location"])

    def follow(self, response: requests.Response, expect: int = 200) -> requests.Response:
        return self.get(self.location(response), expect=expect)

    def link(self, text: str) -> str:
        """The address of the page's link that reads ``text``."""
        assert self.page is not None
        for href, label in links(self.page.text):
            if label == text:
                return urljoin(self.page.url, href)
        raise AssertionError(f"no link {text!r} on {self.page.url}: {links(self.page.text)}")

    def log_in(self, taskdesk: Taskdesk, username: str, password: str) -> None:
        self.get(f"{taskdesk.url}/accounts/login/")
        answer = self.submit(self.form(having="password"), login=username, password=password)
        assert urlsplit(answer.headers["Location"]).path == "/"

    def signed_in_as(self, taskdesk: Taskdesk) -> str | None:
        """Whom Taskdesk's settings page greets, or None when it asks to sign in."""
        response = self.session.get(
            f"{taskdesk.url}/accounts/settings/", allow_redirects=False, timeout=30
        )
        if response.status_code == 302:
            return None
        assert response.status_code == 200, response.status_code
        match = re.search(r"<dt>Username</dt><dd>([^<]*)</dd>", response.text)
        assert match, response.text[:3000]
        return match.group(1)

    def through_provider(
        self, provider: Provider, start: requests.Response, username: str
    ) -> requests.Response:
        """From the redirect to the provider to Taskdesk's callback: sign in there, consent."""
        authorize = self.location(start)
        assert authorize.startswith(f"{provider.url}/identity/o/authorize"), authorize
        query = parse_qs(urlsplit(authorize).query)
        assert query["client_id"] == [CLIENT_ID]
        assert query["code_challenge_method"] == ["S256"]
        answer = self.session.get(authorize, allow_redirects=False, timeout=30)
        if answer.status_code == 302:  # not signed in at the provider yet
            self.follow(answer)
            back = self.submit(self.form(having="password"), login=username, password=PASSWORD)
            self.follow(back)  # the consent page
        else:
            assert answer.status_code == 200, answer.text[:3000]
            self.page = answer
        granted = self.submit(self.form(having="action"), action="grant")
        callback = self.location(granted)
        assert urlsplit(callback).path == CALLBACK, callback
        assert "code" in parse_qs(urlsplit(callback).query)
        return self.get(callback, expect=302)

    def single_sign_on(
        self, taskdesk: Taskdesk, provider: Provider, username: str
    ) -> requests.Response:
        """Log in page → the SSO button → the provider → back: Taskdesk's last answer."""
        self.get(f"{taskdesk.url}/accounts/login/")
        self.get(self.link("Log in with Example SSO"))
        start = self.submit(self.form(action="/accounts/oidc/sso/login/"))
        return self.through_provider(provider, start, username)


def links(html: str) -> list[tuple[str, str]]:
    from html.parser import HTMLParser

    found: list[tuple[str, str]] = []

    class Links(HTMLParser):
        href: str | None = None
        text: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.href, self.text = dict(attrs).get("href"), []

        def handle_data(self, data):
            if self.href is not None:
                self.text.append(data)

        def handle_endtag(self, tag):
            if tag == "a" and self.href is not None:
                found.append((self.href, " ".join("".join(self.text).split())))
                self.href = None

    Links().feed(html)
    return found


# ------------------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------------------
def test_sign_up_through_the_provider(taskdesk, provider):
    """A new person: the account is made from the provider's word, address confirmed."""
    browser = Browser()
    done = browser.single_sign_on(taskdesk, provider, "pat")
    assert urlsplit(done.headers["Location"]).path == "/"
    assert browser.signed_in_as(taskdesk) == "pat"

    pat = taskdesk.accounts()["pat"]
    assert pat["email"] == "pat@idp.example"
    assert pat["addresses"] == {"pat@idp.example": True}
    assert pat["sso"] == [provider_uid("pat")]
    assert not pat["has_password"]

    # Signing out and in again finds the same account.
    browser.get(f"{taskdesk.url}/")
    browser.submit(browser.form(action="/accounts/logout/"))
    assert browser.signed_in_as(taskdesk) is None
    browser.single_sign_on(taskdesk, provider, "pat")
    assert browser.signed_in_as(taskdesk) == "pat"
    assert list(taskdesk.accounts()).count("pat") == 1


def test_an_address_the_provider_did_not_confirm_stays_unconfirmed(taskdesk, provider):
    browser = Browser()
    browser.single_sign_on(taskdesk, provider, "quinn")
    assert browser.signed_in_as(taskdesk) == "quinn"
    assert taskdesk.accounts()["quinn"]["addresses"] == {"quinn@idp.example": False}


def test_the_providers_word_on_an_address_does_not_take_over_an_account(taskdesk, provider):
    """mallory's provider account claims alice's address: no way into alice's account."""
    browser = Browser()
    done = browser.single_sign_on(taskdesk, provider, "mallory")
    # allauth asks for another address instead of signing anyone in.
    assert urlsplit(done.headers["Location"]).path == "/accounts/3rdparty/signup/"
    page = browser.follow(done)
    assert 'class="auth-card"' in page.text
    assert "alice@example.com" in page.text
    assert "<h1>Finish signing up</h1>" in page.text
    # Keeping the address is refused, next to the field; still nobody is signed in.
    refused = browser.submit(browser.form(having="email"), expect=200)
    assert re.search(r'class="field has-error">\s*<label for="id_email"', refused.text)
    assert browser.signed_in_as(taskdesk) is None
    assert browser.signed_in_as(taskdesk) is None

    accounts = taskdesk.accounts()
    assert accounts["alice"]["sso"] == []
    assert not any(provider_uid("mallory") in account["sso"] for account in accounts.values())


def test_link_an_existing_account_then_sign_in_with_the_provider(taskdesk, provider):
    browser = Browser()
    browser.log_in(taskdesk, "bob", TASKDESK_PASSWORD)
    browser.get(f"{taskdesk.url}/accounts/settings/")
    browser.get(browser.link("Single sign-on"))
    assert urlsplit(browser.page.url).path == "/accounts/3rdparty/"
    browser.get(browser.link("Link Example SSO"))
    start = browser.submit(browser.form(action="/accounts/oidc/sso/login/"))
    done = browser.through_provider(provider, start, "robert")
    # Linking another way in asks for bob's password again (ACCOUNT_REAUTHENTICATION_REQUIRED).
    assert urlsplit(done.headers["Location"]).path == "/accounts/reauthenticate/"
    browser.follow(done)
    done = browser.submit(browser.form(having="password"), password=TASKDESK_PASSWORD)
    assert urlsplit(done.headers["Location"]).path == "/accounts/3rdparty/"
    page = browser.follow(done)
    assert "Example SSO" in page.text
    assert browser.signed_in_as(taskdesk) == "bob"
    bob = taskdesk.accounts()["bob"]
    assert bob["sso"] == [provider_uid("robert")]
    # The provider's address is added to bob's, not put in place of it.
    assert bob["email"] == "bob@example.com"

    # A fresh browser: robert at the provider is bob at Taskdesk.
    other = Browser()
    other.single_sign_on(taskdesk, provider, "robert")
    assert other.signed_in_as(taskdesk) == "bob"
    assert "robert" not in taskdesk.accounts()


def test_sso_only_offers_nothing_but_single_sign_on(sso_only_taskdesk, provider):
    taskdesk = sso_only_taskdesk
    browser = Browser()
    page = browser.get(f"{taskdesk.url}/accounts/login/")
    assert [form for form in parse(page.text).forms if "password" in form.names()] == []
    labels = [label for _, label in links(page.text)]
    assert "Log in with Example SSO" in labels
    assert not {"Forgot your password?", "Create an account", "Sign up"} & set(labels)
    assert "passkey" not in page.text.lower()

    # No password sign-in, sign-up or reset, even posted by hand.
    browser.get(browser.link("Log in with Example SSO"))
    token = browser.session.cookies["csrftoken"]
    refused = browser.session.post(
        f"{taskdesk.url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": "alice", "password": TASKDESK_PASSWORD},
        headers={"Referer": f"{taskdesk.url}/accounts/login/"},
        allow_redirects=False,
    )
    assert refused.status_code == 403
    assert browser.signed_in_as(taskdesk) is None
    for path in ("/accounts/signup/", "/accounts/password/reset/", "/accounts/password_reset/"):
        assert browser.session.get(f"{taskdesk.url}{path}").status_code == 404, path

    # A new person comes in through the provider; the settings offer no password pages.
    browser.single_sign_on(taskdesk, provider, "sam")
    assert browser.signed_in_as(taskdesk) == "sam"
    settings = browser.get(f"{taskdesk.url}/accounts/settings/")
    tabs = [label for href, label in links(settings.text) if href.startswith("/accounts/")]
    assert "Password" not in tabs and "Two-factor" not in tabs and "E-mail" not in tabs
    assert "Single sign-on" in tabs
    assert taskdesk.accounts()["sam"]["addresses"] == {"sam@idp.example": True}
