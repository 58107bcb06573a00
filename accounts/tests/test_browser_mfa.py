"""
Two-factor authentication and sessions in a real Chromium (Playwright), under the site's strict
Content-Security-Policy: turning the authenticator app on through its page and signing in with
a code; adding a passkey with Chromium's virtual authenticator and signing in with it; axe-core
finds nothing on the two-factor and sessions pages. Any CSP violation or console error fails.

Run alone (timing-sensitive): ``.venv/bin/pytest accounts/tests/test_browser_mfa.py -m browser
-p no:xdist -v``.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accounts.tests.test_mfa import fresh_code, wrong_code
from tasks.tests import browser_support
from tasks.tests.browser_support import ConsoleWatcher, screenshot, sideways_overflow, sign_in
from tasks.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture(autouse=True)
def _passkeys_over_plain_http(settings):
    # The live server speaks plain HTTP on localhost (a secure context for the browser); in
    # production passkeys need HTTPS, which is why this follows DEBUG in settings.
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True


def axe_clean(page: Page, where: str) -> None:
    """axe-core (WCAG 2 A and AA rules) reports no violation on the page as it stands."""
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    )
    assert results.violations_count == 0, f"{where}:\n{results.generate_snapshot()}"


def confirm_password(page: Page) -> None:
    """The "confirm access" step before a two-factor change."""
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Confirm").click()


def log_in_with_password(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_turn_on_the_authenticator_app_and_sign_in_with_a_code(live_server, contexts):
    user = UserFactory(username="maya", display_name="Maya Lindqvist")
    context = contexts()
    sign_in(context, live_server.url, user)
    page = context.new_page()
    console = ConsoleWatcher(page)

    page.goto(f"{live_server.url}/accounts/2fa/")
    axe_clean(page, "two-factor overview")
    page.get_by_role("link", name="Activate").click()
    confirm_password(page)

    expect(page.get_by_role("heading", name="Activate an authenticator app")).to_be_visible()
    # The QR code is a data: URI image: it loads under the CSP and has a real size.
    qr = page.locator("img.qr-code")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr-code').naturalWidth") > 0
    axe_clean(page, "authenticator app set-up")
    screenshot(page, "desktop-totp-activate")
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)

    page.get_by_label("Authenticator code").fill(wrong_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Incorrect code")).to_be_visible()
    page.get_by_label("Authenticator code").fill(fresh_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    axe_clean(page, "recovery codes")
    screenshot(page, "desktop-recovery-codes")
    page.goto(f"{live_server.url}/accounts/2fa/")
    axe_clean(page, "two-factor overview, on")
    screenshot(page, "desktop-two-factor")
    console.check("turning the authenticator app on")

    # Another browser: the password alone leads to the second step, then a code signs in.
    other = contexts()
    page = other.new_page()
    console = ConsoleWatcher(page)
    log_in_with_password(page, live_server.url, "maya")
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    assert page.url.endswith("/accounts/2fa/authenticate/")
    axe_clean(page, "second step")
    page.get_by_label("Code").fill(fresh_code(secret))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/accounts/settings/")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    console.check("signing in with a code")


def sign_out(page: Page, base_url: str) -> None:
    """The "Sign out" button of this session's row on the sessions page."""
    page.goto(f"{base_url}/accounts/sessions/")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def add_virtual_authenticator(page: Page) -> None:
    """A platform authenticator (like a phone's or laptop's) that says yes at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_add_a_passkey_and_sign_in_with_it(live_server, contexts):
    user = UserFactory(username="maya", display_name="Maya Lindqvist")
    context = contexts()
    sign_in(context, live_server.url, user)
    page = context.new_page()
    add_virtual_authenticator(page)
    console = ConsoleWatcher(page)

    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    confirm_password(page)
    expect(page.get_by_role("heading", name="Add Security Key")).to_be_visible()
    axe_clean(page, "add a security key")
    page.get_by_label("Name").fill("Laptop")
    page.get_by_label("Passwordless").check()
    page.locator("#mfa_webauthn_add").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    key = Authenticator.objects.get(user=user, type="webauthn")
    assert key.wrap().is_passwordless
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/")
    expect(page.get_by_text("Laptop")).to_be_visible()
    axe_clean(page, "security keys")
    console.check("adding a passkey")

    # Signed out, the passkey alone signs in from the login page (no password, no code).
    sign_out(page, live_server.url)
    page.get_by_role("button", name="Log in with a passkey").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/accounts/sessions/")
    expect(page.get_by_text("This session")).to_be_visible()
    console.check("signing in with a passkey")

    # With the password, the passkey is the second step.
    sign_out(page, live_server.url)
    log_in_with_password(page, live_server.url, "maya")
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    page.get_by_role("button", name="Use a security key or passkey").click()
    expect(page).to_have_url(f"{live_server.url}/")
    console.check("a passkey as the second step")


def test_sessions_page_is_accessible_and_signs_out_another_browser(live_server, contexts):
    user = UserFactory(username="maya", display_name="Maya Lindqvist")
    laptop = contexts()
    log_in_page = laptop.new_page()
    log_in_with_password(log_in_page, live_server.url, "maya")
    expect(log_in_page).to_have_url(f"{live_server.url}/")

    phone = contexts(viewport="phone")
    page = phone.new_page()
    console = ConsoleWatcher(page)
    log_in_with_password(page, live_server.url, "maya")
    page.goto(f"{live_server.url}/accounts/sessions/")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_text("Headless Chrome on Linux").first).to_be_visible()
    axe_clean(page, "sessions")
    assert sideways_overflow(page) is None
    screenshot(page, "phone-sessions")
    page.get_by_role("button", name="Sign out all other sessions").click()
    expect(page.get_by_text("All your other sessions were signed out.")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    console.check("sessions")

    log_in_page.goto(f"{live_server.url}/accounts/settings/")
    expect(log_in_page).to_have_url(re.compile(r"/accounts/login/"))
    assert user.pk
