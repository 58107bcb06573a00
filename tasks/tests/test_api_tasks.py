"""Tasks through the API: create, read, update, delete, validation, IDOR, ETags, moves, retries."""

import pytest
from rest_framework.test import APIClient

from tasks.models import Activity, Role, Status, Task
from tasks.tests.factories import (
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
)

TASKS = "/api/v1/tasks/"


def detail(task):
    return f"{TASKS}{task.pk}/"


@pytest.fixture
def erin_client(erin, token_client):
    return token_client(erin)


@pytest.fixture
def beta(alice, erin):
    """A second project where alice owns and erin edits: tasks can move between the two."""
    beta = ProjectFactory(name="Beta", created_by=alice)
    MembershipFactory(project=beta, user=alice, role=Role.OWNER)
    MembershipFactory(project=beta, user=erin, role=Role.EDITOR)
    return beta


@pytest.fixture
def foreign(oscar):
    """A project of oscar's that nobody in the cast can see."""
    gamma = ProjectFactory(name="Gamma", created_by=oscar)
    MembershipFactory(project=gamma, user=oscar, role=Role.OWNER)
    return gamma


# ---------------------------------------------------------------------------
# Create and read
# ---------------------------------------------------------------------------
def test_editor_creates_task_with_location_etag_and_activity(erin_client, project, tag, victor):
    body = {
        "project": project.pk,
        "title": "  Ship it  ",
        "description": "Soon",
        "status": "in_progress",
        "priority": "high",
        "due_date": "2030-01-31",
        "assignee": victor.pk,
        "tags": [tag.pk],
    }
    response = erin_client.post(TASKS, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    task = Task.objects.get(pk=data["id"])
    assert response["Location"] == f"http://testserver{detail(task)}"
    assert response["ETag"] == '"1"'
    assert data["url"] == response["Location"]
    assert data["title"] == "Ship it"
    assert (data["status"], data["priority"], data["due_date"]) == (
        "in_progress",
        "high",
        "2030-01-31",
    )
    assert data["assignee"] == victor.pk
    assert data["tags"] == [tag.pk]
    assert data["version"] == 1
    assert data["created_by"] == task.created_by_id
    assert Activity.objects.filter(task=task, verb=Activity.Verb.CREATED).exists()


def test_create_with_done_status_sets_completed_at(erin_client, project):
    response = erin_client.post(
        TASKS, {"project": project.pk, "title": "Done already", "status": "done"}
    )
    assert response.status_code == 201
    assert response.json()["completed_at"] is not None


def test_server_owned_fields_in_the_body_are_ignored(erin_client, project, alice):
    body = {
        "project": project.pk,
        "title": "Sneaky",
        "id": 999,
        "version": 42,
        "created_by": alice.pk,
        "completed_at": "2020-01-01T00:00:00Z",
        "position": 5,
        "colour": "unknown field",
    }
    data = erin_client.post(TASKS, body, format="json").json()
    assert data["id"] != 999
    assert data["version"] == 1
    assert data["completed_at"] is None
    assert data["created_by"] != alice.pk


def test_detail_matches_the_list_row(erin_client, project, tag, victor):
    task = TaskFactory(project=project, assignee=victor, tags=[tag], due_date="2031-05-06")
    row = erin_client.get(TASKS).json()["results"][0]
    assert row == erin_client.get(detail(task)).json()


# ---------------------------------------------------------------------------
# Validation: 400 with field errors, never a 500
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"status": "finished"}, "status"),
        ({"priority": "critical"}, "priority"),
        ({"due_date": "2030-02-30"}, "due_date"),
        ({"due_date": "31/01/2030"}, "due_date"),
        ({"due_date": "2030-01-31T10:00:00"}, "due_date"),
        ({"position": 2**40}, "position"),
        ({"tags": "not-a-list"}, "tags"),
        ({"assignee": "me"}, "assignee"),
        ({"project": None}, "project"),
    ],
)
def test_invalid_fields_are_400_with_field_errors(erin_client, project, change, field):
    body = {"project": project.pk, "title": "Valid", **change}
    response = erin_client.post(TASKS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_title_of_200_characters_is_accepted(erin_client, project):
    response = erin_client.post(TASKS, {"project": project.pk, "title": "x" * 200})
    assert response.status_code == 201


def test_missing_title_and_project_are_required(erin_client):
    errors = erin_client.post(TASKS, {}, format="json").json()["errors"]
    assert set(errors) == {"project", "title"}


def test_malformed_json_is_400(erin_client):
    response = erin_client.post(TASKS, '{"title": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_assignee_who_is_not_a_member_is_400(erin_client, project, oscar, beta):
    # oscar shares no project with erin: his id does not resolve at all.
    response = erin_client.post(TASKS, {"project": project.pk, "title": "T", "assignee": oscar.pk})
    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]
    # Someone erin can see in another project, but not a member of this one.
    colleague = UserFactory(username="colleague")
    MembershipFactory(project=beta, user=colleague, role=Role.VIEWER)
    response = erin_client.post(
        TASKS, {"project": project.pk, "title": "T", "assignee": colleague.pk}
    )
    assert response.status_code == 400
    assert "is not a member" in response.json()["errors"]["assignee"][0]


def test_tag_from_another_project_is_400(erin_client, project, beta):
    beta_tag = TagFactory(project=beta, name="beta-only")
    response = erin_client.post(TASKS, {"project": project.pk, "title": "T", "tags": [beta_tag.pk]})
    assert response.status_code == 400
    assert "another project" in response.json()["errors"]["tags"][0]
    assert not Task.objects.filter(title="T").exists()


def test_ids_from_invisible_projects_read_as_unknown(erin_client, project, foreign, oscar):
    foreign_tag = TagFactory(project=foreign, name="secret")
    for body in (
        {"project": foreign.pk, "title": "T"},
        {"project": project.pk, "title": "T", "tags": [foreign_tag.pk]},
        {"project": project.pk, "title": "T", "assignee": oscar.pk},
    ):
        response = erin_client.post(TASKS, body, format="json")
        assert response.status_code == 400
        (messages,) = response.json()["errors"].values()
        assert "does not exist" in messages[0]


def test_viewer_cannot_create_a_task(victor, token_client, project):
    response = token_client(victor).post(TASKS, {"project": project.pk, "title": "T"})
    assert response.status_code == 403
    assert not Task.objects.exists()


# ---------------------------------------------------------------------------
# Update, ETag, If-Match, If-None-Match
# ---------------------------------------------------------------------------
def test_patch_bumps_version_and_etag(erin_client, task):
    response = erin_client.patch(detail(task), {"title": "Better", "priority": "urgent"})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    activity = Activity.objects.filter(task=task).latest("id")
    assert activity.changes["title"] == ["Write the README", "Better"]


def test_put_requires_every_required_field(erin_client, task):
    response = erin_client.put(detail(task), {"title": "Only a title"})
    assert response.status_code == 400
    assert "project" in response.json()["errors"]


def test_get_carries_etag_and_matching_if_none_match_is_304(erin_client, task):
    response = erin_client.get(detail(task))
    assert response["ETag"] == '"1"'
    response = erin_client.get(detail(task), HTTP_IF_NONE_MATCH='"1"')
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == '"1"'
    assert erin_client.get(detail(task), HTTP_IF_NONE_MATCH='"7"').status_code == 200


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_stale_if_match_is_412_and_changes_nothing(erin_client, task, project, method):
    body = {"project": project.pk, "title": "Lost update"} if method != "delete" else None
    call = getattr(erin_client, method)
    response = call(detail(task), body, format="json", HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
    assert response["ETag"] == '"1"'
    assert set(response.json()) == {"detail", "errors"}
    task.refresh_from_db()
    assert (task.title, task.version) == ("Write the README", 1)


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', "*", '"5", "1"'])
def test_matching_if_match_allows_the_write(erin_client, task, header):
    response = erin_client.patch(detail(task), {"title": "Fresh"}, HTTP_IF_MATCH=header)
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_if_match_makes_delete_conditional(erin_client, task):
    assert erin_client.delete(detail(task), HTTP_IF_MATCH='"1"').status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()
    assert Activity.objects.filter(verb=Activity.Verb.DELETED, task_title=task.title).exists()


def test_completing_sets_and_reopening_clears_completed_at(erin_client, task):
    done = erin_client.patch(detail(task), {"status": "done"}).json()
    assert done["completed_at"] is not None
    reopened = erin_client.patch(detail(task), {"status": "todo"}).json()
    assert reopened["completed_at"] is None
    assert reopened["version"] == 3


def test_clearing_assignee_and_tags(erin_client, project, tag, erin):
    task = TaskFactory(project=project, assignee=erin, tags=[tag])
    data = erin_client.patch(detail(task), {"assignee": None, "tags": []}, format="json").json()
    assert (data["assignee"], data["tags"]) == (None, [])


# ---------------------------------------------------------------------------
# Moving between projects
# ---------------------------------------------------------------------------
def test_moving_drops_tags_the_new_project_lacks(erin_client, project, beta, erin):
    keep = TagFactory(project=project, name="keep")
    lose = TagFactory(project=project, name="lose")
    beta_keep = TagFactory(project=beta, name="Keep")
    task = TaskFactory(project=project, tags=[keep, lose], assignee=erin)
    response = erin_client.patch(detail(task), {"project": beta.pk})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["project"] == beta.pk
    assert data["tags"] == [beta_keep.pk]
    assert data["assignee"] == erin.pk
    activity = Activity.objects.filter(task=task).latest("id")
    assert activity.verb == Activity.Verb.MOVED
    assert activity.changes["project"] == ["Alpha", "Beta"]


def test_moving_needs_editor_in_both_projects(token_client, project, beta, victor, erin, task):
    # victor views alpha and edits beta: he may not take tasks out of alpha.
    MembershipFactory(project=beta, user=victor, role=Role.EDITOR)
    assert token_client(victor).patch(detail(task), {"project": beta.pk}).status_code == 403
    # erin edits alpha and only views delta: she may not put tasks into delta.
    delta = ProjectFactory(name="Delta")
    MembershipFactory(project=delta, user=erin, role=Role.VIEWER)
    assert token_client(erin).patch(detail(task), {"project": delta.pk}).status_code == 403
    task.refresh_from_db()
    assert task.project == project


def test_moving_into_an_invisible_project_is_400(erin_client, task, foreign):
    response = erin_client.patch(detail(task), {"project": foreign.pk})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.project_id != foreign.pk


# ---------------------------------------------------------------------------
# Idempotent retries
# ---------------------------------------------------------------------------
def test_retry_with_same_idempotency_key_replays_the_first_answer(erin_client, project):
    body = {"project": project.pk, "title": "Once"}
    first = erin_client.post(TASKS, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = erin_client.post(TASKS, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Task.objects.filter(title="Once").count() == 1


def test_same_key_with_a_different_body_is_422(erin_client, project):
    erin_client.post(TASKS, {"project": project.pk, "title": "A"}, HTTP_IDEMPOTENCY_KEY="k1")
    response = erin_client.post(
        TASKS, {"project": project.pk, "title": "B"}, HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}
    assert not Task.objects.filter(title="B").exists()


def test_keys_belong_to_one_user(erin_client, alice, token_client, project):
    body = {"project": project.pk, "title": "Mine"}
    erin_client.post(TASKS, body, HTTP_IDEMPOTENCY_KEY="shared")
    assert token_client(alice).post(TASKS, body, HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert Task.objects.filter(title="Mine").count() == 2


def test_failed_create_is_not_remembered(erin_client, project):
    bad = erin_client.post(TASKS, {"project": project.pk, "title": ""}, HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 400
    good = erin_client.post(TASKS, {"project": project.pk, "title": ""}, HTTP_IDEMPOTENCY_KEY="k2")
    assert good.status_code == 400


def test_without_a_key_every_post_creates(erin_client, project):
    for _ in range(2):
        erin_client.post(TASKS, {"project": project.pk, "title": "Twice"})
    assert Task.objects.filter(title="Twice", status=Status.TODO).count() == 2


def test_list_row_matches_detail_in_the_users_time_zone(erin, project, tag):
    erin.time_zone = "Asia/Kolkata"
    erin.save()
    TaskFactory(project=project, tags=[tag], status=Status.DONE)
    client = APIClient()
    client.force_login(erin)
    row = client.get(TASKS).json()["results"][0]
    assert row["created_at"].endswith("+05:30")
    assert row == client.get(row["url"]).json()
