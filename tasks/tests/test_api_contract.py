"""
The API contract a generated client relies on: JSON bodies only, strict query strings, JSON
errors everywhere, and an OpenAPI document precise enough to generate from.
"""

import pytest
from django.test import Client
from rest_framework.request import Request

from project.api.errors import KeyInUse, api_exception_handler
from tasks.tests.factories import ActivityFactory, CommentFactory, ProjectFactory, TaskFactory

TASKS = "/api/v1/tasks/"


@pytest.fixture
def client(erin, token_client):
    return token_client(erin)


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


# Request bodies


def test_a_form_body_is_415_and_creates_nothing(client, project):
    response = client.post(TASKS, {"project": project.pk, "title": "x"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["detail"].startswith("Unsupported media type")
    response = client.post(
        TASKS, f"project={project.pk}&title=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert not project.tasks.exists()


def test_a_deeply_nested_body_is_a_json_400_not_a_500(client, project):
    response = client.post(TASKS, "[" * 200_000, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_body_over_the_limit_is_a_json_413(client, project, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = f'{{"project": {project.pk}, "title": "x", "description": "{"a" * 2_000}"}}'
    response = client.post(TASKS, body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == "The request body is larger than 1000 bytes."
    assert not project.tasks.exists()


def test_a_body_within_the_limit_is_read(client, project, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = client.post(TASKS, {"project": project.pk, "title": "x"}, format="json")
    assert response.status_code == 201


def test_descriptions_have_the_limit_the_schema_states(client, project, schema):
    limit = schema["components"]["schemas"]["TaskRequest"]["properties"]["description"]
    body = {"project": project.pk, "title": "x", "description": "a" * (limit["maxLength"] + 1)}
    response = client.post(TASKS, body, format="json")
    assert response.status_code == 400
    assert "description" in response.json()["errors"]


# Query strings


@pytest.mark.parametrize(
    "query, name",
    [
        ("stauts=done", "stauts"),
        ("overdue=yes-please", "overdue"),
        ("assignee=nobody", "assignee"),
        ("updated_after=yesterday-ish", "updated_after"),
        ("status=finished", "status"),
        ("due_before=someday", "due_before"),
        ("page_size=lots", "page_size"),
        ("ordering=colour", "ordering"),
    ],
)
def test_unknown_or_invalid_query_parameters_are_400_naming_them(client, project, query, name):
    response = client.get(f"{TASKS}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert name in body["errors"]
    assert body["detail"].startswith(f"{name}:")


@pytest.mark.parametrize(
    "url",
    ["/api/v1/projects/?colour=red", "/api/v1/tags/?name=bug", "/api/v1/me/?expand=all"],
)
def test_unknown_query_parameters_are_400_on_every_endpoint(client, project, url):
    response = client.get(url)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {url.split("?")[1].split("=")[0]}


def test_a_filter_on_a_single_task_is_unknown_there(client, task):
    assert client.get(f"{TASKS}{task.pk}/?status=done").status_code == 400
    assert client.get(f"{TASKS}{task.pk}/?format=json").status_code == 200


def test_a_write_with_an_unknown_query_parameter_changes_nothing(client, task):
    response = client.patch(f"{TASKS}{task.pk}/?notify=false", {"title": "new"}, format="json")
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.title == "Write the README"


@pytest.mark.parametrize("value, expected", [("true", True), ("1", True), ("false", False)])
def test_overdue_reads_booleans(client, project, value, expected):
    late = TaskFactory(project=project, due_date="2000-01-01")
    response = client.get(f"{TASKS}?overdue={value}")
    assert response.status_code == 200
    assert (late.pk in [row["id"] for row in response.json()["results"]]) is expected


def test_assignee_accepts_an_id_me_and_none(client, project, erin):
    mine = TaskFactory(project=project, assignee=erin)
    nobodys = TaskFactory(project=project, assignee=None)
    for value, expected in [(erin.pk, mine), ("me", mine), ("ME", mine), ("none", nobodys)]:
        response = client.get(f"{TASKS}?assignee={value}")
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [expected.pk]


# Errors are JSON


def test_the_schema_429_is_json(db, settings, api_client):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "1/min",
        },
    }
    assert api_client.get("/api/v1/schema/").status_code == 200
    for url in ["/api/v1/schema/", "/api/v1/schema/?format=json", "/api/v1/docs/"]:
        response = api_client.get(url)
        assert response.status_code == 429
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail", "errors"}
        assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "make_url",
    [
        lambda other: f"{TASKS}{other['task'].pk}/",
        lambda other: f"{TASKS}{other['task'].pk}/comments/",
        lambda other: f"{TASKS}{other['task'].pk}/activity/",
        lambda other: f"/api/v1/comments/{other['comment'].pk}/",
        lambda other: f"/api/v1/projects/{other['project'].pk}/",
        lambda other: f"/api/v1/projects/{other['project'].pk}/members/",
    ],
)
def test_options_on_something_you_cannot_see_is_404(client, make_url):
    project = ProjectFactory(name="Hidden")
    task = TaskFactory(project=project)
    other = {"project": project, "task": task, "comment": CommentFactory(task=task)}
    ActivityFactory(task=task)
    url = make_url(other)
    assert client.get(url).status_code == 404
    response = client.options(url)
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_options_on_your_own_task_still_describes_it(client, task):
    response = client.options(f"{TASKS}{task.pk}/")
    assert response.status_code == 200
    assert response.json()["name"]


@pytest.mark.parametrize("scheme", ["Token", "Basic", "token"])
def test_a_401_for_another_scheme_says_to_use_bearer(api_client, erin, scheme):
    response = api_client.get(TASKS, HTTP_AUTHORIZATION=f"{scheme} abcdef")
    assert response.status_code == 401
    assert "Authorization: Bearer <token>" in response.json()["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_session_user_behind_basic_auth_is_still_signed_in(erin, project):
    client = Client()
    client.force_login(erin)
    response = client.get(TASKS, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 200


# Location is a plain str (wsgiref, behind runserver, refuses anything else)


def test_every_create_answers_a_plain_str_location(client, project, task):
    creates = [
        (client, TASKS, {"project": project.pk, "title": "x"}),
        (client, "/api/v1/projects/", {"name": "Beta"}),
        (client, "/api/v1/tags/", {"project": project.pk, "name": "new"}),
        (client, f"{TASKS}{task.pk}/comments/", {"body": "hi"}),
        (client, "/api/v1/tokens/", {"name": "ci"}),
    ]
    for api, url, body in creates:
        response = api.post(url, body, format="json")
        assert response.status_code == 201, url
        assert type(response.headers["Location"]) is str, url
        assert response.headers["Location"] == response.json()["url"]


def test_a_replayed_create_answers_a_plain_str_location(client, project):
    body = {"project": project.pk, "title": "x"}
    first = client.post(TASKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(TASKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again["Idempotent-Replayed"] == "true"
    assert type(again.headers["Location"]) is str
    assert again.headers["Location"] == first.headers["Location"]


# The OpenAPI document


def test_path_ids_are_integers(schema):
    for path, _, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["type"] == "integer", (path, parameter["name"])


def test_request_bodies_are_json_only(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], (
                path,
                method,
            )


def test_every_response_field_is_required(schema):
    components = schema["components"]["schemas"]
    for name in [
        "Task",
        "Project",
        "Tag",
        "Member",
        "Comment",
        "Activity",
        "Me",
        "Token",
        "Invitation",
        "ProjectInvitation",
    ]:
        component = components[name]
        assert sorted(component["required"]) == sorted(component["properties"]), name


def test_every_operation_has_a_summary_and_a_tag(schema):
    for path, method, operation in operations(schema):
        assert operation.get("summary"), (path, method)
        assert operation.get("tags"), (path, method)
    assert schema["servers"] == [{"url": "http://testserver"}]


def test_one_model_per_resource(schema):
    names = set(schema["components"]["schemas"])
    twins = {"TagCreate", "TagCreateRequest", "MemberRole", "PatchedMemberRoleRequest"}
    assert not {*twins, "TokenCreated"} & names
    patch = schema["paths"]["/api/v1/projects/{project_pk}/members/{user_id}/"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/MemberRequest"}
    assert schema["components"]["schemas"]["MemberRequest"]["required"] == ["role"]


def test_member_creation_body_is_one_of_three_shapes(schema):
    post = schema["paths"]["/api/v1/projects/{project_pk}/members/"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    shapes = [schema["components"]["schemas"][s["$ref"].rsplit("/", 1)[1]] for s in body["oneOf"]]
    assert [shape["required"] for shape in shapes] == [["user"], ["username"], ["email"]]
    assert all("role" in shape["properties"] for shape in shapes)


def test_inviting_answers_202_with_the_invitation(schema):
    post = schema["paths"]["/api/v1/projects/{project_pk}/members/"]["post"]
    assert set(post["responses"]) >= {"202", "400", "403", "404", "409"}
    assert "201" not in post["responses"]
    body = post["responses"]["202"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ProjectInvitation"}


def test_query_enums_reuse_the_shared_components(schema):
    parameters = {p["name"]: p for p in schema["paths"][TASKS]["get"]["parameters"]}
    assert parameters["status"]["schema"]["items"] == {
        "$ref": "#/components/schemas/TaskStatusEnum"
    }
    assert parameters["priority"]["schema"]["items"] == {
        "$ref": "#/components/schemas/PriorityEnum"
    }
    assert parameters["overdue"]["schema"] == {"type": "boolean"}
    assert "`me`" in parameters["assignee"].get("description", "") + str(
        parameters["assignee"]["schema"].get("description", "")
    )


def test_every_text_field_of_a_request_has_a_max_length(schema):
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):
            continue
        for field, spec in component.get("properties", {}).items():
            if spec.get("type") == "string" and not {"enum", "format"} & set(spec):
                assert "maxLength" in spec, (name, field)


def test_activity_changes_are_typed_pairs(schema):
    """
    Field → [old, new]; a member or comment event also names the member or the comment, a
    repeating task's completion its next occurrence.
    """
    changes = schema["components"]["schemas"]["Activity"]["properties"]["changes"]
    assert changes["type"] == "object"
    pair, name, comment_id, occurrence = changes["additionalProperties"]["oneOf"]
    assert (pair["type"], pair["minItems"], pair["maxItems"]) == ("array", 2, 2)
    assert (name["type"], comment_id["type"]) == ("string", "integer")
    assert occurrence["required"] == ["id", "due_date"]


def headers_of(operation, code):
    return set(operation["responses"][code].get("headers", {}))


def test_every_header_the_api_sends_is_described(schema):
    task = schema["paths"]["/api/v1/tasks/{id}/"]
    for method in ["put", "patch", "delete"]:
        assert "ETag" in headers_of(task[method], "412"), method
    assert "ETag" in headers_of(task["get"], "200")
    for path, method, operation in operations(schema):
        assert "Retry-After" in headers_of(operation, "429"), (path, method)
        assert "WWW-Authenticate" in headers_of(operation, "401"), (path, method)
        if method == "post" and path.endswith("/members/"):  # an invitation: no Location
            assert headers_of(operation, "202") >= {"Idempotent-Replayed"}, path
        elif method == "post":
            assert {"Location", "Idempotent-Replayed"} <= headers_of(operation, "201"), path
            assert "Retry-After" in headers_of(operation, "409"), path


def test_409_is_described_only_where_it_can_happen(schema):
    paths = schema["paths"]
    assert "409" not in paths["/api/v1/tasks/{id}/"]["patch"]["responses"]
    assert (
        "409"
        not in paths["/api/v1/projects/{project_pk}/members/{user_id}/"]["delete"]["responses"]
    )
    assert "Idempotency-Key" in paths[TASKS]["post"]["responses"]["409"]["description"]
    assert "clashes" in paths["/api/v1/tags/{id}/"]["patch"]["responses"]["409"]["description"]


def test_a_key_in_use_conflict_carries_retry_after(rf, erin):
    """``KeyInUse`` is the 409 for an Idempotency-Key whose first request still runs."""
    request = Request(rf.post(TASKS))
    response = api_exception_handler(KeyInUse(wait=5), {"request": request})
    assert response.status_code == 409
    assert response["Retry-After"] == "5"
    assert "Idempotency-Key" in response.data["detail"]


@pytest.mark.parametrize("method", ["TRACE", "PUT"])
def test_a_method_the_endpoint_lacks_is_405_whatever_the_query_string(
    alice, task, method, token_client
):
    client = token_client(alice)
    response = client.generic(method, f"/api/v1/tasks/{task.pk}/activity/?cursor=&page_size=1")
    assert response.status_code == 405
    assert response.json()["detail"]
