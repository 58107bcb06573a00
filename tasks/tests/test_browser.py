"""
End-to-end flows in a real Chromium (Playwright), against the live test server.

Run: ``.venv/bin/pytest tasks/tests/test_browser.py -m browser -v``. Screenshots land in
``artifacts/screenshots/``; ``TASKDESK_UPDATE_DOCS_SCREENSHOT=1`` also rewrites the README
image ``docs/screenshot.png``.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format
from playwright.sync_api import Page, expect

from tasks import services
from tasks.models import Membership, Project, Role, Status, Task
from tasks.tests import browser_support
from tasks.tests.browser_support import (
    DOCS_SCREENSHOT,
    ConsoleWatcher,
    build_showcase,
    low_contrast_text,
    oversized_hidden_text,
    screenshot,
    sideways_overflow,
    sign_in,
    wants_docs_screenshot,
)
from tasks.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser

# The shared fixtures: one Chromium for this module, fresh contexts for each test.
browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture
def page(contexts) -> Page:
    """A desktop page in a fresh context, nobody signed in."""
    return contexts().new_page()


@pytest.fixture
def console(page) -> ConsoleWatcher:
    return ConsoleWatcher(page)


@pytest.fixture
def showcase(db):
    return build_showcase()


def visit(page: Page, console: ConsoleWatcher, url: str, *, status: int = 200) -> None:
    """Open ``url``, check the answer, and that the page loaded without a console error."""
    response = page.goto(url)
    assert response is not None
    assert response.status == status, f"{url} answered {response.status}"
    # The console check below only means something while the strict policy is sent.
    assert "script-src 'self'" in (response.header_value("content-security-policy") or "")
    page.wait_for_load_state("load")
    console.check(url)


def sign_up(page: Page, console: ConsoleWatcher, base: str, username: str) -> None:
    visit(page, console, f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Password (again)").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_text(f"Welcome to Taskdesk, {username}.")).to_be_visible()
    console.check("dashboard after sign-up")


def create_project(page: Page, console: ConsoleWatcher, name: str) -> Project:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New project").click()
    expect(page).to_have_url(re.compile(r"/projects/new/$"))
    console.check()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(r"/projects/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    console.check()
    return Project.objects.get(name=name)


def quick_add(page: Page, title: str) -> None:
    """Type a title into the one-line quick add and press Enter."""
    field = page.get_by_label("New task title")
    field.fill(title)
    field.press("Enter")
    expect(task_rows(page).filter(has_text=title)).to_have_count(1)
    expect(page.get_by_label("New task title")).to_have_value("")


def task_rows(page: Page):
    return page.get_by_role("list", name="Tasks").get_by_role("listitem")


def filter_control(page: Page, name: str, role: str = "combobox"):
    """One control of the task list's filter bar."""
    return page.get_by_role("search", name="Filter tasks").get_by_role(role, name=name, exact=True)


def choose_filter(page: Page, name: str, *options: str) -> None:
    """Tick ``options`` in one of the filter bar's multiple-choice menus and apply them."""
    bar = page.get_by_role("search", name="Filter tasks")
    bar.locator("summary", has_text=f"{name}:").click()
    group = bar.get_by_role("group", name=name, exact=True)
    for option in options:
        group.get_by_role("checkbox", name=option, exact=True).check()
    group.get_by_role("button", name="Apply").click()


def board_cards(page: Page, column: str):
    """The cards of one board column (an ordered list named after its heading)."""
    return page.get_by_role("list", name=column, exact=True).get_by_role("listitem")


def test_newcomer_signs_up_plans_and_finishes_work(live_server, page, console):
    base = live_server.url
    sign_up(page, console, base, "newcomer")
    screenshot(page, "desktop-light-dashboard-empty")

    project = create_project(page, console, "Home renovation")
    titles = ["Order kitchen tiles", "Call the plumber", "Paint the hallway", "Fix garden gate"]
    for title in titles:
        quick_add(page, title)
    console.check("quick add")
    assert list(project.tasks.values_list("title", flat=True).order_by("id")) == titles

    # The list narrows to the text filter, the filter lives in the URL and survives a reload.
    list_url = f"{base}/projects/{project.pk}/"
    visit(page, console, list_url)
    expect(task_rows(page)).to_have_count(4)
    search = filter_control(page, "Filter by text", role="searchbox")
    search.fill("plumber")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]search=plumber"))
    expect(task_rows(page)).to_have_count(1)
    expect(task_rows(page).first).to_contain_text("Call the plumber")
    page.reload()
    expect(task_rows(page)).to_have_count(1)
    expect(filter_control(page, "Filter by text", role="searchbox")).to_have_value("plumber")
    page.get_by_role("link", name="Clear filters").click()
    expect(task_rows(page)).to_have_count(4)
    console.check("task list filters")

    # The board: drag a card from "To do" to "In progress"; it stays there after a reload.
    visit(page, console, f"{base}/projects/{project.pk}/board/")
    expect(board_cards(page, "To do")).to_have_count(4)
    expect(board_cards(page, "In progress")).to_have_count(0)
    card = board_cards(page, "To do").filter(has_text="Call the plumber")
    # The card lands in its new column at once; the saved board replaces it when the POST ends.
    # (Moved as a hand does, in steps and resting before letting go: the drag library looks
    # for the drop place every 50 ms.)
    target = page.get_by_role("region", name="In progress").bounding_box()
    card.hover()
    page.mouse.down()
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=10)
    page.wait_for_timeout(150)
    with page.expect_response(re.compile(r"/tasks/\d+/move/$")) as moved:
        page.mouse.up()
    assert moved.value.ok
    expect(board_cards(page, "In progress").filter(has_text="Call the plumber")).to_have_count(1)
    expect(board_cards(page, "To do")).to_have_count(3)
    console.check("board drag")
    assert Task.objects.get(title="Call the plumber").status == Status.IN_PROGRESS
    page.reload()
    expect(board_cards(page, "In progress").filter(has_text="Call the plumber")).to_have_count(1)
    console.check("board reload")

    # The keyboard alternative: focus a card, press the right arrow; the focus stays on the
    # card and a live region says where it went.
    card = board_cards(page, "To do").filter(has_text="Paint the hallway")
    card.focus()
    page.keyboard.press("ArrowRight")
    moved = board_cards(page, "In progress").filter(has_text="Paint the hallway")
    expect(moved).to_have_count(1)
    expect(moved).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Paint the hallway")).to_have_text(
        "Paint the hallway is now in In progress, position 2 of 2."
    )
    # Its visible move buttons do the same (and work without JavaScript, as plain forms).
    moved.get_by_role("button", name="Move to the previous column").click()
    expect(board_cards(page, "To do").filter(has_text="Paint the hallway")).to_have_count(1)
    board_cards(page, "To do").filter(has_text="Paint the hallway").get_by_role(
        "button", name="Move to the next column"
    ).click()
    expect(board_cards(page, "In progress")).to_have_count(2)
    console.check("board keyboard move")
    assert Task.objects.get(title="Paint the hallway").status == Status.IN_PROGRESS

    # Filter the list by status: only the two moved tasks.
    visit(page, console, list_url)
    choose_filter(page, "Status", "In progress")
    expect(page).to_have_url(re.compile(r"[?&]status=in_progress"))
    expect(task_rows(page)).to_have_count(2)
    console.check("status filter")

    # The task page: raise the priority in the side panel, comment, then complete.
    task_rows(page).get_by_role("link", name="Call the plumber").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call the plumber")
    console.check("task page")
    page.get_by_label("Priority", exact=True).select_option(label="High")
    expect(page.get_by_title("Priority: High")).to_be_visible()
    page.get_by_label("Comment", exact=True).fill("He can come on Tuesday morning.")
    page.get_by_role("button", name="Comment", exact=True).click()
    comments = page.get_by_role("region", name=re.compile("^Comments")).get_by_role("listitem")
    expect(comments).to_have_count(1)
    expect(comments.first).to_contain_text("newcomer")
    # (the first match is the comment itself, the second its folded edit box)
    expect(comments.first.get_by_text("He can come on Tuesday morning.").first).to_be_visible()
    expect(page.get_by_label("Comment", exact=True)).to_have_value("")
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    console.check("priority, comment and complete")
    plumber = Task.objects.get(title="Call the plumber")
    assert (plumber.status, plumber.priority, plumber.comments.count()) == ("done", "high", 1)

    # Back on the list, done tasks are hidden until asked for; then the priority filter finds
    # it, listed ticked.
    visit(page, console, list_url)
    choose_filter(page, "Priority", "High")
    expect(page).to_have_url(re.compile(r"[?&]priority=high"))
    expect(task_rows(page)).to_have_count(0)
    filter_control(page, "Show completed", role="checkbox").check()
    expect(page).to_have_url(re.compile(r"[?&]completed=show"))
    expect(task_rows(page)).to_have_count(1)
    expect(task_rows(page).get_by_role("button", name="Reopen Call the plumber")).to_have_attribute(
        "aria-pressed", "true"
    )
    console.check("priority filter")

    # The dashboard counts it in today's bar; the numbers are in a table for screen readers.
    visit(page, console, f"{base}/")
    chart = page.get_by_role("table", name="Tasks completed per day")
    today = chart.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=date_format(timezone.localdate(), "l j F"))
    )
    expect(today.get_by_role("cell")).to_have_text("1")
    expect(page.get_by_text("1 done", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Tasks completed per day"))).to_be_visible()

    # Log out through the user menu (a POST form); the project is then out of reach.
    page.get_by_title(re.compile("^Account:")).click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    console.check("logged out")
    page.goto(f"{base}/projects/{project.pk}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_console_watcher_catches_content_security_policy_violations(live_server, page, console):
    """The guard every other test relies on: inline code is refused, and that is noticed."""
    visit(page, console, f"{live_server.url}/accounts/login/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.inlineRan = true";
              document.body.append(script);
            }"""
        )
    assert page.evaluate("window.inlineRan") is None
    with pytest.raises(AssertionError, match="Content Security Policy"):
        console.check("login page with an injected inline script")


def test_outsider_gets_404_and_never_sees_the_project(live_server, contexts, showcase):
    base = live_server.url
    page = contexts().new_page()
    console = ConsoleWatcher(page)
    sign_up(page, console, base, "stranger")

    console.expect(r"status of 404")
    visit(page, console, f"{base}/projects/{showcase.project.pk}/", status=404)
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    expect(page.get_by_text(showcase.project.name)).to_have_count(0)

    console.expect(r"status of 404")
    visit(page, console, f"{base}/projects/{showcase.project.pk}/board/", status=404)
    console.expect(r"status of 404")
    visit(page, console, f"{base}/tasks/{showcase.open_task.pk}/", status=404)

    visit(page, console, f"{base}/projects/")
    sidebar = page.get_by_role("navigation", name="Main")
    expect(sidebar.get_by_text("No projects yet.")).to_be_visible()
    expect(page.get_by_text(showcase.project.name)).to_have_count(0)


def test_theme_toggle_switches_to_dark_and_is_remembered(live_server, page, console, showcase):
    sign_in(page.context, live_server.url, showcase.owner)
    visit(page, console, f"{live_server.url}/")
    html = page.locator("html")
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")

    toggle.click()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != background

    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    console.check("theme toggle")


def test_keyboard_shortcuts_drive_the_task_list(live_server, page, console, showcase):
    sign_in(page.context, live_server.url, showcase.owner)
    project = showcase.project
    visit(page, console, f"{live_server.url}/projects/{project.pk}/")
    rows = task_rows(page)

    # j / k move the selection; x completes the selected task in place, keeping the selection.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    expect(rows.nth(0)).to_be_focused()
    title = rows.nth(0).get_by_role("link").first.inner_text()
    page.keyboard.press("x")
    expect(rows.nth(0).get_by_role("button", name=f"Reopen {title}")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    assert Task.objects.get(project=project, title=title).status == Status.DONE

    # Letters typed into a field stay there: j does not move the selection away.
    quick = page.get_by_label("New task title")
    quick.press_sequentially("jx")
    expect(quick).to_have_value("jx")
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    expect(rows.nth(1)).not_to_have_attribute("aria-current", "true")
    quick.fill("")
    quick.blur()

    # ? lists the shortcuts; Esc closes the list.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # / goes to the search box in the top bar.
    page.keyboard.press("/")
    search = page.get_by_role("banner").get_by_role("searchbox", name="Search tasks")
    expect(search).to_be_focused()
    search.fill("security")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=security"))
    results = page.get_by_role("list", name="Search results").get_by_role("listitem")
    expect(results.filter(has_text="Quarterly security review")).to_have_count(1)
    console.check("keyboard shortcuts")

    # n opens the new-task form of the project on screen.
    visit(page, console, f"{live_server.url}/projects/{project.pk}/board/")
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/tasks/new/$"))
    console.check("new task shortcut")


def test_every_filter_control_has_a_clear_name(live_server, page, console, showcase):
    sign_in(page.context, live_server.url, showcase.owner)
    visit(page, console, f"{live_server.url}/projects/{showcase.project.pk}/")
    bar = page.get_by_role("search", name="Filter tasks")
    expect(bar).to_match_aria_snapshot(
        """
        - search "Filter tasks":
          - searchbox "Filter by text"
          - group:
            - text: "Status: Any"
          - group:
            - text: "Priority: Any"
          - combobox "Assignee"
          - combobox "Tag"
          - combobox "Due date"
          - checkbox "Show completed"
          - text: Show completed
        """
    )
    expect(page.get_by_role("combobox", name="Sort", exact=True)).to_have_count(1)
    console.check("filter bar names")


def test_quick_add_refuses_a_blank_title_in_words(live_server, page, console, showcase):
    sign_in(page.context, live_server.url, showcase.owner)
    visit(page, console, f"{live_server.url}/projects/{showcase.project.pk}/")
    count = showcase.project.tasks.exclude(status=Status.DONE).count()
    quick = page.get_by_label("New task title")
    quick.fill("   ")
    quick.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Title")).to_be_visible()
    expect(page.get_by_label("New task title")).to_have_attribute("aria-invalid", "true")
    expect(task_rows(page)).to_have_count(count)
    # The corrected title goes through, and the error goes away.
    page.get_by_label("New task title").fill("Write the FAQ")
    page.get_by_label("New task title").press("Enter")
    expect(task_rows(page).filter(has_text="Write the FAQ")).to_have_count(1)
    expect(page.get_by_role("alert").filter(has_text="Title")).to_have_count(0)
    console.check("quick add error")
    assert showcase.project.tasks.exclude(status=Status.DONE).count() == count + 1


def test_comment_is_edited_and_deleted_in_place(live_server, page, console, showcase):
    sign_in(page.context, live_server.url, showcase.owner)
    task = showcase.open_task
    visit(page, console, f"{live_server.url}/tasks/{task.pk}/")
    page.get_by_label("Comment", exact=True).fill("Draft is in the shared folder.")
    page.get_by_role("button", name="Comment", exact=True).click()
    comments = page.get_by_role("region", name=re.compile("^Comments")).get_by_role("listitem")
    expect(comments).to_have_count(1)

    comments.first.get_by_text("Edit", exact=True).click()
    comments.first.get_by_label("Edit your comment").fill("Draft v2 is in the shared folder.")
    comments.first.get_by_role("button", name="Save").click()
    expect(comments.first).to_contain_text("Draft v2 is in the shared folder.")
    expect(comments.first).to_contain_text("edited")
    assert task.comments.get().body == "Draft v2 is in the shared folder."

    # Deleting asks first (a native confirm); accepting removes the comment without a reload.
    page.once("dialog", lambda dialog: dialog.accept())
    comments.first.get_by_role("button", name="Delete").click()
    expect(comments).to_have_count(0)
    console.check("comment edit and delete")
    assert not task.comments.exists()


def test_comment_delete_asks_first_without_javascript(live_server, contexts, showcase):
    task = showcase.open_task
    comment = services.comment_add(task=task, by=showcase.owner, body="Moved to next week.")
    context = contexts(java_script_enabled=False)
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    visit(page, console, f"{live_server.url}/tasks/{task.pk}/")
    comments = page.get_by_role("region", name=re.compile("^Comments")).get_by_role("listitem")
    comments.first.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this comment?")
    expect(page.get_by_text("Moved to next week.")).to_be_visible()
    screenshot(page, "desktop-light-comment-delete-no-js")
    assert task.comments.filter(pk=comment.pk).exists()
    page.get_by_role("button", name="Delete comment").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/#comments$"))
    expect(page.get_by_text("Comment deleted.")).to_be_visible()
    expect(comments).to_have_count(0)
    console.check("comment delete without JavaScript")
    assert not task.comments.exists()


def test_refused_complete_says_why_and_changes_nothing(live_server, page, console, erin, task):
    """
    Erin's role is lowered to viewer while her list is open: her click on a task's checkbox is
    refused (403), and the page says so in words instead of failing silently.
    """
    version = task.version
    sign_in(page.context, live_server.url, erin)
    visit(page, console, f"{live_server.url}/projects/{task.project.pk}/")
    Membership.objects.filter(project=task.project, user=erin).update(role=Role.VIEWER)

    # The browser and htmx both log the refusal to the console; that much is expected.
    console.expect(r"status of 403")
    console.expect(r"Response Status Error Code 403")
    with page.expect_response(re.compile(rf"/tasks/{task.pk}/complete/$")) as answer:
        task_rows(page).get_by_role("button", name=f"Mark done: {task.title}").click()
    assert answer.value.status == 403
    message = page.get_by_role("main").locator(".messages .message.message-error")
    expect(message).to_have_text(re.compile("your role in this project does not allow it"))
    expect(message).to_be_visible()
    screenshot(page, "desktop-light-task-list-refused")
    message.get_by_role("button", name="Dismiss this message").click()
    expect(message).to_have_count(0)
    # The row is still the unticked one, as saved.
    expect(task_rows(page).get_by_role("button", name=f"Mark done: {task.title}")).to_be_visible()
    console.check("refused complete")
    task.refresh_from_db()
    assert (task.status, task.version) == (Status.TODO, version)


def test_quick_add_and_complete_work_without_javascript(live_server, contexts, showcase):
    context = contexts(java_script_enabled=False)
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    project = showcase.project
    visit(page, console, f"{live_server.url}/projects/{project.pk}/")

    page.get_by_label("New task title").fill("Book the venue")
    page.get_by_label("New task title").press("Enter")
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/"))
    expect(task_rows(page).filter(has_text="Book the venue")).to_have_count(1)
    task = Task.objects.get(title="Book the venue")
    assert task.project == project

    row = task_rows(page).filter(has_text="Book the venue")
    row.get_by_role("button", name="Mark done: Book the venue").click()
    # Back on the list it has left the open tasks; "Show completed" lists it, ticked.
    expect(page.get_by_text("Completed “Book the venue”.")).to_be_visible()
    expect(task_rows(page).filter(has_text="Book the venue")).to_have_count(0)
    page.get_by_role("checkbox", name="Show completed").check()
    page.get_by_role("button", name="Apply", exact=True).last.click()
    row = task_rows(page).filter(has_text="Book the venue")
    expect(row.get_by_role("button", name="Reopen Book the venue")).to_have_attribute(
        "aria-pressed", "true"
    )
    task.refresh_from_db()
    assert task.status == Status.DONE

    # Without JavaScript nothing can be dragged, so every card shows its move buttons, with no
    # hover or focus needed; they are plain forms.
    visit(page, console, f"{live_server.url}/projects/{project.pk}/board/")
    page.mouse.move(0, 0)
    for card in board_cards(page, "To do").all():
        expect(card.get_by_role("button", name="Move to the next column")).to_be_visible()
    screenshot(page, "desktop-light-board-no-js")
    card = board_cards(page, "To do").filter(has_text=showcase.tasks[1].title)
    card.get_by_role("button", name="Move to the next column").click()
    expect(
        board_cards(page, "In progress").filter(has_text=showcase.tasks[1].title)
    ).to_be_visible()
    assert Task.objects.get(pk=showcase.tasks[1].pk).status == Status.IN_PROGRESS
    console.check("no-JavaScript writes")


BREADCRUMB_LINES_SCRIPT = """
(nav) => {
  // The text of each line of the wrapped trail, separators included, in reading order.
  const lines = new Map();
  for (const item of nav.querySelectorAll("li")) {
    const after = getComputedStyle(item, "::after").content;
    const separator = after && after !== "none" ? " /" : "";
    const before = getComputedStyle(item, "::before").content;
    const leading = before && before !== "none" ? "/ " : "";
    const top = Math.round(item.getBoundingClientRect().top);
    lines.set(top, (lines.get(top) || []).concat(leading + item.textContent.trim() + separator));
  }
  return [...lines.values()].map((items) => items.join(" "));
}
"""


def test_task_page_on_a_phone_wraps_breadcrumbs_cleanly_and_spaces_the_comments(
    live_server, contexts, showcase
):
    """No breadcrumb line starts with a separator; "No comments yet" keeps clear of the form."""
    context = contexts(viewport="phone")
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    visit(page, console, f"{live_server.url}/tasks/{showcase.open_task.pk}/")

    trail = page.get_by_role("navigation", name="Breadcrumb")
    lines = trail.evaluate(BREADCRUMB_LINES_SCRIPT)
    assert len(lines) > 1, f"the trail should wrap on a phone: {lines}"
    assert not [line for line in lines if line.startswith("/")], lines
    assert lines[0].startswith("Projects /"), lines

    empty = page.get_by_text("No comments yet.")
    label = page.locator("label", has_text=re.compile("^Comment$"))
    gap = label.bounding_box()["y"] - (empty.bounding_box()["y"] + empty.bounding_box()["height"])
    assert gap >= 12, f"only {gap:.0f} px between the empty note and the comment box"
    screenshot(page, "phone-light-task-page-breadcrumbs", full_page=False)
    console.check("task page on a phone")


def test_phone_sidebar_collapses_to_a_menu(live_server, contexts, showcase):
    context = contexts(viewport="phone")
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    visit(page, console, f"{live_server.url}/")

    sidebar = page.get_by_role("navigation", name="Main")
    project_link = sidebar.get_by_role("link", name=re.compile(showcase.project.name))
    expect(project_link).not_to_be_in_viewport()
    page.get_by_title("Menu", exact=True).click()
    expect(project_link).to_be_in_viewport()
    screenshot(page, "phone-light-menu-open", full_page=False)
    project_link.click()
    expect(page).to_have_url(re.compile(rf"/projects/{showcase.project.pk}/$"))
    expect(sidebar.get_by_role("link", name="Dashboard")).not_to_be_in_viewport()
    console.check("phone menu")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_main_pages_are_clean_and_legible(live_server, contexts, showcase, viewport, scheme):
    """
    The dashboard, task list, board and task page on a phone and a desktop, in the light and
    the dark theme (from the system preference): no console error, every text at WCAG AA
    contrast, screen-reader-only text taking no room, no sideways scrolling on the phone.
    Each page leaves a screenshot.
    """
    context = contexts(viewport=viewport, color_scheme=scheme)
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    project, task = showcase.project, showcase.open_task
    pages = {
        "dashboard": "/",
        "task-list": f"/projects/{project.pk}/",
        "board": f"/projects/{project.pk}/board/",
        "task-page": f"/tasks/{task.pk}/",
    }
    problems = []
    for name, path in pages.items():
        visit(page, console, f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        screenshot(page, f"{viewport}-{scheme}-{name}")
        problems += [f"{name}: {text}" for text in low_contrast_text(page)]
        problems += [f"{name}: {text}" for text in oversized_hidden_text(page)]
        overflow = sideways_overflow(page) if viewport == "phone" else None
        if overflow:
            problems.append(f"{name}: the page scrolls sideways, {overflow}")
        if name == "task-list" and viewport == "desktop" and scheme == "light":
            # Done tasks are hidden until "Show completed".
            expect(task_rows(page)).to_have_count(
                len([task for task in showcase.tasks if task.status != Status.DONE])
            )
            if wants_docs_screenshot():
                page.screenshot(path=str(DOCS_SCREENSHOT), animations="disabled")
    assert not problems, f"{viewport}, {scheme} theme:\n" + "\n".join(problems)
