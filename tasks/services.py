"""
Every change a user can make, as one function each: pages, API, admin and jobs all call these.

Each function is keyword-only and typed, runs in one transaction, writes its ``Activity`` row
in that same transaction, and decides itself whether ``by`` may make the change:

- the role, with ``require_role`` (too low: ``PermissionDenied``). Callers look objects up
  through the scoped querysets first, so an outsider has had their 404 before any of this runs.
  Staff in the admin pass ``as_staff=True`` to act without a role; every other rule still holds.
- the archived rule: nothing in an archived project changes (``PermissionDenied``) except
  unarchiving and deleting it.
- the rules of members (the last owner stays, nobody raises their own role) and comments (only
  the author edits or deletes one).

Names, titles, tags, descriptions and comments lose invisible and text-direction characters in
their model fields (``project.text``), here as in the admin; one that was nothing else is blank.

Rule violations raise Django's ``ValidationError`` (field → messages), a uniqueness clash or a
concurrent change that makes the request moot raises ``Conflict``, a write based on an old
version raises ``StaleVersion``, and an object that vanished meanwhile raises ``Http404``.

Concurrency: every change to a project's contents first locks the project's row (``FOR NO KEY
UPDATE``), then the rows it changes. One project's writes therefore run one after the other,
always in the same lock order (project, then its rows), which is what keeps board positions
distinct, an assignee a member, and turns a write against a deleted project, task, tag or
comment into a 404 instead of a foreign-key error. Keyword arguments left out mean "unchanged".
"""

from __future__ import annotations

import datetime
import enum
import zoneinfo
from collections.abc import Iterable
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from project.exceptions import Conflict, StaleVersion
from project.text import clean_multiline, clean_single_line
from tasks import recurrence as rrules
from tasks.models import (
    ROLE_RANK,
    Activity,
    Comment,
    Invitation,
    Membership,
    Priority,
    Project,
    Role,
    Status,
    Tag,
    Task,
    fellow_members,
    invitation_expiry,
    require_project_create,
    require_role,
    require_token_allows,
    require_writable,
)

#: Gap left between neighbouring board positions, so a move usually writes one row only.
POSITION_GAP = 1024

#: Positions are stored in a 32-bit integer column.
POSITION_MAX = 2**31 - 1

#: The columns a task change writes (tags are a separate table).
SAVED_TASK_FIELDS = (
    "project",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "due_time",
    "due_time_zone",
    "due_at",
    "recurrence",
    "recurrence_mode",
    "assignee",
    "position",
    "completed_at",
    "updated_at",
    "version",
    "parent_id",
)

#: The fields ``task_update`` can change, by keyword.
TASK_FIELDS = (
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "due_time",
    "recurrence",
    "recurrence_mode",
    "assignee",
    "tags",
    "project",
    "position",
    "parent",
)


class Unchanged(enum.Enum):
    """The default of an optional keyword: leave that field as it is."""

    UNCHANGED = "unchanged"

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = Unchanged.UNCHANGED


def _given(**fields: Any) -> dict[str, Any]:
    """The keywords the caller passed (those not ``UNCHANGED``)."""
    return {name: value for name, value in fields.items() if value is not UNCHANGED}


def _lock_project(pk: int, by: User | None, *, for_delete: bool = False) -> Project:
    """
    The project re-read under a row lock, with ``by``'s current role as ``my_role``. Writers
    of one project queue here; one whose project was deleted meanwhile gets a 404.
    """
    role = Membership.objects.filter(project=OuterRef("pk"), user_id=getattr(by, "pk", None))
    try:
        # FOR NO KEY UPDATE still lets other transactions insert rows that point at the
        # project (their foreign-key check takes a KEY SHARE lock); deleting takes it all.
        return (
            Project.objects.select_for_update(no_key=not for_delete)
            .annotate(my_role=Subquery(role.values("role")[:1]))
            .get(pk=pk)
        )
    except Project.DoesNotExist:
        raise Http404("This project no longer exists.") from None


def hold(*, projects: Iterable[int] = (), tasks: Iterable[int] = ()) -> tuple[set[int], set[int]]:
    """
    Keep these projects and tasks from being deleted until the current transaction ends, and
    return the ids of those that still exist. Other apps write rows pointing at a task or a
    project (follows, reminders, notifications) under this hold: deleting collects the rows
    that point at what it deletes before deleting it, so a row added in between would make
    the delete fail. On PostgreSQL this is ``FOR KEY SHARE``: it waits for a delete in
    progress (which holds ``FOR UPDATE``) and makes a later one wait, while edits go on.
    SQLite runs one writer at a time, so there a plain read is enough.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("hold() keeps rows until the end of a transaction: open one first.")
    found: list[set[int]] = []
    for model, ids in ((Project, projects), (Task, tasks)):
        ids = sorted({pk for pk in ids if pk is not None})
        if not ids:
            found.append(set())
            continue
        rows = model.objects.filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
        connection = transaction.get_connection(rows.db)
        if connection.vendor == "postgresql":
            sql, params = rows.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"{sql} FOR KEY SHARE", params)
                found.append({row[0] for row in cursor.fetchall()})
        else:
            found.append(set(rows))
    return found[0], found[1]


def _authorize_owner(project: Project, by: User, *, as_staff: bool) -> None:
    if not as_staff:
        require_role(project, by, Role.OWNER)


# ---------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------
@transaction.atomic
def project_create(
    *,
    by: User,
    name: str,
    description: str = "",
    colour: str = Project.DEFAULT_COLOUR,
    as_staff: bool = False,
) -> Project:
    """
    Create a project; its creator becomes its first owner. Anyone signed in may, except
    through a read-only API token or one limited to some projects.
    """
    require_project_create(by)
    project = Project(name=name.strip(), description=description, colour=colour, created_by=by)
    project.full_clean(exclude={"created_by"})
    project.save()
    Membership.objects.create(project=project, user=by, role=Role.OWNER)
    project.my_role = Role.OWNER
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    by: User,
    name: str | Unchanged = UNCHANGED,
    description: str | Unchanged = UNCHANGED,
    colour: str | Unchanged = UNCHANGED,
    is_archived: bool | Unchanged = UNCHANGED,
    as_staff: bool = False,
) -> Project:
    """
    Rename, describe, recolour, archive or unarchive a project (owners). An archived project
    only accepts being unarchived (other changes may come along in the same call).
    """
    fields = _given(name=name, description=description, colour=colour, is_archived=is_archived)
    current = _lock_project(project.pk, by)
    _authorize_owner(current, by, as_staff=as_staff)
    if current.is_archived and fields.get("is_archived") is not False:
        require_writable(current, by, Role.OWNER, as_staff=as_staff)
    for field, value in fields.items():
        setattr(current, field, value.strip() if field == "name" else value)
    current.full_clean(exclude={"created_by"})
    current.save(update_fields=[*fields, "updated_at"])
    return current


@transaction.atomic
def project_delete(*, project: Project, by: User, as_staff: bool = False) -> None:
    """Delete a project with everything in it (owners; archived or not)."""
    current = _lock_project(project.pk, by, for_delete=True)
    _authorize_owner(current, by, as_staff=as_staff)
    current.delete()


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


def _lock_membership(membership: Membership, by: User) -> tuple[Project, Membership]:
    project = _lock_project(membership.project_id, by)
    try:
        current = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=membership.pk)
        )
    except Membership.DoesNotExist:
        raise Http404("This person is no longer a member of the project.") from None
    current.project = project
    return project, current


def _is_last_owner(membership: Membership) -> bool:
    """Whether this is the project's only owner (asked under the project's lock)."""
    owners = Membership.objects.filter(project_id=membership.project_id, role=Role.OWNER)
    return list(owners.values_list("pk", flat=True)[:2]) == [membership.pk]


def _member_join(project: Project, user: User, role: Role, actor: User | None) -> Membership:
    """The one way into a project (under its lock): the membership and its Activity row."""
    if Membership.objects.filter(project=project, user=user).exists():
        raise Conflict(f"{user.name} is already a member of this project.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(project=project, user=user, role=role)
    except IntegrityError:
        # Kept although the project lock serializes adds: cheap insurance.
        raise Conflict(f"{user.name} is already a member of this project.") from None
    _member_activity(membership, actor, Activity.Verb.MEMBER_ADDED, {"role": [None, role.value]})
    return membership


@transaction.atomic
def member_add(
    *, project: Project, user: User, role: Role | str, by: User, as_staff: bool = False
) -> Membership:
    """
    Put someone in a project with ``role`` straight away, without asking them: for staff in
    the admin, the demo data and tests. People invite each other (``member_invite``), and
    the invitee joins by accepting (``invitation_accept``).
    """
    role = Role(role)
    current = _lock_project(project.pk, by)
    require_writable(current, by, Role.OWNER, as_staff=as_staff)
    return _member_join(current, user, role, by)


@transaction.atomic
def member_change_role(
    *, membership: Membership, role: Role | str, by: User, as_staff: bool = False
) -> Membership:
    """Change a member's role (owners). Nobody raises their own role; the last owner stays."""
    role = Role(role)
    project, current = _lock_membership(membership, by)
    require_writable(project, by, Role.OWNER, as_staff=as_staff)
    old = Role(current.role)
    if role == old:
        return current
    if current.user_id == by.pk and ROLE_RANK[role] > ROLE_RANK[old]:
        raise PermissionDenied("You cannot raise your own role.")
    if old == Role.OWNER and _is_last_owner(current):
        raise ValidationError(
            {"role": "A project needs at least one owner: make someone else an owner first."}
        )
    current.role = role
    current.save(update_fields=["role"])
    _member_activity(
        current, by, Activity.Verb.MEMBER_ROLE_CHANGED, {"role": [old.value, role.value]}
    )
    return current


@transaction.atomic
def member_remove(*, membership: Membership, by: User, as_staff: bool = False) -> None:
    """
    Remove a member (owners), or leave (``by`` is the member, any role). The last owner
    cannot go. Their tasks in the project become unassigned: an assignee is a member.
    """
    project, current = _lock_membership(membership, by)
    if current.user_id != by.pk:
        _authorize_owner(project, by, as_staff=as_staff)
    require_writable(project, by, Role.VIEWER, as_staff=as_staff or current.user_id == by.pk)
    if current.role == Role.OWNER and _is_last_owner(current):
        raise ValidationError(
            "The last owner cannot leave or be removed: make someone else an owner first."
        )
    _member_activity(current, by, Activity.Verb.MEMBER_REMOVED, {"role": [current.role, None]})
    # Under the project's lock, so no write can assign them in between (they do lock it too).
    Task.objects.filter(project_id=current.project_id, assignee_id=current.user_id).update(
        assignee=None
    )
    current.delete()


# ---------------------------------------------------------------------------
# Invitations
# ---------------------------------------------------------------------------
#: The one refusal for an id that names nobody the inviter knows, whether it exists or not.
UNKNOWN_ID = "Invite people you do not share a project with by username or e-mail address."


def _invitee(
    by: User, user_id: int | None, username: str | None, email: str | None
) -> tuple[User | None, str]:
    """
    The account an invitation names (``None`` if nobody has that username or address) and
    the address to keep. An id is only accepted for people ``by`` already shares a project
    with: a stranger's id and one that does not exist are the same refusal.
    """
    given = [value is not None for value in (user_id, username, email)]
    if sum(given) != 1:
        raise ValidationError({"user": "Give exactly one of user (an id), username or email."})
    if user_id is not None:
        person = fellow_members(by).filter(pk=user_id, is_active=True).first()
        if person is None:
            raise ValidationError({"user": UNKNOWN_ID})
        return person, person.username
    if username is not None:
        address = username.strip()
        if not address:
            raise ValidationError({"username": "Give a username."})
        return User.objects.filter(is_active=True, username=address).first(), address
    address = email.strip().lower()
    if not address:
        raise ValidationError({"email": "Give an e-mail address."})
    return User.objects.filter(is_active=True, email__iexact=address).first(), address


def _lock_invitation(invitation: Invitation) -> Invitation:
    try:
        return Invitation.objects.select_for_update().get(pk=invitation.pk)
    except Invitation.DoesNotExist:
        raise Http404("This invitation no longer exists.") from None


@transaction.atomic
def member_invite(
    *,
    project: Project,
    by: User,
    role: Role | str = Role.VIEWER,
    user: int | None = None,
    username: str | None = None,
    email: str | None = None,
    as_staff: bool = False,
) -> Invitation:
    """
    Invite someone to a project (owners), named by exactly one of ``user`` (an id, only of
    someone ``by`` shares a project with), ``username`` or ``email``. The invitation exists
    whether or not the name belongs to an account, and looks the same either way, so that
    inviting cannot tell who has an account. Inviting someone again renews the open
    invitation with the new role. Someone already a member is a ``Conflict``: the owner sees
    the members anyway.
    """
    role = Role(role)
    current = _lock_project(project.pk, by)
    require_writable(current, by, Role.OWNER, as_staff=as_staff)
    person, address = _invitee(by, user, username, email)
    if person is not None and Membership.objects.filter(project=current, user=person).exists():
        raise Conflict("This person is already a member of this project.")
    same = Q(address=address)
    if person is not None:
        same |= Q(invitee=person)
        if person.email:
            same |= Q(invitee__isnull=True, address=person.email.lower())
    # Under the project's lock: no other invitation to this project is being written. Two
    # open ones can name the same person (one to the address they signed up with, one to
    # their username): keep one, renewed, and close the other.
    now = timezone.now()
    invitation, *duplicates = [
        *Invitation.objects.open().filter(same, project=current).order_by("created_at", "pk"),
        Invitation(project=current, created_at=now),
    ]
    for duplicate in duplicates:
        if duplicate.pk is not None:
            duplicate.status = Invitation.Status.CANCELLED
            duplicate.responded_at = now
            duplicate.save(update_fields=["status", "responded_at"])
    invitation.address = address
    invitation.invitee = person
    invitation.role = role
    invitation.invited_by = by
    invitation.expires_at = invitation_expiry(now)
    invitation.save()
    # The project's history is for every member: it names the invitation, never the address.
    Activity.objects.create(
        project=current,
        actor=by,
        verb=Activity.Verb.INVITED,
        changes={"invitation": invitation.pk, "role": role.value},
    )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, by: User) -> Membership:
    """
    Join the project with the invited role (only the invitee, while it has not expired and
    the project is not archived). The membership's Activity row names the inviter.
    """
    current = _lock_project(invitation.project_id, by)
    if not Invitation.objects.pending_for(by).filter(pk=invitation.pk).exists():
        raise Http404("No such invitation is waiting for you.")
    # A read-only token, or one limited to other projects, does not join this one.
    require_token_allows(by, current, write=True)
    invitation = _lock_invitation(invitation)
    if invitation.status != Invitation.Status.PENDING:
        raise Http404("No such invitation is waiting for you.")
    if invitation.is_expired:
        raise ValidationError(
            "This invitation has expired: ask someone in the project to invite you again."
        )
    if current.is_archived:
        raise PermissionDenied(
            f"“{current.name}” is archived, so nobody can join it until an owner unarchives it."
        )
    membership = Membership.objects.filter(project=current, user=by).first()
    if membership is None:  # else staff put them in meanwhile: the invitation is answered
        membership = _member_join(current, by, Role(invitation.role), invitation.invited_by)
    invitation.invitee = by
    invitation.status = Invitation.Status.ACCEPTED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["invitee", "status", "responded_at"])
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, by: User) -> None:
    """Say no to an invitation (only the invitee; expired ones too, to clear them away)."""
    if not Invitation.objects.pending_for(by).filter(pk=invitation.pk).exists():
        raise Http404("No such invitation is waiting for you.")
    current = _lock_invitation(invitation)
    require_token_allows(by, current.project, write=True)
    if current.status != Invitation.Status.PENDING:
        raise Http404("No such invitation is waiting for you.")
    current.invitee = by
    current.status = Invitation.Status.DECLINED
    current.responded_at = timezone.now()
    current.save(update_fields=["invitee", "status", "responded_at"])


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, by: User, as_staff: bool = False) -> None:
    """Withdraw an open invitation (owners of its project, which must not be archived)."""
    project = _lock_project(invitation.project_id, by)
    require_writable(project, by, Role.OWNER, as_staff=as_staff)
    current = _lock_invitation(invitation)
    if current.status != Invitation.Status.PENDING:
        raise Http404("This invitation is no longer open.")
    current.status = Invitation.Status.CANCELLED
    current.responded_at = timezone.now()
    current.save(update_fields=["status", "responded_at"])


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


def _lock_tag(tag: Tag, by: User, *, as_staff: bool) -> Tag:
    project = _lock_project(tag.project_id, by)
    require_writable(project, by, as_staff=as_staff)
    try:
        current = Tag.objects.select_for_update().get(pk=tag.pk)
    except Tag.DoesNotExist:
        raise Http404("This tag no longer exists.") from None
    current.project = project
    return current


@transaction.atomic
def tag_create(
    *,
    project: Project,
    name: str,
    colour: str = Tag.DEFAULT_COLOUR,
    by: User,
    as_staff: bool = False,
) -> Tag:
    """Create a tag in a project (editors and owners)."""
    current = _lock_project(project.pk, by)
    require_writable(current, by, as_staff=as_staff)
    return _tag_save(Tag(project=current, name=name, colour=colour))


@transaction.atomic
def tag_update(
    *,
    tag: Tag,
    by: User,
    name: str | Unchanged = UNCHANGED,
    colour: str | Unchanged = UNCHANGED,
    as_staff: bool = False,
) -> Tag:
    """Rename or recolour a tag (editors and owners)."""
    current = _lock_tag(tag, by, as_staff=as_staff)
    for field, value in _given(name=name, colour=colour).items():
        setattr(current, field, value)
    return _tag_save(current)


@transaction.atomic
def tag_delete(*, tag: Tag, by: User, as_staff: bool = False) -> None:
    """Delete a tag; tasks that had it keep their other tags (editors and owners)."""
    _lock_tag(tag, by, as_staff=as_staff).delete()


# ---------------------------------------------------------------------------
# Board positions
# ---------------------------------------------------------------------------
def _column(project_id: int, status: str, exclude_pk: int | None) -> list[tuple[int, int]]:
    """``(pk, position)`` of a column in board order, without ``exclude_pk``."""
    rows = Task.objects.filter(project_id=project_id, status=status)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return list(rows.order_by("position", "id").values_list("pk", "position"))


def _renumber(pks: list[int | None]) -> int | None:
    """
    Space a column evenly in the given order; ``None`` marks the place of the task being
    placed, whose new position is returned. Neighbours' versions are not bumped: order is
    board metadata, not an edit of them.
    """
    placed = None
    renumbered = []
    for i, pk in enumerate(pks):
        position = (i + 1) * POSITION_GAP
        if pk is None:
            placed = position
        else:
            renumbered.append(Task(pk=pk, position=position))
    Task.objects.bulk_update(renumbered, ["position"])
    return placed


def _bottom_of_column(project_id: int, status: str, pk: int | None) -> int:
    """A position below every other task of the column. Call under the project's lock."""
    column = Task.objects.filter(project_id=project_id, status=status)
    if pk is not None:
        column = column.exclude(pk=pk)
    last = column.aggregate(last=Max("position"))["last"]
    if last is None:
        return POSITION_GAP
    if last + POSITION_GAP <= POSITION_MAX:
        return last + POSITION_GAP
    return _position_at_index(project_id, status, len(_column(project_id, status, pk)), pk)


def _position_at_index(project_id: int, status: str, index: int | None, pk: int | None) -> int:
    """
    The position that puts task ``pk`` at ``index`` of a column (0 = top, None = bottom),
    renumbering the column when its neighbours leave no room. Call under the project's lock.
    """
    if index is None:
        return _bottom_of_column(project_id, status, pk)
    column = _column(project_id, status, pk)
    index = max(0, min(index, len(column)))
    before = column[index - 1][1] if index > 0 else None
    after = column[index][1] if index < len(column) else None
    if before is None and after is None:
        return POSITION_GAP
    if before is None and after - POSITION_GAP >= -POSITION_MAX:
        return after - POSITION_GAP
    if after is None and before + POSITION_GAP <= POSITION_MAX:
        return before + POSITION_GAP
    if before is not None and after is not None and after - before > 1:
        return (before + after) // 2
    pks: list[int | None] = [row_pk for row_pk, _ in column]
    pks.insert(index, None)
    return _renumber(pks)


def _position_at(project_id: int, status: str, position: int, pk: int) -> int:
    """
    Put task ``pk`` at the requested ``position`` (the API's raw sort key). A free value is
    taken as it is; on a clash the task goes before the task holding it, which moves down by
    one together with any neighbours it would then meet, so positions stay distinct and the
    rest of the column keeps its order. Call under the project's lock.
    """
    column = _column(project_id, status, pk)
    following = [(row_pk, row_pos) for row_pk, row_pos in column if row_pos >= position]
    if not following or following[0][1] != position:
        return position
    shifted = []
    wanted = position + 1
    for row_pk, row_pos in following:
        if row_pos >= wanted:
            break
        shifted.append(Task(pk=row_pk, position=wanted))
        wanted += 1
    if wanted - 1 > POSITION_MAX:
        # No room above: space the whole column out, keeping the requested place in it.
        pks: list[int | None] = [row_pk for row_pk, _ in column]
        pks.insert(len(column) - len(following), None)
        return _renumber(pks)
    Task.objects.bulk_update(shifted, ["position"])
    return position


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
    if field == "parent":
        return {"id": value.pk, "title": value.title}
    if field == "tags":
        return sorted((tag.name for tag in value), key=str.lower)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _validate_assignee(project: Project, assignee: User | None) -> None:
    """Asked under the project's lock, which ``member_remove`` takes too."""
    if (
        assignee is not None
        and not Membership.objects.filter(project=project, user=assignee).exists()
    ):
        raise ValidationError({"assignee": f"{assignee.name} is not a member of “{project.name}”."})


def _validate_tags(project: Project, tags: Iterable[Tag]) -> list[Tag]:
    """Tags of ``project`` that still exist (asked under the project's lock)."""
    tags = list(tags)
    foreign = [tag.name for tag in tags if tag.project_id != project.pk]
    if foreign:
        raise ValidationError(
            {"tags": f"Tags from another project cannot be used: {', '.join(foreign)}."}
        )
    existing = set(Tag.objects.filter(pk__in=[t.pk for t in tags]).values_list("pk", flat=True))
    gone = [tag.name for tag in tags if tag.pk not in existing]
    if gone:
        raise Conflict(f"These tags were deleted meanwhile: {', '.join(gone)}.")
    return tags


def _subtree_height(pk: int) -> int:
    """Levels in the subtree under task ``pk``, itself included (1: it has no subtasks)."""
    height, level = 1, [pk]
    while level and height <= Task.MAX_DEPTH:
        level = list(Task.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        if level:
            height += 1
    return height


def _descendants(pk: int) -> list[int]:
    """Ids of every task under task ``pk`` (subtasks, theirs...), top down."""
    found, level = [], [pk]
    while level:
        level = list(Task.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        found += level
    return found


def _validate_parent(project: Project, parent: Task | None, pk: int | None) -> Task | None:
    """
    The parent for task ``pk`` (None when new) in ``project``, asked under the project's
    lock: a task of the same project that still exists, not the task itself nor one of its
    subtasks, and no more than ``Task.MAX_DEPTH`` levels from the top task to the deepest.
    """
    if parent is None:
        return None
    current = Task.objects.filter(pk=parent.pk).first()
    if current is None:
        raise ValidationError({"parent": "This task no longer exists."})
    if current.project_id != project.pk:
        raise ValidationError({"parent": "A subtask must be in the same project as its parent."})
    depth, ancestor = 1, current
    while ancestor is not None:
        if pk is not None and ancestor.pk == pk:
            raise ValidationError(
                {"parent": "A task cannot be a subtask of itself or its subtasks."}
            )
        ancestor = (
            Task.objects.filter(pk=ancestor.parent_id).first() if ancestor.parent_id else None
        )
        depth += 1 if ancestor is not None else 0
    height = _subtree_height(pk) if pk is not None else 1
    if depth + height > Task.MAX_DEPTH:
        raise ValidationError(
            {
                "parent": f"Subtasks nest at most {Task.MAX_DEPTH} levels deep "
                "(a task, its subtask and a sub-subtask)."
            }
        )
    return current


def _zone_of(user: User | None) -> str:
    zone = getattr(user, "time_zone", "") or "UTC"
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return zone


def due_instant(
    due_date: datetime.date | None, due_time: datetime.time | None, zone: str
) -> datetime.datetime | None:
    """A timed task's instant in UTC: its date and time read in ``zone``; untimed: None."""
    if due_date is None or due_time is None:
        return None
    local = datetime.datetime.combine(due_date, due_time, tzinfo=zoneinfo.ZoneInfo(zone or "UTC"))
    return local.astimezone(datetime.UTC)


def _set_due(task: Task, due_date, due_time, zone: str) -> None:
    """Set the due date and time as given in ``zone`` and the instant they make."""
    task.due_date = due_date
    task.due_time = due_time
    task.due_at = due_instant(due_date, due_time, zone)
    task.due_time_zone = zone if task.due_at is not None else ""


def _due_fields(current: Task, fields: dict, by: User) -> None:
    """
    Turn the ``due_date``/``due_time`` asked for into what is stored. They are read in the
    actor's zone; for a timed task, the half not given is the task's own as the actor sees
    it, and a date and time that name the instant it already has are no change (so an edit
    from another zone does not move it). Removing the date removes the time.
    """
    if "due_date" not in fields and "due_time" not in fields:
        return
    zone = _zone_of(by)
    local = timezone.localtime(current.due_at, zoneinfo.ZoneInfo(zone)) if current.due_at else None
    if "due_date" in fields:
        due_date = fields["due_date"]
    else:
        due_date = local.date() if local else current.due_date
    if "due_time" in fields:
        due_time = fields["due_time"]
    elif due_date is None:
        due_time = None
    else:
        due_time = local.time() if local else current.due_time
    if due_time is not None:
        due_time = due_time.replace(second=0, microsecond=0, tzinfo=None)
    instant = due_instant(due_date, due_time, zone)
    if instant is not None and instant == current.due_at:
        fields.pop("due_date", None)
        fields.pop("due_time", None)
        return
    fields["due_date"], fields["due_time"] = due_date, due_time
    fields["due_at"] = instant
    fields["due_time_zone"] = zone if instant is not None else ""


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
    due_time: datetime.time | None = None,
    recurrence: str = "",
    recurrence_mode: str = rrules.Mode.FROM_DUE,
    assignee: User | None = None,
    tags: Iterable[Tag] = (),
    parent: Task | None = None,
    as_staff: bool = False,
) -> Task:
    """
    Create a task at the bottom of its board column (editors and owners). A due date and
    time are read in ``by``'s time zone. A ``parent`` makes it a subtask (``_validate_parent``).
    """
    current = _lock_project(project.pk, by)
    require_writable(current, by, as_staff=as_staff)
    now = timezone.now()
    task = Task(
        project=current,
        title=title,
        description=description,
        status=status,
        priority=priority,
        recurrence=rrules.normalize(recurrence),
        recurrence_mode=recurrence_mode or rrules.Mode.FROM_DUE,
        assignee=assignee,
        created_by=by,
        created_at=now,
        updated_at=now,
        completed_at=now if status == Status.DONE else None,
    )
    if due_time is not None:
        due_time = due_time.replace(second=0, microsecond=0, tzinfo=None)
    _set_due(task, due_date, due_time, _zone_of(by))
    _clean_task(task)
    _validate_assignee(current, assignee)
    tags = _validate_tags(current, tags)
    task.parent = _validate_parent(current, parent, None)
    task.position = _bottom_of_column(current.pk, task.status, None)
    task.save()
    if tags:
        task.tags.set(tags)
    Activity.objects.create(
        project=current, task=task, task_title=task.title, actor=by, verb=Activity.Verb.CREATED
    )
    return task


def _lock_task(
    task: Task,
    by: User,
    expected_version: int | None,
    *,
    as_staff: bool,
    target: Project | None = None,
) -> tuple[Task, Project | None]:
    """
    Lock the task's project (and ``target``, when moving it to another project: both in id
    order, so two opposite moves cannot deadlock), check ``by`` may write in them, then
    re-read the task under a row lock and refuse if the caller's version is old.
    """
    project_id = Task.objects.filter(pk=task.pk).values_list("project_id", flat=True).first()
    if project_id is None:
        raise Http404("This task no longer exists.")
    locked = {
        pk: _lock_project(pk, by) for pk in sorted({project_id, getattr(target, "pk", project_id)})
    }
    for project in locked.values():
        require_writable(project, by, as_staff=as_staff)
    try:
        current = Task.objects.select_for_update(of=("self",)).select_related("assignee")
        current = current.get(pk=task.pk)
    except Task.DoesNotExist:
        raise Http404("This task no longer exists.") from None
    if current.project_id != project_id:
        raise Conflict("This task was moved to another project meanwhile; reload it.")
    current.project = locked[project_id]
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current)
    return current, (locked[target.pk] if target is not None else None)


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
    *,
    task: Task,
    by: User,
    title: str | Unchanged = UNCHANGED,
    description: str | Unchanged = UNCHANGED,
    status: Status | str | Unchanged = UNCHANGED,
    priority: Priority | str | Unchanged = UNCHANGED,
    due_date: datetime.date | None | Unchanged = UNCHANGED,
    due_time: datetime.time | None | Unchanged = UNCHANGED,
    recurrence: str | Unchanged = UNCHANGED,
    recurrence_mode: str | Unchanged = UNCHANGED,
    assignee: User | None | Unchanged = UNCHANGED,
    tags: Iterable[Tag] | Unchanged = UNCHANGED,
    project: Project | Unchanged = UNCHANGED,
    position: int | Unchanged = UNCHANGED,
    parent: Task | None | Unchanged = UNCHANGED,
    expected_version: int | None = None,
    as_staff: bool = False,
) -> Task:
    """
    Change any of a task's fields (editors and owners; moving to another project needs that
    role there too), bump its version by one and record what changed.

    ``expected_version`` (from ``If-Match`` or the edit form) makes the write conditional.
    Moving to another project keeps tags whose names exist there and drops the rest, and
    unassigns an assignee who is not a member of the new project; the activity says so.
    ``position`` is the board's sort key (see ``_position_at``); a task that changes column
    without one goes to the bottom. A change that changes nothing writes nothing.

    Due date and time are read in ``by``'s time zone (see ``_due_fields``). Completing a
    repeating task creates its next occurrence in the same transaction, once
    (``_create_next_occurrence``).

    ``parent`` (a task or None) is checked by ``_validate_parent``. Moving a task to another
    project moves its subtasks with it, each with its own Activity row (``_move_subtree``);
    a subtask moves alone only when its parent is cleared (or set anew) in the same call.
    Completing a parent does not touch its subtasks.
    """
    fields = _given(
        title=title,
        description=description,
        status=status,
        priority=priority,
        due_date=due_date,
        due_time=due_time,
        recurrence=recurrence,
        recurrence_mode=recurrence_mode,
        assignee=assignee,
        project=project,
        position=position,
        parent=parent,
    )
    # Cleaned as the fields will store them, so invisible characters alone are no change.
    if "title" in fields:
        fields["title"] = clean_single_line(fields["title"] or "")
    if "description" in fields:
        fields["description"] = clean_multiline(fields["description"] or "")
    if "recurrence" in fields:
        fields["recurrence"] = rrules.normalize(fields["recurrence"])
    new_tags = None if tags is UNCHANGED else tags
    target = fields.pop("project", None)
    parent_given = "parent" in fields
    new_parent = fields.pop("parent", None)
    current, new_project = _lock_task(task, by, expected_version, as_staff=as_staff, target=target)
    old_project = current.project
    old_tags = list(current.tags.order_by(Lower("name")))
    changes: dict[str, list] = {}

    if new_project is not None and new_project.pk != current.project_id:
        changes["project"] = [
            _display("project", current.project),
            _display("project", new_project),
        ]
        if new_tags is None:
            # Tag names are unique ignoring case, so "bug" here is "BUG" there.
            by_name = {
                tag.name.lower(): tag
                for tag in Tag.objects.alias(lower_name=Lower("name")).filter(
                    project=new_project, lower_name__in=[t.name.lower() for t in old_tags]
                )
            }
            new_tags = [by_name[t.name.lower()] for t in old_tags if t.name.lower() in by_name]
        if "assignee" not in fields and current.assignee is not None:
            is_member = Membership.objects.filter(
                project=new_project, user=current.assignee
            ).exists()
            if not is_member:
                fields["assignee"] = None
        current.project = new_project

    requested_position = fields.pop("position", None)
    _due_fields(current, fields, by)
    old_due_at, old_zone = current.due_at, current.due_time_zone
    for name in ("due_at", "due_time_zone"):
        # Follow the due date and time; recorded through them.
        if name in fields:
            setattr(current, name, fields.pop(name))
    for name, value in fields.items():
        old_value = getattr(current, name)
        if old_value != value:
            changes[name] = [_display(name, old_value), _display(name, value)]
            setattr(current, name, value)
    if current.due_at != old_due_at and not {"due_date", "due_time"} & changes.keys():
        # The same date and time read in another zone: a different instant.
        changes["due_time_zone"] = [old_zone, current.due_time_zone]

    if parent_given:
        new_parent = _validate_parent(current.project, new_parent, current.pk)
        if getattr(new_parent, "pk", None) != current.parent_id:
            changes["parent"] = [_display("parent", current.parent), _display("parent", new_parent)]
            current.parent = new_parent
    elif "project" in changes and current.parent_id is not None:
        raise ValidationError(
            {"parent": "A subtask moves with its parent: clear its parent to move it alone."}
        )

    _clean_task(current)
    _validate_assignee(current.project, current.assignee)
    if new_tags is not None:
        new_tags = _validate_tags(current.project, new_tags)
        if {t.pk for t in new_tags} != {t.pk for t in old_tags}:
            changes["tags"] = [_display("tags", old_tags), _display("tags", new_tags)]

    new_column = "status" in changes or "project" in changes
    if requested_position is not None and (new_column or requested_position != current.position):
        place = _position_at(current.project_id, current.status, requested_position, current.pk)
        if place != current.position:
            changes["position"] = [current.position, place]
            current.position = place
    elif new_column:
        # A task that lands in another column goes to its bottom.
        current.position = _bottom_of_column(current.project_id, current.status, current.pk)

    if not changes:
        return current

    if "status" in changes:
        current.completed_at = timezone.now() if current.status == Status.DONE else None
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
    if "project" in changes:
        _move_subtree(current, old_project, by)
    if "status" in changes and current.status == Status.DONE:
        following = _create_next_occurrence(
            current, by, new_tags if new_tags is not None else old_tags
        )
        if following is not None:
            changes["next_occurrence"] = {
                "id": following.pk,
                "due_date": _display("due_date", following.due_date),
            }
    Activity.objects.create(
        project=current.project,
        task=current,
        task_title=current.title,
        actor=by,
        verb=_verb_for(changes),
        changes=changes,
    )
    return current


def _move_subtree(task: Task, old_project: Project, by: User) -> None:
    """
    Move the subtasks of ``task`` (just moved, both projects locked) into its new project, as
    ``task_update`` moves one task: tags kept by name, assignees who are not members there
    unassigned, each at the bottom of its column, one MOVED Activity row per subtask.
    """
    pks = _descendants(task.pk)
    if not pks:
        return
    project = task.project
    members = set(Membership.objects.filter(project=project).values_list("user_id", flat=True))
    tags_here = {
        tag.name.lower(): tag for tag in Tag.objects.filter(project=project).order_by("pk")
    }
    now = timezone.now()
    rows = Task.objects.select_for_update(of=("self",)).select_related("assignee")
    for sub in rows.filter(pk__in=pks).prefetch_related("tags").order_by("pk"):
        changes: dict[str, list] = {
            "project": [_display("project", old_project), _display("project", project)]
        }
        old_tags = sorted(sub.tags.all(), key=lambda t: t.name.lower())
        kept = [tags_here[t.name.lower()] for t in old_tags if t.name.lower() in tags_here]
        if {t.pk for t in kept} != {t.pk for t in old_tags}:
            changes["tags"] = [_display("tags", old_tags), _display("tags", kept)]
        if sub.assignee_id is not None and sub.assignee_id not in members:
            changes["assignee"] = [_display("assignee", sub.assignee), None]
            sub.assignee = None
        sub.project = project
        sub.position = _bottom_of_column(project.pk, sub.status, sub.pk)
        sub.updated_at = now
        sub.version += 1
        sub.save(update_fields=["project", "assignee", "position", "updated_at", "version"])
        sub.tags.set(kept)
        Activity.objects.create(
            project=project,
            task=sub,
            task_title=sub.title,
            actor=by,
            verb=Activity.Verb.MOVED,
            changes=changes,
        )


def _create_next_occurrence(task: Task, by: User, tags: Iterable[Tag]) -> Task | None:
    """
    The next occurrence of a repeating task just completed (called under its row lock):
    the same title, description, priority, tags, assignee, project and rule, to do, due on
    the rule's next date after the due date (``from_due``) or after the completion date in
    the completer's zone (``from_completion``), at the same time of day in the same zone.
    None when the task does not repeat, the rule is exhausted, or the task already has a
    next occurrence (completed before, then reopened): ``previous_occurrence`` is one-to-one.
    """
    if not task.recurrence or task.due_date is None:
        return None
    if Task.objects.filter(previous_occurrence=task).exists():
        return None
    completed_on = None
    if task.recurrence_mode == rrules.Mode.FROM_COMPLETION:
        moment = task.completed_at or timezone.now()
        completed_on = timezone.localtime(moment, zoneinfo.ZoneInfo(_zone_of(by))).date()
    try:
        following = rrules.next_occurrence(
            task.recurrence, due_date=task.due_date, completed_on=completed_on
        )
    except (ValueError, TypeError):
        return None
    if following is None:
        return None
    due_date, rule = following
    now = timezone.now()
    zone = task.due_time_zone or _zone_of(by)
    nxt = Task(
        project=task.project,
        title=task.title,
        description=task.description,
        status=Status.TODO,
        priority=task.priority,
        recurrence=rule,
        recurrence_mode=task.recurrence_mode,
        assignee=task.assignee,
        created_by=by,
        created_at=now,
        updated_at=now,
        previous_occurrence=task,
    )
    _set_due(nxt, due_date, task.due_time, zone)
    nxt.position = _bottom_of_column(task.project_id, Status.TODO, None)
    nxt.save()
    tags = list(tags)
    if tags:
        nxt.tags.set(tags)
    copied = _copy_subtasks(task, nxt, by, now)
    Activity.objects.create(
        project=task.project,
        task=nxt,
        task_title=nxt.title,
        actor=by,
        verb=Activity.Verb.CREATED,
        changes={
            "previous_occurrence": {"id": task.pk, "due_date": _display("due_date", task.due_date)},
            **({"subtasks_reopened": copied} if copied else {}),
        },
    )
    return nxt


def _copy_subtasks(source: Task, copy: Task, by: User, now: datetime.datetime) -> int:
    """
    The subtasks of ``source`` (and theirs) again under ``copy``, reopened: the same title,
    description, priority, assignee and tags, to do, without due dates or rules of their own.
    Returns how many were made.
    """
    made = 0
    for sub in source.subtasks.order_by("pk").prefetch_related("tags"):
        again = Task.objects.create(
            project_id=copy.project_id,
            parent=copy,
            title=sub.title,
            description=sub.description,
            priority=sub.priority,
            assignee_id=sub.assignee_id,
            created_by=by,
            created_at=now,
            updated_at=now,
            position=_bottom_of_column(copy.project_id, Status.TODO, None),
        )
        again.tags.set(sub.tags.all())
        made += 1 + _copy_subtasks(sub, again, by, now)
    return made


def task_complete(
    *, task: Task, by: User, expected_version: int | None = None, as_staff: bool = False
) -> Task:
    return task_update(
        task=task, by=by, expected_version=expected_version, status=Status.DONE, as_staff=as_staff
    )


def task_reopen(
    *, task: Task, by: User, expected_version: int | None = None, as_staff: bool = False
) -> Task:
    return task_update(
        task=task, by=by, expected_version=expected_version, status=Status.TODO, as_staff=as_staff
    )


@transaction.atomic
def task_move(
    *,
    task: Task,
    by: User,
    status: Status | str,
    index: int | None = None,
    expected_version: int | None = None,
    as_staff: bool = False,
) -> Task:
    """
    Put a task into a board column at ``index`` (0 = top; None = bottom).

    Positions are spaced ``POSITION_GAP`` apart, so a move usually writes only the moved
    task; when two neighbours have no room between them the column is renumbered.
    """
    status = Status(status)
    current, _ = _lock_task(task, by, expected_version, as_staff=as_staff)
    position = _position_at_index(current.project_id, status, index, current.pk)
    return task_update(
        task=current,
        by=by,
        expected_version=expected_version,
        status=status,
        position=position,
        as_staff=as_staff,
    )


@transaction.atomic
def task_delete(
    *, task: Task, by: User, expected_version: int | None = None, as_staff: bool = False
) -> None:
    """Delete a task; its activity stays in the project's history (editors and owners)."""
    current, _ = _lock_task(task, by, expected_version, as_staff=as_staff)
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
    body = clean_multiline(body or "")
    if not body:
        raise ValidationError({"body": "Write something first."})
    return body


def _lock_comment(comment: Comment, by: User, *, as_staff: bool, deleting: bool = False) -> Comment:
    """The comment under lock, if ``by`` may change it (``Comment.require_changeable_by``)."""
    project_id = (
        Comment.objects.filter(pk=comment.pk).values_list("task__project_id", flat=True).first()
    )
    if project_id is None:
        raise Http404("This comment no longer exists.")
    project = _lock_project(project_id, by)
    try:
        current = (
            Comment.objects.select_for_update(of=("self",))
            .select_related("task")
            .get(pk=comment.pk)
        )
    except Comment.DoesNotExist:
        raise Http404("This comment no longer exists.") from None
    if current.task.project_id != project_id:
        raise Conflict("This comment's task was moved to another project meanwhile; reload it.")
    current.task.project = project
    current.require_changeable_by(by, as_staff=as_staff, deleting=deleting)
    return current


@transaction.atomic
def comment_add(*, task: Task, by: User, body: str, as_staff: bool = False) -> Comment:
    """Comment on a task (editors and owners)."""
    current, _ = _lock_task(task, by, None, as_staff=as_staff)
    comment = Comment.objects.create(task=current, author=by, body=_clean_body(body))
    _comment_activity(comment, by, Activity.Verb.COMMENTED)
    return comment


@transaction.atomic
def comment_edit(*, comment: Comment, by: User, body: str, as_staff: bool = False) -> Comment:
    """Change the text of a comment (its author, while an editor or owner)."""
    current = _lock_comment(comment, by, as_staff=as_staff)
    body = _clean_body(body)
    if body == current.body:
        return current
    current.body = body
    current.edited_at = timezone.now()
    current.save(update_fields=["body", "edited_at"])
    _comment_activity(current, by, Activity.Verb.COMMENT_EDITED)
    return current


@transaction.atomic
def comment_delete(*, comment: Comment, by: User, as_staff: bool = False) -> None:
    """Delete a comment (its author, while an editor or owner; staff moderating in the admin)."""
    current = _lock_comment(comment, by, as_staff=as_staff, deleting=True)
    _comment_activity(current, by, Activity.Verb.COMMENT_DELETED)
    current.delete()
