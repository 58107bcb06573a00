"""
The project, member, tag and account pages in a real Chromium (Playwright): clean under the
Content-Security-Policy, legible in both themes on a phone and a desktop, and their few
enhanced interactions (role change in place, copying a token, dismissing a message).

Run: ``.venv/bin/pytest tasks/tests/test_browser_projects.py -m browser -v``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken
from tasks.models import Membership, Role
from tasks.tests import browser_support
from tasks.tests.browser_support import (
    ConsoleWatcher,
    build_showcase,
    low_contrast_text,
    oversized_hidden_text,
    screenshot,
    sideways_overflow,
    sign_in,
)
from tasks.tests.factories import ProjectFactory, TagFactory

pytestmark = pytest.mark.browser


# The shared fixtures: one Chromium for this module, fresh contexts for each test.
browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture
def showcase(db):
    return build_showcase()


def signed_in_page(contexts, live_server, user, **options):
    context = contexts(**options)
    sign_in(context, live_server.url, user)
    page = context.new_page()
    return page, ConsoleWatcher(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_project_and_account_pages_are_clean_and_legible(
    live_server, contexts, showcase, viewport, scheme
):
    """No console error or CSP violation, AA contrast, no sideways scrolling on a phone."""
    page, console = signed_in_page(
        contexts, live_server, showcase.owner, viewport=viewport, color_scheme=scheme
    )
    project = showcase.project
    pages = {
        "projects": "/projects/",
        "project-new": "/projects/new/",
        "project-settings": f"/projects/{project.pk}/settings/",
        "project-delete": f"/projects/{project.pk}/delete/",
        "members": f"/projects/{project.pk}/members/",
        "tags": f"/projects/{project.pk}/tags/",
        "settings": "/accounts/settings/",
        "tokens": "/accounts/settings/tokens/",
    }
    problems = []
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in (response.header_value("content-security-policy") or "")
        page.wait_for_load_state("load")
        console.check(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        screenshot(page, f"{viewport}-{scheme}-{name}")
        problems += [f"{name}: {text}" for text in low_contrast_text(page)]
        problems += [f"{name}: {text}" for text in oversized_hidden_text(page)]
        overflow = sideways_overflow(page) if viewport == "phone" else None
        if overflow:
            problems.append(f"{name}: the page scrolls sideways, {overflow}")
    assert not problems, f"{viewport}, {scheme} theme:\n" + "\n".join(problems)


def test_role_change_swaps_the_row_in_place(live_server, contexts, showcase):
    page, console = signed_in_page(contexts, live_server, showcase.owner)
    project = showcase.project
    priya = Membership.objects.get(project=project, user__username="priya")
    page.goto(f"{live_server.url}/projects/{project.pk}/members/")
    page.evaluate("window.notReloaded = true")
    row = page.locator(f"#member-{priya.user_id}")
    row.get_by_label("Role of Priya Raman").select_option("viewer")
    row.get_by_role("button", name="Change role of Priya Raman").click()
    expect(page.locator(f"#member-{priya.user_id}")).to_contain_text("Role saved.")
    assert page.evaluate("window.notReloaded") is True
    priya.refresh_from_db()
    assert priya.role == Role.VIEWER

    # The only owner cannot step down; the row says why.
    me = page.locator(f"#member-{showcase.owner.pk}")
    me.get_by_label("Role of Maya Lindqvist").select_option("editor")
    me.get_by_role("button", name="Change role of Maya Lindqvist").click()
    expect(page.locator(f"#member-{showcase.owner.pk}")).to_contain_text("at least one owner")
    console.check("role change")


def test_new_token_is_shown_once_and_copied(live_server, contexts, showcase):
    page, console = signed_in_page(
        contexts, live_server, showcase.owner, permissions=["clipboard-read", "clipboard-write"]
    )
    page.goto(f"{live_server.url}/accounts/settings/tokens/")
    page.get_by_label("Name").fill("CI")
    page.get_by_role("button", name="Create token").click()
    secret_field = page.locator("#new-token-secret")
    secret = secret_field.input_value()
    assert ApiToken.authenticate(secret) is not None
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.goto(f"{live_server.url}/accounts/settings/tokens/")
    assert secret not in page.content()
    console.check("tokens")


def test_flash_message_is_dismissed_without_javascript(live_server, contexts, showcase):
    page, _ = signed_in_page(contexts, live_server, showcase.owner, java_script_enabled=False)
    page.goto(f"{live_server.url}/projects/{showcase.project.pk}/tags/")
    page.get_by_label("Name", exact=True).fill("urgent-fix")
    page.get_by_role("button", name="Create tag").click()
    message = page.locator(".message").filter(has_text="Tag “urgent-fix” created.")
    expect(message).to_be_visible()
    page.locator(".message-close").click()
    expect(message).to_be_hidden()


def test_tag_delete_asks_first_with_and_without_javascript(live_server, contexts, showcase):
    tags_url = f"{live_server.url}/projects/{showcase.project.pk}/tags/"

    # Without JavaScript: Delete opens a confirmation page; Cancel keeps the tag.
    page, console = signed_in_page(contexts, live_server, showcase.owner, java_script_enabled=False)
    page.goto(tags_url)
    page.get_by_role("button", name="Delete ops").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the tag “ops”?")
    expect(page.get_by_text("It is removed from 4 tasks")).to_be_visible()
    screenshot(page, "desktop-light-tag-delete-no-js")
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(tags_url)
    assert showcase.project.tags.filter(name="ops").exists()
    page.get_by_role("button", name="Delete ops").click()
    page.get_by_role("button", name="Delete tag").click()
    expect(page).to_have_url(tags_url)
    expect(page.get_by_text("Tag “ops” deleted")).to_be_visible()
    assert not showcase.project.tags.filter(name="ops").exists()
    console.check("tag delete without JavaScript")

    # With JavaScript: a confirm dialog; dismissing it keeps the tag, accepting deletes it.
    page, console = signed_in_page(contexts, live_server, showcase.owner)
    page.goto(tags_url)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete docs").click()
    expect(page.get_by_role("button", name="Delete docs")).to_be_visible()
    assert showcase.project.tags.filter(name="docs").exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete docs").click()
    expect(page.get_by_text("Tag “docs” deleted")).to_be_visible()
    expect(page.get_by_role("button", name="Delete docs")).to_have_count(0)
    assert not showcase.project.tags.filter(name="docs").exists()
    console.check("tag delete with JavaScript")


def test_admin_task_form_offers_the_projects_own_tags(live_server, contexts, showcase, staff):
    """Two projects with a "web" tag: a task's change form lists only its project's one."""
    other = ProjectFactory(name="Intranet")
    TagFactory(project=other, name="web")
    task = showcase.open_task
    page, console = signed_in_page(contexts, live_server, staff)
    console.expect(r"/favicon\.ico")  # the admin's pages link no icon: Chromium asks anyway
    page.goto(f"{live_server.url}/admin/tasks/task/{task.pk}/change/")
    available = page.locator("#id_tags_from option")
    chosen = page.locator("#id_tags_to option")
    expect(chosen).to_have_text(["marketing"])
    expect(available).to_have_text(["backend", "bug", "docs", "ops", "web"])
    assignee = page.get_by_label("Assignee")
    expect(assignee.locator("option")).to_have_count(4)  # the three members and "---------"
    screenshot(page, "desktop-light-admin-task-change")
    console.check("admin task change form")

    page.goto(f"{live_server.url}/admin/tasks/task/add/")
    expect(page.locator("#id_tags_from option").filter(has_text=re.compile("^web "))).to_have_text(
        ["web (Intranet)", "web (Website relaunch)"]
    )
    screenshot(page, "desktop-light-admin-task-add")
    console.check("admin task add form")
