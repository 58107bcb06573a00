"""Projects, members and tags through the API, beyond the role matrix."""

import pytest

from tasks.models import Activity, Membership, Project, Role, Tag
from tasks.tests.factories import MembershipFactory, ProjectFactory, TagFactory, UserFactory

PROJECTS = "/api/v1/projects/"
TAGS = "/api/v1/tags/"


def members_url(project, user=None):
    url = f"{PROJECTS}{project.pk}/members/"
    return f"{url}{user.pk}/" if user else url


@pytest.fixture
def alice_client(alice, token_client):
    return token_client(alice)


@pytest.fixture
def erin_client(erin, token_client):
    return token_client(erin)


# ---------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------
def test_creator_becomes_owner(erin_client, erin):
    response = erin_client.post(PROJECTS, {"name": "Mine", "colour": "#112233"})
    assert response.status_code == 201
    data = response.json()
    assert response["Location"] == data["url"]
    assert data["role"] == "owner"
    assert data["created_by"] == erin.pk
    assert Project.objects.get(pk=data["id"]).role_of(erin) == Role.OWNER


def test_project_list_shows_my_role_alphabetically(erin_client, project, erin):
    zeta = ProjectFactory(name="zeta")
    MembershipFactory(project=zeta, user=erin, role=Role.VIEWER)
    beta = ProjectFactory(name="Beta")
    MembershipFactory(project=beta, user=erin, role=Role.OWNER)
    rows = erin_client.get(PROJECTS).json()["results"]
    assert [(r["name"], r["role"]) for r in rows] == [
        ("Alpha", "editor"),
        ("Beta", "owner"),
        ("zeta", "viewer"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "A", "colour": "red"}, "colour"),
    ],
)
def test_invalid_project_is_400(erin_client, body, field):
    response = erin_client.post(PROJECTS, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_owner_archives_and_renames(alice_client, project):
    response = alice_client.patch(f"{PROJECTS}{project.pk}/", {"is_archived": True, "name": "A2"})
    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.is_archived, project.name) == (True, "A2")


# ---------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["user", "username", "email"])
def test_owner_invites_by_id_username_or_email(alice_client, alice, project, how):
    """Adding someone is an invitation (202): nobody joins until they accept."""
    newcomer = UserFactory(username="newcomer", email="New.Comer@example.com")
    # An id names only someone alice already shares a project with.
    shared = ProjectFactory(name="Shared")
    MembershipFactory(project=shared, user=newcomer)
    MembershipFactory(project=shared, user=alice)
    value = {"user": newcomer.pk, "username": "newcomer", "email": "new.comer@EXAMPLE.com"}[how]
    response = alice_client.post(members_url(project), {how: value, "role": "editor"})
    assert response.status_code == 202, response.content
    data = response.json()
    typed = {"user": "newcomer", "username": "newcomer", "email": "new.comer@example.com"}[how]
    assert (data["project"], data["invitee"], data["role"]) == (project.pk, typed, "editor")
    assert set(data) == {"id", "url", "project", "invitee", "role", "created_at", "expires_at"}
    assert data["url"].endswith(f"/api/v1/projects/{project.pk}/invitations/{data['id']}/")
    assert not Membership.objects.filter(project=project, user=newcomer).exists()
    assert not Activity.objects.filter(project=project, verb=Activity.Verb.MEMBER_ADDED).exists()


def test_adding_an_existing_member_is_409(alice_client, project, erin):
    response = alice_client.post(members_url(project), {"user": erin.pk, "role": "viewer"})
    assert response.status_code == 409
    assert response.json()["errors"] == {}


@pytest.mark.parametrize(
    "body",
    [{}, {"user": 10**6}, {"username": "erin", "email": "x@example.com"}, {"email": "not-one"}],
)
def test_unknown_or_ambiguous_person_is_400(alice_client, project, body):
    response = alice_client.post(members_url(project), body)
    assert response.status_code == 400


def test_bad_role_is_400(alice_client, project, oscar):
    response = alice_client.post(members_url(project), {"user": oscar.pk, "role": "admin"})
    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_owner_changes_a_role(alice_client, project, victor):
    response = alice_client.patch(members_url(project, victor), {"role": "editor"})
    assert response.status_code == 200
    assert Membership.objects.get(project=project, user=victor).role == Role.EDITOR


def test_role_change_without_a_role_is_400_and_changes_nothing(alice_client, project, victor):
    response = alice_client.patch(members_url(project, victor), {})
    assert response.status_code == 400
    assert "role" in response.json()["errors"]
    assert Membership.objects.get(project=project, user=victor).role == Role.VIEWER


def test_last_owner_cannot_step_down_or_leave(alice_client, project, alice):
    assert alice_client.patch(members_url(project, alice), {"role": "viewer"}).status_code == 400
    assert alice_client.delete(members_url(project, alice)).status_code == 400
    assert Membership.objects.get(project=project, user=alice).role == Role.OWNER


def test_member_url_names_the_user_not_the_membership(alice_client, project, erin):
    row = alice_client.get(members_url(project, erin)).json()
    assert row["url"] == f"http://testserver{members_url(project, erin)}"


def test_a_membership_cannot_be_moved_or_reassigned(alice_client, project, erin, oscar):
    beta = ProjectFactory(name="Beta")
    MembershipFactory(project=beta, user=oscar, role=Role.OWNER)
    response = alice_client.patch(
        members_url(project, erin), {"role": "viewer", "project": beta.pk, "user": oscar.pk}
    )
    assert response.status_code == 200
    membership = Membership.objects.get(user=erin, project=project)
    assert membership.role == Role.VIEWER
    assert not Membership.objects.filter(project=beta, user=erin).exists()


def test_members_of_an_unseen_project_are_404(erin_client, oscar):
    secret = ProjectFactory(name="Secret")
    MembershipFactory(project=secret, user=oscar, role=Role.OWNER)
    assert erin_client.get(members_url(secret)).status_code == 404
    assert erin_client.get(members_url(secret, oscar)).status_code == 404


def test_members_put_is_405(alice_client, project, erin):
    response = alice_client.put(members_url(project, erin), {"role": "viewer"})
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.', "errors": {}}


# ---------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------
def test_tags_filter_by_project(erin_client, project, tag, erin):
    beta = ProjectFactory(name="Beta")
    MembershipFactory(project=beta, user=erin, role=Role.VIEWER)
    TagFactory(project=beta, name="beta-tag")
    assert len(erin_client.get(TAGS).json()["results"]) == 2
    rows = erin_client.get(f"{TAGS}?project={project.pk}").json()["results"]
    assert [r["name"] for r in rows] == ["bug"]


def test_duplicate_tag_name_is_409_ignoring_case(erin_client, project, tag):
    response = erin_client.post(TAGS, {"project": project.pk, "name": "BUG"})
    assert response.status_code == 409
    other = TagFactory(project=project, name="feature")
    assert erin_client.patch(f"{TAGS}{other.pk}/", {"name": "Bug"}).status_code == 409


def test_invalid_tag_colour_is_400(erin_client, project):
    response = erin_client.post(TAGS, {"project": project.pk, "name": "x", "colour": "#12"})
    assert response.status_code == 400
    assert "colour" in response.json()["errors"]


def test_a_tag_cannot_be_moved_to_another_project(erin_client, project, tag, erin):
    beta = ProjectFactory(name="Beta")
    MembershipFactory(project=beta, user=erin, role=Role.OWNER)
    response = erin_client.patch(f"{TAGS}{tag.pk}/", {"project": beta.pk, "name": "renamed"})
    assert response.status_code == 400
    assert "project" in response.json()["errors"]
    tag.refresh_from_db()
    assert (tag.project_id, tag.name) == (project.pk, "bug")


def test_a_tag_patch_may_repeat_its_own_project(erin_client, project, tag):
    """One Tag model in the schema: a client may send the whole object back."""
    response = erin_client.patch(f"{TAGS}{tag.pk}/", {"project": project.pk, "name": "renamed"})
    assert response.status_code == 200
    assert response.json()["name"] == "renamed"


def test_tag_of_an_unseen_project_in_query_is_400(erin_client, oscar):
    secret = ProjectFactory(name="Secret")
    MembershipFactory(project=secret, user=oscar, role=Role.OWNER)
    assert erin_client.get(f"{TAGS}?project={secret.pk}").status_code == 400


def test_deleting_a_tag_removes_it(erin_client, tag):
    assert erin_client.delete(f"{TAGS}{tag.pk}/").status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()


# ---------------------------------------------------------------------------
# Query counts of the lists
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("rows", [10, 200])
def test_project_list_query_count_is_constant(erin, erin_client, django_assert_num_queries, rows):
    for _ in range(rows):
        MembershipFactory(project=ProjectFactory(), user=erin, role=Role.EDITOR)
    erin_client.get(PROJECTS)
    # 1. the bearer token with its user
    # 2. the page of projects joined to erin's memberships (for the role)
    with django_assert_num_queries(2):
        response = erin_client.get(f"{PROJECTS}?page_size=200")
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [10, 200])
def test_member_list_query_count_is_constant(
    alice_client, project, django_assert_num_queries, rows
):
    for _ in range(rows - 3):
        MembershipFactory(project=project)
    alice_client.get(members_url(project))
    # 1. the bearer token with its user
    # 2. the project, through alice's visible projects
    # 3. the page of memberships with their users
    with django_assert_num_queries(3):
        response = alice_client.get(f"{members_url(project)}?page_size=200")
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [10, 200])
def test_tag_list_query_count_is_constant(erin_client, project, django_assert_num_queries, rows):
    for i in range(rows):
        TagFactory(project=project, name=f"tag{i:03}")
    erin_client.get(TAGS)
    # 1. the bearer token with its user
    # 2. the project of ?project=, through erin's visible projects
    # 3. the page of tags
    with django_assert_num_queries(3):
        response = erin_client.get(f"{TAGS}?page_size=200&project={project.pk}")
    assert len(response.json()["results"]) == rows
