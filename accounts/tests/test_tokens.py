"""Personal API tokens: only a hash is stored, and ``Authorization: Bearer`` is checked strictly."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.authentication import BearerTokenAuthentication
from accounts.models import ApiToken, hash_token
from tasks.tests.factories import make_token

pytestmark = pytest.mark.django_db


class WhoAmI(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = []

    def get(self, request):
        return Response({"username": request.user.username, "token": request.auth.pk})


def call(authorization=None):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return WhoAmI.as_view()(APIRequestFactory().get("/api/v1/me/", **headers))


def assert_refused(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


# Issuing --------------------------------------------------------------------------------------
def test_issue_stores_only_the_hash(alice):
    token, secret = ApiToken.issue(user=alice, name="laptop")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(secret not in str(value) for value in row.values())
    assert row["key_hash"] == hash_token(secret)
    assert row["prefix"] == secret[:8]
    assert len(secret) >= 40


def test_every_token_gets_its_own_secret(alice):
    secrets = {make_token(alice)[1] for _ in range(5)}
    assert len(secrets) == 5


def test_status_reads_revoked_expired_active(alice):
    token, _ = make_token(alice)
    assert token.status == "active"
    token.expires_at = timezone.now() - timedelta(seconds=1)
    assert token.status == "expired"
    token.revoke()
    assert token.status == "revoked"


# Authenticating -------------------------------------------------------------------------------
def test_valid_token_authenticates_its_user(alice):
    token, secret = make_token(alice)
    response = call(f"Bearer {secret}")
    assert response.status_code == 200
    assert response.data == {"username": "alice", "token": token.pk}


def test_scheme_is_case_insensitive(alice):
    _, secret = make_token(alice)
    assert call(f"bearer {secret}").status_code == 200


def test_no_header_is_401_with_a_bearer_challenge():
    assert_refused(call())


def test_wrong_secret_is_refused(alice):
    _, secret = make_token(alice)
    assert_refused(call(f"Bearer {secret[:-1]}x"))


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer two parts", "Bearer    ", "Basic YWxpY2U6cHc=", "Bearer\x00"]
)
def test_malformed_header_is_refused(alice, header):
    make_token(alice)
    assert_refused(call(header))


def test_expired_token_is_refused(alice):
    _, secret = make_token(alice, expires_at=timezone.now() - timedelta(minutes=1))
    assert_refused(call(f"Bearer {secret}"))


def test_token_that_expires_later_is_accepted(alice):
    _, secret = make_token(alice, expires_at=timezone.now() + timedelta(days=1))
    assert call(f"Bearer {secret}").status_code == 200


def test_revoked_token_is_refused(alice):
    token, secret = make_token(alice)
    token.revoke()
    assert_refused(call(f"Bearer {secret}"))


def test_token_of_an_inactive_user_is_refused(alice):
    _, secret = make_token(alice)
    alice.is_active = False
    alice.save()
    assert_refused(call(f"Bearer {secret}"))


def test_refusal_does_not_say_which_case_it_was(alice):
    token, secret = make_token(alice)
    unknown = call("Bearer not-a-token").data["detail"]
    token.revoke()
    assert call(f"Bearer {secret}").data["detail"] == unknown


# Recording use --------------------------------------------------------------------------------
def test_last_used_at_is_written_at_most_once_a_minute(alice):
    token, secret = make_token(alice)
    start = timezone.now()

    def at(seconds):
        return mock.patch(
            "django.utils.timezone.now", return_value=start + timedelta(seconds=seconds)
        )

    with at(0):
        assert call(f"Bearer {secret}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start

    with at(30), CaptureQueriesContext(connection) as queries:
        assert call(f"Bearer {secret}").status_code == 200
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == start

    with at(61):
        assert call(f"Bearer {secret}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_repeated_wrong_tokens_from_one_address_are_throttled(alice, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token_failure": "3/min",
        },
    }
    _, secret = make_token(alice)
    for _ in range(3):
        assert_refused(call("Bearer guessed-wrong"))

    # Once the limit is reached even the right token is refused, so guessing learns nothing.
    blocked = call(f"Bearer {secret}")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0

    other_address = APIRequestFactory().get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="10.0.0.9"
    )
    assert WhoAmI.as_view()(other_address).status_code == 200


def test_right_tokens_do_not_count_towards_the_failure_limit(alice, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token_failure": "2/min",
        },
    }
    _, secret = make_token(alice)
    for _ in range(5):
        assert call(f"Bearer {secret}").status_code == 200
