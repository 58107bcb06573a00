"""
The repeat controls of the task form in a real Chromium: the custom rule shows only when
chosen (and the page works the same without JavaScript), a saved repeat reads in words.

Run: ``.venv/bin/pytest tasks/tests/test_browser_recurrence.py -m browser -v``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tasks.models import Task
from tasks.tests import browser_support
from tasks.tests.browser_support import ConsoleWatcher, build_showcase, sign_in

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture
def showcase(db):
    return build_showcase()


@pytest.mark.parametrize("javascript", [True, False])
def test_new_task_with_a_custom_repeat_and_a_time(live_server, contexts, showcase, javascript):
    project = showcase.open_task.project
    context = contexts(java_script_enabled=javascript)
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    page.goto(f"{live_server.url}/projects/{project.pk}/tasks/new/")
    custom = page.get_by_label("Custom rule")
    if javascript:
        expect(custom).to_be_hidden()
    else:
        expect(custom).to_be_visible()
    page.get_by_label("Title", exact=True).fill("Board meeting")
    page.get_by_role("textbox", name="Due date").fill("2026-12-03")
    page.get_by_label("Due time").fill("09:30")
    page.get_by_label("How often").select_option(value="custom")
    expect(custom).to_be_visible()
    custom.fill("FREQ=MONTHLY;BYDAY=1TH;COUNT=6")
    page.get_by_label("From the completion date").check()
    page.get_by_role("button", name="Add task").click()
    task = Task.objects.get(title="Board meeting")
    assert (task.recurrence, task.recurrence_mode) == (
        "FREQ=MONTHLY;BYDAY=1TH;COUNT=6",
        "from_completion",
    )
    page.goto(f"{live_server.url}{task.get_absolute_url()}")
    repeat = page.locator("dd").filter(has_text="Counted from completion")
    expect(repeat).to_contain_text("Monthly on the first Thursday, 6 times")
    console.check("repeat form")
