"""The members page: list, add, change role (with and without htmx), remove, leave."""

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Membership, Role
from tasks.tests.factories import MembershipFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def members_url(project) -> str:
    return reverse("tasks:member-list", args=[project.pk])


def role_url(project, user) -> str:
    return reverse("tasks:member-role", args=[project.pk, user.pk])


def remove_url(project, user) -> str:
    return reverse("tasks:member-remove", args=[project.pk, user.pk])


def leave_url(project) -> str:
    return reverse("tasks:project-leave", args=[project.pk])


def role_of(project, user) -> str | None:
    return (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )


# ---------------------------------------------------------------------------
# Who may see and do what
# ---------------------------------------------------------------------------
def test_anonymous_is_sent_to_login(client, project, erin):
    for response in (
        client.get(members_url(project)),
        client.post(role_url(project, erin), {"role": "owner"}),
        client.post(leave_url(project)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert role_of(project, erin) == Role.EDITOR


def test_outsider_gets_404(oscar, project, erin):
    client = client_for(oscar)
    assert client.get(members_url(project)).status_code == 404
    assert (
        client.post(members_url(project), {"person": "oscar", "role": "owner"}).status_code == 404
    )
    assert client.post(role_url(project, erin), {"role": "viewer"}).status_code == 404
    assert client.post(remove_url(project, erin)).status_code == 404
    assert client.post(leave_url(project)).status_code == 404
    assert role_of(project, oscar) is None


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_every_member_sees_the_list(cast, project, role):
    response = client_for(cast[role]).get(members_url(project))
    assert response.status_code == 200
    html = response.content.decode()
    for person in ("Alice Owner", "Erin Editor", "Victor Viewer"):
        assert person in html
    assert "erin@example.com" in html
    assert response.context["can_manage"] is (role == "owner")


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editor_and_viewer_cannot_manage_members(cast, project, oscar, role):
    client = client_for(cast[role])
    other, other_role = (
        (cast["viewer"], Role.VIEWER) if role == "editor" else (cast["editor"], Role.EDITOR)
    )
    assert (
        client.post(members_url(project), {"person": "oscar", "role": "viewer"}).status_code == 403
    )
    assert client.post(role_url(project, other), {"role": "owner"}).status_code == 403
    assert client.post(remove_url(project, other)).status_code == 403
    assert role_of(project, oscar) is None
    assert role_of(project, other) == other_role


def test_nobody_can_raise_their_own_role(erin, project):
    response = client_for(erin).post(role_url(project, erin), {"role": "owner"})
    assert response.status_code == 403
    assert role_of(project, erin) == Role.EDITOR


def test_member_pages_have_no_owner_controls_for_viewers(victor, project):
    html = client_for(victor).get(members_url(project)).content.decode()
    assert "Add member" not in html
    assert 'name="role"' not in html
    assert "Leave project" in html


# ---------------------------------------------------------------------------
# Adding people
# ---------------------------------------------------------------------------
def test_owner_adds_by_username(alice, project, oscar):
    response = client_for(alice).post(members_url(project), {"person": "oscar", "role": "viewer"})
    assert response.status_code == 302
    assert role_of(project, oscar) == Role.VIEWER


def test_owner_adds_by_email_ignoring_case(alice, project, oscar):
    client_for(alice).post(members_url(project), {"person": "OSCAR@Example.com", "role": "editor"})
    assert role_of(project, oscar) == Role.EDITOR


def test_unknown_person_is_a_field_error_that_keeps_input(alice, project):
    response = client_for(alice).post(members_url(project), {"person": "nobody", "role": "editor"})
    assert response.status_code == 200
    assert "person" in response.context["form"].errors
    html = response.content.decode()
    assert "Nobody with the username or email “nobody”" in html
    assert 'value="nobody"' in html


def test_existing_member_is_a_field_error(alice, project, erin):
    response = client_for(alice).post(members_url(project), {"person": "erin", "role": "viewer"})
    assert response.status_code == 200
    assert "already a member" in str(response.context["form"].errors["person"])
    assert role_of(project, erin) == Role.EDITOR


def test_adding_requires_csrf(alice, project, oscar):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(members_url(project), {"person": "oscar", "role": "owner"})
    assert response.status_code == 403
    assert role_of(project, oscar) is None


# ---------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------
def test_owner_changes_a_role_without_js(alice, project, victor):
    response = client_for(alice).post(role_url(project, victor), {"role": "editor"})
    assert response.status_code == 302
    assert response["Location"] == members_url(project)
    assert role_of(project, victor) == Role.EDITOR


def test_owner_changes_a_role_with_htmx_and_gets_the_row(alice, project, victor):
    response = client_for(alice).post(
        role_url(project, victor), {"role": "editor"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<li class="row" id="member-{victor.pk}"')
    assert "Role saved." in html
    assert "<html" not in html
    assert role_of(project, victor) == Role.EDITOR


def test_last_owner_cannot_be_demoted_and_the_page_says_why(alice, project):
    response = client_for(alice).post(role_url(project, alice), {"role": "editor"}, follow=True)
    assert role_of(project, alice) == Role.OWNER
    assert "at least one owner" in response.content.decode()


def test_last_owner_demotion_with_htmx_explains_in_the_row(alice, project):
    response = client_for(alice).post(
        role_url(project, alice), {"role": "viewer"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert role_of(project, alice) == Role.OWNER


def test_owner_may_step_down_when_another_owner_exists(alice, erin, project):
    Membership.objects.filter(project=project, user=erin).update(role=Role.OWNER)
    response = client_for(alice).post(
        role_url(project, alice), {"role": "editor"}, headers={"HX-Request": "true"}
    )
    assert response.headers["HX-Refresh"] == "true"
    assert role_of(project, alice) == Role.EDITOR


def test_invalid_role_changes_nothing(alice, project, victor):
    client_for(alice).post(role_url(project, victor), {"role": "admin"})
    assert role_of(project, victor) == Role.VIEWER


def test_role_change_requires_csrf(alice, project, victor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(role_url(project, victor), {"role": "owner"}).status_code == 403
    assert role_of(project, victor) == Role.VIEWER


def test_role_of_a_non_member_is_404(alice, project, oscar):
    assert client_for(alice).post(role_url(project, oscar), {"role": "owner"}).status_code == 404


# ---------------------------------------------------------------------------
# Removing and leaving
# ---------------------------------------------------------------------------
def test_owner_removes_a_member_and_their_tasks_become_unassigned(alice, erin, project):
    task = TaskFactory(project=project, assignee=erin)
    response = client_for(alice).post(remove_url(project, erin))
    assert response.status_code == 302
    assert role_of(project, erin) is None
    task.refresh_from_db()
    assert task.assignee is None


def test_member_leaves(victor, project):
    response = client_for(victor).post(leave_url(project))
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:project-list")
    assert role_of(project, victor) is None


def test_last_owner_cannot_leave_and_the_page_says_why(alice, project):
    response = client_for(alice).post(leave_url(project), follow=True)
    assert role_of(project, alice) == Role.OWNER
    assert "The last owner cannot leave" in response.content.decode()


def test_leaving_requires_post(victor, project):
    assert client_for(victor).get(leave_url(project)).status_code == 405
    assert role_of(project, victor) == Role.VIEWER


def test_leaving_requires_csrf(victor, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(victor)
    assert client.post(leave_url(project)).status_code == 403
    assert role_of(project, victor) == Role.VIEWER


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("extra_members", [3, 30])
def test_members_page_query_count_is_constant(
    alice, project, django_assert_num_queries, extra_members
):
    for _ in range(extra_members):
        MembershipFactory(project=project, user=UserFactory(), role=Role.VIEWER)
    client = client_for(alice)
    # 1 session, 2 user, 3 project with my role, 4 members with their accounts,
    # 5 my projects with task counts (sidebar)
    with django_assert_num_queries(5):
        response = client.get(members_url(project))
    assert len(response.context["memberships"]) == 3 + extra_members
