"""
Lockouts and throttles behind a real reverse proxy: a private nginx in front of gunicorn, which
runs with ``TRUSTED_PROXIES=127.0.0.1``. nginx appends the address of the socket it accepted to
X-Forwarded-For, as the README's Deploy section prescribes; each test client binds its own
loopback source address (127.0.0.2, 127.0.0.3, …), so the addresses the server sees are real,
not a header a test made up. A header a client adds itself is sent too, and must change nothing.

Without nginx installed the module is skipped locally; in CI (``CI`` set) that is a failure.

Run: ``.venv/bin/pytest project/tests/test_behind_proxy.py -v`` (about half a minute).
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import requests
from requests.adapters import HTTPAdapter

from project.tests.servers import (
    PYTHON,
    ROOT,
    Gunicorn,
    Nginx,
    nginx_binary,
    seed,
    server_database,
    server_environment,
    suite_backend,
)

pytestmark = pytest.mark.server

PASSWORD = "correct-horse-battery"  # the seeded accounts' password (servers.SEED)
PAIR_LIMIT = 5  # AXES_FAILURE_LIMIT
FREE_FAILURES = 8  # LOGIN_DELAY_FREE_FAILURES on this server
ANON_RATE = 3  # THROTTLE_ANON per minute on this server
SIGNUP_RATE = 3  # sign-ups per hour and address on this server (allauth's RATE_LIMIT_SIGNUP)

USERS = """
import django
django.setup()
from accounts.models import User
for name in ("bob", "carol", "dave"):
    User.objects.create_user(name, f"{name}@example.com", "correct-horse-battery")
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, static_root):
    """nginx in front of one gunicorn worker (its local-memory cache holds the throttles)."""
    if nginx_binary() is None:
        reason = "nginx is not installed (apt-get install -y nginx); CI installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("behind-proxy")
    with server_database(root, suite_backend()) as database_url:
        env = server_environment(
            database_url,
            static_root,
            TRUSTED_PROXIES="127.0.0.1",
            THROTTLE_ANON=f"{ANON_RATE}/min",
            LOGIN_DELAY_FREE_FAILURES=str(FREE_FAILURES),
            # A minute's wait from the first delay on: no slow machine outruns it.
            LOGIN_DELAY_BASE_SECONDS="60",
            RATE_LIMIT_SIGNUP=f"{SIGNUP_RATE}/h/ip",
            RATE_LIMIT_LOGIN_FAILED="1000/m/ip",
            SIGNUP_OPEN="true",
            EMAIL_URL="consolemail://",
        )
        seed(env)
        done = subprocess.run(
            [PYTHON, "-c", USERS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        with (
            Gunicorn(env, root / "gunicorn.log", workers=1, threads=2) as gunicorn,
            Nginx(root / "nginx", gunicorn.port) as nginx,
        ):
            yield f"http://127.0.0.1:{nginx.port}"


class SourceAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser:
    """A browser at one loopback address, with its own cookies; ``spoof`` adds a header."""

    def __init__(self, site: str, address: str, spoof: str | None = None) -> None:
        self.site = site
        self.session = requests.Session()
        self.session.mount("http://", SourceAddress(address))
        if spoof:
            self.session.headers["X-Forwarded-For"] = spoof

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.site + path, allow_redirects=False, timeout=60)

    def post_form(self, path: str, data: dict) -> requests.Response:
        page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, f"no form at {path}: {page.status_code}"
        return self.session.post(
            self.site + path,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            headers={"Referer": self.site + path},
            allow_redirects=False,
            timeout=60,
        )

    def sign_in(self, username: str, password: str) -> requests.Response:
        return self.post_form("/accounts/login/", {"login": username, "password": password})

    def forget_session(self) -> None:
        """Sign out by dropping the session; the browser keeps its other cookies."""
        self.session.cookies.set("sessionid", None)


def signed_in(response: requests.Response) -> bool:
    return response.status_code == 302 and "/accounts/login/" not in response.headers["Location"]


def test_the_proxy_passes_the_real_address_on(site):
    browser = Browser(site, "127.0.0.2")
    assert browser.get("/healthz").status_code == 200


def test_five_failures_from_one_address_lock_only_that_pair(site):
    attacker = Browser(site, "127.0.0.10")
    codes = [attacker.sign_in("alice", "wrong").status_code for _ in range(PAIR_LIMIT)]
    assert codes == [200] * (PAIR_LIMIT - 1) + [429]
    assert attacker.sign_in("alice", PASSWORD).status_code == 429

    # Everyone else behind the same proxy goes on: the owner from elsewhere, and the attacker's
    # address for other accounts.
    assert signed_in(Browser(site, "127.0.0.11").sign_in("alice", PASSWORD))
    assert signed_in(Browser(site, "127.0.0.10").sign_in("dave", PASSWORD))


def test_a_spoofed_forwarded_for_does_not_rotate_the_lockout_key(site):
    codes = [
        Browser(site, "127.0.0.20", spoof=f"10.0.0.{n}").sign_in("bob", "wrong").status_code
        for n in range(PAIR_LIMIT)
    ]
    assert codes == [200] * (PAIR_LIMIT - 1) + [429]
    assert Browser(site, "127.0.0.20", spoof="10.9.9.9").sign_in("bob", PASSWORD).status_code == 429
    assert signed_in(Browser(site, "127.0.0.21").sign_in("bob", PASSWORD))


def test_failures_from_many_addresses_slow_the_account_but_not_its_own_device(site):
    device = Browser(site, "127.0.0.30")
    assert signed_in(device.sign_in("carol", PASSWORD))
    device.forget_session()

    codes = [  # one failure per address: no pair locks
        Browser(site, f"127.0.1.{number + 1}").sign_in("carol", "wrong").status_code
        for number in range(FREE_FAILURES + 2)
    ]
    assert codes == [200] * FREE_FAILURES + [429] * 2

    stranger = Browser(site, "127.0.0.31")
    response = stranger.sign_in("carol", PASSWORD)
    assert response.status_code == 429
    assert "E-mail me an unlock link" in response.text
    assert int(response.headers["Retry-After"]) >= 1

    response = device.sign_in("carol", PASSWORD)
    assert signed_in(response)


def test_sign_up_is_throttled_per_address(site):
    def sign_up(browser: Browser, number: int) -> int:
        name = f"new{browser.session.adapters['http://'].address.replace('.', '')}x{number}"
        return browser.post_form(
            "/accounts/signup/",
            {
                "username": name,
                "email": f"{name}@example.com",
                "password1": "a long passphrase 8271",
                "password2": "a long passphrase 8271",
            },
        ).status_code

    codes = [sign_up(Browser(site, "127.0.0.40", spoof=f"10.1.1.{n}"), n) for n in range(5)]
    assert codes == [302] * SIGNUP_RATE + [429] * (5 - SIGNUP_RATE)
    assert sign_up(Browser(site, "127.0.0.41"), 0) == 302


def test_the_api_anonymous_throttle_is_per_real_address(site):
    codes = [
        Browser(site, "127.0.0.50", spoof=f"10.2.2.{n}").get("/api/v1/schema/").status_code
        for n in range(ANON_RATE + 2)
    ]
    assert codes == [200] * ANON_RATE + [429] * 2
    assert Browser(site, "127.0.0.51").get("/api/v1/schema/").status_code == 200
