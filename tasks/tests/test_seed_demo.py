"""``manage.py seed_demo``: what it promises, every time, and only once."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from accounts.models import User
from tasks.management.commands.seed_demo import DEBUG_PASSWORD
from tasks.models import Activity, Comment, Membership, Project, Role, Status, Tag, Task
from tasks.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD_LINE = re.compile(r"^\s+(ada|ben|cy)\s+password: (\S+)", re.MULTILINE)


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def passwords(output):
    return dict(PASSWORD_LINE.findall(output))


def counts():
    return {
        "users": User.objects.count(),
        "projects": Project.objects.count(),
        "memberships": Membership.objects.count(),
        "tags": Tag.objects.count(),
        "tasks": Task.objects.count(),
        "comments": Comment.objects.count(),
        "activity": Activity.objects.count(),
    }


@pytest.fixture
def production(settings):
    settings.DEBUG = False


@pytest.fixture
def development(settings):
    settings.DEBUG = True


def test_seeds_what_it_promises(production):
    seed()

    assert set(User.objects.values_list("username", flat=True)) == {"ada", "ben", "cy"}
    assert not User.objects.filter(is_staff=True).exists()
    assert not User.objects.filter(is_superuser=True).exists()
    assert Project.objects.count() == 2
    assert Task.objects.count() == 200
    assert Comment.objects.count() > 50

    roles = {(m.project.name, m.user.username): m.role for m in Membership.objects.all()}
    assert roles[("Website relaunch", "ada")] == Role.OWNER
    assert roles[("Mobile app", "ben")] == Role.OWNER
    assert {roles[("Website relaunch", u)] for u in ("ada", "ben", "cy")} == set(Role)


def test_tasks_cover_statuses_priorities_due_dates_tags_and_assignees(production):
    seed()
    today = timezone.localdate()
    open_tasks = Task.objects.open()

    assert set(Task.objects.values_list("status", flat=True)) == set(Status.values)
    assert len(set(Task.objects.values_list("priority", flat=True))) == 5
    assert open_tasks.filter(due_date__lt=today).exists()
    assert open_tasks.filter(due_date=today).exists()
    assert open_tasks.filter(due_date__gt=today, due_date__lte=today + timedelta(days=7)).exists()
    assert open_tasks.filter(due_date__gt=today + timedelta(days=7)).exists()
    assert open_tasks.filter(due_date__isnull=True).exists()
    assert Task.objects.filter(tags__isnull=False).distinct().count() > 50
    assert Task.objects.filter(assignee__isnull=False).count() > 100
    members = set(Membership.objects.values_list("project_id", "user_id"))
    assignments = set(Task.objects.exclude(assignee=None).values_list("project_id", "assignee_id"))
    assert assignments <= members


def test_completions_are_spread_over_the_last_30_days(production):
    seed()
    now = timezone.now()
    done = Task.objects.filter(status=Status.DONE)
    assert done.count() > 30
    assert not done.filter(completed_at__lt=now - timedelta(days=30)).exists()
    assert not done.filter(completed_at__gt=now).exists()
    days = {task.completed_at.date() for task in done}
    assert len(days) >= 15
    assert not done.filter(created_at__gt=F("completed_at")).exists()


def test_history_is_written_through_the_domain_functions(production):
    seed()
    verbs = dict(Activity.objects.values_list("verb").annotate(n=Count("id")))
    assert verbs[Activity.Verb.CREATED] == 200
    assert verbs[Activity.Verb.COMPLETED] == Task.objects.filter(status=Status.DONE).count()
    assert verbs[Activity.Verb.COMMENTED] == Comment.objects.count()
    assert verbs[Activity.Verb.MEMBER_ADDED] == 4


def test_is_deterministic(production):
    seed()
    first = list(Task.objects.order_by("id").values_list("title", "status", "priority"))
    Project.objects.all().delete()
    seed()
    again = list(Task.objects.order_by("id").values_list("title", "status", "priority"))
    assert again == first


def test_running_twice_adds_nothing(production):
    seed()
    before = counts()
    output = seed()
    assert counts() == before
    assert "nothing added" in output


def test_a_deleted_demo_project_is_put_back_without_duplicating_the_other(production):
    seed()
    before = counts()
    Project.objects.get(name="Mobile app").delete()
    seed()
    assert counts() == before


def test_prints_random_passwords_that_work(production):
    output = seed()
    printed = passwords(output)
    assert set(printed) == {"ada", "ben", "cy"}
    assert DEBUG_PASSWORD not in output
    assert len(set(printed.values())) == 3
    for username, password in printed.items():
        assert User.objects.get(username=username).check_password(password)
    assert "/accounts/login/" in output


def test_passwords_differ_between_installations(production):
    first = passwords(seed())
    User.objects.all().delete()
    Project.objects.all().delete()
    assert passwords(seed()) != first


def test_fixed_password_only_with_debug_on(development):
    output = seed()
    assert set(passwords(output).values()) == {DEBUG_PASSWORD}
    assert "DEBUG is on" in output
    assert User.objects.get(username="ada").check_password(DEBUG_PASSWORD)


def test_once_leaves_existing_data_alone_and_prints_the_hint(production):
    printed = passwords(seed())
    before = counts()
    output = seed("--once")
    assert counts() == before
    assert "nothing changed" in output
    assert not passwords(output)
    assert "--reset-passwords" in output
    assert User.objects.get(username="ada").check_password(printed["ada"])


def test_once_with_debug_prints_the_fixed_password(development):
    seed()
    output = seed("--once")
    assert set(passwords(output).values()) == {DEBUG_PASSWORD}


def test_once_seeds_an_empty_database(production):
    output = seed("--once")
    assert Task.objects.count() == 200
    assert len(passwords(output)) == 3


def test_reset_passwords_sets_and_prints_new_ones(production):
    old = passwords(seed())
    before = counts()
    new = passwords(seed("--once", "--reset-passwords"))
    assert counts() == before
    assert set(new) == {"ada", "ben", "cy"}
    for username, password in new.items():
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert not user.check_password(old[username])


def test_leaves_a_real_user_with_a_demo_name_alone(production):
    UserFactory(username="ada", email="ada@realcompany.com")
    with pytest.raises(CommandError, match="not a demo account"):
        seed()
    assert not Project.objects.exists()


def test_hint_names_the_staff_accounts_once_there_are_some(development):
    output = seed()
    assert "There is no staff account yet" in output
    assert "createsuperuser" in output
    UserFactory(username="root", is_staff=True, is_superuser=True)
    output = seed("--once")
    assert "no staff account" not in output.lower()
    assert "The admin is at http://127.0.0.1:8000/admin/ (staff: root)." in output


# Committed for real: PostgreSQL refuses to TRUNCATE rows with pending deferred checks, as
# they would be inside a test's transaction, and `manage.py seed_demo --reset` runs outside one.
@pytest.mark.django_db(transaction=True)
def test_reset_erases_everything_and_seeds_the_same_data_with_the_same_ids(development):
    UserFactory(username="root", is_staff=True)
    seed("--reset", "--no-input")
    # What the README's examples count on: the ids of a fresh install.
    assert Project.objects.get(pk=1).name == "Website relaunch"
    assert Project.objects.get(pk=2).name == "Mobile app"
    assert Task.objects.order_by("pk").first().pk == 1
    fresh = {
        "projects": sorted(Project.objects.values_list("pk", "name")),
        "tasks": sorted(Task.objects.values_list("pk", "title", "status", "version")),
    }
    # Someone played with the data: new objects, changes, a deleted demo project.
    someone = UserFactory(username="root", is_staff=True)
    Project.objects.get(name="Mobile app").delete()
    Task.objects.filter(pk=1).update(title="Changed", version=9)

    output = seed("--reset", "--no-input")
    assert "Erased the database" in output
    assert not User.objects.filter(pk=someone.pk).exists()
    assert sorted(Project.objects.values_list("pk", "name")) == fresh["projects"]
    assert sorted(Task.objects.values_list("pk", "title", "status", "version")) == fresh["tasks"]
    assert set(passwords(output).values()) == {DEBUG_PASSWORD}


def test_reset_refuses_with_debug_off(production):
    seed()
    before = counts()
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        seed("--reset", "--no-input")
    assert counts() == before


def test_reset_asks_first_and_a_no_changes_nothing(development, monkeypatch):
    seed()
    before = counts()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        seed("--reset")
    assert counts() == before


def test_the_demo_history_notifies_nobody(production, django_capture_on_commit_callbacks):
    """Weeks of made-up history are the past: the worker finds every row already dispatched."""
    from django.apps import apps

    with django_capture_on_commit_callbacks(execute=True):
        seed()

    assert Activity.objects.exists()
    assert not Activity.objects.filter(dispatched_at__isnull=True).exists()
    assert not apps.get_model("notifications", "Notification").objects.exists()
