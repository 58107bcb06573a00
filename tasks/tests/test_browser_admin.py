"""
The admin's actions in a real Chromium (Playwright): the page that asks for a value (a status,
a role) before the action runs works and is clean under the Content-Security-Policy, and a
refused save shows the form again with what was typed.

Run: ``.venv/bin/pytest tasks/tests/test_browser_admin.py -m browser -v``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tasks import services
from tasks.models import Membership, Role, Status, Tag, Task
from tasks.tests import browser_support
from tasks.tests.browser_support import ConsoleWatcher, build_showcase, screenshot, sign_in

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture
def showcase(db):
    return build_showcase()


def staff_page(contexts, live_server, staff):
    context = contexts()
    sign_in(context, live_server.url, staff)
    page = context.new_page()
    console = ConsoleWatcher(page)
    console.expect(r"/favicon\.ico")  # the admin's pages link no icon: Chromium asks anyway
    return page, console


def test_move_to_status_from_the_change_list(live_server, contexts, showcase, staff):
    task = showcase.open_task
    page, console = staff_page(contexts, live_server, staff)
    page.goto(f"{live_server.url}/admin/tasks/task/?q={task.title}")
    page.locator(f'input[name="_selected_action"][value="{task.pk}"]').check()
    page.locator('select[name="action"]').select_option("move_to_status")
    page.get_by_role("button", name="Run").click()

    expect(page.get_by_role("heading", name="Move these tasks to another status")).to_be_visible()
    page.get_by_label("Move to").select_option("done")
    screenshot(page, "desktop-light-admin-move-to-status")
    console.check("action choice page")
    page.get_by_role("button", name="Apply").click()

    expect(page.get_by_text("Moved 1 task.")).to_be_visible()
    console.check("change list after the action")
    assert Task.objects.get(pk=task.pk).status == Status.DONE


def test_change_role_from_the_change_form(live_server, contexts, showcase, staff):
    membership = Membership.objects.filter(project=showcase.project, role=Role.EDITOR).first()
    page, console = staff_page(contexts, live_server, staff)
    page.goto(f"{live_server.url}/admin/tasks/membership/{membership.pk}/change/")
    page.locator('select[name="CHANGE_FORM-action"]').select_option("change_role")
    page.get_by_role("button", name="Run").click()

    page.get_by_label("New role").select_option("viewer")
    page.get_by_role("button", name="Apply").click()

    expect(page.get_by_text("Changed 1 role.")).to_be_visible()
    assert page.url.endswith(f"/admin/tasks/membership/{membership.pk}/change/")
    console.check("membership change form after the action")
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER


def test_a_refused_save_keeps_what_was_typed(live_server, contexts, showcase, staff):
    project = showcase.project
    services.project_update(project=project, by=showcase.owner, is_archived=True)
    tag = project.tags.order_by("name").first()
    page, console = staff_page(contexts, live_server, staff)
    page.goto(f"{live_server.url}/admin/tasks/tag/{tag.pk}/change/")
    page.get_by_label("Name").fill("typed-anyway")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("is archived, so it is read-only")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("typed-anyway")
    screenshot(page, "desktop-light-admin-refused-save")
    console.check("tag form after a refusal")
    assert Tag.objects.get(pk=tag.pk).name == tag.name
