"""
Notifications in a real Chromium: @mention suggestions in the comment field, marking an inbox
entry read in place (htmx) with the badge following, and the pages free of CSP errors.

Run: ``.venv/bin/pytest notifications/tests/test_browser.py -m browser -v``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from notifications.models import Kind, Notification
from tasks.tests import browser_support
from tasks.tests.browser_support import ConsoleWatcher, screenshot, sign_in

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


def test_mention_suggestions_insert_the_username(live_server, contexts, alice, erin, task):
    context = contexts()
    sign_in(context, live_server.url, alice)
    page = context.new_page()
    console = ConsoleWatcher(page)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    field = page.locator("#comment-form textarea[name=body]")
    field.click()
    field.press_sequentially("Thanks @er")
    option = page.get_by_role("option", name="@erin · Erin Editor")
    expect(option).to_be_visible()
    field.press("Enter")
    expect(field).to_have_value("Thanks @erin ")
    expect(page.locator(".mention-menu")).to_have_count(0)
    console.check("task page")


def test_mark_read_in_place_updates_the_badge(live_server, contexts, alice, erin, task):
    for text in ("first", "second"):
        Notification.objects.create(
            recipient=erin, task=task, project=task.project, kind=Kind.COMMENTED, summary=text
        )
    context = contexts()
    sign_in(context, live_server.url, erin)
    page = context.new_page()
    console = ConsoleWatcher(page)
    page.goto(f"{live_server.url}/inbox/")
    expect(page.locator("#inbox-link")).to_have_attribute("title", "Inbox · 2 unread")
    page.locator(".inbox-entry").first.get_by_role("button", name="Mark read").click()
    expect(page.locator("#inbox-link")).to_have_attribute("title", "Inbox · 1 unread")
    expect(page.locator(".inbox-entry.is-unread")).to_have_count(1)
    assert page.url.endswith("/inbox/")  # swapped in place, no reload
    screenshot(page, "inbox")
    console.check("inbox")
