"""
Every page route × every row of the role matrix (DESIGN §4): anonymous → the log-in page,
non-members (staff included) → 404, a role too low → 403, an archived project → 403 for every
write. The routes come from the URLconf: a page route missing from ``EXPECTATIONS`` fails
``test_every_page_route_is_in_the_matrix``, so a new page cannot escape the matrix.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve

from tasks.tests.matrix_world import (
    LOGIN,
    OK,
    ROWS,
    build_world,
    destroy_world,
    expected,
    outcome,
)


@dataclasses.dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the row's ids: {project}, {task}, {tag}, {comment}, {walt}…
    expect: Callable[[str], object]
    data: dict | None = None
    label: str = ""


def member(needs: str, *, write: bool, archived_ok: bool = False):
    return lambda row: expected(row, needs=needs, write=write, archived_ok=archived_ok)


def signed_in(row: str):
    return LOGIN if row == "anonymous" else OK


def public(row: str):
    return OK


def sent_to_login(row: str):
    return LOGIN


def not_found(row: str):
    return 404


def gone(row: str):
    return 410


def not_found_when_signed_in(row: str):
    """Someone else's (here: nobody's) passkey: a 404, after signing in."""
    return LOGIN if row == "anonymous" else 404


def ends_at_login(row: str):
    """Logging out: everyone lands on the log-in page."""
    return LOGIN


def alices_own(row: str):
    """alice's API token: hers alone; nobody else learns that it exists."""
    if row == "anonymous":
        return LOGIN
    return OK if row in ("owner", "archived-owner") else 404


def invitees_own(row: str):
    """The invitation addressed to oscar (the outsider row): his alone to answer."""
    if row == "anonymous":
        return LOGIN
    return OK if row == "outsider" else 404


def bad_request_when_allowed(row: str, *, needs: str, write: bool):
    """A form with bad input: refused by role first, then answered 400 (nothing changed)."""
    want = expected(row, needs=needs, write=write)
    return 400 if want == OK else want


GET = "get"
POST = "post"
TASK = {
    "title": "Renamed",
    "status": "todo",
    "priority": "none",
    "version": "{version}",
    "project": "{project}",
}

# Route (as the URLconf spells it) → the requests made to it. Forms whose only purpose is a
# write (edit, delete, new task) are refused like the write itself in an archived project.
EXPECTATIONS: dict[str, list[Case]] = {
    "healthz": [Case(GET, "/healthz", public)],
    "favicon.ico": [Case(GET, "/favicon.ico", public)],
    # Account pages (django-allauth): public ones answer everyone; the others send anonymous
    # visitors to the log-in page. A signed-in visitor of a sign-in page is sent on (OK).
    "accounts/signup/": [Case(GET, "/accounts/signup/", public)],
    "accounts/login/": [Case(GET, "/accounts/login/", public)],
    "accounts/logout/": [Case(POST, "/accounts/logout/", ends_at_login)],
    "accounts/inactive/": [Case(GET, "/accounts/inactive/", public)],
    "accounts/reauthenticate/": [Case(GET, "/accounts/reauthenticate/", signed_in)],
    "accounts/email/": [Case(GET, "/accounts/email/", signed_in)],
    "accounts/confirm-email/": [Case(GET, "/accounts/confirm-email/", public)],
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": [
        Case(GET, "/accounts/confirm-email/not-a-key/", public)
    ],
    "accounts/password/change/": [Case(GET, "/accounts/password/change/", signed_in)],
    "accounts/password/set/": [Case(GET, "/accounts/password/set/", signed_in)],
    "accounts/password/reset/": [Case(GET, "/accounts/password/reset/", public)],
    "accounts/password/reset/done/": [Case(GET, "/accounts/password/reset/done/", public)],
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": [
        Case(GET, "/accounts/password/reset/key/1-not-a-key/", public)
    ],
    "accounts/password/reset/key/done/": [Case(GET, "/accounts/password/reset/key/done/", public)],
    "accounts/login/code/confirm/": [Case(GET, "/accounts/login/code/confirm/", signed_in)],
    # Django's old addresses of the password pages redirect to allauth's.
    "accounts/password_change/": [Case(GET, "/accounts/password_change/", public)],
    "accounts/password_reset/": [Case(GET, "/accounts/password_reset/", public)],
    "accounts/password_reset/done/": [Case(GET, "/accounts/password_reset/done/", public)],
    "accounts/reset/done/": [Case(GET, "/accounts/reset/done/", public)],
    # The e-mailed unlock link for a slowed-down sign-in: anyone may ask; a bad link goes back.
    "accounts/unlock/": [
        Case(GET, "/accounts/unlock/", public),
        Case(POST, "/accounts/unlock/", public, {"login": "nobody"}),
    ],
    "accounts/unlock/<str:token>/": [Case(GET, "/accounts/unlock/not-a-token/", public)],
    # Links in e-mails: the signed token is the authorization, so a forged one is refused
    # to everyone alike (notifications/tests/test_mail_links.py follows real ones).
    "unsubscribe/<str:token>/": [
        Case(GET, "/unsubscribe/not-a-token/", not_found),
        Case(POST, "/unsubscribe/not-a-token/", not_found),
    ],
    "invitations/join/<str:token>/": [Case(GET, "/invitations/join/not-a-token/", gone)],
    "accounts/2fa/": [Case(GET, "/accounts/2fa/", signed_in)],
    "accounts/2fa/authenticate/": [Case(GET, "/accounts/2fa/authenticate/", signed_in)],
    "accounts/2fa/reauthenticate/": [Case(GET, "/accounts/2fa/reauthenticate/", signed_in)],
    "accounts/2fa/totp/activate/": [Case(GET, "/accounts/2fa/totp/activate/", signed_in)],
    "accounts/2fa/totp/deactivate/": [
        Case(GET, "/accounts/2fa/totp/deactivate/", not_found_when_signed_in)
    ],
    "accounts/2fa/recovery-codes/": [
        Case(GET, "/accounts/2fa/recovery-codes/", not_found_when_signed_in)
    ],
    "accounts/2fa/recovery-codes/generate/": [
        Case(GET, "/accounts/2fa/recovery-codes/generate/", signed_in)
    ],
    "accounts/2fa/recovery-codes/download/": [
        Case(GET, "/accounts/2fa/recovery-codes/download/", not_found_when_signed_in)
    ],
    "accounts/2fa/webauthn/": [Case(GET, "/accounts/2fa/webauthn/", signed_in)],
    "accounts/2fa/webauthn/add/": [Case(GET, "/accounts/2fa/webauthn/add/", signed_in)],
    "accounts/2fa/webauthn/reauthenticate/": [
        Case(GET, "/accounts/2fa/webauthn/reauthenticate/", signed_in)
    ],
    "accounts/2fa/webauthn/keys/<int:pk>/remove/": [
        Case(GET, "/accounts/2fa/webauthn/keys/999999/remove/", signed_in)
    ],
    "accounts/2fa/webauthn/keys/<int:pk>/edit/": [
        Case(GET, "/accounts/2fa/webauthn/keys/999999/edit/", signed_in)
    ],
    "accounts/2fa/webauthn/login/": [Case(GET, "/accounts/2fa/webauthn/login/", signed_in)],
    "accounts/sessions/": [Case(GET, "/accounts/sessions/", signed_in)],
    "accounts/3rdparty/": [Case(GET, "/accounts/3rdparty/", signed_in)],
    "accounts/3rdparty/login/cancelled/": [
        Case(GET, "/accounts/3rdparty/login/cancelled/", public)
    ],
    "accounts/3rdparty/login/error/": [
        Case(GET, "/accounts/3rdparty/login/error/", lambda row: 401)
    ],
    "accounts/3rdparty/signup/": [Case(GET, "/accounts/3rdparty/signup/", sent_to_login)],
    "accounts/social/login/cancelled/": [Case(GET, "/accounts/social/login/cancelled/", public)],
    "accounts/social/login/error/": [Case(GET, "/accounts/social/login/error/", public)],
    "accounts/social/signup/": [Case(GET, "/accounts/social/signup/", public)],
    "accounts/social/connections/": [Case(GET, "/accounts/social/connections/", public)],
    # Without a configured provider, single sign-on is a 404 for everyone.
    "accounts/oidc/^(?P<provider_id>[^/]+)/login/": [
        Case(GET, "/accounts/oidc/sso/login/", not_found)
    ],
    "accounts/oidc/^(?P<provider_id>[^/]+)/login/callback/": [
        Case(GET, "/accounts/oidc/sso/login/callback/", not_found)
    ],
    "accounts/settings/": [
        Case(GET, "/accounts/settings/", signed_in),
        Case(POST, "/accounts/settings/", signed_in, {"display_name": "New name"}),
    ],
    "accounts/settings/tokens/": [Case(GET, "/accounts/settings/tokens/", signed_in)],
    "accounts/settings/tokens/new/": [
        Case(GET, "/accounts/settings/tokens/new/", signed_in),
        Case(POST, "/accounts/settings/tokens/new/", signed_in, {"name": "ci"}),
    ],
    "accounts/settings/tokens/<int:pk>/revoke/": [
        Case(POST, "/accounts/settings/tokens/{token}/revoke/", alices_own)
    ],
    # The browsable API's log-in and log-out links lead to the site's own pages.
    "api/v1/auth/login/": [Case(GET, "/api/v1/auth/login/", sent_to_login)],
    "api/v1/auth/logout/": [Case(GET, "/api/v1/auth/logout/", public)],
    "": [Case(GET, "/", signed_in)],
    "tasks/": [Case(GET, "/tasks/", signed_in)],
    "calendar/": [
        Case(GET, "/calendar/", signed_in),
        Case(GET, "/calendar/?view=week&week=2026-12-07", signed_in),
    ],
    "search/": [Case(GET, "/search/?q=README", signed_in)],
    "projects/": [Case(GET, "/projects/", signed_in)],
    "projects/new/": [
        Case(GET, "/projects/new/", signed_in),
        Case(POST, "/projects/new/", signed_in, {"name": "New", "colour": "#123456"}),
    ],
    "projects/<int:pk>/settings/": [
        Case(GET, "/projects/{project}/settings/", member("owner", write=False)),
        Case(
            POST,
            "/projects/{project}/settings/",
            member("owner", write=True),
            {"name": "Renamed", "description": "", "colour": "#123456"},
            "rename",
        ),
        Case(
            POST,
            "/projects/{project}/settings/",
            member("owner", write=True, archived_ok=True),
            {"action": "unarchive"},
            "unarchive",
        ),
    ],
    "projects/<int:pk>/delete/": [
        Case(GET, "/projects/{project}/delete/", member("owner", write=True, archived_ok=True)),
        Case(
            POST,
            "/projects/{project}/delete/",
            member("owner", write=True, archived_ok=True),
            {"confirm_name": "{project_name}"},
        ),
    ],
    "projects/<int:pk>/members/": [
        Case(GET, "/projects/{project}/members/", member("owner", write=False)),
        Case(
            POST,
            "/projects/{project}/members/",
            member("owner", write=True),
            {"person": "m-newcomer", "role": "viewer"},
        ),
    ],
    "projects/<int:pk>/members/<int:member_pk>/role/": [
        Case(
            POST,
            "/projects/{project}/members/{walt}/role/",
            member("owner", write=True),
            {"role": "editor"},
        )
    ],
    "projects/<int:pk>/members/<int:member_pk>/remove/": [
        Case(POST, "/projects/{project}/members/{walt}/remove/", member("owner", write=True))
    ],
    "projects/<int:pk>/invitations/<int:invitation_pk>/cancel/": [
        Case(
            POST,
            "/projects/{project}/invitations/{invitation}/cancel/",
            member("owner", write=True),
        )
    ],
    "invitations/": [Case(GET, "/invitations/", signed_in)],
    "invitations/<int:pk>/accept/": [Case(POST, "/invitations/{invitation}/accept/", invitees_own)],
    "invitations/<int:pk>/decline/": [
        Case(POST, "/invitations/{invitation}/decline/", invitees_own)
    ],
    "projects/<int:pk>/leave/": [
        Case(POST, "/projects/{project}/leave/", member("viewer", write=True))
    ],
    "projects/<int:pk>/tags/": [
        Case(GET, "/projects/{project}/tags/", member("viewer", write=False)),
        Case(
            POST,
            "/projects/{project}/tags/",
            member("editor", write=True),
            {"name": "feature", "colour": "#123456"},
        ),
    ],
    "tags/<int:pk>/edit/": [
        Case(GET, "/tags/{tag}/edit/", member("editor", write=True)),
        Case(
            POST,
            "/tags/{tag}/edit/",
            member("editor", write=True),
            {"name": "defect", "colour": "#123456"},
        ),
    ],
    "tags/<int:pk>/delete/": [
        Case(GET, "/tags/{tag}/delete/", member("editor", write=True)),
        Case(POST, "/tags/{tag}/delete/", member("editor", write=True)),
    ],
    "projects/<int:pk>/": [Case(GET, "/projects/{project}/", member("viewer", write=False))],
    "projects/<int:pk>/tasks/new/": [
        Case(GET, "/projects/{project}/tasks/new/", member("editor", write=True)),
        Case(
            POST, "/projects/{project}/tasks/new/", member("editor", write=True), {"title": "New"}
        ),
    ],
    "projects/<int:pk>/tasks/new/preview/": [
        Case(
            GET,
            "/projects/{project}/tasks/new/preview/?title=Pay+rent+tomorrow+p1",
            member("editor", write=True),
        )
    ],
    "projects/<int:pk>/board/": [
        Case(GET, "/projects/{project}/board/", member("viewer", write=False))
    ],
    "projects/<int:pk>/calendar/": [
        Case(GET, "/projects/{project}/calendar/", member("viewer", write=False)),
        Case(GET, "/projects/{project}/calendar/?view=week", member("viewer", write=False)),
    ],
    "tasks/<int:pk>/": [Case(GET, "/tasks/{task}/", member("viewer", write=False))],
    "tasks/<int:pk>/edit/": [
        Case(GET, "/tasks/{task}/edit/", member("editor", write=True)),
        Case(POST, "/tasks/{task}/edit/", member("editor", write=True), TASK),
        # A role too low is refused whatever the form holds, before the form is read.
        Case(POST, "/tasks/{task}/edit/", member("editor", write=True), {"title": ""}, "invalid"),
    ],
    "tasks/<int:pk>/delete/": [
        Case(GET, "/tasks/{task}/delete/", member("editor", write=True)),
        Case(POST, "/tasks/{task}/delete/", member("editor", write=True)),
    ],
    "tasks/<int:pk>/complete/": [
        Case(POST, "/tasks/{task}/complete/", member("editor", write=True))
    ],
    "tasks/<int:pk>/complete/confirm/": [
        Case(GET, "/tasks/{task}/complete/confirm/", member("editor", write=True))
    ],
    "tasks/<int:pk>/subtasks/new/": [
        Case(POST, "/tasks/{task}/subtasks/new/", member("editor", write=True))
    ],
    "tasks/<int:pk>/move/": [
        Case(
            POST,
            "/tasks/{task}/move/",
            member("editor", write=True),
            {"status": "done", "place": "1"},
        )
    ],
    "tasks/<int:pk>/reschedule/": [
        Case(GET, "/tasks/{task}/reschedule/", member("editor", write=True)),
        Case(
            POST,
            "/tasks/{task}/reschedule/",
            member("editor", write=True),
            {"due_date": "2026-12-24", "version": "{version}"},
        ),
        # A role too low is refused whatever the form holds, before the form is read; an
        # editor gets the form back with its error (400).
        Case(
            POST,
            "/tasks/{task}/reschedule/",
            lambda row: bad_request_when_allowed(row, needs="editor", write=True),
            {"due_date": "nope"},
            "invalid",
        ),
    ],
    "tasks/<int:pk>/comments/": [
        Case(POST, "/tasks/{task}/comments/", member("editor", write=True), {"body": "Me too"})
    ],
    # The comment is erin's: only its author may change it, not even the owner.
    "comments/<int:pk>/edit/": [
        Case(GET, "/comments/{comment}/edit/", member("author", write=True)),
        Case(POST, "/comments/{comment}/edit/", member("author", write=True), {"body": "Edited"}),
    ],
    "comments/<int:pk>/delete/": [
        Case(GET, "/comments/{comment}/delete/", member("author", write=True)),
        Case(POST, "/comments/{comment}/delete/", member("author", write=True)),
    ],
    # Notifications: one's own inbox and settings; following and reminders are one's own
    # business (every role, archived projects too); the notification and reminder are alice's.
    "inbox/": [Case(GET, "/inbox/", signed_in), Case(GET, "/inbox/?show=unread", signed_in)],
    "inbox/read-all/": [Case(POST, "/inbox/read-all/", signed_in)],
    "inbox/<int:pk>/open/": [Case(POST, "/inbox/{notification}/open/", alices_own)],
    "inbox/<int:pk>/read/": [Case(POST, "/inbox/{notification}/read/", alices_own)],
    "accounts/settings/notifications/": [
        Case(GET, "/accounts/settings/notifications/", signed_in),
        Case(POST, "/accounts/settings/notifications/", signed_in, {"digest_hour": "7"}),
    ],
    "tasks/<int:pk>/follow/": [
        Case(POST, "/tasks/{task}/follow/", member("viewer", write=True, archived_ok=True))
    ],
    "tasks/<int:pk>/reminders/": [
        Case(
            POST,
            "/tasks/{task}/reminders/",
            member("viewer", write=True, archived_ok=True),
            {"when": "at", "remind_at": "2099-01-01T09:00"},
        )
    ],
    "reminders/<int:pk>/delete/": [Case(POST, "/reminders/{reminder}/delete/", alices_own)],
    "projects/<int:pk>/mentions/": [
        Case(GET, "/projects/{project}/mentions/?q=m-", member("viewer", write=False))
    ],
}


def page_routes() -> set[str]:
    """Every route of the URLconf outside the admin and the API (its auth pages excepted)."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            else:
                yield route

    return {
        route
        for route in walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "api/", "^api/")) or route.startswith("api/v1/auth/")
    }


def test_every_page_route_is_in_the_matrix():
    routes = page_routes()
    assert routes - EXPECTATIONS.keys() == set(), "page routes missing from the matrix"
    assert EXPECTATIONS.keys() - routes == set(), "matrix rows for routes that do not exist"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        world = build_world()
        # One session per person for the whole module (each test's changes roll back).
        world.cookies = {}
        for row in ROWS:
            person = world.person(row)
            if person is not None and person.pk not in world.cookies:
                client = Client()
                client.force_login(person)
                world.cookies[person.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
    yield world
    with django_db_blocker.unblock():
        destroy_world(world)


def fill(template: str, ids: dict, project_name: str) -> str:
    return template.format(**ids, project_name=project_name)


CASES = [
    pytest.param(
        route,
        case,
        id=f"{route or '/'} {case.method.upper()}{' ' + case.label if case.label else ''}",
    )
    for route, cases in EXPECTATIONS.items()
    for case in cases
]


@pytest.mark.parametrize(("route", "case"), CASES)
@pytest.mark.parametrize("row", ROWS)
def test_page_matrix(db, world, route, case, row):
    ids = world.ids_for(row)
    project = world.projects["attic" if row.startswith("archived-") else "alpha"]
    path = fill(case.path, ids, project.name)
    assert resolve(path.split("?")[0]).route == re.sub(r"/\^", "/", route), (
        f"{path} is not a request to {route}"
    )
    client = Client()
    person = world.person(row)
    if person is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.cookies[person.pk]
    data = {key: fill(str(value), ids, project.name) for key, value in (case.data or {}).items()}
    response = getattr(client, case.method)(path, data)
    got, want = outcome(response), case.expect(row)
    assert got == want, f"{case.method.upper()} {path} as {row}: got {got}, expected {want}"
