"""
End-to-end flows in a real Chromium (Playwright), against the live test server.

Run: ``.venv/bin/pytest tasks/tests/test_browser.py -m browser -v``. Screenshots land in
``artifacts/screenshots/``; ``TASKDESK_UPDATE_DOCS_SCREENSHOT=1`` also rewrites the README
image ``docs/screenshot.png``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tasks.tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ConsoleWatcher,
    chromium_missing_reason,
    new_context,
    running_in_ci,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Browser:
    """One Chromium for the whole run; every test gets its own fresh context."""
    reason = chromium_missing_reason()
    if reason:
        # CI promises browser coverage: there a missing browser is a broken build, not a skip.
        if running_in_ci():
            pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API keeps an asyncio event loop running in this thread, and Django
    # refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation). The tests
    # only touch the database between browser calls, never concurrently with them, so the
    # guard is safely off for the run.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def contexts(browser):
    """Open fresh browser contexts (``contexts(viewport="phone", ...)``); all closed after."""
    opened = []

    def open_context(**options):
        context = new_context(browser, **options)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture
def page(contexts) -> Page:
    """A desktop page in a fresh context, nobody signed in."""
    return contexts().new_page()


@pytest.fixture
def console(page) -> ConsoleWatcher:
    return ConsoleWatcher(page)


def test_health_check_answers(live_server, page, console):
    response = page.goto(f"{live_server.url}/healthz")
    assert response.status == 200
    console.check()
