"""
The members page (owners): list, invite, cancel an invitation, change role (with and without
htmx), remove; leaving.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Invitation, Membership, Role
from tasks.tests.factories import (
    InvitationFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
)

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


def test_owner_sees_names_and_roles_but_no_email_addresses(alice, project):
    response = client_for(alice).get(members_url(project))
    assert response.status_code == 200
    html = response.content.decode()
    for person in ("Alice Owner", "Erin Editor", "Victor Viewer"):
        assert person in html
    assert "erin@example.com" not in html
    assert "victor@example.com" not in html
    assert response.context["can_manage"] is True


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_the_members_page_is_for_owners(cast, project, role):
    """DESIGN §5: members and roles are the owners' page; other members get 403."""
    assert client_for(cast[role]).get(members_url(project)).status_code == 403


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editor_and_viewer_cannot_manage_members(cast, project, oscar, role):
    client = client_for(cast[role])
    other, other_role = (
        (cast["viewer"], Role.VIEWER) if role == "editor" else (cast["editor"], Role.EDITOR)
    )
    assert (
        client.post(members_url(project), {"person": "oscar", "role": "viewer"}).status_code == 403
    )
    assert not Invitation.objects.exists()
    assert client.post(role_url(project, other), {"role": "owner"}).status_code == 403
    assert client.post(remove_url(project, other)).status_code == 403
    assert role_of(project, oscar) is None
    assert role_of(project, other) == other_role


def test_nobody_can_raise_their_own_role(erin, project):
    response = client_for(erin).post(role_url(project, erin), {"role": "owner"})
    assert response.status_code == 403
    assert role_of(project, erin) == Role.EDITOR


def test_members_leave_from_the_task_list(victor, project):
    html = client_for(victor).get(project.get_absolute_url()).content.decode()
    assert "Leave project" in html
    assert members_url(project) not in html


def test_owners_find_the_members_tab(alice, project):
    html = client_for(alice).get(project.get_absolute_url()).content.decode()
    assert members_url(project) in html
    assert "Leave project" not in html


# ---------------------------------------------------------------------------
# Inviting people
# ---------------------------------------------------------------------------
def invite(client, project, person, role="viewer"):
    return client.post(members_url(project), {"person": person, "role": role}, follow=True)


def test_owner_invites_by_username_and_nobody_joins_yet(alice, project, oscar):
    response = client_for(alice).post(members_url(project), {"person": "oscar", "role": "viewer"})
    assert response.status_code == 302
    assert role_of(project, oscar) is None
    invitation = Invitation.objects.get(project=project)
    assert (invitation.invitee, invitation.address, invitation.role) == (oscar, "oscar", "viewer")
    assert invitation.invited_by == alice


def test_owner_invites_by_email_ignoring_case(alice, project, oscar):
    invite(client_for(alice), project, "OSCAR@Example.com", "editor")
    invitation = Invitation.objects.get(project=project)
    assert (invitation.invitee, invitation.address, invitation.role) == (
        oscar,
        "oscar@example.com",
        "editor",
    )
    assert role_of(project, oscar) is None


@pytest.mark.parametrize(
    ("known", "unknown"), [("oscar", "nobody"), ("Oscar@Example.com", "Nobody@Example.com")]
)
def test_known_and_unknown_people_get_the_same_answer(alice, project, oscar, known, unknown):
    """The page cannot be used to learn who has an account."""
    client = client_for(alice)
    answers = []
    for typed in (known, unknown):
        response = invite(client, project, typed)
        assert response.status_code == 200
        shown = typed.lower() if "@" in typed else typed
        messages = [str(m).replace(shown, "…") for m in response.context["messages"]]
        html = response.content.decode()
        rows = len(re.findall(r'id="invitation-\d+"', html))
        answers.append((messages, "has an account" in html, "Nobody" in html))
        assert rows == len(answers)
    assert answers[0] == answers[1]
    assert len(answers[0][0]) == 1 and "sent to “…”" in answers[0][0][0]
    assert Invitation.objects.filter(project=project).count() == 2


def test_the_page_lists_pending_invitations_and_the_owner_cancels_one(alice, project, oscar):
    client = client_for(alice)
    invite(client, project, "oscar")
    invitation = Invitation.objects.get(project=project)
    html = client.get(members_url(project)).content.decode()
    assert f'id="invitation-{invitation.pk}"' in html
    cancel = reverse("tasks:invitation-cancel", args=[project.pk, invitation.pk])
    assert cancel in html
    response = client.post(cancel)
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
    html = client.get(members_url(project)).content.decode()
    assert f'id="invitation-{invitation.pk}"' not in html


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_owners_cancel_invitations(cast, project, role):
    invitation = InvitationFactory(project=project)
    cancel = reverse("tasks:invitation-cancel", args=[project.pk, invitation.pk])
    assert client_for(cast[role]).post(cancel).status_code == 403
    assert client_for(cast["outsider"]).post(cancel).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_cancelling_another_projects_invitation_is_404(alice, project):
    invitation = InvitationFactory(project=ProjectFactory(name="Other"))
    cancel = reverse("tasks:invitation-cancel", args=[project.pk, invitation.pk])
    assert client_for(alice).post(cancel).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_inviting_again_renews_the_invitation_with_the_new_role(alice, project, oscar):
    client = client_for(alice)
    invite(client, project, "oscar", "viewer")
    invite(client, project, "oscar@example.com", "editor")
    invitation = Invitation.objects.get(project=project)
    assert (invitation.role, invitation.address) == ("editor", "oscar@example.com")


def test_a_malformed_email_is_a_field_error_that_keeps_input(alice, project):
    response = client_for(alice).post(members_url(project), {"person": "a@@b", "role": "editor"})
    assert response.status_code == 200
    assert "person" in response.context["form"].errors
    assert 'value="a@@b"' in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_an_invalid_invitation_by_a_non_owner_shows_nothing(cast, project, role):
    """A refused POST is a 403 before the form is read, never the owners' page."""
    InvitationFactory(project=project, invitee=None, address="secret@example.com")
    response = client_for(cast[role]).post(members_url(project), {"person": "", "role": "x"})
    assert response.status_code == 403
    assert "secret@example.com" not in response.content.decode()


def test_existing_member_is_a_field_error(alice, project, erin):
    response = client_for(alice).post(members_url(project), {"person": "erin", "role": "viewer"})
    assert response.status_code == 200
    assert "already a member" in str(response.context["form"].errors["person"])
    assert role_of(project, erin) == Role.EDITOR
    assert not Invitation.objects.exists()


def test_inviting_requires_csrf(alice, project, oscar):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(members_url(project), {"person": "oscar", "role": "owner"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_nobody_is_invited_to_an_archived_project(alice, project):
    project.is_archived = True
    project.save()
    response = client_for(alice).post(members_url(project), {"person": "oscar", "role": "viewer"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert "Nobody can be invited" in client_for(alice).get(members_url(project)).content.decode()


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
@pytest.mark.parametrize("extra", [3, 30])
def test_members_page_query_count_is_constant(alice, project, django_assert_num_queries, extra):
    for _ in range(extra):
        MembershipFactory(project=project, user=UserFactory(), role=Role.VIEWER)
        InvitationFactory(project=project)
    client = client_for(alice)
    # 1 session, 2 user, 3 project with my role, 4 members with their accounts,
    # 5 the project's open invitations, 6 my projects with task counts (sidebar),
    # 7 the invitations waiting for me (user menu), 8 my unread notifications (inbox badge)
    with django_assert_num_queries(8):
        response = client.get(members_url(project))
    assert len(response.context["memberships"]) == 3 + extra
    assert len(response.context["invitations"]) == extra
