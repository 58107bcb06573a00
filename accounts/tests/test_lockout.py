"""
Failed sign-ins: five for one (username, address) pair lock that pair (django-axes); failures
for a username from anywhere only slow it down (accounts.lockout), and the owner's own browser
(a known device, or one that opened an e-mailed unlock link) is not slowed at all. The site's
login and the admin's share it all.

The delay's clock is ``accounts.lockout.now``; tests move it instead of sleeping.
"""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate
from django.core import mail
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import lockout
from tasks.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 5
WRONG = "wrong-password"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The delay's clock, moved by hand: ``clock.advance(seconds)``."""

    class Clock:
        at = 1_800_000_000.0

        def advance(self, seconds: float) -> None:
            self.at += seconds

    fake = Clock()
    monkeypatch.setattr(lockout, "now", lambda: fake.at)
    return fake


#: The admin signs in through the site's sign-in page.
ADMIN_LOGIN = "/accounts/login/?next=/admin/"


def login_url() -> str:
    return resolve_url(settings.LOGIN_URL)


def attempt(username, password, ip="10.0.0.1", url=None, client=None):
    client = client or Client(REMOTE_ADDR=ip)
    client.defaults["REMOTE_ADDR"] = ip
    return client, client.post(url or login_url(), {"login": username, "password": password})


def fail(times, username, ip="10.0.0.1", url=None, client=None) -> list[int]:
    return [attempt(username, WRONG, ip, url, client)[1].status_code for _ in range(times)]


def signed_in(client, user) -> bool:
    return client.session.get(SESSION_KEY) == str(user.pk)


def assert_pair_locked(response) -> None:
    assert response.status_code == 429
    assert "from this address" in response.content.decode()


def assert_delayed(response) -> None:
    assert response.status_code == 429
    assert "E-mail me an unlock link" in response.content.decode()
    assert int(response["Retry-After"]) >= 1


# ---------------------------------------------------------------------------------------------
# The (username, address) pair
# ---------------------------------------------------------------------------------------------
def test_five_failures_lock_the_pair_not_the_account(alice, clock):
    fail(LIMIT, "alice", ip="10.0.0.1")
    client, response = attempt("alice", TEST_PASSWORD, ip="10.0.0.1")
    assert_pair_locked(response)
    assert not signed_in(client, alice)

    clock.advance(2)  # past the username's first, one-second delay
    client, response = attempt("alice", TEST_PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302
    assert signed_in(client, alice)


def test_a_locked_pair_does_not_lock_other_usernames_at_that_address(alice, erin):
    fail(LIMIT, "alice", ip="10.9.9.9")
    client, response = attempt("erin", TEST_PASSWORD, ip="10.9.9.9")
    assert response.status_code == 302
    assert signed_in(client, erin)


def test_the_failure_that_reaches_the_pair_limit_is_refused(alice):
    assert fail(LIMIT, "alice") == [200] * (LIMIT - 1) + [429]


def test_fewer_failures_do_not_lock(alice):
    fail(LIMIT - 1, "alice")
    client, response = attempt("alice", TEST_PASSWORD)
    assert response.status_code == 302
    assert signed_in(client, alice)


def test_a_success_resets_both_counts(alice):
    fail(LIMIT - 1, "alice")
    attempt("alice", TEST_PASSWORD)
    fail(LIMIT - 1, "alice")
    _, response = attempt("alice", TEST_PASSWORD)
    assert response.status_code == 302
    assert lockout.delay_for("alice").failures == 0


def test_email_and_username_share_one_count(alice):
    fail(3, "alice")
    fail(2, "ALICE@example.com")
    _, response = attempt("alice", TEST_PASSWORD)
    assert_pair_locked(response)


def test_admin_login_shares_the_pair_lock(staff):
    fail(3, "staff", url=ADMIN_LOGIN)
    fail(2, "staff")
    client, response = attempt("staff", TEST_PASSWORD, url=ADMIN_LOGIN)
    assert_pair_locked(response)
    assert SESSION_KEY not in client.session


@pytest.mark.django_db(transaction=True)
def test_the_pair_lock_survives_atomic_requests(alice, monkeypatch):
    """Failures are committed, not rolled back with the request (ATOMIC_REQUESTS)."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    fail(LIMIT, "alice")
    assert not connection.in_atomic_block
    attempts = AccessAttempt.objects.filter(username="alice", ip_address="10.0.0.1")
    assert sum(a.failures_since_start for a in attempts) == LIMIT
    _, response = attempt("alice", TEST_PASSWORD)
    assert_pair_locked(response)


def test_the_pair_lock_page_explains_in_words(alice, settings):
    settings.AXES_COOLOFF_TIME = 0.25
    fail(LIMIT, "alice")
    _, response = attempt("alice", WRONG)
    html = response.content.decode()
    assert "after 5 failed attempts" in html
    assert "Try again in 15 minutes." in html
    assert reverse("account_reset_password") in html


# ---------------------------------------------------------------------------------------------
# The username from anywhere: a growing delay, never a lock
# ---------------------------------------------------------------------------------------------
def test_five_failures_from_five_addresses_only_delay_the_account(alice, clock):
    for number in range(LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    client, response = attempt("alice", TEST_PASSWORD, ip="10.0.2.1")
    assert_delayed(response)
    assert not signed_in(client, alice)

    clock.advance(1)
    client, response = attempt("alice", TEST_PASSWORD, ip="10.0.2.1")
    assert response.status_code == 302
    assert signed_in(client, alice)


def test_the_delay_doubles_with_each_failure_and_stops_at_the_cap(settings):
    settings.LOGIN_DELAY_FREE_FAILURES = 5
    settings.LOGIN_DELAY_MAX_SECONDS = 900
    settings.LOGIN_DELAY_BASE_SECONDS = 1
    seconds = [lockout.Delay(failures=n, last=0).seconds for n in range(4, 17)]
    assert seconds == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert lockout.Delay(failures=10_000, last=0).seconds == 900
    settings.LOGIN_DELAY_BASE_SECONDS = 30
    assert [lockout.Delay(failures=n, last=0).seconds for n in (5, 6, 7, 10)] == [30, 60, 120, 900]


def test_each_failure_after_the_free_ones_waits_longer(alice, clock):
    for number in range(LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    for expected in (1, 2, 4, 8):
        _, response = attempt("alice", WRONG, ip="10.0.3.1")
        assert_delayed(response)
        assert int(response["Retry-After"]) == expected
        clock.advance(expected)
        fail(1, "alice", ip=f"10.0.4.{expected}")  # let through, and wrong: the next waits more
    assert lockout.delay_for("alice").failures == LIMIT + 4


def test_a_refused_attempt_checks_no_password_and_counts_for_nothing(alice, clock):
    for number in range(LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    before = lockout.delay_for("alice")
    for _ in range(LIMIT):
        client, response = attempt("alice", TEST_PASSWORD, ip="10.0.5.5")
        assert_delayed(response)
        assert not signed_in(client, alice)
    assert lockout.delay_for("alice") == before
    # Nor does the address's own pair count them: after the wait it signs in.
    assert not AccessAttempt.objects.filter(ip_address="10.0.5.5").exists()
    clock.advance(1)
    client, _ = attempt("alice", TEST_PASSWORD, ip="10.0.5.5")
    assert signed_in(client, alice)


def test_after_a_delay_only_one_of_many_attempts_gets_through(alice, clock):
    for number in range(LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    clock.advance(1)
    assert lockout.wait_seconds("alice") == 0
    assert lockout.wait_seconds("alice") > 0  # a second one at the same moment waits


def test_unknown_usernames_are_delayed_the_same_way(db):
    for number in range(LIMIT):
        fail(1, "nobody", ip=f"10.0.1.{number}")
    _, response = attempt("nobody", WRONG, ip="10.0.2.1")
    assert_delayed(response)


def test_the_admin_login_is_delayed_too(staff):
    for number in range(LIMIT):
        fail(1, "staff", ip=f"10.0.1.{number}", url=ADMIN_LOGIN)
    client, response = attempt("staff", TEST_PASSWORD, ip="10.0.2.1", url=ADMIN_LOGIN)
    assert_delayed(response)
    assert SESSION_KEY not in client.session


# ---------------------------------------------------------------------------------------------
# The owner's own browser
# ---------------------------------------------------------------------------------------------
def known_device(username: str) -> Client:
    """A browser that signed in as ``username`` once and signed out (its cookie stays)."""
    browser = Client()
    attempt(username, TEST_PASSWORD, ip="10.0.7.7", client=browser)
    cookie = browser.cookies[lockout.KNOWN_DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    browser.post(reverse("account_logout"))
    assert SESSION_KEY not in browser.session
    return browser


def test_a_browser_that_signed_in_before_is_not_delayed(alice):
    device = known_device("alice")

    for number in range(3 * LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.8.8", client=device)
    assert response.status_code == 302
    assert signed_in(device, alice)


def test_a_known_device_still_locks_its_own_pair(alice):
    device = known_device("alice")
    fail(LIMIT, "alice", ip="10.0.7.7", client=device)
    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.7.7", client=device)
    assert_pair_locked(response)


def test_a_known_device_of_one_account_is_not_one_of_another(alice, erin):
    device = known_device("erin")
    for number in range(LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.7.7", client=device)
    assert_delayed(response)


def test_a_forged_device_cookie_counts_for_nothing(alice):
    for number in range(LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    forger = Client()
    forger.cookies[lockout.KNOWN_DEVICE_COOKIE] = f"[{alice.pk}]:forged:signature"
    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.2.2", client=forger)
    assert_delayed(response)


# ---------------------------------------------------------------------------------------------
# The e-mailed unlock link
# ---------------------------------------------------------------------------------------------
def unlock_link() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://\S+", message.body).group(0)


def test_the_unlock_link_lets_a_new_browser_in_despite_the_delay(alice):
    for number in range(3 * LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    browser = Client(REMOTE_ADDR="10.0.9.9")
    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.9.9", client=browser)
    assert_delayed(response)

    response = browser.post(reverse("login-unlock"), {"login": "alice"})
    assert response.status_code == 302
    assert mail.outbox[0].to == [alice.email]
    response = browser.get(unlock_link())
    assert response.status_code == 302
    assert response["Location"] == login_url()

    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.9.9", client=browser)
    assert response.status_code == 302
    assert signed_in(browser, alice)


def test_the_unlock_form_answers_alike_for_unknown_accounts(alice):
    known = Client().post(reverse("login-unlock"), {"login": "alice@example.com"}, follow=True)
    unknown = Client().post(reverse("login-unlock"), {"login": "nobody"}, follow=True)
    assert len(mail.outbox) == 1
    assert known.status_code == unknown.status_code == 200
    assert known.content.decode().count("a link is on its way") == unknown.content.decode().count(
        "a link is on its way"
    )
    assert known.redirect_chain == unknown.redirect_chain


def test_the_unlock_form_sends_one_mail_per_account_at_a_time(alice):
    for _ in range(3):
        Client().post(reverse("login-unlock"), {"login": "alice"})
    assert len(mail.outbox) == 1


def test_the_unlock_form_refuses_an_empty_name_next_to_the_field(db):
    response = Client().post(reverse("login-unlock"), {"login": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert mail.outbox == []


def test_an_unlock_link_dies_with_the_next_sign_in(alice):
    Client().post(reverse("login-unlock"), {"login": "alice"})
    link = unlock_link()
    attempt("alice", TEST_PASSWORD, ip="10.0.0.3")
    browser = Client()
    response = browser.get(link, follow=True)
    assert "expired" in response.content.decode()
    assert lockout.KNOWN_DEVICE_COOKIE not in browser.cookies


def test_an_expired_or_tampered_unlock_link_does_nothing(alice, settings):
    Client().post(reverse("login-unlock"), {"login": "alice"})
    link = unlock_link()
    browser = Client()
    response = browser.get(link.rstrip("/") + "x/", follow=True)
    assert "expired" in response.content.decode()
    settings.LOGIN_UNLOCK_LINK_SECONDS = -1
    response = browser.get(link, follow=True)
    assert "expired" in response.content.decode()
    assert lockout.KNOWN_DEVICE_COOKIE not in browser.cookies


# ---------------------------------------------------------------------------------------------
# On Redis, as in production
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def redis_cache(settings):
    from project.tests.servers import RedisServer

    with RedisServer() as redis:
        settings.CACHES = {
            "default": {
                "BACKEND": "project.cache.ResilientRedisCache",
                "LOCATION": redis.url,
                "KEY_PREFIX": "lockout-test",
            }
        }
        yield redis


def test_on_redis_the_delay_counts_and_a_stopped_redis_locks_nobody_out(alice, redis_cache):
    for number in range(LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    assert lockout.delay_for("alice").failures == LIMIT
    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.2.1")
    assert_delayed(response)

    # With Redis away the delay is away too (the pair lock, in the database, still holds).
    # authenticate() itself, as every sign-in form calls it.
    redis_cache.stop()
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.2.1")
    assert authenticate(request, username="alice", password=TEST_PASSWORD) == alice
