"""
Two people signing up at the same moment with look-alike usernames end with one account: the
unique indexes on the look-alike key and on the lower-cased username decide, the loser gets the
same form error as if they had come second, never a 500. Needs real PostgreSQL.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite runs one writer at a time, so sign-ups cannot race there (needs PostgreSQL)",
    ),
]

PASSWORD = "a-new-and-long-passphrase-77"
ROUNDS = 6


@pytest.fixture(autouse=True)
def _no_signup_rate_limit(settings):
    # Every sign-up here comes from one address; the per-address limit is tested elsewhere.
    settings.ACCOUNT_RATE_LIMITS = False


def signup(username: str, email: str):
    return Client().post(
        reverse("account_signup"),
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def in_thread(call) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run() -> None:
        try:
            result["value"] = call()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def wait_for_a_blocked_insert(timeout: float = 20) -> None:
    """Until some transaction waits for a lock (pg_locks is live, not a snapshot)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second sign-up never waited on the first one's row")


@pytest.mark.parametrize("look_alike", ["a1ice", "ALICE"], ids=["skeleton", "case"])
def test_a_look_alike_that_passed_the_form_check_meanwhile_gets_the_form_error(look_alike):
    # The first account is written but not committed: the second sign-up's form checks cannot
    # see it, so only the unique index stops the second insert (it waits, then fails).
    with transaction.atomic():
        User.objects.create_user("alice", "alice@example.com", PASSWORD)
        thread, result = in_thread(lambda: signup(look_alike, "mallory@example.com"))
        wait_for_a_blocked_insert()
    thread.join(timeout=60)

    assert "error" not in result, result.get("error")
    response = result["value"]
    assert response.status_code == 200
    assert "looks too much like" in " ".join(response.context["form"].errors["username"])
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_two_look_alike_signups_at_once_end_with_one_account():
    for round_ in range(ROUNDS):
        names = [f"rn{round_}ary", f"m{round_}ary"]  # "rn" reads as "m"
        barrier = threading.Barrier(2)

        def attempt(name: str, email: str, barrier: threading.Barrier = barrier):
            barrier.wait()
            return signup(name, email)

        emails = [f"person{round_}-{i}@example.com" for i in range(2)]
        started = [
            in_thread(lambda name=name, email=email: attempt(name, email))
            for name, email in zip(names, emails, strict=True)
        ]
        for thread, _ in started:
            thread.join(timeout=60)
        results = [result for _, result in started]
        assert all("error" not in result for result in results), results
        codes = sorted(result["value"].status_code for result in results)
        assert codes == [200, 302], f"round {round_}: {codes}"
        assert User.objects.filter(username__in=names).count() == 1
