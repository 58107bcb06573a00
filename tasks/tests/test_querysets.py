"""The access rules: who sees and who may change what, decided by the scoped querysets."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from tasks.models import (
    Activity,
    Comment,
    Membership,
    Project,
    Role,
    Status,
    Tag,
    Task,
    require_role,
    require_writable,
)
from tasks.tests.factories import (
    ActivityFactory,
    CommentFactory,
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

EVERYONE = ["owner", "editor", "viewer", "outsider", "anonymous"]
MEMBERS = {"owner", "editor", "viewer"}
WRITERS = {"owner", "editor"}


def user_for(cast, who):
    """The cast member called ``who``; ``anonymous`` is someone not signed in."""
    return AnonymousUser() if who == "anonymous" else cast[who]


@pytest.fixture
def world(project, task, tag, alice):
    """Alpha with a tagged task, a comment and an activity row, plus an unrelated project."""
    task.tags.add(tag)
    comment = CommentFactory(task=task, author=alice)
    activity = ActivityFactory(task=task, actor=alice)
    elsewhere = ProjectFactory(name="Elsewhere")
    stranger = UserFactory(username="stranger")
    MembershipFactory(project=elsewhere, user=stranger, role=Role.OWNER)
    other_task = TaskFactory(project=elsewhere)
    CommentFactory(task=other_task, author=stranger)
    ActivityFactory(task=other_task)
    TagFactory(project=elsewhere, name="bug")
    return {
        "project": project,
        "task": task,
        "tag": tag,
        "comment": comment,
        "activity": activity,
    }


def visible(queryset):
    return list(queryset.values_list("pk", flat=True))


# visible_to ---------------------------------------------------------------------------------
@pytest.mark.parametrize("who", EVERYONE)
def test_projects_visible_only_to_members(world, who, cast):
    person = user_for(cast, who)
    expected = [world["project"].pk] if who in MEMBERS else []
    assert visible(Project.objects.visible_to(person)) == expected


@pytest.mark.parametrize(
    ("model", "key"),
    [(Task, "task"), (Tag, "tag"), (Comment, "comment"), (Activity, "activity")],
)
@pytest.mark.parametrize("who", EVERYONE)
def test_project_contents_visible_only_to_members(world, who, cast, model, key):
    person = user_for(cast, who)
    expected = [world[key].pk] if who in MEMBERS else []
    assert visible(model.objects.visible_to(person)) == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_memberships_visible_only_to_members_of_that_project(world, who, cast):
    person = user_for(cast, who)
    rows = Membership.objects.visible_to(person).values_list("user__username", flat=True)
    expected = {"alice", "erin", "victor"} if who in MEMBERS else set()
    assert set(rows) == expected
    assert len(rows) == len(expected)


# editable_by and owned_by ---------------------------------------------------------------------
@pytest.mark.parametrize("who", EVERYONE)
def test_projects_editable_by_owner_and_editor(world, who, cast):
    person = user_for(cast, who)
    expected = [world["project"].pk] if who in WRITERS else []
    assert visible(Project.objects.editable_by(person)) == expected


@pytest.mark.parametrize(("model", "key"), [(Task, "task"), (Tag, "tag")])
@pytest.mark.parametrize("who", EVERYONE)
def test_tasks_and_tags_editable_by_owner_and_editor(world, who, cast, model, key):
    person = user_for(cast, who)
    expected = [world[key].pk] if who in WRITERS else []
    assert visible(model.objects.editable_by(person)) == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_projects_owned_by_owner_only(world, who, cast):
    person = user_for(cast, who)
    expected = [world["project"].pk] if who == "owner" else []
    assert visible(Project.objects.owned_by(person)) == expected


def test_editable_by_is_about_the_users_own_role(project, victor, alice):
    """A viewer in a project that has editors does not become an editor by a second join."""
    second = ProjectFactory(name="Second")
    MembershipFactory(project=second, user=victor, role=Role.OWNER)
    MembershipFactory(project=second, user=alice, role=Role.VIEWER)
    assert visible(Project.objects.editable_by(victor)) == [second.pk]
    assert visible(Project.objects.owned_by(alice)) == [project.pk]


# my_role and duplicates -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "role"), [("owner", Role.OWNER), ("editor", Role.EDITOR), ("viewer", Role.VIEWER)]
)
def test_visible_projects_carry_my_role(project, cast, who, role):
    found = Project.objects.visible_to(cast[who]).get()
    assert found.my_role == role
    assert found.role_of(cast[who]) == role


def test_role_of_without_annotation_asks_the_database(project, erin, oscar):
    fresh = Project.objects.get(pk=project.pk)
    assert fresh.role_of(erin) == Role.EDITOR
    assert fresh.can_write(erin) and not fresh.can_manage(erin)
    assert Project.objects.get(pk=project.pk).role_of(oscar) is None
    assert Project.objects.get(pk=project.pk).role_of(AnonymousUser()) is None


def test_no_duplicate_rows_with_many_members_and_tags(project, alice):
    for n in range(5):
        MembershipFactory(project=project, role=Role.EDITOR, user=UserFactory(username=f"m{n}"))
    tags = [TagFactory(project=project) for _ in range(3)]
    tasks = [TaskFactory(project=project, tags=tags) for _ in range(4)]
    for task in tasks:
        CommentFactory.create_batch(2, task=task, author=alice)

    assert Project.objects.visible_to(alice).count() == 1
    assert Task.objects.visible_to(alice).count() == 4
    assert Task.objects.editable_by(alice).count() == 4
    assert Tag.objects.visible_to(alice).count() == 3
    assert Comment.objects.visible_to(alice).count() == 8
    assert Membership.objects.visible_to(alice).count() == 8
    assert Task.objects.visible_to(alice).for_list().count() == 4


# require_role ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "needed"),
    [
        ("viewer", Role.EDITOR),
        ("viewer", Role.OWNER),
        ("editor", Role.OWNER),
        ("outsider", Role.VIEWER),
    ],
)
def test_require_role_refuses_a_role_too_low(project, cast, who, needed):
    with pytest.raises(PermissionDenied):
        require_role(project, cast[who], needed)


def test_require_role_refuses_anonymous(project):
    with pytest.raises(PermissionDenied):
        require_role(project, AnonymousUser(), Role.VIEWER)


@pytest.mark.parametrize(
    ("who", "needed"),
    [
        ("viewer", Role.VIEWER),
        ("editor", Role.VIEWER),
        ("editor", Role.EDITOR),
        ("owner", Role.EDITOR),
        ("owner", Role.OWNER),
    ],
)
def test_require_role_accepts_enough_role_and_returns_it(project, cast, who, needed):
    role = require_role(project, cast[who], needed)
    assert role.allows(needed)


# with_task_counts and helpers -----------------------------------------------------------------
def test_with_task_counts(project, alice):
    TaskFactory.create_batch(3, project=project, status=Status.TODO)
    TaskFactory(project=project, status=Status.IN_PROGRESS)
    TaskFactory.create_batch(2, project=project, status=Status.DONE)
    empty = ProjectFactory(name="Empty")
    MembershipFactory(project=empty, user=alice, role=Role.OWNER)

    counts = {
        p.name: (p.task_count, p.done_count, p.open_count)
        for p in Project.objects.visible_to(alice).with_task_counts()
    }
    # Three members in Alpha must not multiply the counts through the membership join.
    assert counts == {"Alpha": (6, 2, 4), "Empty": (0, 0, 0)}


def test_open_and_overdue(project):
    today = datetime.date(2026, 3, 10)
    late = TaskFactory(project=project, due_date=today - datetime.timedelta(days=1))
    TaskFactory(project=project, due_date=today)
    TaskFactory(project=project, due_date=today - datetime.timedelta(days=3), status=Status.DONE)
    assert list(Task.objects.overdue(today)) == [late]
    assert Task.objects.open().count() == 2


# The write rule: one function, its yes/no and its querysets agree ----------------------------
@pytest.mark.parametrize("archived", [False, True], ids=["active", "archived"])
@pytest.mark.parametrize("who", EVERYONE)
def test_can_write_writable_by_and_require_writable_agree(world, cast, who, archived):
    project = world["project"]
    Project.objects.filter(pk=project.pk).update(is_archived=archived)
    person = user_for(cast, who)
    expected = who in WRITERS and not archived
    try:
        require_writable(Project.objects.get(pk=project.pk), person)
        allowed = True
    except PermissionDenied:
        allowed = False
    assert allowed == expected
    assert Project.objects.get(pk=project.pk).can_write(person) == expected
    assert (project.pk in visible(Project.objects.writable_by(person))) == expected
    assert (world["task"].pk in visible(Task.objects.writable_by(person))) == expected
    assert (world["tag"].pk in visible(Tag.objects.writable_by(person))) == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_staff_pass_the_role_check_but_not_the_archived_rule(project, cast, who):
    person = user_for(cast, who)
    require_writable(project, person, Role.OWNER, as_staff=True)
    project.is_archived = True
    with pytest.raises(PermissionDenied, match="archived"):
        require_writable(project, person, as_staff=True)


@pytest.mark.parametrize("who", EVERYONE)
def test_can_manage_is_the_owner_role_archived_or_not(project, cast, who):
    project.is_archived = True
    project.save()
    fresh = Project.objects.get(pk=project.pk)
    assert fresh.can_manage(user_for(cast, who)) == (who == "owner")
