"""
Two-factor authentication: an authenticator app (real TOTP codes computed from the secret),
recovery codes, the second step at sign-in on the site and for the admin, staff who must use
it, re-authentication by code, and API tokens, which it leaves alone.
"""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from tasks.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------
# Helpers: RFC 6238 codes from the secret, as an authenticator app computes them
# ---------------------------------------------------------------------------
def totp_code(secret: str, at: float | None = None, period: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows for ``secret`` (RFC 6238, HMAC-SHA1)."""
    counter = int(time.time() if at is None else at) // period
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}}"


def fresh_code(secret: str) -> str:
    """A code that stays valid for at least two more seconds (never one about to roll over)."""
    if 30 - time.time() % 30 < 2:
        time.sleep(30 - time.time() % 30 + 0.05)
    return totp_code(secret)


def previous_code(secret: str) -> str:
    return totp_code(secret, at=time.time() - 30)


def wrong_code(secret: str) -> str:
    right = {totp_code(secret, at=time.time() + d) for d in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def with_totp(user, secret: str = SECRET):
    """``user`` with an authenticator app and recovery codes, as the setup page leaves them."""
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return user


def log_in(client: Client, login: str, password: str = TEST_PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": login, "password": password, **extra})


def confirm_password(client: Client):
    """Sensitive changes (turning two-factor on or off) ask for the password again first."""
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return response


def second_step(client: Client, code: str):
    return client.post(reverse("mfa_authenticate"), {"code": code})


def signed_in(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def test_the_totp_helper_agrees_with_rfc_6238():
    # RFC 6238 appendix B, SHA-1 key "12345678901234567890", T = 59 s -> 94287082 (8 digits).
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, at=59, digits=8) == "94287082"
    assert totp_code(secret, at=1111111109, digits=8) == "07081804"


# ---------------------------------------------------------------------------
# Turning the authenticator app on through its page
# ---------------------------------------------------------------------------
def test_enable_totp_through_the_page_then_sign_in_with_it(
    alice, django_capture_on_commit_callbacks
):
    client = Client()
    assert log_in(client, "alice").status_code == 302
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    confirm_password(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    html = page.content.decode()
    secret = page.context["form"].secret
    assert secret in html
    # The QR code is an image from a data: URI, which the CSP's img-src allows.
    assert 'src="data:image/svg+xml;base64,' in html
    assert "data:" in page["Content-Security-Policy"].split("img-src")[1].split(";")[0]

    wrong = client.post(reverse("mfa_activate_totp"), {"code": wrong_code(secret)})
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=alice).exists()

    done = client.post(reverse("mfa_activate_totp"), {"code": fresh_code(secret)})
    assert done.status_code == 302
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    types = set(Authenticator.objects.filter(user=alice).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}

    # A new browser: password, then a code from the app.
    other = Client()
    response = log_in(other, "alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in(other) is None
    code = fresh_code(secret)
    response = second_step(other, code)
    assert response.status_code == 302
    assert signed_in(other) == str(alice.pk)


# ---------------------------------------------------------------------------
# The second step at sign-in
# ---------------------------------------------------------------------------
def test_password_alone_does_not_sign_in_a_user_with_two_factor(client, alice):
    with_totp(alice)
    response = log_in(client, "alice")
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in(client) is None
    # Nothing behind the login opens in between.
    assert client.get(reverse("settings"))["Location"].startswith(reverse("account_login"))
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()


def test_the_second_step_with_a_wrong_code_then_the_right_one(client, alice):
    with_totp(alice)
    log_in(client, "alice")
    response = second_step(client, wrong_code(SECRET))
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert signed_in(client) is None

    response = second_step(client, fresh_code(SECRET))
    assert response.status_code == 302
    assert signed_in(client) == str(alice.pk)


def test_an_old_code_is_refused_and_a_code_works_only_once(alice):
    with_totp(alice)
    first = Client()
    log_in(first, "alice")
    assert second_step(first, previous_code(SECRET)).status_code == 200
    code = fresh_code(SECRET)
    assert second_step(first, code).status_code == 302

    second = Client()
    log_in(second, "alice")
    if totp_code(SECRET) == code:
        response = second_step(second, code)
        assert response.status_code == 200
        assert signed_in(second) is None


def test_a_recovery_code_works_once(alice):
    with_totp(alice)
    codes = RecoveryCodes(Authenticator.objects.get(user=alice, type="recovery_codes"))
    code = codes.get_unused_codes()[0]

    first = Client()
    log_in(first, "alice")
    assert second_step(first, code).status_code == 302
    assert signed_in(first) == str(alice.pk)

    again = Client()
    log_in(again, "alice")
    response = second_step(again, code)
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert signed_in(again) is None
    assert (
        code
        not in RecoveryCodes(
            Authenticator.objects.get(user=alice, type="recovery_codes")
        ).get_unused_codes()
    )


def test_wrong_codes_are_limited_per_account_whatever_the_address(alice, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "mfa_code": "3/10m/key"}
    with_totp(alice)
    for n, address in enumerate(["192.0.2.1", "192.0.2.2", "192.0.2.3"]):
        client = Client(REMOTE_ADDR=address)
        log_in(client, "alice")
        response = second_step(client, wrong_code(SECRET))
        assert "Incorrect code" in response.content.decode(), n
    client = Client(REMOTE_ADDR="192.0.2.4")
    log_in(client, "alice")
    # Even the right code waits now: the account is being guessed at.
    response = second_step(client, fresh_code(SECRET))
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert signed_in(client) is None


def test_wrong_codes_are_limited_per_address(alice, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    with_totp(alice)
    client = Client()
    log_in(client, "alice")
    for _ in range(3):
        assert "Incorrect code" in second_step(client, wrong_code(SECRET)).content.decode()
    response = second_step(client, fresh_code(SECRET))
    assert "Too many failed login attempts" in response.content.decode()
    assert signed_in(client) is None


def test_a_right_code_clears_the_per_account_count(alice, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "mfa_code": "2/10m/key"}
    with_totp(alice)
    client = Client()
    log_in(client, "alice")
    second_step(client, wrong_code(SECRET))
    assert second_step(client, fresh_code(SECRET)).status_code == 302
    later = Client()
    log_in(later, "alice")
    assert "Incorrect code" in second_step(later, wrong_code(SECRET)).content.decode()


# ---------------------------------------------------------------------------
# The admin
# ---------------------------------------------------------------------------
def test_staff_with_two_factor_cannot_reach_the_admin_with_the_password_alone(client, staff):
    with_totp(staff)
    # The admin's login form only sends people to the site's, GET or POST.
    response = client.post(
        reverse("admin:login"), {"username": "staff", "password": TEST_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert signed_in(client) is None
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))

    response = log_in(client, "staff", next="/admin/")
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index")).status_code == 302
    assert signed_in(client) is None

    response = second_step(client, fresh_code(SECRET))
    assert response["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_without_two_factor_use_the_admin_when_it_is_not_required(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = False
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/accounts/user/", "/admin/logout/", "/admin/password_change/"]
)
def test_required_two_factor_sends_staff_without_it_to_set_it_up(client, staff, settings, path):
    settings.REQUIRE_STAFF_2FA = True
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    page = client.get(reverse("mfa_index"))
    assert page.status_code == 200
    assert "Staff must set up two-factor authentication" in page.content.decode()


def test_required_two_factor_refuses_admin_posts_and_changes_nothing(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = True
    client.force_login(staff)
    victim = UserFactory(username="nina")
    response = client.post(reverse("admin:accounts_user_delete", args=[victim.pk]), {"post": "yes"})
    assert response["Location"] == reverse("mfa_index")
    assert type(victim).objects.filter(pk=victim.pk).exists()


def test_required_two_factor_leaves_the_rest_of_the_site_open(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = True
    client.force_login(staff)
    for path in ["/", reverse("settings"), reverse("mfa_index"), reverse("usersessions_list")]:
        assert client.get(path).status_code == 200, path
    assert client.get(reverse("mfa_activate_totp")).status_code in {200, 302}
    assert client.post(reverse("account_logout"))["Location"] == reverse("account_login")


def test_required_two_factor_lets_staff_with_an_authenticator_in(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = True
    with_totp(staff)
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_recovery_codes_alone_are_not_enough_for_required_two_factor(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = True
    RecoveryCodes.activate(staff)
    client.force_login(staff)
    assert client.get(reverse("admin:index"))["Location"] == reverse("mfa_index")


def test_required_two_factor_does_not_touch_people_who_are_not_staff(client, alice, settings):
    settings.REQUIRE_STAFF_2FA = True
    client.force_login(alice)
    response = client.get(reverse("admin:index"), follow=True)
    # The admin's own answer for people who are not staff, not a set-up redirect.
    assert response.status_code == 403
    assert response.redirect_chain == [(reverse("admin:login") + "?next=/admin/", 302)]


def test_staff_who_sign_in_without_two_factor_are_sent_to_set_it_up(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = True
    response = log_in(client, "staff", next="/admin/")
    assert response["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == reverse("mfa_index")
    confirm_password(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": fresh_code(secret)})
    assert client.get("/admin/").status_code == 200


# ---------------------------------------------------------------------------
# API tokens and the browsable API
# ---------------------------------------------------------------------------
def test_a_bearer_token_of_a_two_factor_user_still_works(alice, token_client):
    with_totp(alice)
    response = token_client(alice).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_a_half_signed_in_session_is_not_signed_in_for_the_api(client, alice):
    with_totp(alice)
    log_in(client, "alice")
    assert client.get("/api/v1/me/").status_code in {401, 403}


# ---------------------------------------------------------------------------
# Re-authentication before sensitive changes accepts a code
# ---------------------------------------------------------------------------
def reauthenticate_by_code(client: Client, location: str, code: str):
    """From the "confirm access" page, take its authenticator-app option and enter ``code``."""
    assert location.startswith(reverse("account_reauthenticate"))
    page = client.get(location).content.decode()
    link = re.search(r'href="(' + re.escape(reverse("mfa_reauthenticate")) + r'[^"]*)"', page)
    assert link, "the confirm-access page offers the authenticator app"
    url = link.group(1).replace("&amp;", "&")
    assert 'name="code"' in client.get(url).content.decode()
    return client.post(url, {"code": code})


def test_turning_two_factor_off_asks_again_and_accepts_a_code(alice):
    with_totp(alice)
    client = Client()
    client.force_login(alice)
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    wrong = reauthenticate_by_code(client, response["Location"], wrong_code(SECRET))
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()
    assert client.get(reverse("mfa_deactivate_totp")).status_code == 302

    right = reauthenticate_by_code(client, response["Location"], fresh_code(SECRET))
    assert right.status_code == 302
    assert right["Location"] == reverse("mfa_deactivate_totp")
    assert client.get(reverse("mfa_deactivate_totp")).status_code == 200
    client.post(reverse("mfa_deactivate_totp"))
    assert not Authenticator.objects.filter(user=alice, type="totp").exists()


def test_an_account_with_two_factor_cannot_add_an_unconfirmed_address(alice):
    # django-allauth's rule: with two-factor on, an address that would be unconfirmed is
    # refused (it could lock its real owner out), plainly and with nothing changed.
    with_totp(alice)
    client = Client()
    client.force_login(alice)
    confirm_password(client)
    response = client.post(
        reverse("account_email"), {"email": "alice@new.example", "action_add": ""}
    )
    assert response.status_code == 200
    assert "protected by two-factor authentication" in response.content.decode()
    assert mail.outbox == []
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


# ---------------------------------------------------------------------------
# Every two-factor page in the site's frame
# ---------------------------------------------------------------------------
SETTINGS_PAGES_OFF = ["mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "mfa_list_webauthn"]
SETTINGS_PAGES_ON = [
    "mfa_index",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_add_webauthn",
    "usersessions_list",
]


@pytest.mark.parametrize("two_factor", [False, True])
def test_every_two_factor_settings_page_renders_in_the_settings_frame(alice, two_factor):
    if two_factor:
        with_totp(alice)
    client = Client()
    client.force_login(alice)
    confirm_password(client)
    for name in SETTINGS_PAGES_ON if two_factor else SETTINGS_PAGES_OFF:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "<h1>Settings</h1>" in html, name
        assert 'aria-label="Settings"' in html, name
        # One page heading; allauth's own headings become section headings under it.
        assert html.count("<h1") == 1, name
        assert "<script>" not in html and "style=" not in html, name
        assert "{%" not in html and "{{" not in html, name


def test_recovery_codes_download_is_a_text_file(alice):
    with_totp(alice)
    client = Client()
    client.force_login(alice)
    confirm_password(client)
    response = client.get(reverse("mfa_download_recovery_codes"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    codes = RecoveryCodes(Authenticator.objects.get(user=alice, type="recovery_codes"))
    assert all(code in response.content.decode() for code in codes.get_unused_codes())


def test_the_second_step_offers_a_security_key_only_to_people_with_one(client, alice):
    with_totp(alice)
    log_in(client, "alice")
    html = client.get(reverse("mfa_authenticate")).content.decode()
    assert "Use a security key" not in html
    assert 'id="mfa_webauthn_authenticate"' not in html
    # Cancelling signs the half-signed-in browser out, back to the login page.
    response = client.post(reverse("account_logout"), {"next": reverse("account_login")})
    assert response["Location"] == reverse("account_login")
    assert client.get(reverse("mfa_authenticate"))["Location"].startswith(reverse("account_login"))


def test_required_two_factor_costs_no_query_outside_the_admin(client, staff, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with_totp(staff)
    client.force_login(staff)
    client.get(reverse("settings"))  # the session's "last seen" write happens once a minute

    def queries(required: bool, path: str) -> int:
        settings.REQUIRE_STAFF_2FA = required
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    assert queries(True, reverse("settings")) == queries(False, reverse("settings"))
    # In the admin: one query, whether staff have an authenticator.
    assert queries(True, reverse("admin:index")) == queries(False, reverse("admin:index")) + 1
