"""
The API token page in a real Chromium (Playwright) on a 390 px wide phone: nothing sticks out
sideways, and every token's Revoke button can be reached and pressed.

Run: ``.venv/bin/pytest accounts/tests/test_browser_tokens.py -m browser -v``.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import ApiToken
from tasks.tests import browser_support
from tasks.tests.browser_support import (
    ConsoleWatcher,
    screenshot,
    sideways_overflow,
    sign_in,
)
from tasks.tests.factories import UserFactory, make_token

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tokens_page_fits_a_phone_and_revoke_is_clickable(live_server, contexts, scheme):
    owner = UserFactory(username="maya", display_name="Maya Lindqvist")
    # Long names and every column filled: the widest the table gets in real use.
    used, _ = make_token(owner, name="Deploy pipeline for the marketing website")
    ApiToken.objects.filter(pk=used.pk).update(
        last_used_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=90),
    )
    make_token(owner, name="phone")
    old, _ = make_token(owner, name="old laptop")
    old.revoke()

    context = contexts(viewport="phone", color_scheme=scheme)
    sign_in(context, live_server.url, owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    page.goto(f"{live_server.url}/accounts/settings/tokens/")
    assert page.evaluate("document.documentElement.clientWidth") == 390
    assert sideways_overflow(page) is None
    screenshot(page, f"phone-{scheme}-tokens")

    # Every Revoke button lies inside the screen, and a tap on its middle lands on it.
    revokes = page.get_by_role("button", name="Revoke")
    expect(revokes).to_have_count(2)
    for index in range(2):
        button = revokes.nth(index)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        hit = page.evaluate(
            """([x, y]) => document.elementFromPoint(x, y)?.closest("button")?.textContent""",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert hit and "Revoke" in hit, hit

    # Press the first Revoke (a real tap; the confirmation dialog is accepted).
    page.once("dialog", lambda dialog: dialog.accept())
    button = revokes.first
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".message").filter(has_text="was revoked")).to_be_visible()
    assert ApiToken.objects.filter(user=owner, revoked_at__isnull=False).count() == 2
    assert sideways_overflow(page) is None
    console.check("tokens on a phone")
