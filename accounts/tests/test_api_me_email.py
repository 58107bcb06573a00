"""
A leaked token must not take the account: through ``/api/v1/me/`` a token changes neither the
email address nor the password; signed in with a session, changing the email needs the current
password; the old address is told of every change (Django's mail API, the locmem outbox here).
"""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.emails import EMAIL_CHANGED_SUBJECT, notify_email_changed
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


@pytest.mark.parametrize(
    "body",
    [
        {"email": "attacker@example.net"},
        {"email": "attacker@example.net", "current_password": TEST_PASSWORD},
        {"email": "attacker@example.net", "display_name": "Erin"},
        {"password": "hunter22hunter22"},
        {"new_password": "hunter22hunter22", "current_password": TEST_PASSWORD},
        {"email": None},
    ],
)
def test_a_token_cannot_change_the_email_or_password(token_api, erin, body):
    password_hash = erin.password
    response = token_api.patch(ME, body, format="json")
    assert response.status_code == 403, response.content
    detail = response.json()["detail"]
    assert "cannot change your email address or password" in detail
    assert "http://testserver/accounts/settings/" in detail
    erin.refresh_from_db()
    assert erin.email == "erin@example.com"
    assert erin.display_name == "Erin Editor"
    assert erin.password == password_hash
    assert mail.outbox == []


def test_a_token_still_changes_the_rest_of_the_profile(token_api, erin):
    # the unchanged email may come along (a client sending the whole profile back)
    response = token_api.patch(
        ME, {"display_name": "E.", "email": "erin@example.com", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 200
    erin.refresh_from_db()
    assert (erin.display_name, erin.time_zone, erin.email) == (
        "E.",
        "Europe/Berlin",
        "erin@example.com",
    )
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (None, "Enter your current password to change your email."),
        ("", "Enter your current password to change your email."),
        ("not-the-password", "Your current password is not correct."),
    ],
)
def test_a_session_needs_the_current_password_to_change_the_email(
    session_api, erin, password, message
):
    body = {"email": "new@example.com"}
    if password is not None:
        body["current_password"] = password
    response = session_api.patch(ME, body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"current_password": [message]}
    erin.refresh_from_db()
    assert erin.email == "erin@example.com"
    assert mail.outbox == []


def test_a_session_with_the_current_password_changes_the_email_and_the_old_address_is_told(
    session_api, erin
):
    response = session_api.patch(
        ME, {"email": "erin.new@example.com", "current_password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "current_password" not in response.json()
    assert response.json()["email"] == "erin.new@example.com"
    erin.refresh_from_db()
    assert erin.email == "erin.new@example.com"
    (message,) = mail.outbox
    assert message.to == ["erin@example.com"]
    assert message.subject == EMAIL_CHANGED_SUBJECT
    assert "erin.new@example.com" in message.body
    assert "http://testserver/accounts/settings/" in message.body


def test_a_session_changes_the_rest_without_a_password(session_api, erin):
    response = session_api.patch(ME, {"display_name": "E.", "email": "erin@example.com"})
    assert response.status_code == 200
    assert mail.outbox == []


def test_the_email_changed_notice_is_reusable_and_quiet_without_a_change(erin):
    notify_email_changed(erin, "ERIN@example.com")  # only the case differs: same mailbox
    notify_email_changed(erin, "")  # there was no address to tell
    assert mail.outbox == []
    notify_email_changed(erin, "old@example.com")
    (message,) = mail.outbox
    assert message.to == ["old@example.com"]
    assert "/accounts/settings/" in message.body


def test_the_schema_says_how_the_email_changes(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    patch = schema["paths"]["/api/v1/me/"]["patch"]
    assert "settings page" in patch["responses"]["403"]["description"]
    request = schema["components"]["schemas"]["PatchedMeRequest"]["properties"]
    assert request["current_password"]["writeOnly"] is True
    assert "current_password" not in schema["components"]["schemas"]["Me"]["properties"]
