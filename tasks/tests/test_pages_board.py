"""The board (/projects/<id>/board/) and the move endpoint (/tasks/<id>/move/)."""

import datetime

import pytest
from django.urls import reverse

from tasks.models import Priority, Status, Task
from tasks.tests.factories import TagFactory, TaskFactory
from tasks.views.board import COLUMN_LIMIT


def board_url(project, query=""):
    return reverse("tasks:project-board", args=[project.pk]) + query


def move_url(task):
    return reverse("tasks:task-move", args=[task.pk])


def column_titles(project, status):
    return list(
        Task.objects.filter(project=project, status=status)
        .order_by("position", "id")
        .values_list("title", flat=True)
    )


@pytest.fixture
def column(project):
    """Three cards in To do (a, b, c) and one in progress (d)."""
    cards = {
        title: TaskFactory(project=project, title=title, position=(i + 1) * 1024)
        for i, title in enumerate("abc")
    }
    cards["d"] = TaskFactory(project=project, title="d", status=Status.IN_PROGRESS, position=1024)
    return cards


# ---------------------------------------------------------------------------
# The board page
# ---------------------------------------------------------------------------
def test_anonymous_is_sent_to_login(client, project):
    response = client.get(board_url(project))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_outsider_gets_404(client, oscar, project, column):
    client.force_login(oscar)
    assert client.get(board_url(project)).status_code == 404
    assert client.post(move_url(column["a"]), {"status": "done"}).status_code == 404
    assert column_titles(project, Status.DONE) == []


def test_board_has_a_column_per_status_with_counts(client, alice, project, column):
    client.force_login(alice)
    response = client.get(board_url(project))
    columns = response.context["columns"]
    assert [c.status for c in columns] == [Status.TODO, Status.IN_PROGRESS, Status.DONE]
    assert [c.count for c in columns] == [3, 1, 0]
    assert [t.title for t in columns[0].tasks] == ["a", "b", "c"]
    html = response.content.decode()
    assert 'class="board-count"' in html
    assert "js/board.js" in html
    assert "vendor/sortablejs/Sortable.min.js" in html


def test_viewer_sees_a_read_only_board(client, victor, project, column):
    client.force_login(victor)
    html = client.get(board_url(project)).content.decode()
    assert "a" in html and 'id="card-' in html
    assert 'id="board-moves"' not in html
    assert move_url(column["a"]) not in html
    assert "data-move" not in html
    # j / k and Enter work for everyone; dragging only for those who may move cards.
    assert "js/board.js" in html
    assert "Sortable.min.js" not in html


def test_viewer_cannot_move(client, victor, project, column):
    client.force_login(victor)
    response = client.post(move_url(column["a"]), {"status": "done", "index": "0"})
    assert response.status_code == 403
    assert column_titles(project, Status.TODO) == ["a", "b", "c"]


def test_editor_gets_cards_with_move_controls(client, erin, project, column):
    client.force_login(erin)
    html = client.get(board_url(project)).content.decode()
    assert html.count("data-card") == 4
    assert 'data-move="right"' in html and 'data-move="down"' in html
    # Each card links to its move page, which is also the URL its moves are posted to.
    for task in column.values():
        assert f'href="{move_url(task)}" data-move-link>Move…</a>' in html


def csrf_tokens(html):
    return html.count('name="csrfmiddlewaretoken"')


def test_the_whole_board_is_one_form_with_one_csrf_token(client, erin, victor, project, column):
    """The arrow buttons of every card submit one form around the board: one token in all."""
    client.force_login(victor)
    viewer = client.get(board_url(project)).content.decode()
    client.force_login(erin)
    html = client.get(board_url(project)).content.decode()
    assert csrf_tokens(html) == csrf_tokens(viewer) + 1
    assert html.count("<form") == viewer.count("<form") + 1
    form = html.split('id="board-moves"', 1)[1].split("</form>", 1)[0]
    assert form.count("data-card") == 4
    # Each button posts its target to its own card's move URL.
    a = column["a"]
    assert f'formaction="{move_url(a)}" name="to" value="in_progress:0" data-move="right"' in form


def test_page_size_per_card_stays_small(client, erin, project):
    """
    A full card (two tags, priority, due date, assignee, move controls) costs under 2 KB of
    HTML; it cost over 3 KB when each card carried two forms with a CSRF token each.
    """
    client.force_login(erin)
    empty = len(client.get(board_url(project)).content)
    tags = TagFactory.create_batch(2, project=project)
    statuses = [Status.TODO, Status.IN_PROGRESS, Status.DONE]
    cards = 60
    for i in range(cards):
        TaskFactory(
            project=project,
            title=f"Write the release notes for version {i}",
            status=statuses[i % 3],
            priority=Priority.HIGH,
            due_date=datetime.date(2030, 1, 1),
            assignee=erin,
            tags=tags,
        )
    full = len(client.get(board_url(project)).content)
    per_card = (full - empty) / cards
    assert per_card < 2000, f"{per_card:.0f} bytes per card"


def test_card_draws_its_meta_row_only_when_it_has_something_to_show(client, erin, project):
    bare = TaskFactory(project=project, title="bare")
    TaskFactory(project=project, title="urgent", priority=Priority.URGENT)
    TaskFactory(project=project, title="dated", due_date=datetime.date(2030, 1, 1))
    TaskFactory(project=project, title="assigned", assignee=erin)
    client.force_login(erin)
    html = client.get(board_url(project)).content.decode()
    assert html.count('class="board-card-meta"') == 3
    bare_card = html.split(f'id="card-{bare.pk}"', 1)[1].split("</li>", 1)[0]
    assert "board-card-meta" not in bare_card


def test_long_columns_show_the_first_cards_and_a_show_more_link(client, erin, project):
    TaskFactory.create_batch(COLUMN_LIMIT + 3, project=project)
    TaskFactory(project=project, status=Status.DONE)
    client.force_login(erin)
    response = client.get(board_url(project))
    todo = response.context["columns"][0]
    assert (todo.count, len(todo.tasks), todo.hidden) == (COLUMN_LIMIT + 3, COLUMN_LIMIT, 3)
    assert "Show 3 more" in response.content.decode()
    everything = client.get(board_url(project, "?show=todo")).context["columns"][0]
    assert len(everything.tasks) == COLUMN_LIMIT + 3


def test_board_shows_only_this_projects_tasks(client, erin, project, column):
    TaskFactory(title="elsewhere")
    client.force_login(erin)
    columns = client.get(board_url(project)).context["columns"]
    assert sum(c.count for c in columns) == 4


# ---------------------------------------------------------------------------
# Moving
# ---------------------------------------------------------------------------
def test_move_within_a_column_persists_the_order(client, erin, project, column):
    client.force_login(erin)
    response = client.post(move_url(column["c"]), {"status": "todo", "index": "0"})
    assert response.status_code == 302
    assert response["Location"] == board_url(project)
    assert column_titles(project, Status.TODO) == ["c", "a", "b"]
    # and the reloaded board shows it
    todo = client.get(board_url(project)).context["columns"][0]
    assert [t.title for t in todo.tasks] == ["c", "a", "b"]


def test_move_across_columns_persists_status_and_place(client, erin, project, column):
    client.force_login(erin)
    client.post(move_url(column["a"]), {"status": "in_progress", "index": "0"})
    assert column_titles(project, Status.IN_PROGRESS) == ["a", "d"]
    assert column_titles(project, Status.TODO) == ["b", "c"]
    moved = Task.objects.get(pk=column["a"].pk)
    assert moved.activities.get().verb == "moved"


def test_move_without_an_index_goes_to_the_bottom(client, erin, project, column):
    client.force_login(erin)
    client.post(move_url(column["d"]), {"status": "todo"})
    assert column_titles(project, Status.TODO) == ["a", "b", "c", "d"]


def test_move_to_done_completes_the_task(client, erin, project, column):
    client.force_login(erin)
    client.post(move_url(column["b"]), {"status": "done", "index": "0"})
    task = Task.objects.get(pk=column["b"].pk)
    assert task.status == Status.DONE and task.completed_at is not None


def test_no_js_move_form_counts_places_from_one(client, erin, project, column):
    client.force_login(erin)
    client.post(move_url(column["a"]), {"status": "todo", "place": "3"})
    assert column_titles(project, Status.TODO) == ["b", "c", "a"]


def test_arrow_buttons_send_column_and_index_together(client, erin, project, column):
    client.force_login(erin)
    html = client.get(board_url(project)).content.decode()
    assert 'name="to" value="in_progress:0" data-move="right"' in html
    client.post(move_url(column["a"]), {"to": "in_progress:1", "status": "todo", "place": "1"})
    assert column_titles(project, Status.IN_PROGRESS) == ["d", "a"]
    assert client.post(move_url(column["b"]), {"to": "nowhere:1"}).status_code == 400
    assert client.post(move_url(column["b"]), {"to": "todo"}).status_code == 400


def test_move_by_htmx_returns_the_redrawn_board(client, erin, project, column):
    client.force_login(erin)
    response = client.post(
        move_url(column["b"]),
        {"status": "todo", "index": "0", "show": "todo"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="board" id="board"')
    assert f'data-moved="card-{column["b"].pk}"' in html
    assert "<html" not in html
    assert [t.title for t in response.context["columns"][0].tasks] == ["b", "a", "c"]


def test_move_with_a_bad_status_is_a_400(client, erin, project, column):
    client.force_login(erin)
    response = client.post(move_url(column["a"]), {"status": "lost", "index": "0"})
    assert response.status_code == 400
    assert "status" in response.content.decode()
    response = client.post(move_url(column["a"]), {"status": "todo", "index": "-1"})
    assert response.status_code == 400


def test_move_page_asks_for_column_and_place(client, erin, project, column):
    client.force_login(erin)
    response = client.get(move_url(column["b"]) + "?show=todo")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="todo" selected>' in html
    assert 'name="place" id="move-place" min="1" inputmode="numeric" value="2"' in html
    assert 'name="show" value="todo"' in html
    response = client.post(move_url(column["b"]), {"status": "done", "place": "1", "show": "todo"})
    assert response.status_code == 302
    assert response["Location"] == board_url(project, "?show=todo")
    assert column_titles(project, Status.DONE) == ["b"]


def test_move_page_shows_errors_in_words_and_keeps_the_choice(client, erin, project, column):
    client.force_login(erin)
    response = client.post(move_url(column["a"]), {"status": "done", "place": "0"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="move-place-error"' in html and 'aria-invalid="true"' in html
    assert '<option value="done" selected>' in html
    assert column_titles(project, Status.DONE) == []


def test_move_page_is_for_editors_only(client, victor, oscar, column):
    client.force_login(victor)
    assert client.get(move_url(column["a"])).status_code == 403
    client.force_login(oscar)
    assert client.get(move_url(column["a"])).status_code == 404


def test_move_in_an_archived_project_is_refused(client, alice, project, column):
    project.is_archived = True
    project.save()
    client.force_login(alice)
    assert client.post(move_url(column["a"]), {"status": "done"}).status_code == 403
    assert column_titles(project, Status.DONE) == []
    html = client.get(board_url(project)).content.decode()
    assert 'id="board-moves"' not in html and "data-move" not in html
    assert client.get(move_url(column["a"])).status_code == 403


# ---------------------------------------------------------------------------
# Query count
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("count", [10, 200])
def test_board_query_count_is_constant(client, erin, project, django_assert_num_queries, count):
    tags = TagFactory.create_batch(2, project=project)
    statuses = [Status.TODO, Status.IN_PROGRESS, Status.DONE]
    for i in range(count):
        TaskFactory(project=project, status=statuses[i % 3], assignee=erin, tags=tags[: i % 3])
    client.force_login(erin)
    # 1 session, 2 user, 3 project (with my role), 4 cards per status (count),
    # 5 the first cards of every column (one windowed query), 6 their tags, 7 sidebar projects,
    # 8 the invitations waiting for me (user menu), 9 my unread notifications (inbox badge).
    with django_assert_num_queries(9):
        response = client.get(board_url(project))
    assert sum(len(c.tasks) for c in response.context["columns"]) == min(count, 150)
