"""
The shared cast of every test: one project, ``alpha``, with alice (owner), erin (editor) and
victor (viewer); oscar is signed up but no member of it; staff runs the admin.
"""

import pytest
from django.contrib.auth.signals import user_logged_in
from django.test import override_settings
from rest_framework.test import APIClient

from tasks.models import Role
from tasks.tests.factories import (
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
    make_token,
)

#: Tests run each job where it is enqueued (after commit, as a worker would soon after): what a
#: job does shows in the test that caused it, no worker is needed and no job rows pile up in
#: the test database. Tests of the database queue itself switch to it (project/jobs/tests/).
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}


@pytest.fixture(scope="session", autouse=True)
def _jobs_run_where_enqueued():
    with override_settings(TASKS=IMMEDIATE_TASKS):
        yield


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    """Cheap password hashing in tests, a fresh cache per test, no login lockouts between tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _record_forced_login(sender, request, user, **kwargs):
    """
    ``Client.force_login`` skips allauth's sign-in, which records the session in "Your
    sessions" (accounts.middleware): record it the same way, so that a test's first request
    after signing in costs what any later one does.
    """
    from allauth.usersessions.models import UserSession

    from accounts.middleware import session_recorded_at_login

    if not request.session.session_key:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip": request.META.get("REMOTE_ADDR", "127.0.0.1"),
            "user_agent": request.headers.get("user-agent", ""),
        },
    )
    session_recorded_at_login(sender, request, user)


@pytest.fixture(autouse=True)
def _forced_logins_record_their_session():
    user_logged_in.connect(_record_forced_login, dispatch_uid="tests-forced-login")
    yield
    user_logged_in.disconnect(dispatch_uid="tests-forced-login")


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", display_name="Alice Owner")


@pytest.fixture
def erin(db):
    return UserFactory(username="erin", display_name="Erin Editor")


@pytest.fixture
def victor(db):
    return UserFactory(username="victor", display_name="Victor Viewer")


@pytest.fixture
def oscar(db):
    return UserFactory(username="oscar", display_name="Oscar Outsider")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def project(alice, erin, victor):
    project = ProjectFactory(name="Alpha", created_by=alice)
    MembershipFactory(project=project, user=alice, role=Role.OWNER)
    MembershipFactory(project=project, user=erin, role=Role.EDITOR)
    MembershipFactory(project=project, user=victor, role=Role.VIEWER)
    return project


@pytest.fixture
def tag(project):
    return TagFactory(project=project, name="bug", colour="#dc2626")


@pytest.fixture
def task(project, alice):
    return TaskFactory(project=project, title="Write the README", created_by=alice)


@pytest.fixture
def cast(alice, erin, victor, oscar):
    """The people of the role matrix, by role name (``None`` is anonymous)."""
    return {"owner": alice, "editor": erin, "viewer": victor, "outsider": oscar}


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def token_client():
    """An APIClient that authenticates ``user`` with a fresh bearer token."""

    def build(user):
        client = APIClient()
        _, secret = make_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return build
