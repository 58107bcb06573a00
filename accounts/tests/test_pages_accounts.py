"""Sign-up, log in and out, password change and reset, settings, API tokens."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, User
from tasks.tests.factories import TEST_PASSWORD, UserFactory, make_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-and-long-passphrase-77"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


# ---------------------------------------------------------------------------
# Sign-up
# ---------------------------------------------------------------------------
def signup(client, **overrides):
    data = {
        "username": "nora",
        "email": "nora@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }
    return client.post(reverse("signup"), data)


def test_signup_page_renders(client):
    response = client.get(reverse("signup"))
    assert response.status_code == 200
    assert "Create your account" in response.content.decode()


def test_signup_creates_the_account_and_logs_in(client):
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:dashboard")
    user = User.objects.get(username="nora")
    assert user.email == "nora@example.com"
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_user_id(client) == str(user.pk)


def test_signup_rejects_an_email_in_use_ignoring_case(client, alice):
    response = signup(client, email="ALICE@example.com")
    assert response.status_code == 200
    assert "Another account already uses this email address." in response.content.decode()
    assert not User.objects.filter(username="nora").exists()


def test_signup_applies_the_password_validators_and_keeps_input(client):
    response = signup(client, password1="password", password2="password")
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    html = response.content.decode()
    assert "too common" in html
    assert 'value="nora"' in html
    assert 'value="password"' not in html
    assert not User.objects.filter(username="nora").exists()


def test_signup_passwords_must_match(client):
    response = signup(client, password2="something-else-entirely-9")
    assert "password2" in response.context["form"].errors


def test_signed_in_user_is_sent_from_signup_to_the_dashboard(alice):
    response = client_for(alice).get(reverse("signup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:dashboard")


def test_signup_requires_csrf():
    client = Client(enforce_csrf_checks=True)
    assert signup(client).status_code == 403
    assert not User.objects.filter(username="nora").exists()


# ---------------------------------------------------------------------------
# Log in and out
# ---------------------------------------------------------------------------
def test_login_by_username(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)


def test_login_by_email_ignoring_case(client, alice):
    response = client.post(
        reverse("login"), {"username": "Alice@Example.COM", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)


def test_login_follows_next(client, alice):
    url = reverse("tasks:project-list")
    response = client.post(
        reverse("login"), {"username": "alice", "password": TEST_PASSWORD, "next": url}
    )
    assert response["Location"] == url


def test_wrong_password_shows_an_error_and_keeps_the_username(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please enter a correct" in html
    assert 'value="alice"' in html
    assert logged_in_user_id(client) is None


def test_logout_is_post_only(alice):
    client = client_for(alice)
    assert client.get(reverse("logout")).status_code == 405
    assert logged_in_user_id(client) == str(alice.pk)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain == [(reverse("login"), 302)]
    assert "You are logged out." in response.content.decode()
    assert logged_in_user_id(client) is None


def test_login_requires_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "alice", "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert logged_in_user_id(client) is None


def test_deactivated_user_is_logged_out_on_the_next_request(alice):
    client = client_for(alice)
    assert client.get(reverse("settings")).status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = client.get(reverse("settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_deactivated_user_cannot_log_in(client, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    client.post(reverse("login"), {"username": "alice", "password": TEST_PASSWORD})
    assert logged_in_user_id(client) is None


# ---------------------------------------------------------------------------
# Password change and reset
# ---------------------------------------------------------------------------
def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_password_change_keeps_this_session_and_ends_the_others(alice):
    here, elsewhere = client_for(alice), client_for(alice)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("settings")).status_code == 200
    response = elsewhere.get(reverse("settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_password_change_with_a_wrong_old_password_changes_nothing(alice):
    client = client_for(alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(TEST_PASSWORD)


def page_text(response) -> str:
    """The page without what changes on every response (CSRF token, CSP nonces)."""
    text = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())
    return re.sub(r'nonce="[^"]*"', "", text)


def test_password_reset_says_the_same_whether_or_not_the_account_exists(client, alice):
    known = client.post(reverse("password_reset"), {"email": "alice@example.com"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "ghost@example.com"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert page_text(known) == page_text(unknown)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]


def test_password_reset_link_sets_a_new_password(client, alice):
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------
def test_settings_need_login(client):
    response = client.get(reverse("settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_settings_change_name_email_and_time_zone(alice):
    client = client_for(alice)
    response = client.post(
        reverse("settings"),
        {"display_name": "Alice A.", "email": "alice@new.example", "time_zone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.email, alice.time_zone) == (
        "Alice A.",
        "alice@new.example",
        "Asia/Tokyo",
    )


def test_settings_email_must_be_unique_ignoring_case(alice, erin):
    response = client_for(alice).post(
        reverse("settings"),
        {"display_name": "Alice", "email": "ERIN@example.com", "time_zone": "UTC"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Another account already uses this email address." in html
    assert 'value="ERIN@example.com"' in html
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_settings_keep_my_own_email_in_another_case(alice):
    response = client_for(alice).post(
        reverse("settings"),
        {"display_name": "Alice", "email": "ALICE@example.com", "time_zone": "UTC"},
    )
    assert response.status_code == 302


def test_settings_reject_an_unknown_time_zone(alice):
    response = client_for(alice).post(
        reverse("settings"),
        {"display_name": "Alice", "email": "alice@example.com", "time_zone": "Mars/Olympus"},
    )
    assert "time_zone" in response.context["form"].errors


def test_settings_require_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        reverse("settings"), {"display_name": "X", "email": "x@example.com", "time_zone": "UTC"}
    )
    assert response.status_code == 403


def test_pages_show_times_in_my_time_zone(alice):
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Tokyo")
    response = client_for(alice).get(reverse("settings"))
    assert "JST" in response.content.decode()
    # The zone is switched off again after the request.
    assert timezone.get_current_timezone_name() == "UTC"


# ---------------------------------------------------------------------------
# API tokens
# ---------------------------------------------------------------------------
def test_tokens_need_login(client):
    for response in (client.get(reverse("tokens")), client.post(reverse("token-create"))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_token_list_shows_only_my_tokens_with_their_status(alice, erin):
    mine, _ = make_token(alice, name="laptop")
    revoked, _ = make_token(alice, name="old ci")
    revoked.revoke()
    make_token(erin, name="erins-secret-thing")
    html = client_for(alice).get(reverse("tokens")).content.decode()
    assert "laptop" in html and mine.prefix in html
    assert "Revoked" in html and "Active" in html
    assert "erins-secret-thing" not in html


def test_token_secret_is_shown_once(alice):
    client = client_for(alice)
    response = client.post(reverse("token-create"), {"name": "CI"})
    assert response.status_code == 302
    assert response["Location"] == reverse("tokens")
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["new_secret"]
    token = ApiToken.objects.get(user=alice)
    assert ApiToken.authenticate(secret) == token
    html = response.content.decode()
    assert secret in html
    assert 'data-copy="#new-token-secret"' in html
    assert secret not in client.get(reverse("tokens")).content.decode()


def test_token_create_then_reload_shows_no_secret_and_makes_no_second_token(alice):
    """What a browser does: POST, follow the redirect, reload the page it landed on."""
    client = client_for(alice)
    first = client.post(reverse("token-create"), {"name": "CI"}, follow=True)
    assert first.redirect_chain == [(reverse("tokens"), 302)]
    secret = first.context["new_secret"]
    assert secret in first.content.decode()
    reload = client.get(first.request["PATH_INFO"])
    assert reload.status_code == 200
    assert reload.context.get("new_secret") is None
    assert secret not in reload.content.decode()
    assert "Your new token" not in reload.content.decode()
    assert ApiToken.objects.filter(user=alice).count() == 1


def test_new_token_secret_is_not_shown_to_another_user_of_the_session(alice, erin):
    """The secret belongs to the token's owner: a session that changed hands shows nothing."""
    client = client_for(alice)
    client.post(reverse("token-create"), {"name": "CI"})
    client.force_login(erin)
    response = client.get(reverse("tokens"))
    assert response.context.get("new_secret") is None


def test_token_with_an_expiry_date_expires_at_the_end_of_that_day(alice):
    User.objects.filter(pk=alice.pk).update(time_zone="Europe/Paris")
    day = timezone.localdate() + datetime.timedelta(days=10)
    client_for(alice).post(reverse("token-create"), {"name": "short", "expires_on": day})
    token = ApiToken.objects.get(user=alice)
    local = timezone.localtime(token.expires_at, timezone=ZoneInfo("Europe/Paris"))
    assert local.date() == day + datetime.timedelta(days=1)
    assert (local.hour, local.minute) == (0, 0)


def test_token_errors_are_shown_and_nothing_is_created(alice):
    yesterday = timezone.localdate() - datetime.timedelta(days=2)
    response = client_for(alice).post(
        reverse("token-create"), {"name": "", "expires_on": yesterday}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "expires_on"}
    assert not ApiToken.objects.exists()


def test_token_create_requires_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("token-create"), {"name": "CI"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_revoke_my_token(alice):
    token, secret = make_token(alice)
    response = client_for(alice).post(reverse("token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.status == "revoked"
    assert ApiToken.authenticate(secret) is None


def test_someone_elses_token_is_404(alice, erin):
    token, _ = make_token(erin)
    assert client_for(alice).post(reverse("token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.status == "active"


def test_revoke_is_post_only(alice):
    token, _ = make_token(alice)
    assert client_for(alice).get(reverse("token-revoke", args=[token.pk])).status_code == 405


@pytest.mark.parametrize("tokens", [2, 20])
def test_token_page_query_count_is_constant(django_assert_num_queries, tokens):
    user = UserFactory()
    for number in range(tokens):
        make_token(user, name=f"t{number}")
    client = client_for(user)
    # 1 session, 2 user, 3 tokens, 4 my projects (sidebar), 5 invitations waiting (user menu)
    with django_assert_num_queries(5):
        client.get(reverse("tokens"))
