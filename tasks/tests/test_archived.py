"""
An archived project is read-only for everyone until an owner unarchives it (DESIGN §4): every
write to it, its tasks, tags, comments and members is a 403 in the API and in pages alike, and
changes nothing. Only unarchiving and deleting it remain.
"""

import pytest
from django.urls import reverse

from tasks.models import Activity, Comment, Membership, Project, Role, Tag, Task
from tasks.tests.factories import CommentFactory, MembershipFactory, UserFactory


@pytest.fixture
def archived(project, task, tag, alice, erin):
    walt = UserFactory(username="walt")
    MembershipFactory(project=project, user=walt, role=Role.VIEWER)
    UserFactory(username="newcomer")
    comment = CommentFactory(task=task, author=erin, body="Looks good")
    own_comment = CommentFactory(task=task, author=alice, body="Mine")
    Project.objects.filter(pk=project.pk).update(is_archived=True)
    return {
        "project": project.pk,
        "task": task.pk,
        "tag": tag.pk,
        "comment": comment.pk,
        "own_comment": own_comment.pk,
        "walt": walt.pk,
        "erin": erin.pk,
        "alice": alice.pk,
    }


def state():
    """Everything a refused write must leave as it was."""
    return {
        "projects": list(Project.objects.values_list("pk", "name", "is_archived")),
        "members": sorted(Membership.objects.values_list("user_id", "role")),
        "tasks": list(Task.objects.values_list("pk", "title", "status", "position", "version")),
        "tags": list(Tag.objects.values_list("pk", "name")),
        "comments": list(Comment.objects.values_list("pk", "body")),
        "activity": Activity.objects.count(),
    }


# (id, method, url, body, who): every write an owner or editor could otherwise make.
API_WRITES = [
    ("project-patch", "patch", "/api/v1/projects/{project}/", {"name": "Renamed"}, "alice"),
    (
        "project-archive-again",
        "patch",
        "/api/v1/projects/{project}/",
        {"is_archived": True, "name": "Renamed"},
        "alice",
    ),
    (
        "project-put",
        "put",
        "/api/v1/projects/{project}/",
        {"name": "Renamed", "description": "", "colour": "#123456"},
        "alice",
    ),
    (
        "member-create",
        "post",
        "/api/v1/projects/{project}/members/",
        {"username": "newcomer", "role": "viewer"},
        "alice",
    ),
    (
        "member-patch",
        "patch",
        "/api/v1/projects/{project}/members/{walt}/",
        {"role": "editor"},
        "alice",
    ),
    ("member-delete", "delete", "/api/v1/projects/{project}/members/{walt}/", None, "alice"),
    ("member-leave", "delete", "/api/v1/projects/{project}/members/{erin}/", None, "erin"),
    ("task-create", "post", "/api/v1/tasks/", {"project": "{project}", "title": "New"}, "erin"),
    ("task-patch", "patch", "/api/v1/tasks/{task}/", {"title": "New"}, "erin"),
    ("task-position", "patch", "/api/v1/tasks/{task}/", {"position": 0}, "alice"),
    (
        "task-put",
        "put",
        "/api/v1/tasks/{task}/",
        {"project": "{project}", "title": "New"},
        "alice",
    ),
    ("task-delete", "delete", "/api/v1/tasks/{task}/", None, "erin"),
    ("comment-create", "post", "/api/v1/tasks/{task}/comments/", {"body": "Hi"}, "erin"),
    ("comment-patch", "patch", "/api/v1/comments/{comment}/", {"body": "Edited"}, "erin"),
    ("comment-delete", "delete", "/api/v1/comments/{comment}/", None, "erin"),
    ("tag-create", "post", "/api/v1/tags/", {"project": "{project}", "name": "new"}, "erin"),
    ("tag-patch", "patch", "/api/v1/tags/{tag}/", {"name": "defect"}, "erin"),
    ("tag-delete", "delete", "/api/v1/tags/{tag}/", None, "alice"),
]


def resolve(ids, url, body):
    url = url.format(**ids)
    if body is not None:
        body = {
            key: int(value.format(**ids)) if isinstance(value, str) and "{" in value else value
            for key, value in body.items()
        }
    return url, body


@pytest.mark.parametrize(
    ("route", "method", "url", "body", "who"), API_WRITES, ids=[r[0] for r in API_WRITES]
)
def test_api_refuses_every_write_in_an_archived_project(
    archived, cast, token_client, route, method, url, body, who
):
    people = {"alice": cast["owner"], "erin": cast["editor"]}
    url, body = resolve(archived, url, body)
    before = state()
    response = getattr(token_client(people[who]), method)(url, body, format="json")
    assert response.status_code == 403, response.content
    assert "archived" in response.json()["detail"]
    assert state() == before


def test_api_owner_unarchives_and_may_rename_at_the_same_time(archived, alice, token_client):
    response = token_client(alice).patch(
        f"/api/v1/projects/{archived['project']}/",
        {"is_archived": False, "name": "Back"},
        format="json",
    )
    assert response.status_code == 200
    assert Project.objects.filter(pk=archived["project"], name="Back", is_archived=False).exists()


def test_api_editor_cannot_unarchive(archived, erin, token_client):
    response = token_client(erin).patch(
        f"/api/v1/projects/{archived['project']}/", {"is_archived": False}, format="json"
    )
    assert response.status_code == 403
    assert Project.objects.get(pk=archived["project"]).is_archived


def test_api_owner_deletes_an_archived_project(archived, alice, token_client):
    response = token_client(alice).delete(f"/api/v1/projects/{archived['project']}/")
    assert response.status_code == 204
    assert not Project.objects.filter(pk=archived["project"]).exists()


def test_api_cannot_move_a_task_into_an_archived_project(archived, alice, token_client):
    elsewhere = token_client(alice).post("/api/v1/projects/", {"name": "Live"}, format="json")
    live_task = token_client(alice).post(
        "/api/v1/tasks/", {"project": elsewhere.json()["id"], "title": "Here"}, format="json"
    )
    before = state()
    response = token_client(alice).patch(
        live_task.json()["url"], {"project": archived["project"]}, format="json"
    )
    assert response.status_code == 403
    assert state() == before


def test_api_reads_still_work_in_an_archived_project(archived, victor, token_client):
    client = token_client(victor)
    assert client.get(f"/api/v1/tasks/{archived['task']}/").status_code == 200
    assert client.get(f"/api/v1/tasks/{archived['task']}/comments/").status_code == 200
    assert client.get(f"/api/v1/projects/{archived['project']}/members/").status_code == 200


# Pages ----------------------------------------------------------------------------------------
PAGE_WRITES = [
    ("task-create", "tasks:task-create", "project", {"title": "New"}, "erin"),
    ("task-complete", "tasks:task-complete", "task", {}, "erin"),
    ("task-move", "tasks:task-move", "task", {"status": "done"}, "erin"),
    ("task-delete", "tasks:task-delete", "task", {}, "erin"),
    ("comment-create", "tasks:comment-create", "task", {"body": "Hi"}, "erin"),
    ("comment-update", "tasks:comment-update", "comment", {"body": "Edited"}, "erin"),
    ("comment-delete", "tasks:comment-delete", "comment", {}, "erin"),
    ("tag-create", "tasks:tag-list", "project", {"name": "new", "colour": "#123456"}, "erin"),
    ("tag-update", "tasks:tag-update", "tag", {"name": "defect", "colour": "#123456"}, "erin"),
    ("tag-delete", "tasks:tag-delete", "tag", {}, "alice"),
    (
        "member-add",
        "tasks:member-list",
        "project",
        {"person": "newcomer", "role": "viewer"},
        "alice",
    ),
    ("leave", "tasks:project-leave", "project", {}, "erin"),
]


@pytest.mark.parametrize(
    ("route", "name", "key", "data", "who"), PAGE_WRITES, ids=[r[0] for r in PAGE_WRITES]
)
def test_pages_refuse_every_write_in_an_archived_project(
    archived, cast, client, route, name, key, data, who
):
    client.force_login({"alice": cast["owner"], "erin": cast["editor"]}[who])
    before = state()
    response = client.post(reverse(name, args=[archived[key]]), data)
    assert response.status_code == 403
    assert state() == before


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("tasks:task-create", "project"),
        ("tasks:task-update", "task"),
        ("tasks:task-delete", "task"),
        ("tasks:comment-update", "comment"),
        ("tasks:tag-update", "tag"),
        ("tasks:tag-delete", "tag"),
    ],
)
def test_pages_do_not_offer_forms_in_an_archived_project(archived, erin, client, name, key):
    client.force_login(erin)
    assert client.get(reverse(name, args=[archived[key]])).status_code == 403


def test_the_task_edit_page_refuses_to_save_in_an_archived_project(archived, alice, client):
    client.force_login(alice)
    task = Task.objects.get(pk=archived["task"])
    before = state()
    data = {
        "title": "New",
        "description": "",
        "status": task.status,
        "priority": task.priority,
        "project": task.project_id,
        "version": task.version,
    }
    assert client.post(reverse("tasks:task-update", args=[task.pk]), data).status_code == 403
    assert state() == before


def test_the_settings_page_explains_that_an_archived_project_must_be_unarchived(
    archived, alice, client
):
    client.force_login(alice)
    url = reverse("tasks:project-settings", args=[archived["project"]])
    before = state()
    response = client.post(url, {"name": "Renamed", "description": "", "colour": "#123456"})
    assert response.status_code == 200
    assert "archived" in response.content.decode()
    assert state() == before
    client.post(url, {"action": "unarchive"})
    assert not Project.objects.get(pk=archived["project"]).is_archived
