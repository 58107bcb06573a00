"""
Invitations through the API: inviting tells nobody who has an account, nobody joins a project
without accepting, and the invitee alone answers (``/api/v1/invitations/``); owners see and
cancel their project's open invitations (``/api/v1/projects/{id}/invitations/``).
"""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from rest_framework.test import APIClient

from tasks import services
from tasks.models import Activity, Invitation, Membership, Role
from tasks.tests.factories import (
    InvitationFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
    make_token,
)

INVITATIONS = "/api/v1/invitations/"


def members_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/members/"


def project_invitations_url(project, invitation=None) -> str:
    url = f"/api/v1/projects/{project.pk}/invitations/"
    return f"{url}{invitation.pk}/" if invitation else url


@pytest.fixture
def alice_client(alice, token_client):
    return token_client(alice)


@pytest.fixture
def oscar_client(oscar, token_client):
    return token_client(oscar)


def invite(project, person, role=Role.VIEWER, **kwargs) -> Invitation:
    owner = Membership.objects.filter(project=project, role=Role.OWNER).first().user
    return services.member_invite(project=project, by=owner, role=role, username=person, **kwargs)


# ---------------------------------------------------------------------------
# Inviting cannot be used to harvest accounts
# ---------------------------------------------------------------------------
def test_a_strangers_id_and_a_missing_id_get_the_same_400(alice_client, project, oscar):
    """oscar shares no project with alice: his id is as unknown to her as one nobody has."""
    missing = UserFactory(username="gone").pk
    Membership.objects.filter(user_id=missing).delete()
    UserFactory._meta.model.objects.filter(pk=missing).delete()
    answers = [
        alice_client.post(members_url(project), {"user": pk, "role": "viewer"})
        for pk in (oscar.pk, missing)
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert "oscar" not in answers[0].content.decode().lower()
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(user=oscar).exists()


def test_an_id_of_someone_sharing_a_project_is_invited(alice_client, alice, project, oscar):
    shared = ProjectFactory(name="Shared")
    MembershipFactory(project=shared, user=alice, role=Role.OWNER)
    MembershipFactory(project=shared, user=oscar)
    response = alice_client.post(members_url(project), {"user": oscar.pk, "role": "editor"})
    assert response.status_code == 202
    assert Invitation.objects.get().invitee == oscar


def comparable(response, typed: str) -> tuple:
    """An answer with what differs between any two invitations (ids, times, the name) masked."""
    body = dict(response.json())
    for key in ("id", "url", "created_at", "expires_at"):
        body[key] = type(body[key]).__name__
    body["invitee"] = body["invitee"] == typed
    headers = sorted(k for k in response.headers if k not in ("Content-Length",))
    return response.status_code, body, headers


@pytest.mark.parametrize(
    ("field", "known", "unknown"),
    [
        ("username", "oscar", "nobody"),
        ("email", "oscar@example.com", "nobody@example.com"),
    ],
)
def test_known_and_unknown_people_get_the_same_answer(
    alice_client, project, oscar, field, known, unknown
):
    answers = [
        comparable(alice_client.post(members_url(project), {field: typed}), typed)
        for typed in (known, unknown)
    ]
    assert answers[0] == answers[1]
    assert answers[0][0] == 202
    assert answers[0][1]["invitee"] is True
    assert set(Invitation.objects.values_list("address", flat=True)) == {known, unknown}


def test_the_answer_names_nobody(alice_client, project, oscar):
    data = alice_client.post(members_url(project), {"email": "OSCAR@example.com"}).json()
    assert set(data) == {"id", "url", "project", "invitee", "role", "created_at", "expires_at"}
    assert data["invitee"] == "oscar@example.com"
    assert "Oscar Outsider" not in str(data)


def test_inviting_a_member_is_409_whoever_names_them(alice_client, project, erin):
    for body in ({"user": erin.pk}, {"username": "erin"}, {"email": "ERIN@example.com"}):
        response = alice_client.post(members_url(project), body)
        assert response.status_code == 409
        assert "Erin" not in response.json()["detail"]
    assert not Invitation.objects.exists()


def test_inviting_again_renews_the_same_invitation(alice_client, project, oscar):
    first = alice_client.post(members_url(project), {"username": "oscar"}).json()
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(days=1))
    second = alice_client.post(
        members_url(project), {"email": "oscar@example.com", "role": "editor"}
    )
    assert second.json()["id"] == first["id"]
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.is_expired) == ("editor", False)


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_owners_invite(cast, token_client, project, role):
    response = token_client(cast[role]).post(members_url(project), {"username": "oscar"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_nobody_is_invited_to_an_archived_project(alice_client, project):
    project.is_archived = True
    project.save()
    assert alice_client.post(members_url(project), {"username": "oscar"}).status_code == 403
    assert not Invitation.objects.exists()


# ---------------------------------------------------------------------------
# Consent: the invitee answers
# ---------------------------------------------------------------------------
def test_the_invitee_sees_nothing_of_the_project_until_accepting(oscar_client, project, oscar):
    invitation = invite(project, "oscar", Role.EDITOR)
    assert oscar_client.get(f"/api/v1/projects/{project.pk}/").status_code == 404
    assert oscar_client.get("/api/v1/projects/").json()["results"] == []
    assert oscar_client.get(members_url(project)).status_code == 404

    rows = oscar_client.get(INVITATIONS).json()["results"]
    assert rows == [
        {
            "id": invitation.pk,
            "url": f"http://testserver{INVITATIONS}{invitation.pk}/",
            "project": project.pk,
            "project_name": "Alpha",
            "role": "editor",
            "invited_by_name": "Alice Owner",
            "created_at": rows[0]["created_at"],
            "expires_at": rows[0]["expires_at"],
            "accepted": False,
        }
    ]

    response = oscar_client.patch(f"{INVITATIONS}{invitation.pk}/", {"accepted": True})
    assert response.status_code == 200
    assert response.json()["accepted"] is True
    assert project.role_of(oscar) == Role.EDITOR
    assert oscar_client.get(f"/api/v1/projects/{project.pk}/").json()["role"] == "editor"
    activity = Activity.objects.get(project=project, verb=Activity.Verb.MEMBER_ADDED)
    assert activity.changes == {"member": "oscar", "role": [None, "editor"]}
    assert activity.actor.username == "alice"
    assert oscar_client.get(INVITATIONS).json()["results"] == []


def test_declining_joins_nothing(oscar_client, project, oscar):
    invitation = invite(project, "oscar")
    assert oscar_client.delete(f"{INVITATIONS}{invitation.pk}/").status_code == 204
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    assert project.role_of(oscar) is None
    assert oscar_client.delete(f"{INVITATIONS}{invitation.pk}/").status_code == 404
    assert (
        oscar_client.patch(f"{INVITATIONS}{invitation.pk}/", {"accepted": True}).status_code == 404
    )


@pytest.mark.parametrize("body", [{}, {"accepted": False}, {"accepted": "maybe"}])
def test_accepting_needs_accepted_true(oscar_client, project, oscar, body):
    invitation = invite(project, "oscar")
    response = oscar_client.patch(f"{INVITATIONS}{invitation.pk}/", body, format="json")
    assert response.status_code == 400
    assert "accepted" in response.json()["errors"]
    assert project.role_of(oscar) is None


def test_put_is_405(oscar_client, project):
    invitation = invite(project, "oscar")
    assert oscar_client.put(f"{INVITATIONS}{invitation.pk}/", {"accepted": True}).status_code == 405


def test_someone_elses_invitation_is_404(cast, token_client, project, oscar):
    invitation = invite(project, "oscar")
    for person in (cast["owner"], cast["editor"], UserFactory(username="zed")):
        client = token_client(person)
        url = f"{INVITATIONS}{invitation.pk}/"
        assert client.get(url).status_code == 404
        assert client.patch(url, {"accepted": True}).status_code == 404
        assert client.delete(url).status_code == 404
        assert client.get(INVITATIONS).json()["results"] == []
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_an_expired_invitation_is_refused(oscar_client, project, oscar):
    invitation = invite(project, "oscar")
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert oscar_client.get(INVITATIONS).json()["results"] == []
    response = oscar_client.patch(f"{INVITATIONS}{invitation.pk}/", {"accepted": True})
    assert response.status_code == 400
    assert "expired" in response.json()["detail"]
    assert project.role_of(oscar) is None
    # Clearing it away is still possible.
    assert oscar_client.delete(f"{INVITATIONS}{invitation.pk}/").status_code == 204


def test_an_archived_project_cannot_be_joined(oscar_client, project, oscar):
    invitation = invite(project, "oscar")
    project.is_archived = True
    project.save()
    assert (
        oscar_client.patch(f"{INVITATIONS}{invitation.pk}/", {"accepted": True}).status_code == 403
    )
    assert project.role_of(oscar) is None


def test_an_address_without_an_account_waits_for_someone_to_sign_up_with_it(
    alice_client, project, token_client
):
    alice_client.post(members_url(project), {"email": "Later@Example.com", "role": "editor"})
    invitation = Invitation.objects.get()
    assert invitation.invitee is None
    later = UserFactory(username="later", email="later@example.com")
    client = token_client(later)
    assert [row["id"] for row in client.get(INVITATIONS).json()["results"]] == [invitation.pk]
    assert client.patch(f"{INVITATIONS}{invitation.pk}/", {"accepted": True}).status_code == 200
    assert project.role_of(later) == Role.EDITOR
    invitation.refresh_from_db()
    assert invitation.invitee == later


def test_an_unknown_username_is_never_answered(alice_client, project, token_client):
    alice_client.post(members_url(project), {"username": "ghost"})
    ghost = UserFactory(username="ghost")
    assert token_client(ghost).get(INVITATIONS).json()["results"] == []


def test_invitations_of_an_inactive_account_are_hidden(project, oscar):
    invite(project, "oscar")
    oscar.is_active = False
    oscar.save()
    assert not Invitation.objects.pending_for(oscar).exists()


def test_an_invitee_already_added_by_staff_just_closes_it(oscar_client, project, oscar, staff):
    invitation = invite(project, "oscar", Role.EDITOR)
    services.member_add(project=project, user=oscar, role=Role.VIEWER, by=staff, as_staff=True)
    assert (
        oscar_client.patch(f"{INVITATIONS}{invitation.pk}/", {"accepted": True}).status_code == 200
    )
    assert project.role_of(oscar) == Role.VIEWER
    assert Activity.objects.filter(verb=Activity.Verb.MEMBER_ADDED).count() == 1


# ---------------------------------------------------------------------------
# The owners' view: a project's open invitations
# ---------------------------------------------------------------------------
def test_owners_list_and_cancel_their_projects_invitations(alice_client, oscar_client, project):
    invitation = invite(project, "oscar")
    rows = alice_client.get(project_invitations_url(project)).json()["results"]
    assert [(r["id"], r["invitee"], r["role"]) for r in rows] == [
        (invitation.pk, "oscar", "viewer")
    ]
    detail = alice_client.get(project_invitations_url(project, invitation))
    assert detail.json() == rows[0]
    assert alice_client.delete(project_invitations_url(project, invitation)).status_code == 204
    assert alice_client.get(project_invitations_url(project)).json()["results"] == []
    url = f"{INVITATIONS}{invitation.pk}/"
    assert oscar_client.patch(url, {"accepted": True}).status_code == 404


@pytest.mark.parametrize(("role", "code"), [("editor", 403), ("viewer", 403), ("outsider", 404)])
def test_only_owners_see_a_projects_invitations(cast, token_client, project, role, code):
    invitation = invite(project, "nobody")
    client = token_client(cast[role])
    assert client.get(project_invitations_url(project)).status_code == code
    assert client.delete(project_invitations_url(project, invitation)).status_code == code
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_another_projects_invitation_is_404_to_an_owner(alice_client, project):
    other = ProjectFactory(name="Other")
    invitation = InvitationFactory(project=other)
    assert alice_client.get(project_invitations_url(project, invitation)).status_code == 404
    assert alice_client.delete(project_invitations_url(project, invitation)).status_code == 404


# ---------------------------------------------------------------------------
# Query counts of the lists
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("rows", [5, 50])
def test_my_invitations_query_count_is_constant(
    oscar, oscar_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        InvitationFactory(invitee=oscar, address="oscar")
    oscar_client.get(INVITATIONS)
    # 1. the bearer token with its user
    # 2. the page of invitations with their projects and inviters
    with django_assert_num_queries(2):
        response = oscar_client.get(f"{INVITATIONS}?page_size=200")
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_project_invitations_query_count_is_constant(
    alice_client, project, django_assert_num_queries, rows
):
    for _ in range(rows):
        InvitationFactory(project=project)
    alice_client.get(project_invitations_url(project))
    # 1. the bearer token with its user
    # 2. the project, through alice's visible projects
    # 3. the page of invitations
    with django_assert_num_queries(3):
        response = alice_client.get(f"{project_invitations_url(project)}?page_size=200")
    assert len(response.json()["results"]) == rows


def test_with_mandatory_verification_an_unconfirmed_address_sees_no_invitation(
    settings, project, token_client
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    owner = Membership.objects.get(project=project, role=Role.OWNER).user
    services.member_invite(project=project, by=owner, email="claimed@example.com")
    squatter = UserFactory(username="squatter", email="claimed@example.com")
    # As signing up leaves it: the address typed, not yet confirmed by its link.
    EmailAddress.objects.filter(user=squatter).update(verified=False)
    client = token_client(squatter)
    assert client.get(INVITATIONS).json()["results"] == []
    EmailAddress.objects.filter(user=squatter).update(verified=True)
    assert len(client.get(INVITATIONS).json()["results"]) == 1


@pytest.mark.parametrize("scope", ["read_only", "other_project"])
def test_a_token_cannot_answer_beyond_its_scope(project, oscar, scope):
    invitation = invite(project, "oscar")
    elsewhere = ProjectFactory(name="Elsewhere")
    MembershipFactory(project=elsewhere, user=oscar)
    limits = {"read_only": True} if scope == "read_only" else {"project_ids": [elsewhere.pk]}
    _, secret = make_token(oscar, **limits)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"{INVITATIONS}{invitation.pk}/"
    assert client.patch(url, {"accepted": True}).status_code == 403
    assert client.delete(url).status_code == 403
    assert project.role_of(oscar) is None
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_an_invitation_is_in_the_project_history_without_the_address(project, alice):
    invitation = services.member_invite(
        project=project, by=alice, email="Someone.New@example.com", role=Role.EDITOR
    )
    activity = Activity.objects.get(verb=Activity.Verb.INVITED)
    assert activity.project == project and activity.actor == alice and activity.task is None
    assert activity.changes == {"invitation": invitation.pk, "role": "editor"}
    assert "example.com" not in str(activity.changes)
