"""Subtasks: the parent field's rules, moves with the subtree, progress, the pages and the API."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tasks import services
from tasks.models import Activity, Role, Status, Task
from tasks.tests.factories import MembershipFactory, ProjectFactory, TagFactory, TaskFactory

TASKS = "/api/v1/tasks/"


@pytest.fixture
def beta(alice, erin):
    beta = ProjectFactory(name="Beta", created_by=alice)
    MembershipFactory(project=beta, user=alice, role=Role.OWNER)
    MembershipFactory(project=beta, user=erin, role=Role.EDITOR)
    return beta


@pytest.fixture
def tree(project, erin):
    """A task, its subtask and a sub-subtask (the deepest allowed)."""
    top = services.task_create(project=project, by=erin, title="Top")
    child = services.task_create(project=project, by=erin, title="Child", parent=top)
    grandchild = services.task_create(project=project, by=erin, title="Grandchild", parent=child)
    return top, child, grandchild


def parent_error(call):
    with pytest.raises(ValidationError) as caught:
        call()
    assert "parent" in caught.value.message_dict
    return caught.value.message_dict["parent"][0]


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------
def test_depth_is_limited_to_three_levels(project, erin, tree):
    _, _, grandchild = tree
    message = parent_error(
        lambda: services.task_create(project=project, by=erin, title="Too deep", parent=grandchild)
    )
    assert "3 levels" in message
    assert not Task.objects.filter(title="Too deep").exists()


def test_depth_counts_the_moved_subtree(project, erin, tree):
    top, child, _ = tree
    above = services.task_create(project=project, by=erin, title="Above")
    other = services.task_create(project=project, by=erin, title="Other", parent=above)
    # child brings a level below it: under other (itself a subtask) it would make four.
    parent_error(lambda: services.task_update(task=child, by=erin, parent=other))
    lone = services.task_create(project=project, by=erin, title="Lone")
    services.task_update(task=lone, by=erin, parent=other)  # three levels: fine
    assert Task.objects.get(pk=lone.pk).parent_id == other.pk


@pytest.mark.parametrize("which", ["self", "child", "grandchild"])
def test_no_cycles(erin, tree, which):
    top, child, grandchild = tree
    parent = {"self": top, "child": child, "grandchild": grandchild}[which]
    parent_error(lambda: services.task_update(task=top, by=erin, parent=parent))
    assert Task.objects.get(pk=top.pk).parent_id is None


def test_parent_from_another_project_is_refused(project, beta, erin):
    elsewhere = services.task_create(project=beta, by=erin, title="Elsewhere")
    message = parent_error(
        lambda: services.task_create(project=project, by=erin, title="x", parent=elsewhere)
    )
    assert "same project" in message


def test_deleting_a_parent_deletes_its_subtree(erin, tree):
    top, child, grandchild = tree
    services.task_delete(task=top, by=erin)
    assert not Task.objects.filter(pk__in=[top.pk, child.pk, grandchild.pk]).exists()


# ---------------------------------------------------------------------------
# Moves
# ---------------------------------------------------------------------------
def test_moving_a_parent_moves_its_subtree(project, beta, erin, victor, tree):
    top, child, grandchild = tree
    bug_here, bug_there = (
        TagFactory(project=project, name="bug"),
        TagFactory(project=beta, name="BUG"),
    )
    child.tags.set([bug_here])
    Task.objects.filter(pk=grandchild.pk).update(assignee=victor)  # not a member of beta
    services.task_update(task=top, by=erin, project=beta)
    moved = {t.pk: t for t in Task.objects.filter(pk__in=[top.pk, child.pk, grandchild.pk])}
    assert {t.project_id for t in moved.values()} == {beta.pk}
    assert moved[child.pk].parent_id == top.pk and moved[grandchild.pk].parent_id == child.pk
    assert list(moved[child.pk].tags.all()) == [bug_there]
    assert moved[grandchild.pk].assignee_id is None
    rows = Activity.objects.filter(verb=Activity.Verb.MOVED, project=beta)
    assert sorted(rows.values_list("task_id", flat=True)) == sorted(moved)


def test_a_subtask_does_not_move_alone(project, beta, erin, tree):
    _, child, _ = tree
    message = parent_error(lambda: services.task_update(task=child, by=erin, project=beta))
    assert "clear its parent" in message
    assert Task.objects.get(pk=child.pk).project_id == project.pk


def test_a_subtask_moves_alone_with_its_parent_cleared(beta, erin, tree):
    _, child, grandchild = tree
    services.task_update(task=child, by=erin, project=beta, parent=None)
    child.refresh_from_db()
    grandchild.refresh_from_db()
    assert (child.project_id, child.parent_id) == (beta.pk, None)
    assert grandchild.project_id == beta.pk


# ---------------------------------------------------------------------------
# Recurrence
# ---------------------------------------------------------------------------
def test_next_occurrence_gets_the_subtasks_reopened(project, erin):
    top = services.task_create(
        project=project,
        by=erin,
        title="Weekly review",
        due_date=datetime.date(2031, 5, 5),
        recurrence="FREQ=WEEKLY",
    )
    a = services.task_create(project=project, by=erin, title="Inbox zero", parent=top)
    services.task_create(project=project, by=erin, title="Plan", parent=top)
    services.task_complete(task=a, by=erin)
    services.task_complete(task=top, by=erin)
    nxt = Task.objects.get(previous_occurrence=top)
    copies = list(nxt.subtasks.order_by("pk"))
    assert [(c.title, c.status) for c in copies] == [("Inbox zero", "todo"), ("Plan", "todo")]
    created = Activity.objects.get(task=nxt, verb=Activity.Verb.CREATED)
    assert created.changes["subtasks_reopened"] == 2


# ---------------------------------------------------------------------------
# Progress on the pages, in the pinned number of queries
# ---------------------------------------------------------------------------
def with_subtasks(project, count):
    """``count`` top-level tasks, each with 2 subtasks, one of them done."""
    for _ in range(count):
        top = TaskFactory(project=project)
        TaskFactory(project=project, parent=top, status=Status.DONE)
        TaskFactory(project=project, parent=top)


@pytest.mark.parametrize("count", [10, 200])
def test_list_shows_progress_in_the_pinned_queries(
    client, erin, project, django_assert_num_queries, count
):
    with_subtasks(project, count)
    client.force_login(erin)
    # As test_pages_task_list's pin: the counts are subqueries of the page's one task query.
    with django_assert_num_queries(11):
        response = client.get(reverse("tasks:project-detail", args=[project.pk]) + "?sort=due_date")
    assert "1/2 done" in response.content.decode()
    parents = [t for t in response.context["tasks"] if t.parent_id is None]
    assert parents and all(t.subtask_progress() == "1/2 done" for t in parents)


@pytest.mark.parametrize("count", [10, 200])
def test_board_shows_progress_in_the_pinned_queries(
    client, erin, project, django_assert_num_queries, count
):
    with_subtasks(project, count)
    client.force_login(erin)
    with django_assert_num_queries(9):  # as test_pages_board's pin
        response = client.get(reverse("tasks:project-board", args=[project.pk]))
    assert 'class="board-card-subtasks muted small" title="Subtasks done">1/2 done' in (
        response.content.decode()
    )


def test_task_page_lists_subtasks_and_the_parent_crumb(
    client, erin, tree, django_assert_num_queries
):
    top, child, grandchild = tree
    services.task_complete(task=child, by=erin)
    client.force_login(erin)
    html = client.get(child.get_absolute_url()).content.decode()
    assert f'href="{top.get_absolute_url()}">Top</a>' in html  # breadcrumb
    assert "0/1 done" in html and "Grandchild" in html
    assert reverse("tasks:task-complete", args=[grandchild.pk]) in html
    html = client.get(top.get_absolute_url()).content.decode()
    assert "1/1 done" in html
    # The deepest level offers no "Add subtask".
    html = client.get(grandchild.get_absolute_url()).content.decode()
    assert "Add subtask" not in html


def test_task_page_without_subtasks_keeps_its_query_count(
    client, alice, task, django_assert_num_queries
):
    client.force_login(alice)
    with django_assert_num_queries(13):  # as test_pages_task_detail's pin
        client.get(task.get_absolute_url())


def test_add_subtask_form(client, erin, task):
    client.force_login(erin)
    response = client.post(reverse("tasks:subtask-create", args=[task.pk]), {"title": "Part one"})
    assert response.status_code == 302
    assert response["Location"].endswith(task.get_absolute_url() + "#subtasks")
    sub = Task.objects.get(title="Part one")
    assert (sub.parent_id, sub.project_id) == (task.pk, task.project_id)
    assert "Part one" in client.get(task.get_absolute_url()).content.decode()


def test_add_subtask_form_refused_for_viewers(client, victor, task):
    client.force_login(victor)
    response = client.post(reverse("tasks:subtask-create", args=[task.pk]), {"title": "x"})
    assert response.status_code == 403
    assert not task.subtasks.exists()


def test_completing_a_parent_with_open_subtasks_asks_first(client, erin, tree):
    top, child, _ = tree
    client.force_login(erin)
    complete = reverse("tasks:task-complete", args=[top.pk])
    response = client.post(complete, {"next": top.get_absolute_url()})
    assert response.status_code == 302
    assert reverse("tasks:task-complete-confirm", args=[top.pk]) in response["Location"]
    assert Task.objects.get(pk=top.pk).status == Status.TODO
    page = client.get(response["Location"]).content.decode()
    assert "Complete anyway" in page and "Child" in page
    response = client.post(complete, {"confirm": "1", "next": top.get_absolute_url()})
    assert response.status_code == 302
    assert Task.objects.get(pk=top.pk).status == Status.DONE
    assert Task.objects.get(pk=child.pk).status == Status.TODO


def test_htmx_complete_with_open_subtasks_redirects_to_the_question(client, erin, tree):
    top, _, _ = tree
    client.force_login(erin)
    response = client.post(reverse("tasks:task-complete", args=[top.pk]), HTTP_HX_REQUEST="true")
    assert reverse("tasks:task-complete-confirm", args=[top.pk]) in response["HX-Redirect"]
    assert Task.objects.get(pk=top.pk).status == Status.TODO


def test_a_parent_with_done_subtasks_completes_at_once(client, erin, task):
    TaskFactory(project=task.project, parent=task, status=Status.DONE)
    client.force_login(erin)
    client.post(reverse("tasks:task-complete", args=[task.pk]))
    assert Task.objects.get(pk=task.pk).status == Status.DONE


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------
@pytest.fixture
def erin_client(erin, token_client):
    return token_client(erin)


def test_api_parent_field_and_filter(erin_client, project, task):
    body = {"project": project.pk, "title": "Part", "parent": task.pk}
    created = erin_client.post(TASKS, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["parent"] == task.pk
    children = erin_client.get(TASKS, {"parent": task.pk}).json()["results"]
    assert [row["id"] for row in children] == [created.json()["id"]]
    top = erin_client.get(TASKS, {"parent": "none"}).json()["results"]
    assert [row["id"] for row in top] == [task.pk]
    assert erin_client.get(TASKS, {"parent": "soon"}).status_code == 400
    cleared = erin_client.patch(f"{TASKS}{created.json()['id']}/", {"parent": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["parent"] is None


def test_api_parent_errors_are_400s_on_parent(erin_client, project, beta, tree, oscar):
    top, _, grandchild = tree
    cases = [
        (f"{TASKS}{top.pk}/", {"parent": top.pk}),  # itself
        (f"{TASKS}{top.pk}/", {"parent": grandchild.pk}),  # a cycle
        (TASKS, {"project": project.pk, "title": "deep", "parent": grandchild.pk}),
        (TASKS, {"project": beta.pk, "title": "elsewhere", "parent": top.pk}),
        (TASKS, {"project": project.pk, "title": "unseen", "parent": 10**9}),
    ]
    for url, body in cases:
        send = erin_client.patch if url != TASKS else erin_client.post
        response = send(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert "parent" in response.json()["errors"], response.json()
    assert not Task.objects.filter(title__in=["deep", "elsewhere", "unseen"]).exists()


def test_api_subtask_alone_move_refused(erin_client, beta, tree):
    _, child, _ = tree
    response = erin_client.patch(f"{TASKS}{child.pk}/", {"project": beta.pk}, format="json")
    assert response.status_code == 400 and "parent" in response.json()["errors"]
    moved = erin_client.patch(
        f"{TASKS}{child.pk}/", {"project": beta.pk, "parent": None}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["project"] == beta.pk


def test_api_completes_a_parent_without_asking(erin_client, tree):
    top, child, _ = tree
    response = erin_client.patch(f"{TASKS}{top.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert Task.objects.get(pk=child.pk).status == Status.TODO


def test_activity_says_what_became_of_the_parent(erin, tree):
    from tasks.templatetags.taskdesk import activity_words

    top, child, _ = tree
    services.task_update(task=child, by=erin, parent=None)
    services.task_update(task=child, by=erin, parent=top)
    rows = Activity.objects.filter(task=child, verb=Activity.Verb.UPDATED).order_by("pk")
    assert [activity_words(row) for row in rows] == [
        "made this a task of its own (was a subtask of “Top”)",
        "made this a subtask of “Top”",
    ]
