"""
Every API route and method × every row of the role matrix (DESIGN §4, §6): anonymous 401 with
``WWW-Authenticate``, non-members (staff included) 404, a role too low 403, the right role the
route's success code; in an archived project every write is 403 (unarchive and delete excepted).
The (route, method) pairs come from the URLconf and the router's viewsets: one missing from
``EXPECTATIONS`` fails ``test_every_api_route_is_in_the_matrix``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from django.urls import URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from tasks.tests.factories import make_token
from tasks.tests.matrix_world import NON_MEMBERS, RANK, ROWS, build_world, destroy_world

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclasses.dataclass(frozen=True)
class Case:
    path: str  # formatted with the row's ids: {project}, {task}, {tag}, {comment}, {walt}…
    expect: Callable[[str], int]
    data: dict | None = None
    label: str = ""


def member(needs: str, ok: int, *, write: bool, archived_ok: bool = False, outsider: int = 404):
    """``ok`` from role ``needs`` up (``author``: erin's comment), 403 below, non-members 404."""

    def expect(row: str) -> int:
        if row == "anonymous":
            return 401
        if row in NON_MEMBERS:
            return outsider
        role = row.removeprefix("archived-")
        if row.startswith("archived-") and write and not archived_ok:
            return 403
        if needs == "author":
            return ok if role == "editor" else 403
        return ok if RANK[role] >= RANK[needs] else 403

    return expect


def signed_in(ok: int):
    return lambda row: 401 if row == "anonymous" else ok


def everyone(code: int):
    return lambda row: code


def alices_own(ok: int):
    """alice's token: hers alone; to everyone else it does not exist."""
    return lambda row: 401 if row == "anonymous" else ok if row.endswith("owner") else 404


def invitees_own(ok: int):
    """The invitation addressed to oscar (the outsider row): nobody else learns it exists."""
    return lambda row: 401 if row == "anonymous" else ok if row == "outsider" else 404


P = "/api/v1/projects/{project}/"
M = "/api/v1/projects/{project}/members/"
PI = "/api/v1/projects/{project}/invitations/"
INV = "/api/v1/invitations/{invitation}/"
T = "/api/v1/tasks/{task}/"
N = "/api/v1/notifications/{notification}/"
TASK_PUT = {"project": "{project}", "title": "New"}

# (URL name, method) → the requests made. ``None`` names the catch-all for unknown API paths.
EXPECTATIONS: dict[tuple[str | None, str], list[Case]] = {
    ("api-root", "get"): [Case("/api/v1/", signed_in(200))],
    ("schema", "get"): [Case("/api/v1/schema/", everyone(200))],
    ("docs", "get"): [Case("/api/v1/docs/", everyone(200))],
    ("redoc", "get"): [Case("/api/v1/redoc/", everyone(200))],
    (None, "get"): [Case("/api/v1/no-such-thing/", everyone(404))],
    ("me", "get"): [Case("/api/v1/me/", signed_in(200))],
    ("me", "patch"): [Case("/api/v1/me/", signed_in(200), {"display_name": "New name"})],
    ("project-list", "get"): [Case("/api/v1/projects/", signed_in(200))],
    ("project-list", "post"): [Case("/api/v1/projects/", signed_in(201), {"name": "New"})],
    ("project-detail", "get"): [Case(P, member("viewer", 200, write=False))],
    ("project-detail", "patch"): [
        Case(P, member("owner", 200, write=True), {"name": "Renamed"}, "rename"),
        Case(
            P,
            member("owner", 200, write=True, archived_ok=True),
            {"is_archived": False},
            "unarchive",
        ),
    ],
    ("project-detail", "put"): [
        Case(
            P,
            member("owner", 200, write=True),
            {"name": "Renamed", "description": "", "colour": "#123456"},
        )
    ],
    ("project-detail", "delete"): [Case(P, member("owner", 204, write=True, archived_ok=True))],
    ("project-member-list", "get"): [Case(M, member("viewer", 200, write=False))],
    ("project-member-list", "post"): [
        Case(M, member("owner", 202, write=True), {"username": "m-newcomer", "role": "viewer"})
    ],
    ("project-invitation-list", "get"): [Case(PI, member("owner", 200, write=False))],
    ("project-invitation-detail", "get"): [
        Case(PI + "{invitation}/", member("owner", 200, write=False))
    ],
    ("project-invitation-detail", "delete"): [
        Case(PI + "{invitation}/", member("owner", 204, write=True))
    ],
    ("invitation-list", "get"): [Case("/api/v1/invitations/", signed_in(200))],
    ("invitation-detail", "get"): [Case(INV, invitees_own(200))],
    ("invitation-detail", "patch"): [Case(INV, invitees_own(200), {"accepted": True})],
    ("invitation-detail", "delete"): [Case(INV, invitees_own(204))],
    ("project-member-detail", "get"): [Case(M + "{walt}/", member("viewer", 200, write=False))],
    ("project-member-detail", "patch"): [
        Case(M + "{walt}/", member("owner", 200, write=True), {"role": "editor"})
    ],
    ("project-member-detail", "delete"): [Case(M + "{walt}/", member("owner", 204, write=True))],
    ("task-list", "get"): [Case("/api/v1/tasks/", signed_in(200))],
    ("task-list", "post"): [
        Case(
            "/api/v1/tasks/",
            member("editor", 201, write=True, outsider=400),
            {"project": "{project}", "title": "New task"},
        )
    ],
    ("task-detail", "get"): [Case(T, member("viewer", 200, write=False))],
    ("task-detail", "patch"): [Case(T, member("editor", 200, write=True), {"title": "New"})],
    ("task-detail", "put"): [Case(T, member("editor", 200, write=True), TASK_PUT)],
    ("task-detail", "delete"): [Case(T, member("editor", 204, write=True))],
    ("task-comment-list", "get"): [Case(T + "comments/", member("viewer", 200, write=False))],
    ("task-comment-list", "post"): [
        Case(T + "comments/", member("editor", 201, write=True), {"body": "Me too"})
    ],
    ("task-activity-list", "get"): [Case(T + "activity/", member("viewer", 200, write=False))],
    ("comment-detail", "get"): [
        Case("/api/v1/comments/{comment}/", member("viewer", 200, write=False))
    ],
    # The comment is erin's: only its author may change it, not even the owner.
    ("comment-detail", "patch"): [
        Case("/api/v1/comments/{comment}/", member("author", 200, write=True), {"body": "Edited"})
    ],
    ("comment-detail", "delete"): [
        Case("/api/v1/comments/{comment}/", member("author", 204, write=True))
    ],
    ("tag-list", "get"): [Case("/api/v1/tags/", signed_in(200))],
    ("tag-list", "post"): [
        Case(
            "/api/v1/tags/",
            member("editor", 201, write=True, outsider=400),
            {"project": "{project}", "name": "feature"},
        )
    ],
    ("tag-detail", "get"): [Case("/api/v1/tags/{tag}/", member("viewer", 200, write=False))],
    ("tag-detail", "patch"): [
        Case("/api/v1/tags/{tag}/", member("editor", 200, write=True), {"name": "defect"})
    ],
    ("tag-detail", "delete"): [Case("/api/v1/tags/{tag}/", member("editor", 204, write=True))],
    ("token-list", "get"): [Case("/api/v1/tokens/", signed_in(200))],
    ("token-list", "post"): [Case("/api/v1/tokens/", signed_in(201), {"name": "ci"})],
    ("token-detail", "get"): [Case("/api/v1/tokens/{token}/", alices_own(200))],
    ("token-detail", "delete"): [Case("/api/v1/tokens/{token}/", alices_own(204))],
    ("notification-list", "get"): [Case("/api/v1/notifications/", signed_in(200))],
    ("notification-detail", "get"): [Case(N, alices_own(200))],
    ("notification-detail", "patch"): [Case(N, alices_own(200), {"read": True})],
    # Reminders and following are one's own business: every role, archived projects too.
    ("task-reminder-list", "get"): [Case(T + "reminders/", member("viewer", 200, write=False))],
    ("task-reminder-list", "post"): [
        Case(
            T + "reminders/",
            member("viewer", 201, write=True, archived_ok=True),
            {"remind_at": "2099-01-01T09:00:00Z"},
        )
    ],
    ("task-reminder-detail", "get"): [Case(T + "reminders/{reminder}/", alices_own(200))],
    ("task-reminder-detail", "delete"): [Case(T + "reminders/{reminder}/", alices_own(204))],
    ("task-followers", "get"): [Case(T + "followers/", member("viewer", 200, write=False))],
    ("task-followers", "post"): [
        Case(T + "followers/", member("viewer", 201, write=True, archived_ok=True))
    ],
    ("task-followers", "delete"): [
        Case(T + "followers/", member("viewer", 204, write=True, archived_ok=True))
    ],
}


def api_routes() -> set[tuple[str | None, str]]:
    """(URL name, method) for every route under /api/ but the browsable API's log-in pages."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            else:
                yield route, pattern

    routes = set()
    for route, pattern in walk(get_resolver().url_patterns):
        if not route.startswith(("api/", "^api/")) or route.startswith("api/v1/auth/"):
            continue
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        if actions is None:
            view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            actions = [m for m in HTTP_METHODS if view is None or hasattr(view, m)]
            if view is None:  # a plain function: the JSON 404 for unknown paths answers GET
                actions = ["get"]
        view = getattr(callback, "cls", None)
        allowed = view.http_method_names if view is not None else HTTP_METHODS
        # HEAD follows GET (DRF adds it to a viewset's actions on its first request).
        routes.update(
            (pattern.name, method)
            for method in actions
            if method in allowed and method in HTTP_METHODS
        )
    return routes


def test_every_api_route_is_in_the_matrix():
    routes = api_routes()
    assert routes - EXPECTATIONS.keys() == set(), "API routes missing from the matrix"
    assert EXPECTATIONS.keys() - routes == set(), "matrix rows for routes that do not exist"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        world = build_world()
        world.secrets = {}
        for row in ROWS:
            person = world.person(row)
            if person is not None and person.pk not in world.secrets:
                world.secrets[person.pk] = make_token(person, name="matrix")[1]
    yield world
    with django_db_blocker.unblock():
        destroy_world(world)


def fill(value, ids: dict):
    if isinstance(value, str) and "{" in value:
        formatted = value.format(**ids)
        return int(formatted) if formatted.isdigit() and not value.startswith("/") else formatted
    return value


CASES = [
    pytest.param(
        name,
        method,
        case,
        id=f"{name or 'unknown'} {method.upper()}{' ' + case.label if case.label else ''}",
    )
    for (name, method), cases in EXPECTATIONS.items()
    for case in cases
]


@pytest.mark.parametrize(("name", "method", "case"), CASES)
@pytest.mark.parametrize("row", ROWS)
def test_api_matrix(db, world, name, method, case, row):
    ids = world.ids_for(row)
    path = fill(case.path, ids)
    assert resolve(path).url_name == name, f"{path} is not a request to {name}"
    client = APIClient()
    person = world.person(row)
    if person is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.secrets[person.pk]}")
    data = {key: fill(value, ids) for key, value in (case.data or {}).items()} or None
    response = getattr(client, method)(path, data, format="json")
    got, want = response.status_code, case.expect(row)
    assert got == want, f"{method.upper()} {path} as {row}: got {got}, expected {want}"
    if got == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response.json() == {
            "detail": "Authentication credentials were not provided.",
            "errors": {},
        }
    if got >= 400 and not path.endswith(("/docs/", "/redoc/")):
        assert set(response.json()) == {"detail", "errors"}, response.content
