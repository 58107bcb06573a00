"""
The task pages in a real Chromium: what a person clicks and sees when two people edit the same
task, when the session ends mid-work, and the counts, filters and shortcuts of the task list.

Run: ``.venv/bin/pytest tasks/tests/test_browser_pages.py -m browser -v``.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from tasks.models import Priority
from tasks.tests import browser_support
from tasks.tests.browser_support import ConsoleWatcher, build_showcase, screenshot, sign_in
from tasks.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture
def showcase(db):
    return build_showcase()


def open_page(contexts, live_server, user, path: str, **options) -> tuple[Page, ConsoleWatcher]:
    context = contexts(**options)
    sign_in(context, live_server.url, user)
    page = context.new_page()
    console = ConsoleWatcher(page)
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    console.check(path)
    return page, console


def test_a_later_save_keeps_a_teammates_change_to_another_field(live_server, contexts, showcase):
    task = showcase.open_task
    jonas = task.project.members.get(username="jonas")
    edit = f"/tasks/{task.pk}/edit/"
    maya_page, maya_console = open_page(contexts, live_server, showcase.owner, edit)
    jonas_page, jonas_console = open_page(contexts, live_server, jonas, edit)

    maya_page.get_by_label("Title").fill("Draft the Q3 launch post")
    maya_page.get_by_label("Priority").select_option(label="Urgent")
    maya_page.get_by_role("button", name="Save changes").click()
    expect(maya_page.get_by_role("heading", level=1)).to_have_text("Draft the Q3 launch post")
    maya_console.check("first save")

    # Jonas's form still shows the old title and priority; he only touches the description.
    jonas_page.get_by_label("Description").fill("Mention the new pricing.")
    jonas_page.get_by_role("button", name="Save changes").click()
    expect(jonas_page.get_by_role("heading", level=1)).to_have_text("Draft the Q3 launch post")
    expect(
        jonas_page.get_by_text("their changes to the fields you left alone are kept")
    ).to_be_visible()
    jonas_console.check("merged save")
    task.refresh_from_db()
    assert (task.title, task.priority, task.description) == (
        "Draft the Q3 launch post",
        Priority.URGENT,
        "Mention the new pricing.",
    )


def test_a_field_both_changed_is_shown_side_by_side_to_choose(live_server, contexts, showcase):
    task = showcase.open_task
    jonas = task.project.members.get(username="jonas")
    edit = f"/tasks/{task.pk}/edit/"
    maya_page, maya_console = open_page(contexts, live_server, showcase.owner, edit)
    jonas_page, jonas_console = open_page(contexts, live_server, jonas, edit)

    maya_page.get_by_label("Title").fill("Draft the Q3 launch post")
    maya_page.get_by_role("button", name="Save changes").click()
    expect(maya_page.get_by_role("heading", level=1)).to_have_text("Draft the Q3 launch post")

    jonas_page.get_by_label("Title").fill("Announce Q3 on the blog")
    jonas_page.get_by_label("Description").fill("Mention the new pricing.")
    jonas_page.get_by_role("button", name="Save changes").click()
    expect(jonas_page.get_by_role("alert")).to_contain_text("you both changed title")
    choice = jonas_page.get_by_role("group", name=re.compile("^Title: changed by both"))
    theirs = choice.get_by_role("radio", name=re.compile("^Theirs"))
    mine = choice.get_by_role("radio", name=re.compile("^Yours"))
    expect(choice).to_contain_text("Draft the Q3 launch post")
    expect(choice).to_contain_text("Announce Q3 on the blog")
    # Nothing typed is lost while he decides.
    expect(jonas_page.get_by_label("Title")).to_have_value("Announce Q3 on the blog")
    expect(jonas_page.get_by_label("Description")).to_have_value("Mention the new pricing.")
    screenshot(jonas_page, "desktop-light-edit-conflict")
    jonas_console.check("conflict screen")
    task.refresh_from_db()
    assert (task.title, task.description) == ("Draft the Q3 launch post", "")

    theirs.check()
    expect(mine).not_to_be_checked()
    jonas_page.get_by_role("button", name="Save changes").click()
    expect(jonas_page.get_by_role("heading", level=1)).to_have_text("Draft the Q3 launch post")
    jonas_console.check("conflict resolved")
    task.refresh_from_db()
    assert (task.title, task.description) == (
        "Draft the Q3 launch post",
        "Mention the new pricing.",
    )


def filter_menu(page: Page, name: str):
    """One multiple-choice menu of the filter bar, opened: its group of checkboxes."""
    bar = page.get_by_role("search", name="Filter tasks")
    bar.locator("summary", has_text=f"{name}:").click()
    return bar.get_by_role("group", name=name, exact=True)


def test_list_hides_completed_and_filters_several_statuses_at_once(live_server, contexts, showcase):
    project = showcase.project
    page, console = open_page(contexts, live_server, showcase.owner, f"/projects/{project.pk}/")
    rows = page.get_by_role("list", name="Tasks").get_by_role("listitem")
    done = [task for task in showcase.tasks if task.status == "done"]
    expect(rows).to_have_count(len(showcase.tasks) - len(done))
    expect(rows.filter(has_text=done[0].title)).to_have_count(0)

    # Two statuses ticked in one go; closing the menu applies them.
    menu = filter_menu(page, "Status")
    menu.get_by_role("checkbox", name="In progress", exact=True).check()
    menu.get_by_role("checkbox", name="Done", exact=True).check()
    screenshot(page, "desktop-light-list-status-menu", full_page=False)
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"status=in_progress&status=done"))
    wanted = [task for task in showcase.tasks if task.status in ("in_progress", "done")]
    expect(rows).to_have_count(len(wanted))
    expect(page.get_by_role("search", name="Filter tasks")).to_contain_text(
        "Status: In progress, Done"
    )
    console.check("two statuses")

    # The URL is the bookmark: reloading keeps both; a chip removes one of them.
    page.reload()
    expect(rows).to_have_count(len(wanted))
    page.get_by_role("link", name=re.compile("^Status: Done")).click()
    expect(rows).to_have_count(len([t for t in wanted if t.status == "in_progress"]))

    # "Open" is every status but done; "Show completed" brings the done ones back.
    page.get_by_role("link", name="Clear filters").click()
    menu = filter_menu(page, "Status")
    menu.get_by_role("checkbox", name="Open", exact=True).check()
    menu.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"status=open"))
    expect(rows).to_have_count(len(showcase.tasks) - len(done))
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_role("checkbox", name="Show completed").check()
    expect(page).to_have_url(re.compile(r"completed=show"))
    expect(rows).to_have_count(len(showcase.tasks))
    console.check("open and completed")


def test_counts_follow_quick_add_complete_and_comments(live_server, contexts, showcase):
    project = showcase.project
    page, console = open_page(contexts, live_server, showcase.owner, f"/projects/{project.pk}/")
    open_count = project.tasks.exclude(status="done").count()
    sidebar = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(f"^{project.name}")
    )
    summary = page.locator("#list-count")
    expect(summary).to_have_text(f"{open_count} tasks")
    expect(sidebar).to_contain_text(f"{open_count} open")

    field = page.get_by_label("New task title")
    field.fill("Book the photographer")
    field.press("Enter")
    rows = page.get_by_role("list", name="Tasks").get_by_role("listitem")
    expect(rows.filter(has_text="Book the photographer")).to_have_count(1)
    expect(summary).to_have_text(f"{open_count + 1} tasks")
    expect(sidebar).to_contain_text(f"{open_count + 1} open")

    rows.filter(has_text="Book the photographer").get_by_role("button").click()
    expect(sidebar).to_contain_text(f"{open_count} open")
    expect(summary).to_have_text(f"{open_count} tasks")
    console.check("list counts")

    task = showcase.open_task
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    heading = page.get_by_role("heading", name=re.compile("^Comments"))
    expect(heading).to_have_text("Comments 0")
    page.get_by_label("Comment", exact=True).fill("The venue has a projector.")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(heading).to_have_text("Comments 1")
    page.once("dialog", lambda dialog: dialog.accept())
    comments = page.get_by_role("region", name=re.compile("^Comments")).get_by_role("listitem")
    comments.first.get_by_role("button", name="Delete").click()
    expect(comments).to_have_count(0)
    expect(heading).to_have_text("Comments 0")
    console.check("comment count")


def test_quick_add_after_the_session_ended_keeps_the_title_until_logged_in_again(
    live_server, contexts, showcase
):
    project = showcase.project
    list_path = f"/projects/{project.pk}/"
    page, console = open_page(contexts, live_server, showcase.owner, list_path)
    Session.objects.all().delete()  # the session ends (expired, or signed out elsewhere)

    field = page.get_by_label("New task title")
    field.fill("Call the caterer about the vegan menu")
    console.expect("401")  # the refused request, as the browser reports it
    field.press("Enter")
    alert = page.get_by_role("alert").filter(has_text="Your session has expired")
    expect(alert).to_be_visible()
    console.check("session expired")
    expect(field).to_have_value("Call the caterer about the vegan menu")
    expect(page).to_have_url(f"{live_server.url}{list_path}")
    screenshot(page, "desktop-light-session-expired", full_page=False)
    assert not project.tasks.filter(title__startswith="Call the caterer").exists()

    # The login opens beside the page, and comes back to it once signed in.
    with page.context.expect_page() as opened:
        alert.get_by_role("link", name="log in again in a new tab").click()
    login = opened.value
    login.get_by_label("Username").fill(showcase.owner.username)
    login.get_by_label("Password").fill(TEST_PASSWORD)
    login.get_by_role("button", name="Log in", exact=True).click()
    expect(login).to_have_url(f"{live_server.url}{list_path}")
    login.close()

    # Back in the first tab, the same Enter now goes through (with the renewed CSRF token).
    field.press("Enter")
    rows = page.get_by_role("list", name="Tasks").get_by_role("listitem")
    expect(rows.filter(has_text="Call the caterer about the vegan menu")).to_have_count(1)
    expect(field).to_have_value("")
    expect(alert).to_have_count(0)
    console.check("quick add after logging in again")
    assert project.tasks.filter(title="Call the caterer about the vegan menu").exists()


def test_n_goes_to_the_quick_add_or_the_new_task_title(live_server, contexts, showcase):
    project = showcase.project
    list_path = f"/projects/{project.pk}/"
    page, console = open_page(contexts, live_server, showcase.owner, list_path)
    page.keyboard.press("n")
    quick = page.get_by_label("New task title")
    expect(quick).to_be_focused()
    expect(quick).to_have_value("")  # the n is not typed into it
    expect(page).to_have_url(f"{live_server.url}{list_path}")
    page.keyboard.type("Order the banners")
    page.keyboard.press("Enter")
    rows = page.get_by_role("list", name="Tasks").get_by_role("listitem")
    expect(rows.filter(has_text="Order the banners")).to_have_count(1)
    console.check("n on the list")

    # From the board, n opens the new-task page with its title ready for typing; there, n
    # (from anywhere but a field) comes back to the title.
    page.goto(f"{live_server.url}/projects/{project.pk}/board/")
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/tasks/new/$"))
    title = page.get_by_label("Title")
    expect(title).to_be_focused()
    page.get_by_role("heading", level=1).click()
    expect(title).not_to_be_focused()
    page.keyboard.press("n")
    expect(title).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/tasks/new/$"))
    console.check("n on the new-task page")


def test_brand_link_and_search_landmarks_have_names(live_server, contexts, showcase):
    page, console = open_page(
        contexts, live_server, showcase.owner, "/search/?q=launch", viewport="phone"
    )
    banner = page.get_by_role("banner")
    brand = banner.get_by_role("link", name="Taskdesk", exact=True)
    expect(brand).to_be_visible()
    expect(brand).to_have_attribute("href", "/")
    # Two search forms on the search page, each named for what it is.
    expect(page.get_by_role("search")).to_have_count(2)
    expect(page.get_by_role("search", name="Site search", exact=True)).to_have_count(1)
    expect(page.get_by_role("search", name="Search every project", exact=True)).to_have_count(1)
    console.check("names on a phone")
