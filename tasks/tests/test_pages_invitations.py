"""
The invitee's pages: ``/invitations/`` lists what waits for me, Accept and Decline are POSTs;
the user menu counts them and the dashboard points at them.
"""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tasks.models import Invitation, Role
from tasks.tests.factories import InvitationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/invitations/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def accept_url(invitation) -> str:
    return reverse("tasks:invitation-accept", args=[invitation.pk])


def decline_url(invitation) -> str:
    return reverse("tasks:invitation-decline", args=[invitation.pk])


@pytest.fixture
def invitation(project, alice, oscar):
    return services.member_invite(project=project, by=alice, username="oscar", role=Role.EDITOR)


def test_anonymous_is_sent_to_login(client, invitation):
    for response in (
        client.get(LIST),
        client.post(accept_url(invitation)),
        client.post(decline_url(invitation)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_the_invitee_sees_the_invitation_and_not_the_project(oscar, project, invitation):
    client = client_for(oscar)
    html = client.get(LIST).content.decode()
    assert "Alpha" in html
    assert "Alice Owner invited you" in html
    assert accept_url(invitation) in html and decline_url(invitation) in html
    assert client.get(project.get_absolute_url()).status_code == 404
    assert "Alpha" not in client.get("/projects/").content.decode()


def test_accepting_joins_and_opens_the_project(oscar, project, invitation):
    client = client_for(oscar)
    response = client.post(accept_url(invitation), follow=True)
    assert response.redirect_chain[-1][0] == project.get_absolute_url()
    assert "You joined “Alpha” as editor." in response.content.decode()
    assert project.role_of(oscar) == Role.EDITOR


def test_declining_joins_nothing(oscar, project, invitation):
    client = client_for(oscar)
    response = client.post(decline_url(invitation), follow=True)
    assert "You declined the invitation to “Alpha”." in response.content.decode()
    assert project.role_of(oscar) is None
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    assert client.post(accept_url(invitation)).status_code == 404


@pytest.mark.parametrize("who", ["alice", "erin", "victor", "staff"])
def test_someone_elses_invitation_is_404(request, who, project, invitation):
    client = client_for(request.getfixturevalue(who))
    assert client.post(accept_url(invitation)).status_code == 404
    assert client.post(decline_url(invitation)).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_answers_are_posts_with_csrf(oscar, project, invitation):
    assert client_for(oscar).get(accept_url(invitation)).status_code == 405
    client = Client(enforce_csrf_checks=True)
    client.force_login(oscar)
    assert client.post(accept_url(invitation)).status_code == 403
    assert client.post(decline_url(invitation)).status_code == 403
    assert project.role_of(oscar) is None


def test_an_expired_invitation_says_so(oscar, project, invitation):
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client = client_for(oscar)
    assert f'id="invitation-{invitation.pk}"' not in client.get(LIST).content.decode()
    response = client.post(accept_url(invitation), follow=True)
    assert "This invitation has expired" in response.content.decode()
    assert project.role_of(oscar) is None


def test_an_archived_project_cannot_be_joined(oscar, project, invitation):
    project.is_archived = True
    project.save()
    response = client_for(oscar).post(accept_url(invitation), follow=True)
    assert "archived" in response.content.decode()
    assert project.role_of(oscar) is None


def test_the_user_menu_counts_and_the_dashboard_points_at_invitations(oscar, project, invitation):
    other = ProjectFactory(name="Beta")
    InvitationFactory(project=other, invitee=oscar, address="oscar@example.com")
    html = client_for(oscar).get("/").content.decode()
    assert 'id="invitations-callout"' in html
    assert "You have 2 invitations to join a project." in html
    assert re.search(r'href="/invitations/">.*Invitations <span class="count">2</span>', html)


def test_no_invitations_no_callout(erin):
    html = client_for(erin).get("/").content.decode()
    assert 'id="invitations-callout"' not in html
    assert 'href="/invitations/"' in html  # still in the user menu
    assert "No invitations waiting" in client_for(erin).get(LIST).content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_is_constant(oscar, django_assert_num_queries, rows):
    for _ in range(rows):
        InvitationFactory(invitee=oscar, address="oscar", invited_by=UserFactory())
    client = client_for(oscar)
    # 1 session, 2 user, 3 my invitations with their projects and inviters,
    # 4 my projects with task counts (sidebar), 5 the count of my invitations (user menu),
    # 6 my unread notifications (inbox badge)
    with django_assert_num_queries(6):
        response = client.get(LIST)
    assert len(response.context["invitations"]) == rows
