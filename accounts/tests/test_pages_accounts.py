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
# Sign-up (django-allauth)
# ---------------------------------------------------------------------------
def signup(client, **overrides):
    data = {
        "username": "nora",
        "email": "nora@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }
    return client.post(reverse("account_signup"), data)


def test_signup_page_renders_in_the_site_frame(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="auth-card"' in html
    assert 'name="username"' in html and 'name="password2"' in html


def test_signup_creates_the_account_logs_in_and_asks_to_confirm_the_address(client):
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="nora")
    assert user.email == "nora@example.com"
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_user_id(client) == str(user.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Welcome to Taskdesk, nora." in page
    assert [message.to for message in mail.outbox] == [["nora@example.com"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_signup_rejects_an_email_in_use_ignoring_case(client, alice):
    response = signup(client, email="ALICE@example.com")
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(username="nora").exists()


def test_signup_applies_the_password_validators_and_keeps_input(client):
    response = signup(client, password1="password", password2="password")
    assert response.status_code == 200
    assert response.context["form"].errors
    html = response.content.decode()
    assert "too common" in html
    assert 'value="nora"' in html
    assert 'value="password"' not in html
    assert not User.objects.filter(username="nora").exists()


def test_signup_passwords_must_match(client):
    response = signup(client, password2="something-else-entirely-9")
    assert "password2" in response.context["form"].errors


def test_signed_in_user_is_sent_from_signup_to_the_dashboard(alice):
    response = client_for(alice).get(reverse("account_signup"))
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_signup_requires_csrf():
    client = Client(enforce_csrf_checks=True)
    assert signup(client).status_code == 403
    assert not User.objects.filter(username="nora").exists()


def test_signup_can_be_closed(client, settings):
    settings.SIGNUP_OPEN = False
    response = signup(client)
    assert not User.objects.filter(username="nora").exists()
    assert "closed" in response.content.decode().lower()
    assert reverse("account_signup") not in client.get(reverse("account_login")).content.decode()


# ---------------------------------------------------------------------------
# Log in and out
# ---------------------------------------------------------------------------
def log_in(client, login, password=TEST_PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": login, "password": password, **extra})


def test_login_by_username(client, alice):
    response = log_in(client, "alice")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)
    assert f"Signed in as {alice.name}." in client.get(response["Location"]).content.decode()


def test_login_by_email_ignoring_case(client, alice):
    response = log_in(client, "Alice@Example.COM")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(alice.pk)


def test_login_follows_next(client, alice):
    url = reverse("tasks:project-list")
    response = log_in(client, "alice", next=url)
    assert response["Location"] == url


def test_login_does_not_follow_next_off_site(client, alice):
    response = log_in(client, "alice", next="https://evil.example/")
    assert response["Location"] == "/"


def test_wrong_password_shows_an_error_and_keeps_the_username(client, alice):
    response = log_in(client, "alice", "nope")
    assert response.status_code == 200
    html = response.content.decode()
    assert "not correct" in html
    assert 'value="alice"' in html
    assert logged_in_user_id(client) is None


def test_logout_signs_out_only_on_post(alice):
    client = client_for(alice)
    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    assert logged_in_user_id(client) == str(alice.pk)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert logged_in_user_id(client) is None


def test_login_requires_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    response = log_in(client, "alice")
    assert response.status_code == 403
    assert logged_in_user_id(client) is None


def test_deactivated_user_is_logged_out_on_the_next_request(alice):
    client = client_for(alice)
    assert client.get(reverse("settings")).status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = client.get(reverse("settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_deactivated_user_cannot_log_in(client, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    log_in(client, "alice")
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/accounts/password_change/", "/accounts/password/change/"),
        ("/accounts/password_reset/", "/accounts/password/reset/"),
    ],
)
def test_old_addresses_of_account_pages_redirect(client, old, new):
    response = client.get(old + "?next=/projects/")
    assert response.status_code == 301
    assert response["Location"] == new + "?next=/projects/"


def test_admin_login_is_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_browsable_api_login_is_the_site_login(client):
    response = client.get("/api/v1/auth/login/?next=/api/v1/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/api/v1/"


# ---------------------------------------------------------------------------
# Password change and reset
# ---------------------------------------------------------------------------
def test_password_change_needs_login(client):
    response = client.get(reverse("account_change_password"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def change_password(client, old=TEST_PASSWORD):
    return client.post(
        reverse("account_change_password"),
        {"oldpassword": old, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_password_change_keeps_this_session_ends_the_others_and_tells_the_owner(alice):
    here, elsewhere = client_for(alice), client_for(alice)
    response = change_password(here)
    assert response.status_code == 302
    assert here.get(reverse("settings")).status_code == 200
    response = elsewhere.get(reverse("settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert "password" in mail.outbox[0].subject.lower()


def test_password_change_with_a_wrong_old_password_changes_nothing(alice):
    response = change_password(client_for(alice), old="wrong")
    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(TEST_PASSWORD)


def page_text(response) -> str:
    """The page without what changes on every response (CSRF token, CSP nonces)."""
    text = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())
    return re.sub(r'nonce="[^"]*"', "", text)


def test_password_reset_does_the_same_whether_or_not_the_account_exists(client, alice):
    known = client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    # A mail goes out either way: the link to the account, or "there is no account here".
    assert [message.to for message in mail.outbox] == [
        ["alice@example.com"],
        ["ghost@example.com"],
    ]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


def test_password_reset_link_sets_a_new_password(client, alice):
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    form_url = client.get(link.group(1))["Location"]
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


# ---------------------------------------------------------------------------
# E-mail address: re-authentication, confirmation, the old address told
# ---------------------------------------------------------------------------
def test_changing_the_email_asks_for_the_password_again(alice):
    client = client_for(alice)
    response = client.post(
        reverse("account_email"), {"email": "alice@new.example", "action_add": ""}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert mail.outbox == []


def test_changing_the_email_waits_for_confirmation_and_tells_the_old_address(alice):
    client = client_for(alice)
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302
    response = client.post(
        reverse("account_email"), {"email": "alice@new.example", "action_add": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email")
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # not before the new address is confirmed
    (confirmation,) = mail.outbox
    assert confirmation.to == ["alice@new.example"]
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", confirmation.body).group(1)
    client.post(reverse("account_confirm_email", args=[key]))
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    assert ["alice@example.com"] in [message.to for message in mail.outbox[1:]]


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------
def test_settings_need_login(client):
    response = client.get(reverse("settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_settings_change_name_and_time_zone_but_not_the_email(alice):
    client = client_for(alice)
    response = client.post(
        reverse("settings"),
        {"display_name": "Alice A.", "email": "alice@new.example", "time_zone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.email, alice.time_zone) == (
        "Alice A.",
        "alice@example.com",
        "Asia/Tokyo",
    )


def test_settings_reject_an_unknown_time_zone(alice):
    response = client_for(alice).post(
        reverse("settings"), {"display_name": "Alice", "time_zone": "Mars/Olympus"}
    )
    assert "time_zone" in response.context["form"].errors


def test_settings_require_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("settings"), {"display_name": "X", "time_zone": "UTC"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "settings",
        "account_email",
        "account_change_password",
        "mfa_index",
        "usersessions_list",
        "tokens",
    ],
)
def test_every_settings_tab_is_in_the_frame_and_marks_itself(alice, name):
    response = client_for(alice).get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('aria-current="page"') == 1
    assert re.search(rf'href="{re.escape(reverse(name))}" aria-current="page"', html)
    assert html.count("<h1") == 1


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
        assert response["Location"].startswith(reverse("account_login"))


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
    # 1 session, 2 user, 3 tokens, 4 my projects (sidebar), 5 the form's project choices,
    # 6 invitations waiting (user menu), 7 unread notifications (inbox badge)
    with django_assert_num_queries(7):
        client.get(reverse("tokens"))
