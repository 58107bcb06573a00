"""
Every admin route × the people who may or may not run the installation (DESIGN §4, §5):
anyone who is not staff (a project owner included) → the admin's log-in page; staff who are
no superusers → what their model permissions allow (``STAFF_GRANTS``: none, view only, only
people and tokens, only the tasks app's reads, only groups, all) and 403 for the rest; the
superuser → everything the model admin offers; deleting anything inside an archived project
→ 403. Staff accounts and superusers (and their tokens) are changed, deleted or given a
password by a superuser only, other staff with the view permission may read them; one's own
account by whoever may change people.

Routes come from the URLconf and the admin's registry: a registered model missing from
``MODELS``, or an admin route that is neither a model's page nor in ``SITE``, fails
``test_every_admin_route_is_in_the_matrix``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve

from tasks.models import Task
from tasks.tests.matrix_world import (
    LOGIN,
    OK,
    STAFF_GRANTS,
    build_world,
    destroy_world,
    outcome,
)

ROWS = ["anonymous", "outsider", "owner", *STAFF_GRANTS, "superuser", "archived-superuser"]
NOT_STAFF = ("anonymous", "outsider", "owner")
SUPERUSERS = ("superuser", "archived-superuser")
ADMIN_LOGIN = "/admin/login/"
ACTIONS = ("view", "add", "change", "delete")


@dataclasses.dataclass(frozen=True)
class Model:
    """How the matrix treats one registered model."""

    object: str | None  # the world's id to open, None: the world has no row of it
    add: bool = True  # the superuser may add one
    change: bool = True  # …change one (else the change page is read-only)
    delete: bool = True  # …delete one
    in_project: bool = False  # lives inside a project: deleting it when archived is refused
    archived_delete_ok: bool = False  # the project itself: an owner may delete it archived
    #: More rows to open that only a superuser may change or delete (staff accounts, what
    #: speaks for them).
    guarded: tuple[str, ...] = ()
    own: bool = False  # also open the row's own account ("me")
    superuser_only: bool = False  # other staff get 403 whatever permissions they hold


MODELS: dict[str, Model] = {
    "auth.group": Model(object="group"),
    "axes.accessattempt": Model(object=None, add=False),
    "axes.accesslog": Model(object=None, add=False),
    "axes.accessfailurelog": Model(object=None, add=False),
    "accounts.user": Model(object="walt", guarded=("root", "colleague"), own=True),
    # django-allauth's: e-mail addresses, authenticators, sessions, single sign-on.
    "account.emailaddress": Model(object="walt_address", guarded=("root_address",)),
    "mfa.authenticator": Model(object="walt_factor", guarded=("root_factor",)),
    "usersessions.usersession": Model(object=None),
    # Who may sign in as whom, and the client secret: a superuser's.
    "socialaccount.socialapp": Model(object=None, superuser_only=True),
    "socialaccount.socialaccount": Model(object="walt_link", guarded=("root_link",)),
    "socialaccount.socialtoken": Model(object="walt_link_token", guarded=("root_link_token",)),
    "accounts.apitoken": Model(object="token", add=False, guarded=("root_token",)),
    "tasks.project": Model(object="project", in_project=True, archived_delete_ok=True),
    "tasks.membership": Model(object="membership", in_project=True),
    "tasks.tag": Model(object="tag", in_project=True),
    "tasks.task": Model(object="task", in_project=True),
    "tasks.comment": Model(object="comment", in_project=True),
    # Made by owners, answered by the invitees; staff only cancel them (an action).
    "tasks.invitation": Model(object="invitation", add=False, change=False, delete=False),
    # History, written by the domain only: nobody adds, changes or deletes it.
    "tasks.activity": Model(object="activity", add=False, change=False, delete=False),
    # Background jobs (project.jobs.admin): read-only rows; retried or deleted from the list.
    "django_tasks_database.dbtaskresult": Model(object=None, add=False),
}


def staff_only(ok_for_staff):
    """Non-staff → the admin log-in page; staff → ``ok_for_staff`` (a row → outcome, or one)."""

    def expect(row: str):
        if row in NOT_STAFF:
            return LOGIN
        return ok_for_staff(row) if callable(ok_for_staff) else ok_for_staff

    return expect


APPS = sorted({label.split(".")[0] for label in MODELS})


def may(row: str, label: str, action: str) -> bool:
    """Whether a staff row holds ``action`` on the model ``label`` (Django's rules)."""
    if row in SUPERUSERS:
        return True
    if MODELS[label].superuser_only:
        return False
    app, model = label.split(".")
    holds = STAFF_GRANTS[row]
    if action == "view":  # the change permission lets one view too
        return holds(app, model, "view") or holds(app, model, "change")
    return holds(app, model, action)


def needs(label: str, action: str):
    """Staff holding ``action`` (``view``, ``add``, ``change``, ``delete``) → ok, else 403."""
    return staff_only(lambda row: OK if may(row, label, action) else 403)


def superuser_only():
    return staff_only(lambda row: OK if row in SUPERUSERS else 403)


def app_index(app: str):
    """An app's index: staff who may do nothing with any of its models get 404."""
    labels = [label for label in MODELS if label.startswith(app + ".")]
    return staff_only(
        lambda row: OK if any(may(row, label, a) for label in labels for a in ACTIONS) else 404
    )


def user_targets() -> list[tuple[str, bool]]:
    """The accounts the user admin's object pages open: (placeholder, only for a superuser)."""
    model = MODELS["accounts.user"]
    return [
        (model.object, False),
        *((target, True) for target in model.guarded),
        *([("me", False)] if model.own else []),
    ]


@dataclasses.dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the row's ids and {content_type}
    expect: Callable[[str], object]
    data: dict | None = None


SITE: dict[str, list[Case]] = {
    "admin/": [Case("get", "/admin/", staff_only(OK))],
    # The admin signs in through the site's login page; a signed-in non-staff user is refused.
    "admin/login/": [
        Case("get", "/admin/login/", lambda row: 403 if row in ("outsider", "owner") else OK)
    ],
    "admin/logout/": [Case("post", "/admin/logout/", lambda row: OK)],
    "admin/password_change/": [Case("get", "/admin/password_change/", staff_only(OK))],
    "admin/password_change/done/": [Case("get", "/admin/password_change/done/", staff_only(OK))],
    "admin/jsi18n/": [Case("get", "/admin/jsi18n/", staff_only(OK))],
    # Without the parameters of a real autocomplete field, staff get 403 too.
    "admin/autocomplete/": [Case("get", "/admin/autocomplete/", staff_only(403))],
    "admin/r/<path:content_type_id>/<path:object_id>/": [
        Case("get", "/admin/r/{content_type}/{task}/", staff_only(OK))
    ],
    "admin/accounts/user/<id>/password/": [
        Case(
            method,
            f"/admin/accounts/user/{{{target}}}/password/",
            superuser_only() if guarded else needs("accounts.user", "change"),
        )
        for target, guarded in user_targets()
        for method in ("get", "post")
    ],
    # An app's index: staff who may do nothing with any of its models get 404.
    "admin/^(?P<app_label>" + "|".join(APPS) + ")/$": [
        Case("get", f"/admin/{app}/", app_index(app)) for app in APPS
    ],
    # The admin's catch-all: an unknown admin URL.
    "admin/(?P<url>.*)$": [Case("get", "/admin/no-such-page/", staff_only(404))],
}


def model_cases(label: str, model: Model) -> list[Case]:
    base = "/admin/{}/{}/".format(*label.split("."))
    cases = [
        Case("get", base, needs(label, "view")),
        Case("get", base + "add/", needs(label, "add") if model.add else staff_only(403)),
    ]
    if model.object is None:
        return cases
    targets = [model.object, *model.guarded, *(["me"] if model.own else [])]
    return [*cases, *(c for t in targets for c in object_cases(label, model, base, t))]


def object_cases(label: str, model: Model, base: str, target: str) -> list[Case]:
    obj = base + "{" + target + "}/"
    if target in model.guarded:
        may_change = may_delete = superuser_only()
    else:
        may_change = needs(label, "change") if model.change else staff_only(403)
        may_delete = needs(label, "delete") if model.delete else staff_only(403)

    def delete_post(row: str):
        if row == "archived-superuser" and model.in_project and not model.archived_delete_ok:
            return 403
        return may_delete(row)

    return [
        Case("get", obj + "change/", needs(label, "view")),
        # A post with nothing in it: refused, or the form shown again with its errors.
        Case("post", obj + "change/", may_change, {"_save": "Save"}),
        Case("get", obj + "history/", needs(label, "view")),
        # The old URL of the change page: a redirect to it for any staff (Django's).
        Case("get", obj, staff_only(OK)),
        Case("get", obj + "delete/", may_delete),
        Case("post", obj + "delete/", delete_post, {"post": "yes"}),
    ]


def admin_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            else:
                yield route

    return {
        sorted_app_labels(route)
        for route in walk(get_resolver().url_patterns)
        if route.startswith("admin/")
    }


def sorted_app_labels(route: str) -> str:
    """The app index pattern lists app labels in registration order: compare them sorted."""
    return re.sub(
        r"\(\?P<app_label>([^)]*)\)",
        lambda m: "(?P<app_label>" + "|".join(sorted(m.group(1).split("|"))) + ")",
        route,
    )


def test_every_admin_route_is_in_the_matrix():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - MODELS.keys() == set(), "admin models missing from the matrix"
    assert MODELS.keys() - registered == set(), "matrix rows for models not in the admin"
    model_route = re.compile(
        r"^admin/(?P<app>\w+)/(?P<model>\w+)/"
        r"(|add/|<path:object_id>/(|change/|delete/|history/))$"
    )
    for route in admin_routes():
        match = model_route.match(route)
        if match and f"{match['app']}.{match['model']}" in MODELS:
            continue
        assert route in SITE, f"admin route {route} is missing from the matrix"
    assert SITE.keys() - admin_routes() == set(), "matrix rows for routes that do not exist"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        world = build_world()
        world.cookies = {}
        for row in ROWS:
            person = world.person(row)
            if person is not None and person.pk not in world.cookies:
                client = Client()
                client.force_login(person)
                world.cookies[person.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
        world.content_type = ContentType.objects.get_for_model(Task).pk
    yield world
    with django_db_blocker.unblock():
        destroy_world(world)


CASES = [
    pytest.param(case, id=f"{case.method.upper()} {case.path}")
    for case in [
        *(case for cases in SITE.values() for case in cases),
        *(case for label, model in MODELS.items() for case in model_cases(label, model)),
    ]
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("row", ROWS)
def test_admin_matrix(db, world, case, row):
    person = world.person(row)
    ids = {**world.ids_for(row), "me": person.pk if person else world.ids_for(row)["walt"]}
    path = case.path.format(**ids, content_type=world.content_type)
    resolve(path)  # a request to a real route
    client = Client()
    if person is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.cookies[person.pk]
    response = getattr(client, case.method)(path, case.data or {})
    got, want = outcome(response, login_url=ADMIN_LOGIN), case.expect(row)
    assert got == want, f"{case.method.upper()} {path} as {row}: got {got}, expected {want}"
