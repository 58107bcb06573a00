"""
Login lockout (django-axes): five failures lock a username from any address, or an address
for any username; a success resets the count; the site and the admin login both lock.
"""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.urls import reverse

from tasks.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 5


def attempt(username: str, password: str, ip: str = "10.0.0.1", url: str | None = None):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(
        url or reverse("account_login"), {"login": username, "password": password}
    )
    return client, response


def fail(times: int, username: str, ip: str = "10.0.0.1", url: str | None = None) -> list[int]:
    """Failed attempts; their status codes (the one that reaches the limit is already 429)."""
    return [attempt(username, "wrong-password", ip, url)[1].status_code for _ in range(times)]


def assert_locked(response) -> None:
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_five_failures_for_one_username_from_different_addresses_lock_it(alice):
    for number in range(LIMIT):
        fail(1, "alice", ip=f"10.0.1.{number}")
    client, response = attempt("alice", TEST_PASSWORD, ip="10.0.2.1")
    assert_locked(response)
    assert SESSION_KEY not in client.session


def test_email_and_username_share_one_count(alice):
    fail(3, "alice", ip="10.0.1.1")
    fail(2, "ALICE@example.com", ip="10.0.1.2")
    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.2.1")
    assert_locked(response)


def test_five_failures_from_one_address_for_different_usernames_lock_the_address(alice, erin):
    for number in range(LIMIT):
        fail(1, f"nobody{number}", ip="10.9.9.9")
    _, response = attempt("erin", TEST_PASSWORD, ip="10.9.9.9")
    assert_locked(response)
    client, response = attempt("erin", TEST_PASSWORD, ip="10.9.9.10")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(erin.pk)


def test_the_failure_that_reaches_the_limit_is_refused(alice):
    assert fail(LIMIT, "alice") == [200] * (LIMIT - 1) + [429]


def test_fewer_failures_do_not_lock(alice):
    fail(LIMIT - 1, "alice")
    client, response = attempt("alice", TEST_PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_a_success_resets_the_count(alice):
    fail(LIMIT - 1, "alice")
    attempt("alice", TEST_PASSWORD)
    fail(LIMIT - 1, "alice")
    _, response = attempt("alice", TEST_PASSWORD)
    assert response.status_code == 302


def test_locked_page_explains_in_words(alice, settings):
    settings.AXES_COOLOFF_TIME = 0.25
    fail(LIMIT, "alice")
    _, response = attempt("alice", "wrong-password")
    assert_locked(response)
    html = response.content.decode()
    assert "after 5 failed attempts" in html
    assert "Try again in 15 minutes." in html
    assert reverse("account_reset_password") in html


def test_admin_login_locks_too(staff):
    admin_login = reverse("account_login") + "?next=/admin/"
    fail(LIMIT, "staff", url=admin_login)
    client, response = attempt("staff", TEST_PASSWORD, url=admin_login)
    assert_locked(response)
    assert SESSION_KEY not in client.session


def test_failures_on_the_admin_and_the_site_add_up(staff):
    fail(3, "staff", url=reverse("account_login") + "?next=/admin/")
    fail(2, "staff")
    _, response = attempt("staff", TEST_PASSWORD)
    assert_locked(response)


@pytest.mark.django_db(transaction=True)
def test_lockout_survives_atomic_requests(alice, monkeypatch):
    """
    The failures are committed, not rolled back with the request: even with every view in a
    transaction (ATOMIC_REQUESTS) the count is in the database for the next request.
    """
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    fail(LIMIT, "alice")
    assert not connection.in_atomic_block
    attempts = AccessAttempt.objects.filter(username="alice")
    assert sum(a.failures_since_start for a in attempts) == LIMIT
    _, response = attempt("alice", TEST_PASSWORD, ip="10.0.0.77")
    assert_locked(response)
