"""
Members' e-mail addresses are shown to nobody but themselves (and staff, in the admin): every
page and endpoint that renders a person — members, assignees, authors, actors, inviters —
shows names. Each person here has an address that appears nowhere else, so a leak is a match.
"""

import re

import pytest
from django.test import Client

from tasks import services
from tasks.models import Role
from tasks.tests.factories import (
    ActivityFactory,
    CommentFactory,
    InvitationFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

SECRET_DOMAIN = "private-mail.test"


@pytest.fixture
def world(project, alice, erin, victor, oscar, tag):
    for person in (alice, erin, victor, oscar):
        person.email = f"{person.username}.hidden@{SECRET_DOMAIN}"
        person.save()
    task = TaskFactory(project=project, title="Shared", assignee=erin, created_by=alice)
    task.tags.set([tag])
    CommentFactory(task=task, author=erin, body="A comment")
    ActivityFactory(task=task, actor=alice, changes={"assignee": [None, "Erin Editor"]})
    services.member_remove(
        membership=project.memberships.get(user=victor), by=alice
    )  # and back, so the history names a member
    services.member_add(project=project, user=victor, role=Role.VIEWER, by=alice)
    InvitationFactory(project=project, invitee=oscar, address="oscar", invited_by=alice)
    return {"project": project, "task": task}


def pages(world) -> list[str]:
    project, task = world["project"], world["task"]
    return [
        "/",
        "/tasks/",
        "/search/?q=Shared",
        "/projects/",
        f"/projects/{project.pk}/",
        f"/projects/{project.pk}/board/",
        f"/projects/{project.pk}/tags/",
        f"/projects/{project.pk}/members/",
        f"/projects/{project.pk}/settings/",
        f"/tasks/{task.pk}/",
        f"/tasks/{task.pk}/edit/",
        "/invitations/",
    ]


def endpoints(world) -> list[str]:
    project, task = world["project"], world["task"]
    return [
        "/api/v1/projects/",
        f"/api/v1/projects/{project.pk}/",
        f"/api/v1/projects/{project.pk}/members/",
        f"/api/v1/projects/{project.pk}/members/{task.assignee_id}/",
        f"/api/v1/projects/{project.pk}/invitations/",
        "/api/v1/tasks/",
        f"/api/v1/tasks/{task.pk}/",
        f"/api/v1/tasks/{task.pk}/comments/",
        f"/api/v1/tasks/{task.pk}/activity/",
        "/api/v1/tags/",
        "/api/v1/invitations/",
    ]


def others_addresses(text: str, me) -> set[str]:
    """The hidden addresses in ``text`` that are not ``me``'s own."""
    found = set(re.findall(r"[\w.+-]+@" + re.escape(SECRET_DOMAIN), text))
    return found - {me.email}


@pytest.mark.parametrize("who", ["alice", "erin", "victor", "oscar"])
def test_no_page_shows_another_persons_email(request, world, who):
    me = request.getfixturevalue(who)
    client = Client()
    client.force_login(me)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        text = response.content.decode()
        assert others_addresses(text, me) == set(), url
        if response.status_code == 200:
            assert f"{me.username}.hidden@" in text, f"{url}: the user menu shows my own"


@pytest.mark.parametrize("who", ["alice", "erin", "victor", "oscar"])
def test_no_endpoint_shows_another_persons_email(request, world, token_client, who):
    me = request.getfixturevalue(who)
    client = token_client(me)
    for url in endpoints(world):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        assert SECRET_DOMAIN not in response.content.decode(), url
    assert client.get("/api/v1/me/").json()["email"] == me.email


def test_the_members_page_shows_names_not_addresses(world, alice):
    """Before: every member's e-mail under their name, for every member to read."""
    client = Client()
    client.force_login(alice)
    html = client.get(f"/projects/{world['project'].pk}/members/").content.decode()
    assert "Erin Editor" in html and "Victor Viewer" in html
    assert "erin.hidden@" not in html and "victor.hidden@" not in html
