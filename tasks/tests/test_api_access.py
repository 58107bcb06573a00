"""
The role matrix of DESIGN §4 for every API route: anonymous 401 (with WWW-Authenticate),
outsider 404 (existence not revealed), a role too low 403, the right role succeeds.
"""

import pytest
from django.test import Client

from tasks.models import Role
from tasks.tests.factories import (
    ActivityFactory,
    CommentFactory,
    MembershipFactory,
    UserFactory,
    make_token,
)

ROLES = ["owner", "editor", "viewer", "outsider"]


def everyone(code):
    return dict.fromkeys(ROLES, code)


def at_least(role, ok, *, outsider=404):
    """``ok`` from ``role`` up, 403 below it, ``outsider`` for non-members."""
    rank = {"viewer": 1, "editor": 2, "owner": 3}
    codes = {name: ok if rank[name] >= rank[role] else 403 for name in rank}
    return {**codes, "outsider": outsider}


@pytest.fixture
def world(project, task, tag, alice, erin, victor, oscar):
    walt = UserFactory(username="walt")
    MembershipFactory(project=project, user=walt, role=Role.VIEWER)
    newcomer = UserFactory(username="newcomer")
    comment = CommentFactory(task=task, author=erin, body="Looks good")
    ActivityFactory(task=task, actor=alice)
    token, _ = make_token(alice, name="alice's laptop")
    return {
        "project": project,
        "task": task,
        "tag": tag,
        "comment": comment,
        "walt": walt,
        "newcomer": newcomer,
        "token": token,
    }


# (id, method, url template, body, expected codes by role)
ROUTES = [
    ("project-list", "get", "/api/v1/projects/", None, everyone(200)),
    ("project-create", "post", "/api/v1/projects/", {"name": "New"}, everyone(201)),
    ("project-detail", "get", "/api/v1/projects/{project}/", None, at_least("viewer", 200)),
    (
        "project-patch",
        "patch",
        "/api/v1/projects/{project}/",
        {"name": "Renamed"},
        at_least("owner", 200),
    ),
    (
        "project-put",
        "put",
        "/api/v1/projects/{project}/",
        {"name": "Renamed", "description": "", "colour": "#123456"},
        at_least("owner", 200),
    ),
    ("project-delete", "delete", "/api/v1/projects/{project}/", None, at_least("owner", 204)),
    ("member-list", "get", "/api/v1/projects/{project}/members/", None, at_least("viewer", 200)),
    (
        "member-create",
        "post",
        "/api/v1/projects/{project}/members/",
        {"username": "newcomer", "role": "viewer"},
        at_least("owner", 201),
    ),
    (
        "member-detail",
        "get",
        "/api/v1/projects/{project}/members/{walt}/",
        None,
        at_least("viewer", 200),
    ),
    (
        "member-patch",
        "patch",
        "/api/v1/projects/{project}/members/{walt}/",
        {"role": "editor"},
        at_least("owner", 200),
    ),
    (
        "member-delete",
        "delete",
        "/api/v1/projects/{project}/members/{walt}/",
        None,
        at_least("owner", 204),
    ),
    ("task-list", "get", "/api/v1/tasks/", None, everyone(200)),
    (
        "task-create",
        "post",
        "/api/v1/tasks/",
        {"project": "{project}", "title": "New task"},
        at_least("editor", 201, outsider=400),
    ),
    ("task-detail", "get", "/api/v1/tasks/{task}/", None, at_least("viewer", 200)),
    ("task-patch", "patch", "/api/v1/tasks/{task}/", {"title": "New"}, at_least("editor", 200)),
    (
        "task-put",
        "put",
        "/api/v1/tasks/{task}/",
        {"project": "{project}", "title": "New"},
        at_least("editor", 200),
    ),
    ("task-delete", "delete", "/api/v1/tasks/{task}/", None, at_least("editor", 204)),
    ("comment-list", "get", "/api/v1/tasks/{task}/comments/", None, at_least("viewer", 200)),
    (
        "comment-create",
        "post",
        "/api/v1/tasks/{task}/comments/",
        {"body": "Me too"},
        at_least("editor", 201),
    ),
    ("comment-detail", "get", "/api/v1/comments/{comment}/", None, at_least("viewer", 200)),
    # The comment is erin's: only its author may change it, even the owner may not.
    (
        "comment-patch",
        "patch",
        "/api/v1/comments/{comment}/",
        {"body": "Edited"},
        {"owner": 403, "editor": 200, "viewer": 403, "outsider": 404},
    ),
    (
        "comment-delete",
        "delete",
        "/api/v1/comments/{comment}/",
        None,
        {"owner": 403, "editor": 204, "viewer": 403, "outsider": 404},
    ),
    ("activity-list", "get", "/api/v1/tasks/{task}/activity/", None, at_least("viewer", 200)),
    ("tag-list", "get", "/api/v1/tags/", None, everyone(200)),
    (
        "tag-create",
        "post",
        "/api/v1/tags/",
        {"project": "{project}", "name": "feature"},
        at_least("editor", 201, outsider=400),
    ),
    ("tag-detail", "get", "/api/v1/tags/{tag}/", None, at_least("viewer", 200)),
    ("tag-patch", "patch", "/api/v1/tags/{tag}/", {"name": "defect"}, at_least("editor", 200)),
    ("tag-delete", "delete", "/api/v1/tags/{tag}/", None, at_least("editor", 204)),
    ("me-detail", "get", "/api/v1/me/", None, everyone(200)),
    ("me-patch", "patch", "/api/v1/me/", {"display_name": "New name"}, everyone(200)),
    ("token-list", "get", "/api/v1/tokens/", None, everyone(200)),
    ("token-create", "post", "/api/v1/tokens/", {"name": "ci"}, everyone(201)),
    # The token is alice's: everyone else's scope does not contain it.
    (
        "token-detail",
        "get",
        "/api/v1/tokens/{token}/",
        None,
        {"owner": 200, "editor": 404, "viewer": 404, "outsider": 404},
    ),
    (
        "token-delete",
        "delete",
        "/api/v1/tokens/{token}/",
        None,
        {"owner": 204, "editor": 404, "viewer": 404, "outsider": 404},
    ),
]


def resolve(world, url, body):
    ids = {name: getattr(obj, "pk", None) for name, obj in world.items()}
    url = url.format(**ids)
    if body is not None:
        body = {
            key: int(value.format(**ids)) if isinstance(value, str) and "{" in value else value
            for key, value in body.items()
        }
    return url, body


@pytest.mark.parametrize(
    ("route", "method", "url", "body", "expected"), ROUTES, ids=[r[0] for r in ROUTES]
)
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(world, cast, token_client, route, method, url, body, expected, role):
    url, body = resolve(world, url, body)
    response = getattr(token_client(cast[role]), method)(url, body, format="json")
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize(
    ("route", "method", "url", "body", "expected"), ROUTES, ids=[r[0] for r in ROUTES]
)
def test_anonymous_gets_401_with_www_authenticate(
    world, api_client, route, method, url, body, expected
):
    url, body = resolve(world, url, body)
    response = getattr(api_client, method)(url, body, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "errors": {},
    }


def test_outsider_list_of_projects_and_tasks_is_empty(world, oscar, token_client):
    client = token_client(oscar)
    assert client.get("/api/v1/projects/").json()["results"] == []
    assert client.get("/api/v1/tasks/").json()["results"] == []
    assert client.get("/api/v1/tags/").json()["results"] == []


def test_viewer_can_leave_the_project(world, victor, token_client):
    response = token_client(victor).delete(
        f"/api/v1/projects/{world['project'].pk}/members/{victor.pk}/"
    )
    assert response.status_code == 204
    assert not world["project"].memberships.filter(user=victor).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{task}/",
        "/api/v1/tasks/{task}/comments/",
        "/api/v1/projects/{project}/members/",
        "/api/v1/projects/{project}/members/{walt}/",
        "/api/v1/tags/",
        "/api/v1/me/",
        "/api/v1/tokens/",
    ],
)
def test_browsable_api_renders_for_a_signed_in_owner(world, alice, url):
    client = Client()
    client.force_login(alice)
    url, _ = resolve(world, url, None)
    response = client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content
    assert client.options(url).status_code == 200
