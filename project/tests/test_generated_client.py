"""
A client generated from the OpenAPI document works as it comes, without hand fixes: what an
integrator does with ``openapi-python-client``, against a real server.

Select it with ``-m generated_client`` (it runs in the default suite too).
"""

import datetime
import importlib
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest

from tasks.models import Role, Task
from tasks.tests.factories import MembershipFactory, TaskFactory, make_token

pytestmark = pytest.mark.generated_client

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "taskdesk_client"


@pytest.fixture(scope="module")
def generated(live_server, tmp_path_factory, django_db_blocker):
    """The package ``openapi-python-client`` generates from the live server's schema."""
    tmp_path = tmp_path_factory.mktemp("generated")
    # The schema reads no rows, but serving any request opens the database connection.
    with (
        django_db_blocker.unblock(),
        urlopen(f"{live_server.url}/api/v1/schema/?format=json") as response,
    ):
        schema = json.load(response)
    assert schema["servers"] == [{"url": live_server.url}]
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    # No post hooks: formatting the generated code (ruff) changes nothing it does.
    (tmp_path / "config.yml").write_text("post_hooks: []\n")
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--config",
            str(tmp_path / "config.yml"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name="": importlib.import_module(f"{PACKAGE}{'.' if name else ''}{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def cursor_of(link: str | None) -> str | None:
    return parse_qs(urlsplit(link).query)["cursor"][0] if link else None


def test_a_generated_client_creates_updates_clears_pages_and_deletes(
    generated, live_server, project, alice, erin, oscar
):
    package = generated()
    models = generated("models")
    tags_create = generated("api.tags.tags_create")
    tasks_create = generated("api.tasks.tasks_create")
    tasks_list = generated("api.tasks.tasks_list")
    tasks_partial_update = generated("api.tasks.tasks_partial_update")
    tasks_retrieve = generated("api.tasks.tasks_retrieve")
    tasks_destroy = generated("api.tasks.tasks_destroy")
    members_create = generated("api.projects.projects_members_create")
    invitations_list = generated("api.invitations.invitations_list")
    invitations_partial_update = generated("api.invitations.invitations_partial_update")

    _, secret = make_token(erin)
    client = package.AuthenticatedClient(base_url=live_server.url, token=secret)
    _, owner_secret = make_token(alice)
    owner = package.AuthenticatedClient(base_url=live_server.url, token=owner_secret)

    # Tags, and a task with tags, an assignee and a due date.
    made = [
        tags_create.sync_detailed(
            client=client, body=models.TagRequest(project=project.pk, name=name)
        )
        for name in ("bug", "docs")
    ]
    assert [response.status_code for response in made] == [201, 201]
    tag_ids = sorted(response.parsed.id for response in made)
    created = tasks_create.sync_detailed(
        client=client,
        body=models.TaskRequest(
            project=project.pk,
            title="Ship the release",
            tags=tag_ids,
            assignee=erin.pk,
            due_date=datetime.date(2030, 1, 31),
            priority=models.PriorityEnum.HIGH,
        ),
    )
    assert created.status_code == 201, created.content
    task = created.parsed
    assert isinstance(task, models.Task)
    assert (task.tags, task.assignee, task.version) == (tag_ids, erin.pk, 1)
    assert created.headers["Location"] == task.url
    stored = Task.objects.get(pk=task.id)
    assert sorted(stored.tags.values_list("pk", flat=True)) == tag_ids

    # Update.
    updated = tasks_partial_update.sync_detailed(
        task.id,
        client=client,
        body=models.PatchedTaskRequest(status=models.TaskStatusEnum.IN_PROGRESS),
        if_match=created.headers["ETag"],
    )
    assert updated.status_code == 200, updated.content
    assert updated.parsed.status == models.TaskStatusEnum.IN_PROGRESS
    assert updated.parsed.version == 2

    # Clear with null and [] — and the server really cleared them.
    cleared = tasks_partial_update.sync_detailed(
        task.id,
        client=client,
        body=models.PatchedTaskRequest(assignee=None, due_date=None, tags=[]),
    )
    assert cleared.status_code == 200, cleared.content
    assert (cleared.parsed.assignee, cleared.parsed.due_date, cleared.parsed.tags) == (
        None,
        None,
        [],
    )
    stored.refresh_from_db()
    assert (stored.assignee_id, stored.due_date, list(stored.tags.all())) == (None, None, [])
    assert stored.title == "Ship the release"

    # Someone invited by username (one shape of the oneOf body), who accepts.
    invited = members_create.sync_detailed(
        project.pk,
        client=owner,
        body=models.MemberByUsernameRequest(username=oscar.username, role=models.RoleEnum.VIEWER),
    )
    assert invited.status_code == 202, invited.content
    assert (invited.parsed.invitee, invited.parsed.role) == (oscar.username, models.RoleEnum.VIEWER)
    _, invitee_secret = make_token(oscar)
    invitee = package.AuthenticatedClient(base_url=live_server.url, token=invitee_secret)
    waiting = invitations_list.sync(client=invitee)
    assert [row.id for row in waiting.results] == [invited.parsed.id]
    assert waiting.results[0].project_name == project.name
    accepted = invitations_partial_update.sync_detailed(
        invited.parsed.id, client=invitee, body=models.PatchedInvitationRequest(accepted=True)
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.parsed.accepted is True
    assert project.role_of(oscar) == Role.VIEWER

    # Walk the cursor pages: every task exactly once, in order.
    TaskFactory.create_batch(6, project=project)
    seen, cursor = [], None
    while True:
        page = tasks_list.sync(
            client=client,
            project=project.pk,
            page_size=3,
            ordering=models.TasksListOrdering.CREATED,
            status=[models.TaskStatusEnum.TODO, models.TaskStatusEnum.IN_PROGRESS],
            **({"cursor": cursor} if cursor else {}),
        )
        assert isinstance(page, models.PaginatedTaskList), page
        seen += [row.id for row in page.results]
        cursor = cursor_of(page.next_)
        if cursor is None:
            break
    expected = list(project.tasks.order_by("created_at", "id").values_list("pk", flat=True))
    assert seen == expected

    # A stale If-Match: 412 with the current version as ETag, nothing changed.
    stale = tasks_partial_update.sync_detailed(
        task.id,
        client=client,
        body=models.PatchedTaskRequest(title="Lost update"),
        if_match='"1"',
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Error)
    assert stale.headers["ETag"] == '"3"'
    stored.refresh_from_db()
    assert stored.title == "Ship the release"

    # Delete.
    deleted = tasks_destroy.sync_detailed(task.id, client=client, if_match='"3"')
    assert deleted.status_code == 204
    assert tasks_retrieve.sync_detailed(task.id, client=client).status_code == 404
    assert not Task.objects.filter(pk=task.id).exists()


def test_the_generated_client_reads_errors_as_the_error_model(generated, live_server, erin):
    package = generated()
    models = generated("models")
    tasks_create = generated("api.tasks.tasks_create")
    _, secret = make_token(erin)
    client = package.AuthenticatedClient(base_url=live_server.url, token=secret)
    project = MembershipFactory(user=erin, role=Role.VIEWER).project
    response = tasks_create.sync_detailed(
        client=client, body=models.TaskRequest(project=project.pk, title="x")
    )
    assert response.status_code == 403
    assert isinstance(response.parsed, models.Error)
    assert response.parsed.detail
