"""API tokens and the own profile through the API, and the issue_token command."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tasks.tests.factories import UserFactory, make_token

TOKENS = "/api/v1/tokens/"


def bearer(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def erin_client(erin, token_client):
    return token_client(erin)


def test_token_lifecycle(erin_client, erin):
    # create: the secret once, with its address
    response = erin_client.post(TOKENS, {"name": "laptop"})
    assert response.status_code == 201
    data = response.json()
    assert response["Location"] == data["url"]
    secret = data["token"]
    assert data["prefix"] == secret[:8]
    assert data["status"] == "active"
    # use
    new_client = bearer(secret)
    assert new_client.get("/api/v1/me/").json()["username"] == "erin"
    # list: no secret, only the prefix; last use recorded
    rows = erin_client.get(TOKENS).json()["results"]
    row = next(r for r in rows if r["id"] == data["id"])
    assert row["token"] is None
    assert row["last_used_at"] is not None
    assert set(row) == {
        "id",
        "url",
        "name",
        "prefix",
        "status",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "read_only",
        "projects",
        "can_manage_tokens",
        "token",
    }
    # the default scope: read-write in every project, no token management
    assert (row["read_only"], row["projects"], row["can_manage_tokens"]) == (False, [], False)
    # revoke: 204, the row stays, the token stops working
    assert erin_client.delete(f"{TOKENS}{data['id']}/").status_code == 204
    assert ApiToken.objects.get(pk=data["id"]).status == "revoked"
    response = new_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    revoked = erin_client.get(f"{TOKENS}{data['id']}/").json()
    assert (revoked["status"], revoked["revoked_at"] is not None) == ("revoked", True)


def test_expired_token_is_401(erin):
    _, secret = make_token(erin, expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert bearer(secret).get("/api/v1/me/").status_code == 401


def test_token_with_expiry(erin_client):
    expires = (timezone.now() + datetime.timedelta(days=30)).isoformat()
    data = erin_client.post(TOKENS, {"name": "ci", "expires_at": expires}).json()
    assert data["expires_at"] is not None


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 101}, {"name": "a", "expires_at": "2001-01-01T00:00:00Z"}],
)
def test_invalid_token_request_is_400(erin_client, body):
    assert erin_client.post(TOKENS, body).status_code == 400


def test_only_own_tokens_are_listed(erin_client, alice):
    make_token(alice, name="alice's")
    names = [r["name"] for r in erin_client.get(TOKENS).json()["results"]]
    assert "alice's" not in names


def test_last_used_is_written_at_most_once_a_minute(erin, django_assert_num_queries):
    token, secret = make_token(erin)
    client = bearer(secret)
    client.get("/api/v1/me/")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    # 1. the bearer token with its user (no UPDATE of last_used_at this time)
    # 2. the user's notification settings (the notifications app adds them to /me/)
    with django_assert_num_queries(2):
        client.get("/api/v1/me/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first


def test_token_creation_is_throttled_tightly(settings, erin_client):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token_create": "2/hour",
        },
    }
    codes = [erin_client.post(TOKENS, {"name": f"t{i}"}).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    response = erin_client.post(TOKENS, {"name": "again"})
    assert int(response["Retry-After"]) > 60
    assert set(response.json()) == {"detail", "errors"}
    # Listing is not affected by the creation budget.
    assert erin_client.get(TOKENS).status_code == 200


@pytest.mark.parametrize("rows", [10, 200])
def test_token_list_query_count_is_constant(erin, django_assert_num_queries, rows):
    for i in range(rows - 1):
        make_token(erin, name=f"t{i}")
    _, secret = make_token(erin)
    client = bearer(secret)
    client.get(TOKENS)
    # 1. the bearer token with its user
    # 2. the page of erin's tokens
    with django_assert_num_queries(2):
        response = client.get(f"{TOKENS}?page_size=200")
    assert len(response.json()["results"]) == rows


# ---------------------------------------------------------------------------
# /me/
# ---------------------------------------------------------------------------
def test_me_shows_and_changes_own_profile(erin_client, erin):
    data = erin_client.get("/api/v1/me/").json()
    # The notifications app adds its settings (tested there).
    data.pop("notification_settings", None)
    assert data == {
        "id": erin.pk,
        "url": "http://testserver/api/v1/me/",
        "username": "erin",
        "email": "erin@example.com",
        "display_name": "Erin Editor",
        "time_zone": "UTC",
    }
    changed = erin_client.patch(
        "/api/v1/me/",
        {"display_name": "E.", "time_zone": "Europe/Berlin", "username": "root"},
    ).json()
    assert (changed["display_name"], changed["time_zone"], changed["username"]) == (
        "E.",
        "Europe/Berlin",
        "erin",
    )


@pytest.fixture
def erin_session(erin):
    """erin signed in to the browsable API."""
    client = APIClient(enforce_csrf_checks=False)
    client.force_login(erin)
    return client


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"display_name": "x" * 151}, "display_name"),
    ],
)
def test_me_invalid_is_400(erin_session, body, field):
    response = erin_session.patch("/api/v1/me/", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_me_put_is_405(erin_client):
    assert erin_client.put("/api/v1/me/", {"display_name": "x"}).status_code == 405


# ---------------------------------------------------------------------------
# manage.py issue_token
# ---------------------------------------------------------------------------
def test_issue_token_prints_a_working_secret(db):
    UserFactory(username="ops")
    out = StringIO()
    call_command("issue_token", "ops", "--name", "deploy", "--days", "7", stdout=out)
    secret = out.getvalue().strip()
    token = ApiToken.authenticate(secret)
    assert token.name == "deploy"
    assert token.expires_at > timezone.now() + datetime.timedelta(days=6)
    assert bearer(secret).get("/api/v1/me/").json()["username"] == "ops"


def test_issue_token_for_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No active user"):
        call_command("issue_token", "ghost")
