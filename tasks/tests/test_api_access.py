"""
Access details of the API beyond the route × role matrix (``test_matrix_api``): what an
outsider's lists hold, a viewer leaving, the browsable API for a signed-in member.
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


def resolve(world, url, body):
    ids = {name: getattr(obj, "pk", None) for name, obj in world.items()}
    url = url.format(**ids)
    if body is not None:
        body = {
            key: int(value.format(**ids)) if isinstance(value, str) and "{" in value else value
            for key, value in body.items()
        }
    return url, body


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
