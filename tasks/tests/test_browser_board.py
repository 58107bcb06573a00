"""
The board in a real Chromium (Playwright): dragging cards with a mouse and a finger
(SortableJS), the keys on a focused card, the no-JavaScript move controls, and a layout that
stays put on hover and scrolls each column on its own.

Run: ``.venv/bin/pytest tasks/tests/test_browser_board.py -m browser -v``.
"""

from __future__ import annotations

import re

import pytest
from django.db.models import Max
from playwright.sync_api import Page, expect

from tasks.models import Membership, Role, Status, Task
from tasks.tests import browser_support
from tasks.tests.browser_support import (
    PHONE,
    ConsoleWatcher,
    build_showcase,
    screenshot,
    sign_in,
)
from tasks.tests.factories import TaskFactory, UserFactory

pytestmark = pytest.mark.browser

# The shared fixtures: one Chromium for this module, fresh contexts for each test.
browser = browser_support.browser
contexts = browser_support.contexts


@pytest.fixture
def showcase(db):
    return build_showcase()


def open_board(
    contexts, live_server, showcase, user=None, **options
) -> tuple[Page, ConsoleWatcher]:
    context = contexts(**options)
    sign_in(context, live_server.url, user or showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    response = page.goto(f"{live_server.url}/projects/{showcase.project.pk}/board/")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in (response.header_value("content-security-policy") or "")
    page.wait_for_load_state("load")
    console.check("board")
    return page, console


def board_cards(page: Page, column: str):
    """The cards of one board column (an ordered list named after its heading)."""
    return page.get_by_role("list", name=column, exact=True).get_by_role("listitem")


def saved_titles(project, status) -> list[str]:
    return list(
        Task.objects.filter(project=project, status=status)
        .order_by("position", "id")
        .values_list("title", flat=True)
    )


def shown_titles(page: Page, column: str) -> list[str]:
    return [
        title.strip()
        for title in board_cards(page, column).locator(".board-card-title").all_inner_texts()
    ]


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def mouse_drag(page: Page, source, target, fraction: float = 0.8) -> None:
    """
    Drag ``source`` onto ``target`` at ``fraction`` of its height, as a hand does: across to
    the target's column first, then onto the target where it is by then (the cards make room
    as the dragged one passes), resting a moment before letting go (SortableJS looks for the
    place under the pointer every 50 ms).
    """
    x0, y0 = centre(source.bounding_box())
    x1 = centre(target.bounding_box())[0]
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 6, y0 + 6, steps=3)
    page.mouse.move(x1, y0 + 6, steps=10)
    page.wait_for_timeout(150)
    box = target.bounding_box()
    page.mouse.move(x1, box["y"] + box["height"] * fraction, steps=8)
    page.wait_for_timeout(150)
    with page.expect_response(re.compile(r"/tasks/\d+/move/$")) as moved:
        page.mouse.up()
    assert moved.value.ok


def test_mouse_drags_a_card_across_columns_and_within_one(live_server, contexts, showcase):
    page, console = open_board(contexts, live_server, showcase)
    project = showcase.project
    todo_before = saved_titles(project, Status.TODO)
    title = todo_before[0]

    # Onto the lower half of the first "In progress" card: it lands second there.
    first_in_progress = saved_titles(project, Status.IN_PROGRESS)[0]
    mouse_drag(
        page,
        board_cards(page, "To do").filter(has_text=title),
        board_cards(page, "In progress").filter(has_text=first_in_progress),
    )
    expect(board_cards(page, "In progress").nth(1)).to_contain_text(title)
    expect(board_cards(page, "In progress").nth(1)).to_be_focused()
    assert saved_titles(project, Status.IN_PROGRESS)[1] == title
    assert saved_titles(project, Status.TODO) == todo_before[1:]
    expect(page.get_by_role("status")).to_have_text(
        f"{title} is now in In progress, position 2 of 4."
    )
    console.check("drag across columns")

    # Within "To do": the first card goes below the third.
    first, third = todo_before[1], todo_before[3]
    mouse_drag(
        page,
        board_cards(page, "To do").filter(has_text=first),
        board_cards(page, "To do").filter(has_text=third),
    )
    expected = [todo_before[2], todo_before[3], first, *todo_before[4:]]
    assert saved_titles(project, Status.TODO) == expected
    page.reload()
    assert shown_titles(page, "To do") == expected
    assert shown_titles(page, "In progress") == saved_titles(project, Status.IN_PROGRESS)
    console.check("drag within a column, then reload")


def test_keyboard_moves_the_focused_card_and_keeps_the_focus(live_server, contexts, showcase):
    page, console = open_board(contexts, live_server, showcase)
    project = showcase.project
    title = saved_titles(project, Status.TODO)[0]
    card = board_cards(page, "To do").filter(has_text=title)
    card.focus()
    # The focused card shows its move controls; the arrow keys press them.
    expect(card.get_by_role("button", name="Move to the next column")).to_be_visible()
    page.keyboard.press("ArrowRight")
    moved = board_cards(page, "In progress").filter(has_text=title)
    expect(moved).to_be_focused()
    expect(page.get_by_role("status")).to_have_text(
        f"{title} is now in In progress, position 1 of 4."
    )
    page.keyboard.press("ArrowDown")
    expect(board_cards(page, "In progress").nth(1)).to_have_text(re.compile(re.escape(title)))
    expect(board_cards(page, "In progress").nth(1)).to_be_focused()
    assert saved_titles(project, Status.IN_PROGRESS)[1] == title
    page.keyboard.press("ArrowLeft")
    expect(board_cards(page, "To do").nth(1)).to_be_focused()
    assert saved_titles(project, Status.TODO)[1] == title
    console.check("keyboard moves")

    # "m" opens the card's move page: any column, any place.
    page.keyboard.press("m")
    expect(page).to_have_url(re.compile(r"/tasks/\d+/move/$"))
    page.get_by_label("Column", exact=True).select_option(label="Done")
    page.get_by_label(re.compile("^Position")).fill("1")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page).to_have_url(re.compile(r"/board/$"))
    expect(board_cards(page, "Done").first).to_contain_text(title)
    assert saved_titles(project, Status.DONE)[0] == title
    console.check("move page")


def test_each_card_is_one_tab_stop_that_enter_opens(live_server, contexts, showcase):
    page, console = open_board(contexts, live_server, showcase)
    todo = board_cards(page, "To do")
    todo.first.focus()
    page.keyboard.press("Tab")
    expect(todo.nth(1)).to_be_focused()  # not the first card's link or buttons
    page.keyboard.press("Shift+Tab")
    expect(todo.first).to_be_focused()
    link = todo.first.locator(".board-card-title")
    href = link.get_attribute("href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}{href}")
    console.check("Enter opens the card")


def test_j_and_k_walk_the_cards_across_columns(live_server, contexts, showcase):
    page, console = open_board(contexts, live_server, showcase)
    todo, in_progress = board_cards(page, "To do"), board_cards(page, "In progress")
    page.keyboard.press("j")
    expect(todo.first).to_be_focused()
    page.keyboard.press("j")
    expect(todo.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(todo.first).to_be_focused()
    todo.last.focus()
    page.keyboard.press("j")
    expect(in_progress.first).to_be_focused()
    page.keyboard.press("k")
    expect(todo.last).to_be_focused()
    # Typing in a field is never taken for a shortcut.
    page.get_by_role("searchbox", name="Search tasks").fill("jk")
    expect(page.get_by_role("searchbox", name="Search tasks")).to_have_value("jk")
    console.check("j and k")


def test_viewer_walks_and_opens_cards_but_cannot_drag_them(live_server, contexts, showcase):
    person = UserFactory(username="vera")
    Membership.objects.create(project=showcase.project, user=person, role=Role.VIEWER)
    page, console = open_board(contexts, live_server, showcase, user=person)
    todo = board_cards(page, "To do")
    title = todo.first.locator(".board-card-title").inner_text().strip()
    page.keyboard.press("j")
    expect(todo.first).to_be_focused()
    page.keyboard.press("ArrowRight")  # nothing to press: viewers have no move controls
    page.wait_for_timeout(200)
    target = board_cards(page, "In progress").first.bounding_box()
    x0, y0 = centre(todo.first.bounding_box())
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(*centre(target), steps=10)
    page.mouse.up()
    page.wait_for_timeout(300)
    assert saved_titles(showcase.project, Status.TODO)[0] == title
    todo.first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    console.check("viewer on the board")


def touch(session, kind: str, x: float = 0, y: float = 0) -> None:
    """One real touch event, sent through Chromium's input pipeline (as a finger would)."""
    points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
    session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


@pytest.mark.xfail(
    strict=False,
    reason=(
        "Touch drags sent through Chromium's input pipeline cross columns only some of the time "
        "here: SortableJS keeps its drop slot in the first column while the ghost follows the "
        "finger. Known gap; the mouse and keyboard moves are tested without it."
    ),
)
def test_touch_press_and_hold_drags_a_card_a_swipe_does_not(live_server, contexts, showcase):
    page, console = open_board(contexts, live_server, showcase, has_touch=True)
    session = page.context.new_cdp_session(page)
    project = showcase.project
    title = saved_titles(project, Status.TODO)[1]
    card = board_cards(page, "To do").filter(has_text=title)
    box = card.bounding_box()
    x0, y0 = box["x"] + box["width"] - 12, box["y"] + box["height"] / 2

    # A quick swipe over a card scrolls; it is not a drag. (Upwards: a sideways swipe would
    # be Chromium's own "back" gesture.)
    touch(session, "touchStart", x0, y0)
    touch(session, "touchMove", x0 + 5, y0 - 60)
    touch(session, "touchMove", x0 + 10, y0 - 150)
    touch(session, "touchEnd")
    page.wait_for_timeout(600)  # longer than a hold
    expect(page.locator(".drag-ghost, .is-drop-placeholder")).to_have_count(0)
    assert saved_titles(project, Status.TODO)[1] == title
    page.evaluate("window.scrollTo(0, 0)")
    box = card.bounding_box()
    x0, y0 = box["x"] + box["width"] - 12, box["y"] + box["height"] / 2

    # Press and hold, then drag across to "In progress" and onto the lower part of its first
    # card (where it is by then: the cards make room as the held one comes in).
    first_in_progress = board_cards(page, "In progress").first
    first_title = first_in_progress.locator(".board-card-title").inner_text().strip()
    target = board_cards(page, "In progress").filter(has_text=first_title)
    x1 = centre(target.bounding_box())[0]
    touch(session, "touchStart", x0, y0)
    page.wait_for_timeout(450)
    steps = 10
    for step in range(1, steps + 1):
        touch(session, "touchMove", x0 + (x1 - x0) * step / steps, y0)
        page.wait_for_timeout(30)  # a finger takes its time; SortableJS samples the pointer
    page.wait_for_timeout(150)
    box = target.bounding_box()
    y1 = box["y"] + box["height"] * 0.8
    for step in range(1, 5):
        touch(session, "touchMove", x1, y0 + (y1 - y0) * step / 4)
        page.wait_for_timeout(30)
    in_progress = page.get_by_role("list", name="In progress", exact=True)
    slot = in_progress.locator(".is-drop-placeholder")
    # The finger rests where it is, trembling a little, until the column makes room (on a
    # busy machine SortableJS's sampling of the pointer can lag behind the gesture).
    for wobble in range(40):
        if slot.count():
            break
        touch(session, "touchMove", x1, y1 + (wobble % 2))
        page.wait_for_timeout(50)
    expect(slot).to_have_count(1)
    expect(page.locator(".drag-ghost")).to_be_visible()
    screenshot(page, "desktop-light-board-touch-drag", full_page=False)
    with page.expect_response(re.compile(r"/tasks/\d+/move/$")) as moved:
        touch(session, "touchEnd")
    assert moved.value.ok
    expect(board_cards(page, "In progress").nth(1)).to_contain_text(title)
    expect(page.locator(".drag-ghost, .is-drop-placeholder")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/board/$"))  # the lifted finger followed no link
    console.check("touch drag")
    assert saved_titles(project, Status.IN_PROGRESS)[1] == title


@pytest.mark.xfail(
    strict=False,
    reason=(
        "Touch drags sent through Chromium's input pipeline cross columns only some of the time "
        "here: SortableJS keeps its drop slot in the first column while the ghost follows the "
        "finger. Known gap; the mouse and keyboard moves are tested without it."
    ),
)
def test_touch_drag_on_a_phone_scrolls_the_board_to_the_next_column(
    live_server, contexts, showcase
):
    """A phone shows one column at a time: holding a card at the edge scrolls the board."""
    page, console = open_board(contexts, live_server, showcase, viewport="phone")
    session = page.context.new_cdp_session(page)
    title = saved_titles(showcase.project, Status.TODO)[1]
    card = board_cards(page, "To do").filter(has_text=title)
    card.scroll_into_view_if_needed()
    x0, y0 = centre(card.bounding_box())
    board = page.locator("#board")
    assert board.evaluate("board => board.scrollLeft") == 0

    touch(session, "touchStart", x0, y0)
    page.wait_for_timeout(450)
    edge = PHONE["width"] - 8
    touch(session, "touchMove", (x0 + edge) / 2, y0)
    touch(session, "touchMove", edge, y0)
    for _ in range(60):  # (wait_for_function would need eval, which the CSP forbids)
        if board.evaluate("board => board.scrollLeft > innerWidth * 0.6"):
            break
        touch(session, "touchMove", edge, y0 + 1)
        page.wait_for_timeout(50)
    touch(session, "touchMove", PHONE["width"] / 2, y0)  # away from the edge: scrolling stops
    assert board.evaluate("board => board.scrollLeft") > PHONE["width"] * 0.6
    column = page.locator(".is-drop-placeholder").evaluate("slot => slot.parentNode.dataset.column")
    assert column in (Status.IN_PROGRESS, Status.DONE)
    screenshot(page, "phone-light-board-touch-drag", full_page=False)
    with page.expect_response(re.compile(r"/tasks/\d+/move/$")) as moved:
        touch(session, "touchEnd")
    assert moved.value.ok
    landed = page.get_by_role("list", name=Status(column).label, exact=True)
    expect(landed.get_by_role("listitem").filter(has_text=title)).to_have_count(1)
    console.check("touch drag on a phone")
    assert Task.objects.get(title=title).status == column


def test_no_javascript_moves_by_buttons_and_by_the_move_page(live_server, contexts, showcase):
    page, console = open_board(contexts, live_server, showcase, java_script_enabled=False)
    project = showcase.project
    page.mouse.move(0, 0)
    # Nothing can be dragged, so every card shows its move buttons, no hover or focus needed.
    for card in board_cards(page, "To do").all():
        expect(card.get_by_role("button", name="Move to the next column")).to_be_visible()
    screenshot(page, "desktop-light-board-no-js")
    title = saved_titles(project, Status.TODO)[0]
    board_cards(page, "To do").filter(has_text=title).get_by_role(
        "button", name="Move to the next column"
    ).click()
    expect(page.get_by_text(f"Moved “{title}” to In progress.")).to_be_visible()
    assert saved_titles(project, Status.IN_PROGRESS)[0] == title
    board_cards(page, "In progress").filter(has_text=title).get_by_role(
        "button", name="Move down"
    ).click()
    expect(board_cards(page, "In progress").nth(1)).to_contain_text(title)
    assert saved_titles(project, Status.IN_PROGRESS)[1] == title

    board_cards(page, "In progress").filter(has_text=title).get_by_role(
        "link", name="Move…"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Move “{title}”")
    expect(page.get_by_label(re.compile("^Position"))).to_have_value("2")
    page.get_by_label("Column", exact=True).select_option(label="Done")
    page.get_by_label(re.compile("^Position")).fill("2")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(board_cards(page, "Done").nth(1)).to_contain_text(title)
    assert saved_titles(project, Status.DONE)[1] == title
    console.check("no-JavaScript moves")


def test_board_move_buttons_show_whenever_scripts_do_not_run(live_server, contexts, showcase):
    """
    With scripts running, a card's move buttons wait for hover or focus (dragging is there);
    when the scripts never arrive, although the browser has scripting on, every card shows them.
    """
    title = showcase.tasks[1].title
    page, console = open_board(contexts, live_server, showcase)
    card = board_cards(page, "To do").filter(has_text=title)
    next_column = card.get_by_role("button", name="Move to the next column")
    expect(next_column).to_be_hidden()
    card.hover()
    expect(next_column).to_be_visible()

    blocked = contexts()
    sign_in(blocked, live_server.url, showcase.owner)
    # Every script answers empty, as if a filter had dropped it.
    blocked.route(
        re.compile(r"\.js(\?.*)?$"),
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
    )
    page = blocked.new_page()
    console = ConsoleWatcher(page)
    page.goto(f"{live_server.url}/projects/{showcase.project.pk}/board/")
    assert page.evaluate("matchMedia('(scripting: enabled)').matches")
    page.mouse.move(0, 0)
    for card in board_cards(page, "To do").all():
        expect(card.get_by_role("button", name="Move to the next column")).to_be_visible()
    board_cards(page, "To do").filter(has_text=title).get_by_role(
        "button", name="Move to the next column"
    ).click()
    expect(board_cards(page, "In progress").filter(has_text=title)).to_be_visible()
    assert Task.objects.get(pk=showcase.tasks[1].pk).status == Status.IN_PROGRESS
    console.check("board without its scripts")


def boxes(page: Page, column: str) -> list[dict]:
    return [card.bounding_box() for card in board_cards(page, column).all()]


def test_hover_and_focus_show_the_move_controls_without_moving_anything(
    live_server, contexts, showcase
):
    page, console = open_board(contexts, live_server, showcase)
    page.mouse.move(0, 0)
    before = boxes(page, "To do")
    card = board_cards(page, "To do").nth(1)
    controls = card.locator(".move-controls")
    expect(controls).to_be_hidden()
    card.hover()
    expect(controls).to_be_visible()
    assert boxes(page, "To do") == before, "hovering a card moved the cards"
    # The controls float inside the card.
    inner, outer = controls.bounding_box(), card.bounding_box()
    assert outer["x"] <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
    assert outer["y"] <= inner["y"] and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    screenshot(page, "desktop-light-board-hover", full_page=False)
    page.mouse.move(0, 0)
    card.focus()
    expect(controls).to_be_visible()
    assert boxes(page, "To do") == before, "focusing a card moved the cards"
    console.check("hover and focus")


def test_a_long_column_scrolls_on_its_own_under_its_header(live_server, contexts, showcase):
    last = Task.objects.filter(project=showcase.project).aggregate(last=Max("position"))["last"]
    for i in range(40):
        TaskFactory(
            project=showcase.project, title=f"Backlog item {i}", position=last + (i + 1) * 1024
        )
    page, console = open_board(contexts, live_server, showcase)
    todo = page.get_by_role("list", name="To do", exact=True)
    header = page.locator(".board-column--todo .board-column-header")
    expect(header).to_contain_text("49")  # the count of cards, in the header
    page.evaluate("window.scrollTo(0, 0)")
    header_before = header.bounding_box()
    other_before = board_cards(page, "In progress").first.bounding_box()
    assert todo.evaluate("list => list.scrollHeight > list.clientHeight + 200")
    assert todo.evaluate("list => getComputedStyle(list).overflowY") == "auto"
    # The whole column fits the screen: its last cards are reached by scrolling the column.
    column = page.locator(".board-column--todo").bounding_box()
    assert column["y"] + column["height"] <= page.viewport_size["height"]
    todo.evaluate("list => { list.scrollTop = 600; }")
    assert todo.evaluate("list => list.scrollTop") == 600
    assert header.bounding_box() == header_before
    assert board_cards(page, "In progress").first.bounding_box() == other_before
    expect(header).to_be_in_viewport()
    # j / k bring the card they focus into view, scrolling its column.
    board_cards(page, "To do").nth(-2).focus()
    page.keyboard.press("j")
    expect(board_cards(page, "To do").last).to_be_focused()
    expect(board_cards(page, "To do").last).to_be_in_viewport()
    assert todo.evaluate("list => list.scrollTop + list.clientHeight >= list.scrollHeight - 1")
    screenshot(page, "desktop-light-board-long-column", full_page=False)
    console.check("long column")


def test_a_refused_move_says_so_and_shows_the_saved_board(live_server, contexts, showcase):
    """Someone took away my editor role meanwhile: the drop is refused, the card goes back."""
    editor = showcase.project.memberships.exclude(user=showcase.owner).first().user
    page, console = open_board(contexts, live_server, showcase, user=editor)
    Membership.objects.filter(project=showcase.project, user=editor).update(role=Role.VIEWER)
    title = saved_titles(showcase.project, Status.TODO)[0]
    console.expect("403")
    target = board_cards(page, "In progress").first.bounding_box()
    card = board_cards(page, "To do").filter(has_text=title)
    x0, y0 = centre(card.bounding_box())
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 6, y0 + 6, steps=3)
    page.mouse.move(*centre(target), steps=12)
    page.wait_for_timeout(150)
    with page.expect_response(re.compile(r"/tasks/\d+/move/$")) as moved:
        page.mouse.up()
    assert moved.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("your role in this project does not allow")
    expect(board_cards(page, "To do").first).to_contain_text(title)
    expect(board_cards(page, "In progress").filter(has_text=title)).to_have_count(0)
    assert saved_titles(showcase.project, Status.TODO)[0] == title
    console.check("refused move")
