"""
A leaked token must not take the account: ``/api/v1/me/`` changes neither the email address
nor the password, whoever asks (a token or a browser session). Both change on the settings
pages only, where the password is asked again and a new address is confirmed before it
replaces the old one (accounts/tests/test_pages_accounts.py).
"""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from tasks.tests.factories import TEST_PASSWORD, make_token

ME = "/api/v1/me/"


@pytest.fixture
def token_api(erin):
    """erin's token, one that may do everything a token may (tokens included)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(erin, can_manage_tokens=True)[1]}")
    return client


@pytest.fixture
def session_api(erin):
    client = APIClient()
    client.force_login(erin)
    return client


@pytest.fixture(params=["token", "session"])
def api(request, token_api, session_api):
    return token_api if request.param == "token" else session_api


@pytest.mark.parametrize(
    "body",
    [
        {"email": "attacker@example.net"},
        {"email": "attacker@example.net", "current_password": TEST_PASSWORD},
        {"email": "attacker@example.net", "display_name": "Erin"},
        {"password": "hunter22hunter22"},
        {"new_password": "hunter22hunter22", "current_password": TEST_PASSWORD},
        {"email": None},
        {"email": ["erin@example.com"]},
    ],
)
def test_the_api_changes_neither_the_email_nor_the_password(api, erin, body):
    password_hash = erin.password
    response = api.patch(ME, body, format="json")
    assert response.status_code == 403, response.content
    detail = response.json()["detail"]
    assert "change on your settings page only" in detail
    assert "http://testserver/accounts/settings/" in detail
    erin.refresh_from_db()
    assert erin.email == "erin@example.com"
    assert erin.display_name == "Erin Editor"
    assert erin.password == password_hash
    assert mail.outbox == []


def test_the_rest_of_the_profile_still_changes(api, erin):
    # the unchanged email may come along (a client sending the whole profile back)
    response = api.patch(
        ME, {"display_name": "E.", "email": "erin@example.com", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 200
    assert response.json()["email"] == "erin@example.com"
    erin.refresh_from_db()
    assert (erin.display_name, erin.time_zone, erin.email) == (
        "E.",
        "Europe/Berlin",
        "erin@example.com",
    )
    assert mail.outbox == []


def test_the_schema_says_where_the_email_changes(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    patch = schema["paths"]["/api/v1/me/"]["patch"]
    assert "settings page" in patch["responses"]["403"]["description"]
    me = schema["components"]["schemas"]["Me"]["properties"]
    assert me["email"]["readOnly"] is True
    assert "settings page" in me["email"]["description"]
    request = schema["components"]["schemas"]["PatchedMeRequest"]["properties"]
    assert "email" not in request
    assert "current_password" not in request
