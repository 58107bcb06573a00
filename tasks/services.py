"""
Every change a user can make, as one function each: pages, API and admin all call these.

Each function is keyword-only, runs in one transaction, and writes its ``Activity`` row in
that same transaction. They do not check who may act: callers look objects up through the
scoped querysets and call ``require_role`` first (staff in the admin act without a role).
Rule violations raise Django's ``ValidationError`` (field → messages), a uniqueness clash
raises ``Conflict`` and a write based on an old version raises ``StaleVersion``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from project.exceptions import Conflict, StaleVersion
from tasks.models import (
    ROLE_RANK,
    Activity,
    Comment,
    Membership,
    Priority,
    Project,
    Role,
    Status,
    Tag,
    Task,
)

#: Gap left between neighbouring board positions, so a move usually writes one row only.
POSITION_GAP = 1024

#: The columns a task change writes (tags are a separate table).
SAVED_TASK_FIELDS = (
    "project",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "assignee",
    "position",
    "completed_at",
    "updated_at",
    "version",
)

TASK_FIELDS = (
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "assignee",
    "tags",
    "project",
    "position",
)


# ---------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------
@transaction.atomic
def project_create(
    *, by: User, name: str, description: str = "", colour: str = Project.DEFAULT_COLOUR
) -> Project:
    """Create a project; its creator becomes its first owner."""
    project = Project(name=name.strip(), description=description, colour=colour, created_by=by)
    project.full_clean(exclude={"created_by"})
    project.save()
    Membership.objects.create(project=project, user=by, role=Role.OWNER)
    project.my_role = Role.OWNER
    return project


@transaction.atomic
def project_update(*, project: Project, by: User, **fields: Any) -> Project:
    """Rename, describe, recolour, archive or unarchive a project."""
    allowed = {"name", "description", "colour", "is_archived"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"project_update() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(project, name, value.strip() if name == "name" else value)
    project.full_clean(exclude={"created_by"})
    project.save(update_fields=[*fields, "updated_at"])
    return project


@transaction.atomic
def project_delete(*, project: Project, by: User) -> None:
    project.delete()


# ---------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------
def _member_activity(membership: Membership, by: User, verb: str, changes: dict) -> None:
    Activity.objects.create(
        project_id=membership.project_id,
        actor=by,
        verb=verb,
        changes={"member": membership.user.username, **changes},
    )


def _lock_owners(project: Project) -> list[int]:
    """Lock the project's owner rows, so two owners cannot both step down at once."""
    return list(
        Membership.objects.select_for_update()
        .filter(project=project, role=Role.OWNER)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def member_add(*, project: Project, user: User, role: Role | str, by: User) -> Membership:
    role = Role(role)
    if Membership.objects.filter(project=project, user=user).exists():
        raise Conflict(f"{user.name} is already a member of this project.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(project=project, user=user, role=role)
    except IntegrityError:
        # A concurrent request added the same person between our check and insert.
        raise Conflict(f"{user.name} is already a member of this project.") from None
    _member_activity(membership, by, Activity.Verb.MEMBER_ADDED, {"role": [None, role.value]})
    return membership


@transaction.atomic
def member_change_role(*, membership: Membership, role: Role | str, by: User) -> Membership:
    """Change a member's role. Nobody raises their own role; the last owner stays an owner."""
    role = Role(role)
    old = Role(membership.role)
    if role == old:
        return membership
    if membership.user_id == by.pk and ROLE_RANK[role] > ROLE_RANK[old]:
        raise PermissionDenied("You cannot raise your own role.")
    if old == Role.OWNER:
        owners = _lock_owners(membership.project)
        if owners == [membership.pk]:
            raise ValidationError(
                {"role": "A project needs at least one owner: make someone else an owner first."}
            )
    membership.role = role
    membership.save(update_fields=["role"])
    _member_activity(
        membership, by, Activity.Verb.MEMBER_ROLE_CHANGED, {"role": [old.value, role.value]}
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, by: User) -> None:
    """Remove a member (or leave, when ``by`` is the member). The last owner cannot go."""
    if membership.role == Role.OWNER:
        owners = _lock_owners(membership.project)
        if owners == [membership.pk]:
            raise ValidationError(
                "The last owner cannot leave or be removed: make someone else an owner first."
            )
    _member_activity(
        membership, by, Activity.Verb.MEMBER_REMOVED, {"role": [membership.role, None]}
    )
    # Their open tasks in this project become unassigned: an assignee must be a member.
    Task.objects.filter(project_id=membership.project_id, assignee_id=membership.user_id).update(
        assignee=None
    )
    membership.delete()


# ---------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------
def _tag_save(tag: Tag) -> Tag:
    tag.name = tag.name.strip()
    tag.full_clean(exclude={"project"}, validate_constraints=False)
    clash = (
        Tag.objects.filter(project_id=tag.project_id, name__iexact=tag.name)
        .exclude(pk=tag.pk)
        .exists()
    )
    if clash:
        raise Conflict(f"This project already has a tag called “{tag.name}”.")
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        raise Conflict(f"This project already has a tag called “{tag.name}”.") from None
    return tag


@transaction.atomic
def tag_create(*, project: Project, name: str, colour: str = Tag.DEFAULT_COLOUR, by: User) -> Tag:
    return _tag_save(Tag(project=project, name=name, colour=colour))


@transaction.atomic
def tag_update(*, tag: Tag, by: User, **fields: Any) -> Tag:
    unknown = set(fields) - {"name", "colour"}
    if unknown:
        raise TypeError(f"tag_update() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(tag, name, value)
    return _tag_save(tag)


@transaction.atomic
def tag_delete(*, tag: Tag, by: User) -> None:
    tag.delete()


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------
def _display(field: str, value: Any) -> Any:
    """A change's value as it is kept in the activity: names, ISO dates, sorted tag names."""
    if value is None:
        return None
    if field in ("assignee", "created_by"):
        return value.username
    if field == "project":
        return value.name
    if field == "tags":
        return sorted((tag.name for tag in value), key=str.lower)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _end_of_column(project_id: int, status: str, exclude_pk: int | None = None) -> int:
    column = Task.objects.filter(project_id=project_id, status=status)
    if exclude_pk:
        column = column.exclude(pk=exclude_pk)
    last = column.aggregate(last=Max("position"))["last"]
    return POSITION_GAP if last is None else last + POSITION_GAP


def _validate_assignee(project: Project, assignee: User | None) -> None:
    if (
        assignee is not None
        and not Membership.objects.filter(project=project, user=assignee).exists()
    ):
        raise ValidationError({"assignee": f"{assignee.name} is not a member of “{project.name}”."})


def _validate_tags(project: Project, tags: Iterable[Tag]) -> list[Tag]:
    tags = list(tags)
    foreign = [tag.name for tag in tags if tag.project_id != project.pk]
    if foreign:
        raise ValidationError(
            {"tags": f"Tags from another project cannot be used: {', '.join(foreign)}."}
        )
    return tags


def _clean_task(task: Task) -> None:
    task.title = (task.title or "").strip()
    task.full_clean(
        exclude={"project", "assignee", "created_by", "tags"},
        validate_unique=False,
        validate_constraints=False,
    )


@transaction.atomic
def task_create(
    *,
    project: Project,
    by: User,
    title: str,
    description: str = "",
    status: Status | str = Status.TODO,
    priority: Priority | str = Priority.NONE,
    due_date: datetime.date | None = None,
    assignee: User | None = None,
    tags: Iterable[Tag] = (),
) -> Task:
    """Create a task at the bottom of its board column."""
    now = timezone.now()
    task = Task(
        project=project,
        title=title,
        description=description,
        status=status,
        priority=priority,
        due_date=due_date,
        assignee=assignee,
        created_by=by,
        created_at=now,
        updated_at=now,
        completed_at=now if status == Status.DONE else None,
    )
    _clean_task(task)
    _validate_assignee(project, assignee)
    tags = _validate_tags(project, tags)
    task.position = _end_of_column(project.pk, task.status)
    task.save()
    if tags:
        task.tags.set(tags)
    Activity.objects.create(
        project=project, task=task, task_title=task.title, actor=by, verb=Activity.Verb.CREATED
    )
    return task


def _lock(task: Task, expected_version: int | None) -> Task:
    """Re-read the task under a row lock and refuse if the caller's version is old."""
    current = (
        Task.objects.select_for_update(of=("self",))
        .select_related("project", "assignee")
        .get(pk=task.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current)
    return current


def _verb_for(changes: dict) -> str:
    if "status" in changes:
        old, new = changes["status"]
        if new == Status.DONE:
            return Activity.Verb.COMPLETED
        if old == Status.DONE:
            return Activity.Verb.REOPENED
        return Activity.Verb.MOVED
    if "project" in changes or set(changes) == {"position"}:
        return Activity.Verb.MOVED
    return Activity.Verb.UPDATED


@transaction.atomic
def task_update(
    *, task: Task, by: User, expected_version: int | None = None, **fields: Any
) -> Task:
    """
    Change any of a task's fields, bump its version by one and record what changed.

    ``expected_version`` (from ``If-Match`` or the edit form) makes the write conditional.
    Moving to another project keeps tags whose names exist there and drops the rest, and
    unassigns an assignee who is not a member of the new project; the activity says so.
    A change that changes nothing writes nothing.
    """
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"task_update() got unexpected fields: {sorted(unknown)}")
    current = _lock(task, expected_version)
    old_tags = list(current.tags.order_by(Lower("name")))
    changes: dict[str, list] = {}

    new_project = fields.pop("project", current.project)
    if new_project.pk != current.project_id:
        changes["project"] = [
            _display("project", current.project),
            _display("project", new_project),
        ]
        if "tags" not in fields:
            # Tag names are unique ignoring case, so "bug" here is "BUG" there.
            by_name = {
                tag.name.lower(): tag
                for tag in Tag.objects.alias(lower_name=Lower("name")).filter(
                    project=new_project, lower_name__in=[t.name.lower() for t in old_tags]
                )
            }
            fields["tags"] = [
                by_name[t.name.lower()] for t in old_tags if t.name.lower() in by_name
            ]
        if "assignee" not in fields and current.assignee is not None:
            is_member = Membership.objects.filter(
                project=new_project, user=current.assignee
            ).exists()
            if not is_member:
                fields["assignee"] = None
        current.project = new_project

    new_tags = fields.pop("tags", None)
    for name, value in fields.items():
        old_value = getattr(current, name)
        if old_value != value:
            changes[name] = [_display(name, old_value), _display(name, value)]
            setattr(current, name, value)

    _clean_task(current)
    _validate_assignee(current.project, current.assignee)
    if new_tags is not None:
        new_tags = _validate_tags(current.project, new_tags)
        if {t.pk for t in new_tags} != {t.pk for t in old_tags}:
            changes["tags"] = [_display("tags", old_tags), _display("tags", new_tags)]

    if not changes:
        return current

    if "status" in changes:
        current.completed_at = timezone.now() if current.status == Status.DONE else None
    if ("status" in changes or "project" in changes) and "position" not in fields:
        # A task that lands in another column goes to its bottom.
        current.position = _end_of_column(current.project_id, current.status, current.pk)

    current.updated_at = timezone.now()
    current.version += 1
    # Compare-and-set on the version as well as the row lock: SQLite ignores FOR UPDATE, and
    # this keeps a concurrent save there from silently overwriting the one before it.
    saved = Task.objects.filter(pk=current.pk, version=current.version - 1).update(
        **{field: getattr(current, field) for field in SAVED_TASK_FIELDS}
    )
    if not saved:
        raise StaleVersion(Task.objects.get(pk=current.pk))
    if "tags" in changes:
        current.tags.set(new_tags)
    Activity.objects.create(
        project=current.project,
        task=current,
        task_title=current.title,
        actor=by,
        verb=_verb_for(changes),
        changes=changes,
    )
    return current


def task_complete(*, task: Task, by: User, expected_version: int | None = None) -> Task:
    return task_update(task=task, by=by, expected_version=expected_version, status=Status.DONE)


def task_reopen(*, task: Task, by: User, expected_version: int | None = None) -> Task:
    return task_update(task=task, by=by, expected_version=expected_version, status=Status.TODO)


@transaction.atomic
def task_move(
    *,
    task: Task,
    by: User,
    status: Status | str,
    index: int | None = None,
    expected_version: int | None = None,
) -> Task:
    """
    Put a task into a board column at ``index`` (0 = top; None = bottom).

    Positions are spaced ``POSITION_GAP`` apart, so a move usually writes only the moved
    task; when two neighbours have no room between them the column is renumbered. Renumbering
    does not bump the neighbours' versions: order is board metadata, not an edit of them.
    """
    status = Status(status)
    column = list(
        Task.objects.select_for_update()
        .filter(project_id=task.project_id, status=status)
        .exclude(pk=task.pk)
        .order_by("position", "id")
        .values_list("pk", "position")
    )
    if index is None or index >= len(column):
        index = len(column)
    index = max(index, 0)
    before = column[index - 1][1] if index > 0 else None
    after = column[index][1] if index < len(column) else None

    if before is None and after is None:
        position = POSITION_GAP
    elif before is None:
        position = after - POSITION_GAP
    elif after is None:
        position = before + POSITION_GAP
    elif after - before > 1:
        position = (before + after) // 2
    else:
        ids = [pk for pk, _ in column]
        ids.insert(index, None)
        renumbered = [
            Task(pk=pk, position=(i + 1) * POSITION_GAP) for i, pk in enumerate(ids) if pk
        ]
        Task.objects.bulk_update(renumbered, ["position"])
        position = (index + 1) * POSITION_GAP
    return task_update(
        task=task, by=by, expected_version=expected_version, status=status, position=position
    )


@transaction.atomic
def task_delete(*, task: Task, by: User, expected_version: int | None = None) -> None:
    current = _lock(task, expected_version)
    Activity.objects.create(
        project_id=current.project_id,
        task=current,
        task_title=current.title,
        actor=by,
        verb=Activity.Verb.DELETED,
    )
    current.delete()


# ---------------------------------------------------------------------------
# Comments
# ---------------------------------------------------------------------------
def _comment_activity(comment: Comment, by: User, verb: str) -> None:
    Activity.objects.create(
        project_id=comment.task.project_id,
        task=comment.task,
        task_title=comment.task.title,
        actor=by,
        verb=verb,
        changes={"comment": comment.pk},
    )


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    return body


@transaction.atomic
def comment_add(*, task: Task, by: User, body: str) -> Comment:
    comment = Comment.objects.create(task=task, author=by, body=_clean_body(body))
    _comment_activity(comment, by, Activity.Verb.COMMENTED)
    return comment


@transaction.atomic
def comment_edit(*, comment: Comment, by: User, body: str) -> Comment:
    body = _clean_body(body)
    if body == comment.body:
        return comment
    comment.body = body
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    _comment_activity(comment, by, Activity.Verb.COMMENT_EDITED)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, by: User) -> None:
    _comment_activity(comment, by, Activity.Verb.COMMENT_DELETED)
    comment.delete()
