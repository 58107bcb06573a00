"""
Token scopes (DESIGN §6, §10): read-only, limited to some projects, may manage tokens. The
default for a new token is read-write in every project, without token management; a token
never creates one that reaches more than itself; a session has none of these limits.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, TokenScope
from tasks.models import Role
from tasks.tests.factories import (
    ActivityFactory,
    CommentFactory,
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    make_token,
)

TOKENS = "/api/v1/tokens/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def client_with(user, **scope) -> APIClient:
    scope.setdefault("can_manage_tokens", False)
    return bearer(make_token(user, name="scoped", **scope)[1])


@pytest.fixture
def beta(alice):
    """A second project of alice's, with one of everything in it."""
    beta = ProjectFactory(name="Beta", created_by=alice)
    MembershipFactory(project=beta, user=alice, role=Role.OWNER)
    task = TaskFactory(project=beta, title="Beta's task", created_by=alice)
    beta.task = task
    beta.tag = TagFactory(project=beta, name="beta-tag")
    beta.comment = CommentFactory(task=task, author=alice, body="Beta's comment")
    beta.activity = ActivityFactory(task=task, actor=alice)
    return beta


# ---------------------------------------------------------------------------
# Read-only tokens
# ---------------------------------------------------------------------------
def test_a_read_only_token_reads(alice, project, task):
    api = client_with(alice, read_only=True)
    assert api.get("/api/v1/projects/").status_code == 200
    assert api.get(f"/api/v1/tasks/{task.pk}/").status_code == 200
    assert api.options("/api/v1/tasks/").status_code == 200
    assert api.head("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/projects/", {"name": "New"}),
        ("post", "/api/v1/tasks/", {"project": "{project}", "title": "New"}),
        ("patch", "/api/v1/tasks/{task}/", {"title": "Changed"}),
        ("put", "/api/v1/projects/{project}/", {"name": "Changed"}),
        ("delete", "/api/v1/tasks/{task}/", None),
        ("delete", "/api/v1/projects/{project}/", None),
        ("post", "/api/v1/tags/", {"project": "{project}", "name": "new"}),
        ("post", "/api/v1/tasks/{task}/comments/", {"body": "Hi"}),
        ("patch", "/api/v1/me/", {"display_name": "Changed"}),
    ],
)
def test_a_read_only_token_is_403_on_every_write(alice, project, task, method, path, body):
    ids = {"project": project.pk, "task": task.pk}
    data = {
        key: int(value.format(**ids)) if "{" in str(value) else value
        for key, value in (body or {}).items()
    }
    api = client_with(alice, read_only=True)
    response = getattr(api, method)(path.format(**ids), data or None, format="json")
    assert response.status_code == 403, response.content
    assert "read-only" in response.json()["detail"]
    # nothing changed
    task.refresh_from_db()
    project.refresh_from_db()
    alice.refresh_from_db()
    assert (task.title, task.version, project.name) == ("Write the README", 1, "Alpha")
    assert alice.display_name == "Alice Owner"
    assert project.tasks.count() == 1
    assert project.tags.count() == 0


def test_a_read_only_token_still_gets_405_for_a_method_an_endpoint_lacks(alice):
    assert client_with(alice, read_only=True).put("/api/v1/me/", {}).status_code == 405


def test_the_domain_refuses_a_read_only_token_too(alice, project, task):
    """Services refuse by themselves, for any edge that calls them with a token's user."""
    from django.core.exceptions import PermissionDenied

    from tasks import services

    token, _ = make_token(alice, read_only=True)
    alice.token_scope = token.scope
    with pytest.raises(PermissionDenied, match="read-only"):
        services.task_update(task=task, by=alice, title="Changed")
    with pytest.raises(PermissionDenied, match="read-only"):
        services.project_create(by=alice, name="New")
    assert not project.can_write(alice)


# ---------------------------------------------------------------------------
# Tokens limited to some projects
# ---------------------------------------------------------------------------
def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_project_limited_token_lists_only_its_projects(alice, project, task, tag, beta):
    everything = client_with(alice)
    limited = client_with(alice, project_ids=[project.pk])
    assert ids(everything.get("/api/v1/projects/")) == {project.pk, beta.pk}
    assert ids(limited.get("/api/v1/projects/")) == {project.pk}
    assert ids(everything.get("/api/v1/tasks/")) == {task.pk, beta.task.pk}
    assert ids(limited.get("/api/v1/tasks/")) == {task.pk}
    assert ids(everything.get("/api/v1/tags/")) == {tag.pk, beta.tag.pk}
    assert ids(limited.get("/api/v1/tags/")) == {tag.pk}
    # filtering by the other project is an unknown id, as for any project one cannot see
    assert ids(everything.get(f"/api/v1/tasks/?project={beta.pk}")) == {beta.task.pk}
    response = limited.get(f"/api/v1/tasks/?project={beta.pk}")
    assert response.status_code == 400
    assert "project" in response.json()["errors"]
    assert limited.get(f"/api/v1/tags/?project={beta.pk}").status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/{beta}/",
        "/api/v1/projects/{beta}/members/",
        "/api/v1/projects/{beta}/members/{alice}/",
        "/api/v1/tasks/{task}/",
        "/api/v1/tasks/{task}/comments/",
        "/api/v1/tasks/{task}/activity/",
        "/api/v1/comments/{comment}/",
        "/api/v1/tags/{tag}/",
    ],
)
def test_a_project_limited_token_gets_404_for_everything_in_other_projects(
    alice, project, beta, path
):
    url = path.format(
        beta=beta.pk,
        alice=alice.pk,
        task=beta.task.pk,
        comment=beta.comment.pk,
        tag=beta.tag.pk,
    )
    assert client_with(alice).get(url).status_code == 200
    limited = client_with(alice, project_ids=[project.pk])
    assert limited.get(url).status_code == 404
    assert limited.delete(url).status_code in (404, 405)


def test_a_project_limited_token_writes_only_in_its_projects(alice, project, beta):
    limited = client_with(alice, project_ids=[project.pk])
    created = limited.post("/api/v1/tasks/", {"project": project.pk, "title": "Here"})
    assert created.status_code == 201
    elsewhere = limited.post("/api/v1/tasks/", {"project": beta.pk, "title": "There"})
    assert elsewhere.status_code == 400
    assert "project" in elsewhere.json()["errors"]
    moved = limited.patch(f"/api/v1/tasks/{created.json()['id']}/", {"project": beta.pk})
    assert moved.status_code == 400
    assert beta.tasks.count() == 1


def test_a_project_limited_token_cannot_create_projects(alice, project):
    response = client_with(alice, project_ids=[project.pk]).post(
        "/api/v1/projects/", {"name": "Escape"}
    )
    assert response.status_code == 403
    assert "limited to some projects" in response.json()["detail"]
    assert not alice.projects.filter(name="Escape").exists()


def test_a_limited_token_of_a_deleted_project_sees_nothing(alice, project, beta):
    limited = client_with(alice, project_ids=[beta.pk])
    beta.delete()
    assert ids(limited.get("/api/v1/projects/")) == set()
    assert ids(limited.get("/api/v1/tasks/")) == set()


# ---------------------------------------------------------------------------
# Token management
# ---------------------------------------------------------------------------
def test_a_token_that_may_not_manage_tokens_is_403_on_every_token_operation(erin):
    other, _ = make_token(erin, name="other")
    api = client_with(erin)
    for response in (
        api.get(TOKENS),
        api.post(TOKENS, {"name": "more"}),
        api.get(f"{TOKENS}{other.pk}/"),
        api.delete(f"{TOKENS}{other.pk}/"),
    ):
        assert response.status_code == 403
        assert "may not manage tokens" in response.json()["detail"]
    other.refresh_from_db()
    assert other.status == "active"
    assert ApiToken.objects.filter(user=erin).count() == 2


def test_a_token_that_may_manage_tokens_does(erin):
    api = client_with(erin, can_manage_tokens=True)
    created = api.post(TOKENS, {"name": "more"})
    assert created.status_code == 201
    assert api.get(TOKENS).status_code == 200
    assert api.delete(f"{TOKENS}{created.json()['id']}/").status_code == 204


def test_a_session_manages_tokens_whatever_the_scopes(erin, project):
    api = APIClient()
    api.force_login(erin)
    body = {"name": "ci", "read_only": True, "projects": [project.pk], "can_manage_tokens": True}
    response = api.post(TOKENS, body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["read_only"], data["projects"], data["can_manage_tokens"]) == (
        True,
        [project.pk],
        True,
    )
    token = ApiToken.objects.get(pk=data["id"])
    assert (token.read_only, token.project_ids, token.can_manage_tokens) == (
        True,
        [project.pk],
        True,
    )


def test_new_tokens_default_to_read_write_everywhere_without_token_management(erin):
    api = APIClient()
    api.force_login(erin)
    data = api.post(TOKENS, {"name": "ci"}).json()
    assert (data["read_only"], data["projects"], data["can_manage_tokens"]) == (False, [], False)
    token = ApiToken.objects.get(pk=data["id"])
    assert token.project_ids is None


def test_a_token_may_be_limited_only_to_projects_its_owner_is_in(erin, oscar, project):
    strangers = ProjectFactory(name="Strangers")
    MembershipFactory(project=strangers, user=oscar, role=Role.OWNER)
    api = APIClient()
    api.force_login(erin)
    for projects in ([strangers.pk], [project.pk, strangers.pk], [999999]):
        response = api.post(TOKENS, {"name": "x", "projects": projects}, format="json")
        assert response.status_code == 400
        assert "projects" in response.json()["errors"]
    # an unknown id and someone else's project read the same
    unknown = api.post(TOKENS, {"name": "x", "projects": [999999]}, format="json").json()
    theirs = api.post(TOKENS, {"name": "x", "projects": [strangers.pk]}, format="json").json()
    assert unknown["errors"]["projects"][0].replace("999999", "N") == theirs["errors"]["projects"][
        0
    ].replace(str(strangers.pk), "N")
    assert not ApiToken.objects.filter(name="x").exists()


@pytest.mark.parametrize(
    ("wanted", "code"),
    [
        # all projects: more than its own (a 403 that says so)
        ({}, 403),
        ({"projects": []}, 403),
        # a project outside its own is one it cannot see: an unknown id (400)
        ({"projects": ["alpha", "beta"]}, 400),
        ({"projects": ["beta"]}, 400),
    ],
)
def test_a_token_never_creates_a_wider_token(alice, project, beta, wanted, code):
    names = {"alpha": project.pk, "beta": beta.pk}
    api = client_with(alice, can_manage_tokens=True, project_ids=[project.pk])
    body = {"name": "wider", **wanted}
    if "projects" in body:
        body["projects"] = [names[name] for name in body["projects"]]
    response = api.post(TOKENS, body, format="json")
    assert response.status_code == code, response.content
    assert not ApiToken.objects.filter(name="wider").exists()


def test_what_a_scope_covers():
    """The rule behind "never wider": read-only, token management and projects each narrow."""
    everything = TokenScope(can_manage_tokens=True)
    read_only = TokenScope(read_only=True, can_manage_tokens=True)
    limited = TokenScope(project_ids=frozenset({1, 2}), can_manage_tokens=True)
    assert everything.covers(read_only) and everything.covers(limited)
    assert not read_only.covers(everything)
    assert not read_only.covers(TokenScope(project_ids=frozenset({1})))
    assert read_only.covers(TokenScope(read_only=True, project_ids=frozenset({1})))
    assert not limited.covers(everything)
    assert not limited.covers(TokenScope(project_ids=frozenset({3})))
    assert limited.covers(TokenScope(project_ids=frozenset({2})))
    assert not TokenScope().covers(TokenScope(can_manage_tokens=True))


def test_a_limited_token_without_projects_asked_is_refused_with_a_clear_403(alice, project):
    api = client_with(alice, can_manage_tokens=True, project_ids=[project.pk])
    response = api.post(TOKENS, {"name": "wider"})
    assert response.status_code == 403
    assert "reaches more than itself" in response.json()["detail"]


def test_a_token_may_create_the_same_or_a_narrower_token(alice, project, beta):
    api = client_with(alice, can_manage_tokens=True, project_ids=[project.pk, beta.pk])
    same = api.post(
        TOKENS,
        {"name": "same", "projects": [project.pk, beta.pk], "can_manage_tokens": True},
        format="json",
    )
    assert same.status_code == 201
    narrower = api.post(
        TOKENS, {"name": "narrower", "projects": [beta.pk], "read_only": True}, format="json"
    )
    assert narrower.status_code == 201
    assert narrower.json()["projects"] == [beta.pk]


def test_a_read_only_token_cannot_create_tokens(alice):
    api = client_with(alice, read_only=True, can_manage_tokens=True)
    assert api.get(TOKENS).status_code == 200
    assert api.post(TOKENS, {"name": "rw"}).status_code == 403
    assert not ApiToken.objects.filter(name="rw").exists()


def test_existing_tokens_keep_working_read_write_in_every_project(alice, project, beta):
    """What the migration gives the tokens it finds: the model's defaults."""
    token, secret = ApiToken.issue(user=alice, name="old")
    assert (token.read_only, token.project_ids, token.can_manage_tokens) == (False, None, False)
    assert (
        bearer(secret).post("/api/v1/tasks/", {"project": beta.pk, "title": "x"}).status_code == 201
    )


# ---------------------------------------------------------------------------
# Secrets are not cached
# ---------------------------------------------------------------------------
def test_the_answer_with_a_new_secret_is_no_store(erin):
    api = client_with(erin, can_manage_tokens=True)
    response = api.post(TOKENS, {"name": "ci"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    replayed = api.post(TOKENS, {"name": "ci"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert replayed["Idempotent-Replayed"] == "true"
    assert "no-store" in replayed["Cache-Control"]


def test_the_schema_describes_the_no_store_header(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    created = schema["paths"]["/api/v1/tokens/"]["post"]["responses"]["201"]
    assert "no-store" in created["headers"]["Cache-Control"]["description"]
    token = schema["components"]["schemas"]["Token"]
    assert {"read_only", "projects", "can_manage_tokens"} <= set(token["properties"])


def test_the_token_page_showing_a_secret_is_no_store(client, erin):
    client.force_login(erin)
    response = client.post(reverse("token-create"), {"name": "ci"}, follow=True)
    assert response.context["new_secret"]
    assert "no-store" in response["Cache-Control"]


# ---------------------------------------------------------------------------
# The tokens page
# ---------------------------------------------------------------------------
def test_the_token_page_offers_the_scopes_and_lists_them(client, alice, project, beta, oscar):
    theirs = ProjectFactory(name="Not alice's")
    MembershipFactory(project=theirs, user=oscar, role=Role.OWNER)
    client.force_login(alice)
    page = client.get(reverse("tokens"))
    choices = [value for value, _ in page.context["form"].fields["projects"].choices]
    assert {int(str(value)) for value in choices} == {project.pk, beta.pk}
    body = page.content.decode()
    assert 'name="read_only"' in body
    assert 'name="can_manage_tokens"' in body
    assert "Not alice" not in body

    response = client.post(
        reverse("token-create"),
        {"name": "ci", "read_only": "on", "projects": [str(beta.pk)]},
    )
    assert response.status_code == 302
    token = ApiToken.objects.get(name="ci")
    assert (token.read_only, token.project_ids, token.can_manage_tokens) == (
        True,
        [beta.pk],
        False,
    )
    listed = client.get(reverse("tokens")).content.decode()
    assert "Read-only, Beta" in listed


def test_the_token_page_refuses_someone_elses_project(client, alice, oscar):
    theirs = ProjectFactory(name="Theirs")
    MembershipFactory(project=theirs, user=oscar, role=Role.OWNER)
    client.force_login(alice)
    response = client.post(reverse("token-create"), {"name": "ci", "projects": [theirs.pk]})
    assert response.status_code == 400
    assert response.context["form"].errors["projects"]
    assert not ApiToken.objects.filter(name="ci").exists()


# ---------------------------------------------------------------------------
# manage.py issue_token
# ---------------------------------------------------------------------------
def test_issue_token_takes_the_scopes(alice, project, beta):
    out = StringIO()
    call_command(
        "issue_token",
        "alice",
        "--read-only",
        "--project",
        str(project.pk),
        "--project",
        str(beta.pk),
        "--can-manage-tokens",
        stdout=out,
    )
    token = ApiToken.authenticate(out.getvalue().strip())
    assert (token.read_only, token.project_ids, token.can_manage_tokens) == (
        True,
        sorted([project.pk, beta.pk]),
        True,
    )


def test_issue_token_defaults_and_refuses_foreign_projects(alice, oscar, project):
    out = StringIO()
    call_command("issue_token", "alice", stdout=out)
    token = ApiToken.authenticate(out.getvalue().strip())
    assert (token.read_only, token.project_ids, token.can_manage_tokens) == (False, None, False)
    theirs = ProjectFactory(name="Theirs")
    with pytest.raises(CommandError, match="not a member"):
        call_command("issue_token", "alice", "--project", str(theirs.pk))
