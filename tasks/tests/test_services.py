"""The domain functions: each change writes its activity, bumps the version, or changes nothing."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tasks import services
from tasks.models import Activity, Comment, Membership, Priority, Role, Status, Tag, Task
from tasks.services import POSITION_GAP, Conflict, StaleVersion
from tasks.tests.factories import (
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Verb = Activity.Verb


def activities(task=None, **filters):
    rows = Activity.objects.filter(**filters)
    if task is not None:
        rows = rows.filter(task_id=task.pk)
    return list(rows.order_by("id"))


def snapshot(task):
    """Everything about a task that a refused change must leave as it was."""
    task = Task.objects.get(pk=task.pk)
    return {
        "row": {f.attname: getattr(task, f.attname) for f in Task._meta.concrete_fields},
        "tags": sorted(task.tags.values_list("pk", flat=True)),
        "activity": Activity.objects.count(),
    }


def fail_on_activity_write():
    """Make the last write of every domain function (its Activity row) blow up."""
    return mock.patch.object(Activity.objects, "create", side_effect=RuntimeError("disk full"))


# Projects -----------------------------------------------------------------------------------
def test_project_create_makes_the_creator_its_owner(oscar):
    project = services.project_create(by=oscar, name="  Launch  ")
    assert project.name == "Launch"
    assert Membership.objects.get(project=project).role == Role.OWNER
    assert project.created_by == oscar


def test_project_create_refuses_an_empty_name(oscar):
    with pytest.raises(ValidationError):
        services.project_create(by=oscar, name="   ")
    assert not Membership.objects.filter(user=oscar).exists()


def test_project_update_archives(project, alice):
    services.project_update(project=project, by=alice, is_archived=True)
    project.refresh_from_db()
    assert project.is_archived


# Members ------------------------------------------------------------------------------------
def test_member_add_writes_activity(project, alice, oscar):
    membership = services.member_add(project=project, user=oscar, role=Role.EDITOR, by=alice)
    assert membership.role == Role.EDITOR
    [activity] = activities(project=project, verb=Verb.MEMBER_ADDED)
    assert activity.actor == alice
    assert activity.task is None
    assert activity.changes == {"member": "oscar", "role": [None, "editor"]}


def test_member_add_twice_is_a_conflict(project, alice, erin):
    with pytest.raises(Conflict):
        services.member_add(project=project, user=erin, role=Role.VIEWER, by=alice)
    assert Membership.objects.get(project=project, user=erin).role == Role.EDITOR
    assert not activities(project=project)


def test_member_change_role_writes_activity(project, alice, erin):
    membership = Membership.objects.get(project=project, user=erin)
    services.member_change_role(membership=membership, role=Role.VIEWER, by=alice)
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER
    [activity] = activities(project=project)
    assert activity.verb == Verb.MEMBER_ROLE_CHANGED
    assert activity.changes == {"member": "erin", "role": ["editor", "viewer"]}


def test_member_change_role_to_the_same_role_writes_nothing(project, alice, erin):
    membership = Membership.objects.get(project=project, user=erin)
    services.member_change_role(membership=membership, role=Role.EDITOR, by=alice)
    assert not activities(project=project)


def test_last_owner_cannot_be_demoted(project, alice):
    membership = Membership.objects.get(project=project, user=alice)
    with pytest.raises(ValidationError):
        services.member_change_role(membership=membership, role=Role.EDITOR, by=alice)
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER
    assert not activities(project=project)


@pytest.mark.parametrize("by", ["alice", "staff"])
def test_last_owner_cannot_leave_or_be_removed(project, alice, staff, by):
    membership = Membership.objects.get(project=project, user=alice)
    with pytest.raises(ValidationError):
        services.member_remove(
            membership=membership,
            by={"alice": alice, "staff": staff}[by],
            as_staff=by == "staff",
        )
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not activities(project=project)


def test_owner_can_step_down_once_another_owner_exists(project, alice, erin):
    erin_membership = Membership.objects.get(project=project, user=erin)
    services.member_change_role(membership=erin_membership, role=Role.OWNER, by=alice)
    alice_membership = Membership.objects.get(project=project, user=alice)
    services.member_change_role(membership=alice_membership, role=Role.EDITOR, by=alice)
    assert Membership.objects.get(pk=alice_membership.pk).role == Role.EDITOR


def test_owner_can_leave_once_another_owner_exists(project, alice, erin):
    erin_membership = Membership.objects.get(project=project, user=erin)
    services.member_change_role(membership=erin_membership, role=Role.OWNER, by=alice)
    services.member_remove(membership=Membership.objects.get(project=project, user=alice), by=alice)
    assert not Membership.objects.filter(project=project, user=alice).exists()


@pytest.mark.parametrize(("who", "role"), [("victor", Role.EDITOR), ("erin", Role.OWNER)])
def test_nobody_raises_their_own_role(project, cast, who, role):
    user = {"victor": cast["viewer"], "erin": cast["editor"]}[who]
    membership = Membership.objects.get(project=project, user=user)
    old = membership.role
    with pytest.raises(PermissionDenied):
        services.member_change_role(membership=membership, role=role, by=user)
    assert Membership.objects.get(pk=membership.pk).role == old
    assert not activities(project=project)


def test_only_owners_change_roles_even_their_own(project, erin):
    membership = Membership.objects.get(project=project, user=erin)
    with pytest.raises(PermissionDenied):
        services.member_change_role(membership=membership, role=Role.VIEWER, by=erin)
    assert Membership.objects.get(pk=membership.pk).role == Role.EDITOR


def test_staff_cannot_raise_their_own_role_either(project, alice, staff):
    mine = services.member_add(project=project, user=staff, role=Role.VIEWER, by=alice)
    with pytest.raises(PermissionDenied):
        services.member_change_role(membership=mine, role=Role.OWNER, by=staff, as_staff=True)
    assert Membership.objects.get(pk=mine.pk).role == Role.VIEWER


def test_removing_a_member_unassigns_their_tasks_in_that_project_only(project, alice, erin):
    mine = TaskFactory(project=project, assignee=erin)
    elsewhere = ProjectFactory()
    MembershipFactory(project=elsewhere, user=erin, role=Role.OWNER)
    theirs = TaskFactory(project=elsewhere, assignee=erin)

    services.member_remove(membership=Membership.objects.get(project=project, user=erin), by=alice)

    assert Task.objects.get(pk=mine.pk).assignee is None
    assert Task.objects.get(pk=theirs.pk).assignee == erin
    [activity] = activities(project=project)
    assert activity.verb == Verb.MEMBER_REMOVED
    assert activity.changes == {"member": "erin", "role": ["editor", None]}


# Tags ---------------------------------------------------------------------------------------
def test_tag_create_strips_the_name(project, alice):
    assert services.tag_create(project=project, name="  docs ", by=alice).name == "docs"


def test_tag_duplicate_ignoring_case_is_a_conflict(project, alice, tag):
    with pytest.raises(Conflict):
        services.tag_create(project=project, name="BUG", by=alice)
    assert project.tags.count() == 1


def test_tag_rename_onto_another_ignoring_case_is_a_conflict(project, alice, tag):
    docs = services.tag_create(project=project, name="docs", by=alice)
    with pytest.raises(Conflict):
        services.tag_update(tag=docs, name="Bug", by=alice)
    assert Tag.objects.get(pk=docs.pk).name == "docs"


def test_tag_with_the_same_name_in_another_project_is_fine(tag, oscar):
    other = services.project_create(by=oscar, name="Other")
    assert services.tag_create(project=other, name="Bug", by=oscar).pk


# Creating tasks -----------------------------------------------------------------------------
def test_task_create_writes_created_activity_at_version_one(project, erin, tag):
    task = services.task_create(
        project=project, by=erin, title="  Ship it  ", assignee=erin, tags=[tag]
    )
    assert (task.title, task.version, task.created_by) == ("Ship it", 1, erin)
    assert list(task.tags.all()) == [tag]
    [activity] = activities(task)
    assert (activity.verb, activity.actor, activity.task_title) == (Verb.CREATED, erin, "Ship it")


def test_task_create_goes_to_the_bottom_of_its_column(project, erin):
    first = services.task_create(project=project, by=erin, title="First")
    second = services.task_create(project=project, by=erin, title="Second")
    assert second.position == first.position + POSITION_GAP


def test_task_create_done_sets_completed_at(project, erin):
    task = services.task_create(project=project, by=erin, title="Done", status=Status.DONE)
    assert task.completed_at is not None


def test_task_create_with_a_non_member_assignee_creates_nothing(project, erin, oscar):
    with pytest.raises(ValidationError) as error:
        services.task_create(project=project, by=erin, title="Nope", assignee=oscar)
    assert "assignee" in error.value.message_dict
    assert not Task.objects.exists()
    assert not Activity.objects.exists()


def test_task_create_with_a_tag_of_another_project_creates_nothing(project, erin):
    foreign = TagFactory(project=ProjectFactory())
    with pytest.raises(ValidationError) as error:
        services.task_create(project=project, by=erin, title="Nope", tags=[foreign])
    assert "tags" in error.value.message_dict
    assert not Task.objects.exists()


def test_task_create_refuses_an_empty_title(project, erin):
    with pytest.raises(ValidationError):
        services.task_create(project=project, by=erin, title="   ")
    assert not Task.objects.exists()


# Updating tasks -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "change", "verb"),
    [
        ("title", "Write the docs", ["Write the README", "Write the docs"], Verb.UPDATED),
        ("description", "Longer", ["", "Longer"], Verb.UPDATED),
        ("priority", Priority.URGENT, ["none", "urgent"], Verb.UPDATED),
        ("due_date", datetime.date(2026, 5, 1), [None, "2026-05-01"], Verb.UPDATED),
        ("status", Status.IN_PROGRESS, ["todo", "in_progress"], Verb.MOVED),
        ("status", Status.DONE, ["todo", "done"], Verb.COMPLETED),
    ],
)
def test_task_update_records_the_change_and_bumps_version(task, erin, field, value, change, verb):
    updated = services.task_update(task=task, by=erin, **{field: value})
    assert updated.version == 2
    assert Task.objects.get(pk=task.pk).version == 2
    [activity] = activities(task)
    assert (activity.verb, activity.actor) == (verb, erin)
    assert activity.changes == {field: change}


def test_task_update_assignee_is_recorded_by_username(task, erin, victor):
    services.task_update(task=task, by=erin, assignee=victor)
    services.task_update(task=task, by=erin, assignee=None)
    first, second = activities(task)
    assert first.changes == {"assignee": [None, "victor"]}
    assert second.changes == {"assignee": ["victor", None]}
    assert Task.objects.get(pk=task.pk).version == 3


def test_task_update_tags_are_recorded_by_sorted_name(task, erin, tag, project):
    docs = TagFactory(project=project, name="Docs")
    services.task_update(task=task, by=erin, tags=[docs, tag])
    [activity] = activities(task)
    assert activity.changes == {"tags": [[], ["bug", "Docs"]]}
    assert set(task.tags.all()) == {tag, docs}
    assert Task.objects.get(pk=task.pk).version == 2


def test_task_update_several_fields_is_one_version_and_one_activity(task, erin):
    services.task_update(task=task, by=erin, title="New", priority=Priority.LOW)
    assert Task.objects.get(pk=task.pk).version == 2
    [activity] = activities(task)
    assert set(activity.changes) == {"title", "priority"}


def test_a_no_op_update_writes_nothing(task, erin, tag):
    task.tags.add(tag)
    before = snapshot(task)
    services.task_update(task=task, by=erin, title=task.title, priority=task.priority, tags=[tag])
    assert snapshot(task) == before


def test_stale_version_is_refused_and_changes_nothing(task, erin):
    services.task_update(task=task, by=erin, title="Someone else's edit")
    before = snapshot(task)
    with pytest.raises(StaleVersion) as error:
        services.task_update(task=task, by=erin, expected_version=1, title="Mine")
    assert error.value.current.version == 2
    assert error.value.current.title == "Someone else's edit"
    assert snapshot(task) == before


def test_matching_version_is_accepted(task, erin):
    services.task_update(task=task, by=erin, expected_version=1, title="Mine")
    assert Task.objects.get(pk=task.pk).version == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda task, by: services.task_complete(task=task, by=by, expected_version=7),
        lambda task, by: services.task_move(task=task, by=by, status="done", expected_version=7),
        lambda task, by: services.task_delete(task=task, by=by, expected_version=7),
    ],
    ids=["complete", "move", "delete"],
)
def test_every_conditional_write_checks_the_version(task, erin, call):
    before = snapshot(task)
    with pytest.raises(StaleVersion):
        call(task, erin)
    assert snapshot(task) == before


def test_non_member_assignee_leaves_task_tags_and_activity_untouched(task, erin, oscar, tag):
    task.tags.add(tag)
    before = snapshot(task)
    with pytest.raises(ValidationError):
        services.task_update(task=task, by=erin, title="Changed", tags=[], assignee=oscar)
    assert snapshot(task) == before


def test_failure_after_the_first_write_rolls_everything_back(task, erin, tag, project):
    docs = TagFactory(project=project, name="docs")
    task.tags.add(tag)
    before = snapshot(task)
    with fail_on_activity_write(), pytest.raises(RuntimeError):
        # The task row and its tags are written before the activity row fails.
        services.task_update(task=task, by=erin, title="Changed", status=Status.DONE, tags=[docs])
    assert snapshot(task) == before


def test_failure_while_creating_leaves_no_task(project, erin, tag):
    with fail_on_activity_write(), pytest.raises(RuntimeError):
        services.task_create(project=project, by=erin, title="Half", tags=[tag])
    assert not Task.objects.exists()
    assert not tag.tasks.exists()


def test_failure_while_removing_a_member_keeps_the_membership(project, alice, erin):
    task = TaskFactory(project=project, assignee=erin)
    with fail_on_activity_write(), pytest.raises(RuntimeError):
        services.member_remove(
            membership=Membership.objects.get(project=project, user=erin), by=alice
        )
    assert Membership.objects.filter(project=project, user=erin).exists()
    assert Task.objects.get(pk=task.pk).assignee == erin


def test_task_update_rejects_unknown_fields(task, erin):
    with pytest.raises(TypeError):
        services.task_update(task=task, by=erin, version=99)


# Completing, reopening, deleting --------------------------------------------------------------
def test_complete_then_reopen(task, erin):
    done = services.task_complete(task=task, by=erin)
    assert (done.status, done.version) == (Status.DONE, 2)
    assert done.completed_at is not None
    reopened = services.task_reopen(task=task, by=erin)
    assert (reopened.status, reopened.version, reopened.completed_at) == (Status.TODO, 3, None)
    assert [a.verb for a in activities(task)] == [Verb.COMPLETED, Verb.REOPENED]
    assert activities(task)[1].changes == {"status": ["done", "todo"]}


def test_completing_a_done_task_changes_nothing(task, erin):
    services.task_complete(task=task, by=erin)
    before = snapshot(task)
    services.task_complete(task=task, by=erin)
    assert snapshot(task) == before


def test_task_delete_keeps_the_history(task, erin):
    services.task_delete(task=task, by=erin)
    assert not Task.objects.filter(pk=task.pk).exists()
    [activity] = Activity.objects.filter(verb=Verb.DELETED)
    assert (activity.task, activity.task_title, activity.actor) == (None, task.title, erin)


# Moving on the board --------------------------------------------------------------------------
@pytest.fixture
def column(project):
    """Three to-do tasks at positions 1024, 2048, 3072, plus the task to move (in progress)."""
    tasks = [
        TaskFactory(project=project, title=name, position=(i + 1) * POSITION_GAP)
        for i, name in enumerate("ABC")
    ]
    mover = TaskFactory(project=project, title="M", status=Status.IN_PROGRESS, position=10)
    return tasks, mover


def order(project, status=Status.TODO):
    rows = Task.objects.filter(project=project, status=status).order_by("position", "id")
    return "".join(rows.values_list("title", flat=True))


@pytest.mark.parametrize(
    ("index", "expected"), [(0, "MABC"), (1, "AMBC"), (2, "ABMC"), (3, "ABCM"), (None, "ABCM")]
)
def test_move_puts_the_task_at_the_index(project, column, erin, index, expected):
    _, mover = column
    moved = services.task_move(task=mover, by=erin, status=Status.TODO, index=index)
    assert order(project) == expected
    assert moved.version == 2
    [activity] = activities(mover)
    assert activity.verb == Verb.MOVED
    assert activity.changes["status"] == ["in_progress", "todo"]


def test_move_with_room_writes_only_the_moved_task(project, column, erin):
    tasks, mover = column
    services.task_move(task=mover, by=erin, status=Status.TODO, index=1)
    assert Task.objects.get(pk=mover.pk).position == (1024 + 2048) // 2
    assert [Task.objects.get(pk=t.pk).position for t in tasks] == [1024, 2048, 3072]


def test_move_without_room_renumbers_the_column_without_bumping_neighbours(project, erin):
    tasks = [TaskFactory(project=project, title=name, position=i) for i, name in enumerate("ABC")]
    mover = TaskFactory(project=project, title="M", status=Status.IN_PROGRESS)
    services.task_move(task=mover, by=erin, status=Status.TODO, index=2)
    assert order(project) == "ABMC"
    positions = list(
        Task.objects.filter(project=project).order_by("position").values_list("position", flat=True)
    )
    assert positions == [POSITION_GAP * n for n in (1, 2, 3, 4)]
    assert [Task.objects.get(pk=t.pk).version for t in tasks] == [1, 1, 1]
    assert Task.objects.get(pk=mover.pk).version == 2


def test_move_inside_the_same_column(project, column, erin):
    tasks, _ = column
    services.task_move(task=tasks[2], by=erin, status=Status.TODO, index=0)
    assert order(project) == "CAB"
    assert activities(tasks[2])[0].changes == {"position": [3072, 0]}


def test_move_to_done_sets_completed_at_and_back_clears_it(project, column, erin):
    _, mover = column
    done = services.task_move(task=mover, by=erin, status=Status.DONE)
    assert done.completed_at is not None
    assert activities(mover)[-1].verb == Verb.COMPLETED
    back = services.task_move(task=mover, by=erin, status=Status.TODO, index=0)
    assert back.completed_at is None
    assert activities(mover)[-1].verb == Verb.REOPENED
    assert order(project) == "MABC"


def test_move_into_an_empty_column(project, erin, task):
    moved = services.task_move(task=task, by=erin, status=Status.IN_PROGRESS, index=5)
    assert (moved.status, moved.position) == (Status.IN_PROGRESS, POSITION_GAP)


# Moving to another project ------------------------------------------------------------------
def test_moving_to_another_project_keeps_same_name_tags_and_members(task, alice, erin, victor):
    project = task.project
    bug = TagFactory(project=project, name="bug")
    ux = TagFactory(project=project, name="ux")
    task.tags.set([bug, ux])
    services.task_update(task=task, by=alice, assignee=victor)

    beta = ProjectFactory(name="Beta")
    MembershipFactory(project=beta, user=alice, role=Role.OWNER)
    MembershipFactory(project=beta, user=erin, role=Role.EDITOR)
    beta_bug = TagFactory(project=beta, name="BUG")

    moved = services.task_update(task=task, by=alice, project=beta)

    assert moved.project == beta
    assert list(moved.tags.all()) == [beta_bug]
    assert moved.assignee is None
    assert moved.version == 3
    activity = activities(task)[-1]
    assert activity.verb == Verb.MOVED
    assert activity.changes == {
        "project": ["Alpha", "Beta"],
        "assignee": ["victor", None],
        "tags": [["bug", "ux"], ["BUG"]],
    }


def test_moving_to_another_project_keeps_an_assignee_who_is_a_member_there(task, alice, erin):
    services.task_update(task=task, by=alice, assignee=erin)
    beta = ProjectFactory(name="Beta")
    MembershipFactory(project=beta, user=erin, role=Role.EDITOR)
    moved = services.task_update(task=task, by=erin, project=beta)
    assert moved.assignee == erin
    assert "assignee" not in activities(task)[-1].changes


# Comments -----------------------------------------------------------------------------------
def test_comment_add_edit_delete_write_activity(task, erin):
    comment = services.comment_add(task=task, by=erin, body="  First!  ")
    assert comment.body == "First!"
    pk = comment.pk
    services.comment_edit(comment=comment, by=erin, body="First, edited")
    assert Comment.objects.get(pk=comment.pk).edited_at is not None
    services.comment_delete(comment=comment, by=erin)
    assert not Comment.objects.filter(pk=pk).exists()

    rows = activities(task)
    assert [a.verb for a in rows] == [Verb.COMMENTED, Verb.COMMENT_EDITED, Verb.COMMENT_DELETED]
    assert [(a.changes, a.actor) for a in rows] == [({"comment": pk}, erin)] * 3


def test_comment_edit_with_the_same_body_writes_nothing(task, erin):
    comment = services.comment_add(task=task, by=erin, body="Same")
    services.comment_edit(comment=comment, by=erin, body="Same ")
    assert len(activities(task)) == 1
    assert Comment.objects.get(pk=comment.pk).edited_at is None


def test_empty_comment_is_refused(task, erin):
    with pytest.raises(ValidationError):
        services.comment_add(task=task, by=erin, body="   ")
    assert not Comment.objects.exists()
    assert not Activity.objects.exists()


def test_someone_who_is_no_member_is_named_in_the_message(project, erin):
    stranger = UserFactory(username="stranger", display_name="Stranger Danger")
    with pytest.raises(ValidationError, match="Stranger Danger"):
        services.task_create(project=project, by=erin, title="T", assignee=stranger)


def test_a_save_that_lands_between_read_and_write_is_refused(task, alice):
    """Where row locks do nothing (SQLite), the version compare-and-set still catches it."""
    stale = Task.objects.get(pk=task.pk)
    Task.objects.filter(pk=task.pk).update(version=2, title="Theirs")
    activity_before = Activity.objects.count()

    locked = (stale, None)
    with mock.patch("tasks.services._lock_task", return_value=locked), pytest.raises(StaleVersion):
        services.task_update(task=task, by=alice, title="Mine")

    task.refresh_from_db()
    assert (task.title, task.version) == ("Theirs", 2)
    assert Activity.objects.count() == activity_before


# Who may: every service checks the role itself, staff skip only that -------------------------
@pytest.fixture
def things(project, task, tag, erin, alice):
    """One of everything in Alpha, each change needing some role (the comment is erin's)."""
    comment = services.comment_add(task=task, by=erin, body="Mine")
    walt = UserFactory(username="walt")
    MembershipFactory(project=project, user=walt, role=Role.VIEWER)
    newcomer = UserFactory(username="newcomer")
    return {
        "project": project,
        "task": task,
        "tag": tag,
        "comment": comment,
        "walt": Membership.objects.get(project=project, user=walt),
        "newcomer": newcomer,
    }


# (id, role needed, call(things, by, **staff))
CHANGES = [
    ("project_update", "owner", lambda t, by, **kw: services.project_update(
        project=t["project"], by=by, name="Renamed", **kw)),
    ("project_delete", "owner", lambda t, by, **kw: services.project_delete(
        project=t["project"], by=by, **kw)),
    ("member_add", "owner", lambda t, by, **kw: services.member_add(
        project=t["project"], user=t["newcomer"], role=Role.VIEWER, by=by, **kw)),
    ("member_change_role", "owner", lambda t, by, **kw: services.member_change_role(
        membership=t["walt"], role=Role.EDITOR, by=by, **kw)),
    ("member_remove", "owner", lambda t, by, **kw: services.member_remove(
        membership=t["walt"], by=by, **kw)),
    ("tag_create", "editor", lambda t, by, **kw: services.tag_create(
        project=t["project"], name="new", by=by, **kw)),
    ("tag_update", "editor", lambda t, by, **kw: services.tag_update(
        tag=t["tag"], by=by, name="renamed", **kw)),
    ("tag_delete", "editor", lambda t, by, **kw: services.tag_delete(tag=t["tag"], by=by, **kw)),
    ("task_create", "editor", lambda t, by, **kw: services.task_create(
        project=t["project"], by=by, title="New", **kw)),
    ("task_update", "editor", lambda t, by, **kw: services.task_update(
        task=t["task"], by=by, title="New", **kw)),
    ("task_complete", "editor", lambda t, by, **kw: services.task_complete(
        task=t["task"], by=by, **kw)),
    ("task_move", "editor", lambda t, by, **kw: services.task_move(
        task=t["task"], by=by, status=Status.DONE, index=0, **kw)),
    ("task_delete", "editor", lambda t, by, **kw: services.task_delete(
        task=t["task"], by=by, **kw)),
    ("comment_add", "editor", lambda t, by, **kw: services.comment_add(
        task=t["task"], by=by, body="Hi", **kw)),
]  # fmt: skip

RANK = {"viewer": 1, "editor": 2, "owner": 3, "outsider": 0}


@pytest.mark.parametrize(("name", "needed", "change"), CHANGES, ids=[c[0] for c in CHANGES])
@pytest.mark.parametrize("who", ["owner", "editor", "viewer", "outsider"])
def test_each_service_checks_the_role_itself(things, cast, name, needed, change, who):
    activity_before = Activity.objects.count()
    if RANK[who] >= RANK[needed]:
        change(things, cast[who])
    else:
        with pytest.raises(PermissionDenied):
            change(things, cast[who])
        assert Activity.objects.count() == activity_before


@pytest.mark.parametrize(("name", "needed", "change"), CHANGES, ids=[c[0] for c in CHANGES])
def test_staff_act_without_a_role(things, staff, name, needed, change):
    change(things, staff, as_staff=True)


@pytest.mark.parametrize(("name", "needed", "change"), CHANGES, ids=[c[0] for c in CHANGES])
def test_staff_without_as_staff_are_just_outsiders(things, staff, name, needed, change):
    with pytest.raises(PermissionDenied):
        change(things, staff)


@pytest.mark.parametrize(("name", "needed", "change"), CHANGES, ids=[c[0] for c in CHANGES])
@pytest.mark.parametrize("as_staff", [False, True], ids=["owner", "staff"])
def test_archived_refuses_every_change_but_deleting(things, alice, staff, name, needed, change,
                                                     as_staff):  # fmt: skip
    services.project_update(project=things["project"], by=alice, is_archived=True)
    by = staff if as_staff else alice
    if name == "project_delete":
        change(things, by, as_staff=as_staff)
        return
    with pytest.raises(PermissionDenied, match="archived"):
        change(things, by, as_staff=as_staff)


@pytest.mark.parametrize("as_staff", [False, True], ids=["owner", "staff"])
def test_unarchiving_is_the_one_change_an_archived_project_takes(project, alice, staff, as_staff):
    services.project_update(project=project, by=alice, is_archived=True)
    by = staff if as_staff else alice
    with pytest.raises(PermissionDenied):
        services.project_update(project=project, by=by, is_archived=True, as_staff=as_staff)
    back = services.project_update(
        project=project, by=by, is_archived=False, name="Back", as_staff=as_staff
    )
    assert (back.is_archived, back.name) == (False, "Back")


def test_only_the_author_edits_or_deletes_a_comment(things, alice):
    comment = things["comment"]
    with pytest.raises(PermissionDenied, match="author"):
        services.comment_edit(comment=comment, by=alice, body="Not yours")
    with pytest.raises(PermissionDenied, match="author"):
        services.comment_delete(comment=comment, by=alice)
    assert Comment.objects.get(pk=comment.pk).body == "Mine"


def test_staff_delete_anyones_comment_to_moderate_but_edit_none(things, staff):
    comment = things["comment"]
    with pytest.raises(PermissionDenied, match="author"):
        services.comment_edit(comment=comment, by=staff, body="Not yours", as_staff=True)
    assert Comment.objects.get(pk=comment.pk).body == "Mine"
    services.comment_delete(comment=comment, by=staff, as_staff=True)
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_an_author_who_became_a_viewer_cannot_edit_their_comment(things, alice, erin):
    services.member_change_role(
        membership=Membership.objects.get(project=things["project"], user=erin),
        role=Role.VIEWER,
        by=alice,
    )
    with pytest.raises(PermissionDenied):
        services.comment_edit(comment=things["comment"], by=erin, body="Changed")


def test_a_member_leaves_whatever_their_role(project, victor):
    services.member_remove(membership=Membership.objects.get(project=project, user=victor),
                           by=victor)  # fmt: skip
    assert not Membership.objects.filter(project=project, user=victor).exists()


def test_moving_a_task_needs_the_editor_role_in_the_target_too(task, erin, alice):
    beta = services.project_create(by=alice, name="Beta")
    services.member_add(project=beta, user=erin, role=Role.VIEWER, by=alice)
    with pytest.raises(PermissionDenied):
        services.task_update(task=task, by=erin, project=beta)
    assert Task.objects.get(pk=task.pk).project_id == task.project_id


# Keywords -----------------------------------------------------------------------------------
def test_an_omitted_keyword_leaves_the_field_as_it_is(task, erin, victor):
    services.task_update(task=task, by=erin, assignee=victor, due_date=datetime.date(2030, 1, 1))
    services.task_update(task=task, by=erin, title="Only the title")
    task.refresh_from_db()
    assert (task.title, task.assignee, task.due_date) == (
        "Only the title",
        victor,
        datetime.date(2030, 1, 1),
    )
    services.task_update(task=task, by=erin, assignee=None, due_date=None)
    task.refresh_from_db()
    assert (task.assignee, task.due_date) == (None, None)


@pytest.mark.parametrize(
    "call",
    [
        lambda t, by: services.project_update(project=t["project"], by=by, owner=by),
        lambda t, by: services.tag_update(tag=t["tag"], by=by, project=t["project"]),
        lambda t, by: services.task_update(task=t["task"], by=by, version=9),
    ],
    ids=["project", "tag", "task"],
)
def test_unknown_keywords_are_a_type_error(things, alice, call):
    with pytest.raises(TypeError):
        call(things, alice)


def test_a_vanished_task_is_a_404(task, erin):
    Task.objects.filter(pk=task.pk).delete()
    with pytest.raises(Http404):
        services.task_update(task=task, by=erin, title="Too late")
    with pytest.raises(Http404):
        services.comment_add(task=task, by=erin, body="Too late")
