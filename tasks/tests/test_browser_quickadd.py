"""
The quick add in a real Chromium: typing a line shows what it understood as chips, and Enter
adds the task with those fields.

Run: ``.venv/bin/pytest tasks/tests/test_browser_quickadd.py -m browser -v``.
"""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tasks import quickadd
from tasks.models import Priority
from tasks.tests import browser_support
from tasks.tests.browser_support import ConsoleWatcher, build_showcase, sign_in

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture
def showcase(db):
    return build_showcase()


def test_typing_shows_chips_and_enter_adds_the_parsed_task(live_server, contexts, showcase):
    project = showcase.project
    jonas = project.members.get(username="jonas")
    context = contexts()
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    console.check("list")

    field = page.get_by_label("New task title")
    field.fill("Pay the caterer tomorrow 5pm p1 @jonas every month")
    chips = page.locator("#quick-add-chips .chip")
    expect(chips.filter(has_text="17:00")).to_have_count(1)
    expect(chips.filter(has_text="P1 Urgent")).to_have_count(1)
    expect(chips.filter(has_text="@jonas")).to_have_count(1)
    expect(chips.filter(has_text="Monthly")).to_have_count(1)
    console.check("chips")

    field.press("Enter")
    rows = page.get_by_role("list", name="Tasks").get_by_role("listitem")
    expect(rows.filter(has_text="Pay the caterer")).to_have_count(1)
    expect(field).to_have_value("")
    expect(page.locator("#quick-add-chips .chip")).to_have_count(0)
    console.check("added")

    task = project.tasks.get(title="Pay the caterer")
    tomorrow = quickadd.today_in(showcase.owner.zone) + datetime.timedelta(days=1)
    assert (task.due_date, task.priority, task.assignee, task.recurrence) == (
        tomorrow,
        Priority.URGENT,
        jonas,
        "FREQ=MONTHLY",
    )
    assert task.due_time == datetime.time(17, 0)
