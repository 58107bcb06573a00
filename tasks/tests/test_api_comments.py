"""Comments and activity through the API."""

import pytest

from tasks.models import Activity, Comment, Role
from tasks.tests.factories import ActivityFactory, CommentFactory, MembershipFactory, TaskFactory


def comments_url(task):
    return f"/api/v1/tasks/{task.pk}/comments/"


@pytest.fixture
def erin_client(erin, token_client):
    return token_client(erin)


def test_editor_comments_and_activity_records_it(erin_client, task, erin):
    response = erin_client.post(comments_url(task), {"body": "  On it  "})
    assert response.status_code == 201
    data = response.json()
    assert response["Location"] == data["url"]
    assert (data["body"], data["author"], data["author_name"]) == ("On it", erin.pk, "Erin Editor")
    assert data["task"] == task.pk
    assert data["edited_at"] is None
    assert Activity.objects.filter(task=task, verb=Activity.Verb.COMMENTED).exists()


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}, {"body": "x" * 10_001}])
def test_empty_or_huge_comment_is_400(erin_client, task, body):
    response = erin_client.post(comments_url(task), body)
    assert response.status_code == 400
    assert "body" in response.json()["errors"]


def test_author_edits_and_deletes_own_comment(erin_client, task, erin):
    comment = CommentFactory(task=task, author=erin, body="first")
    data = erin_client.patch(f"/api/v1/comments/{comment.pk}/", {"body": "second"}).json()
    assert data["body"] == "second"
    assert data["edited_at"] is not None
    assert erin_client.delete(f"/api/v1/comments/{comment.pk}/").status_code == 204
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_author_demoted_to_viewer_cannot_edit(token_client, task, project, victor):
    comment = CommentFactory(task=task, author=victor)
    response = token_client(victor).patch(f"/api/v1/comments/{comment.pk}/", {"body": "x"})
    assert response.status_code == 403


def test_a_comment_cannot_be_moved_to_another_task(erin_client, task, erin, project):
    comment = CommentFactory(task=task, author=erin)
    other = TaskFactory(project=project)
    response = erin_client.patch(
        f"/api/v1/comments/{comment.pk}/", {"body": "moved?", "task": other.pk, "author": 1}
    )
    assert response.status_code == 200
    comment.refresh_from_db()
    assert (comment.task_id, comment.author_id) == (task.pk, erin.pk)


def test_comment_put_is_405(erin_client, task, erin):
    comment = CommentFactory(task=task, author=erin)
    assert erin_client.put(f"/api/v1/comments/{comment.pk}/", {"body": "x"}).status_code == 405


def test_comments_of_an_unseen_task_are_404(erin_client, oscar):
    secret = TaskFactory()
    MembershipFactory(project=secret.project, user=oscar, role=Role.OWNER)
    assert erin_client.get(comments_url(secret)).status_code == 404
    assert erin_client.post(comments_url(secret), {"body": "hi"}).status_code == 404


def test_activity_lists_newest_first(erin_client, task, alice):
    erin_client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "Renamed"})
    erin_client.patch(f"/api/v1/tasks/{task.pk}/", {"status": "done"})
    rows = erin_client.get(f"/api/v1/tasks/{task.pk}/activity/").json()["results"]
    assert [r["verb"] for r in rows] == ["completed", "updated"]
    assert rows[1]["changes"] == {"title": ["Write the README", "Renamed"]}
    assert rows[0]["actor_name"] == "Erin Editor"


@pytest.mark.parametrize("rows", [10, 200])
def test_comment_list_query_count_is_constant(erin_client, task, django_assert_num_queries, rows):
    CommentFactory.create_batch(rows, task=task)
    erin_client.get(comments_url(task))
    # 1. the bearer token with its user
    # 2. the task, through erin's visible projects
    # 3. the page of comments with their authors
    with django_assert_num_queries(3):
        response = erin_client.get(f"{comments_url(task)}?page_size=200")
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [10, 200])
def test_activity_list_query_count_is_constant(
    erin_client, task, alice, django_assert_num_queries, rows
):
    ActivityFactory.create_batch(rows, task=task, actor=alice)
    url = f"/api/v1/tasks/{task.pk}/activity/"
    erin_client.get(url)
    # 1. the bearer token with its user
    # 2. the task, through erin's visible projects
    # 3. the page of activity with the actors
    with django_assert_num_queries(3):
        response = erin_client.get(f"{url}?page_size=200")
    assert len(response.json()["results"]) == rows


def test_activity_of_a_comment_lists_with_the_comment_named(erin_client, task):
    """A comment's activity names the comment (an id, not [old, new]): it once gave a 500."""
    comment_id = erin_client.post(comments_url(task), {"body": "On it"}).json()["id"]
    erin_client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "Renamed"})

    response = erin_client.get(f"/api/v1/tasks/{task.pk}/activity/")

    assert response.status_code == 200
    changes = [row["changes"] for row in response.json()["results"]]
    assert {"comment": comment_id} in changes
    assert {"title": ["Write the README", "Renamed"]} in changes
