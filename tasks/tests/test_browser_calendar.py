"""
The calendar in a real Chromium (Playwright): axe-core finds nothing on the month and week
views; a task moves to another day with the keyboard through its "Move" page and by dragging
it onto the day. Any CSP violation or console error fails.

Run: ``.venv/bin/pytest tasks/tests/test_browser_calendar.py -m browser -v``.
"""

from __future__ import annotations

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from tasks import services
from tasks.models import Task
from tasks.tests import browser_support
from tasks.tests.browser_support import (
    PHONE,
    ConsoleWatcher,
    build_showcase,
    screenshot,
    sideways_overflow,
    sign_in,
)

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture
def showcase(db):
    return build_showcase()


def axe_clean(page: Page, where: str) -> None:
    """axe-core (WCAG 2 A and AA rules) reports no violation on the page as it stands."""
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    )
    assert results.violations_count == 0, f"{where}:\n{results.generate_snapshot()}"


def a_task_and_another_day(showcase) -> tuple[Task, datetime.date]:
    """A task due today and another day of the same week (Monday to Sunday)."""
    day = timezone.localdate()
    task = services.task_create(
        project=showcase.project, by=showcase.owner, title="Plan the offsite", due_date=day
    )
    other = day + datetime.timedelta(days=1 if day.weekday() < 6 else -1)
    return task, other


def open_week(contexts, live_server, showcase, day) -> tuple[Page, ConsoleWatcher]:
    context = contexts()
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    url = f"{live_server.url}/projects/{showcase.project.pk}/calendar/?view=week&week={day}"
    response = page.goto(url)
    assert response is not None and response.status == 200
    return page, console


def test_calendar_pages_pass_axe(live_server, contexts, showcase):
    task, _ = a_task_and_another_day(showcase)
    page, console = open_week(contexts, live_server, showcase, task.due_date)
    axe_clean(page, "week view")
    page.get_by_role("link", name="Month").click()
    expect(page.locator("table.calendar--month")).to_be_visible()
    axe_clean(page, "month view")
    screenshot(page, "calendar-month")
    page.goto(f"{live_server.url}/calendar/")
    axe_clean(page, "my calendar")
    # On a phone the grid scrolls on its own; the page does not.
    page.set_viewport_size(PHONE)
    page.reload()
    assert sideways_overflow(page) is None
    console.check("calendar")


def test_keyboard_moves_a_task_through_its_move_page(live_server, contexts, showcase):
    task, other = a_task_and_another_day(showcase)
    page, console = open_week(contexts, live_server, showcase, task.due_date)
    move = page.get_by_role("link", name=f"Move “{task.title}” to another day")
    move.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Move “{task.title}” to another day")).to_be_visible()
    page.get_by_label("New due date").fill(other.isoformat())
    page.get_by_label("New due date").press("Enter")
    expect(page.locator(f'td[data-date="{other}"]')).to_contain_text(task.title)
    assert Task.objects.get(pk=task.pk).due_date == other
    console.check("keyboard move")


def test_dragging_a_task_onto_another_day_moves_it(live_server, contexts, showcase):
    task, other = a_task_and_another_day(showcase)
    page, console = open_week(contexts, live_server, showcase, task.due_date)
    card = page.locator(".calendar-task").filter(has_text=task.title)
    target = page.locator(f'td[data-date="{other}"]')
    card.drag_to(target)
    expect(target).to_contain_text(task.title)
    expect(page.get_by_text(f"Moved “{task.title}”")).to_be_visible()
    assert Task.objects.get(pk=task.pk).due_date == other
    console.check("drag")
