"""
The consumer of ``tasks.Activity`` rows: who hears about what (DESIGN §8).

``handle_activity`` is called once per committed Activity row, inside a transaction. It
records the row in ``HandledActivity`` first, so a row handed over twice notifies nobody
twice. The work for one row takes a fixed number of queries however many people follow the
task: followers, mentioned people and settings are each read in one query and the rows
written with ``bulk_create``.

Rules: nobody hears of their own action; nobody hears about a task they cannot see now (a
member of its project, which is what ``Task.objects.visible_to`` means); a mention of someone
outside the project notifies nobody and follows nothing; one entry per person per row, of
the strongest kind that applies.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from notifications.models import (
    Delivery,
    Follow,
    HandledActivity,
    Kind,
    Notification,
    NotificationSettings,
)
from notifications.services import add_default_reminder, recompute_reminders
from tasks.models import Activity, Comment, Invitation, Membership, Role, Status, Task
from tasks.services import hold

#: ``@username`` not preceded by a word character (so an e-mail address is no mention).
MENTION = re.compile(r"(?<![\w.+@-])@([\w.+-]+)")
#: When one row concerns someone in several ways, the first kind here wins.
STRENGTH = [
    Kind.ASSIGNED,
    Kind.MENTIONED,
    Kind.COMPLETED,
    Kind.STATUS_CHANGED,
    Kind.DUE_CHANGED,
    Kind.COMMENTED,
    Kind.MEMBER_ADDED,
    Kind.ROLE_CHANGED,
    Kind.INVITED,
    Kind.REMINDER,
]
EXCERPT_LENGTH = 200
INVITED = "invited"


def mentioned_names(text: str) -> set[str]:
    """The usernames ``@``-mentioned in ``text``, in lower case."""
    return {match.rstrip(".+-").lower() for match in MENTION.findall(text or "")} - {""}


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@dataclasses.dataclass
class Entry:
    kind: str
    summary: str
    data: dict[str, Any]


class Fanout:
    """The notifications and follows one Activity row produces, collected then written."""

    def __init__(self, activity: Activity, task: Task | None) -> None:
        self.activity = activity
        self.task = task
        self.actor_name = activity.actor.name if activity.actor else "Someone"
        self.entries: dict[int, Entry] = {}
        self.users: dict[int, User] = {}
        self.follows: dict[int, str] = {}

    def add(self, user: User | None, kind: str, summary: str, data: dict | None = None) -> None:
        if user is None or user.pk == self.activity.actor_id or not user.is_active:
            return
        current = self.entries.get(user.pk)
        if current is None or STRENGTH.index(kind) < STRENGTH.index(current.kind):
            self.entries[user.pk] = Entry(kind, summary, data or {})
            self.users[user.pk] = user

    def follow(self, user: User | None, reason: str) -> None:
        if user is not None:
            self.follows.setdefault(user.pk, reason)

    def write(self, allowed: set[int]) -> None:
        """Write the follows and notifications of the people in ``allowed`` (they can see it)."""
        task = self.task
        if task is not None and self.follows:
            Follow.objects.bulk_create(
                [
                    Follow(task=task, user_id=pk, reason=reason)
                    for pk, reason in self.follows.items()
                    if pk in allowed
                ],
                ignore_conflicts=True,
            )
        people = [self.users[pk] for pk in self.entries if pk in allowed]
        if not people:
            return
        notify(
            [(user, self.entries[user.pk]) for user in people],
            project_id=task.project_id if task else self.activity.project_id,
            task=task,
            actor_id=self.activity.actor_id,
            activity=self.activity,
        )


def notify(
    entries: list[tuple[User, Entry]],
    *,
    project_id: int | None,
    task: Task | None,
    actor_id: int | None,
    activity: Activity | None = None,
) -> list[Notification]:
    """Create one notification per (person, entry), with each person's e-mail choice."""
    rows = [
        Notification(
            recipient=user,
            kind=entry.kind,
            project_id=project_id,
            task=task,
            actor_id=actor_id,
            activity=activity,
            summary=entry.summary[:300],
            data=entry.data,
        )
        for user, entry in entries
    ]
    return save_notifications(rows)


def save_notifications(rows: list[Notification]) -> list[Notification]:
    """
    Set each row's e-mail delivery from its recipient's settings (off for someone Taskdesk
    may not write to) and create them all: two or three queries for any number of rows.
    """
    if not rows:
        return []
    users = list({row.recipient.pk: row.recipient for row in rows}.values())
    chosen = {s.user_id: s for s in NotificationSettings.objects.filter(user__in=users)}
    mailable = mailable_ids(users)
    for row in rows:
        delivery = Delivery.OFF
        if row.recipient.pk in mailable:
            own = chosen.get(row.recipient.pk) or NotificationSettings(user=row.recipient)
            delivery = own.delivery(row.kind)
        row.email_delivery = delivery
        row.email_state = (
            Notification.EmailState.NONE
            if delivery == Delivery.OFF
            else Notification.EmailState.PENDING
        )
    return Notification.objects.bulk_create(rows)


def mailable_ids(users: list[User]) -> set[int]:
    """``User.can_receive_mail`` for many people in at most one query."""
    with_address = [user for user in users if user.email]
    if settings.ACCOUNT_EMAIL_VERIFICATION != "mandatory" or not with_address:
        return {user.pk for user in with_address}
    from allauth.account.models import EmailAddress

    confirmed = EmailAddress.objects.filter(
        user__in=with_address, primary=True, verified=True
    ).values_list("user_id", "email")
    addresses = {user.pk: user.email.lower() for user in with_address}
    return {pk for pk, email in confirmed if addresses.get(pk) == email.lower()}


@transaction.atomic
def handle_activity(activity: Activity) -> None:
    """Turn one Activity row into notifications, follows and reminder changes, once."""
    # What the rows below point at stays until this transaction ends (tasks.services.hold).
    projects, _ = hold(projects=[activity.project_id], tasks=[activity.task_id])
    if activity.project_id not in projects:
        return  # deleted with its project since: nobody can see it any more
    try:
        with transaction.atomic():
            HandledActivity.objects.create(activity=activity)
    except IntegrityError:
        return  # handled before
    if activity.verb in (Activity.Verb.MEMBER_ADDED, Activity.Verb.MEMBER_ROLE_CHANGED):
        _membership(activity)
    elif activity.verb == INVITED:
        _invited(activity)
    elif activity.task_id is not None:
        _task_activity(activity)


def _load_task(task_id: int) -> Task | None:
    return Task.objects.select_related("project", "assignee").filter(pk=task_id).first()


def _task_activity(activity: Activity) -> None:
    task = _load_task(activity.task_id)
    if task is None:
        return  # deleted meanwhile: nothing left to look at
    out = Fanout(activity, task)
    title = f"“{task.title}”"
    changes = activity.changes or {}
    verb = activity.verb
    mentions: set[str] = set()
    mention_data: dict[str, Any] = {}
    mention_where = "the description of"
    new_assignee = False
    comment = None

    if verb == Activity.Verb.CREATED:
        out.follow(activity.actor, Follow.Reason.CREATED)
        description, assignee_at_creation = _as_created(activity, task)
        mentions = mentioned_names(description)
        new_assignee = assignee_at_creation
    if "assignee" in changes:
        new_assignee = task.assignee is not None and changes["assignee"][1] is not None
    if "description" in changes:
        old, new = changes["description"]
        mentions = mentioned_names(new) - mentioned_names(old)
    if verb in (Activity.Verb.COMMENTED, Activity.Verb.COMMENT_EDITED):
        comment = (
            Comment.objects.filter(pk=changes.get("comment"), task=task)
            .only("pk", "body", "task_id")
            .first()
        )
        if comment is None:
            return  # deleted meanwhile
        mentions = mentioned_names(comment.body)
        mention_where = "a comment on"
        mention_data = {"comment": comment.pk, "excerpt": excerpt(comment.body)}
        if verb == Activity.Verb.COMMENTED:
            out.follow(activity.actor, Follow.Reason.COMMENTED)

    # One query: the people this row names (actor, assignee, mentioned) and the followers who are
    # members of the task's project now; anyone else cannot see the task.
    follower_ids = list(Follow.objects.filter(task=task).values_list("user_id", flat=True))
    named = Q(user_id__in=follower_ids)
    if activity.actor_id:
        named |= Q(user_id=activity.actor_id)
    if task.assignee_id:
        named |= Q(user_id=task.assignee_id)
    if mentions:
        named |= Q(lower_username__in=sorted(mentions))
    members = {
        m.user_id: m.user
        for m in Membership.objects.filter(project_id=task.project_id)
        .alias(lower_username=Lower("user__username"))
        .filter(named)
        .select_related("user")
    }
    allowed = set(members)

    if new_assignee and task.assignee_id in members:
        assignee = members[task.assignee_id]
        out.follow(assignee, Follow.Reason.ASSIGNED)
        out.add(assignee, Kind.ASSIGNED, f"{out.actor_name} assigned you {title}")
        settings_row = NotificationSettings.objects.filter(user=assignee).first()
        if settings_row is not None:
            add_default_reminder(task, assignee, settings_row.default_reminder_minutes)

    mentioned = [user for user in members.values() if user.username.lower() in mentions]
    if mentioned and verb == Activity.Verb.COMMENT_EDITED:
        # Only mentions added by this edit: those named before have heard of it already.
        told = set(
            Notification.objects.filter(
                kind=Kind.MENTIONED, task=task, data__comment=comment.pk, recipient__in=mentioned
            ).values_list("recipient_id", flat=True)
        )
        mentioned = [user for user in mentioned if user.pk not in told]
    for user in mentioned:
        out.follow(user, Follow.Reason.MENTIONED)
        out.add(
            user,
            Kind.MENTIONED,
            f"{out.actor_name} mentioned you in {mention_where} {title}",
            mention_data,
        )

    followers = [members[pk] for pk in follower_ids if pk in members]
    if verb == Activity.Verb.COMMENTED:
        for user in followers:
            out.add(user, Kind.COMMENTED, f"{out.actor_name} commented on {title}", mention_data)
    if "status" in changes:
        old, new = changes["status"]
        if new == Status.DONE:
            kind, summary = Kind.COMPLETED, f"{out.actor_name} completed {title}"
        else:
            label = Status(new).label if new in Status.values else new
            kind = Kind.STATUS_CHANGED
            summary = f"{out.actor_name} moved {title} to {label}"
        for user in followers:
            out.add(user, kind, summary, {"status": [old, new]})
    due_changes = {k: changes[k] for k in ("due_date", "due_time") if k in changes}
    if due_changes:
        recompute_reminders(task)
        new_date = changes.get("due_date", [None, task.due_date and task.due_date.isoformat()])[1]
        summary = (
            f"{out.actor_name} changed the due date of {title} to {new_date}"
            if new_date
            else f"{out.actor_name} removed the due date of {title}"
        )
        for user in followers:
            out.add(user, Kind.DUE_CHANGED, summary, due_changes)
    out.write(allowed)


def _as_created(activity: Activity, task: Task) -> tuple[str, bool]:
    """
    The description and whether the task had its current assignee when it was created: the
    row says nothing of them and the task may have changed since (later rows say how).
    """
    description, same_assignee = task.description, task.assignee_id is not None
    later = (
        Activity.objects.filter(task=task, pk__gt=activity.pk)
        .filter(Q(changes__has_key="assignee") | Q(changes__has_key="description"))
        .order_by("pk")
        .values_list("changes", flat=True)
    )
    seen = set()
    for changes in later:
        if "description" in changes and "description" not in seen:
            description = changes["description"][0] or ""
        if "assignee" in changes and "assignee" not in seen:
            same_assignee = False  # it was someone else's (or no one's) then
        seen.update(changes)
    return description, same_assignee


def _membership(activity: Activity) -> None:
    changes = activity.changes or {}
    membership = (
        Membership.objects.filter(
            project_id=activity.project_id, user__username=changes.get("member")
        )
        .select_related("user", "project")
        .first()
    )
    if membership is None:
        return  # left or removed meanwhile
    out = Fanout(activity, None)
    project = membership.project
    data = {"role": changes.get("role")}
    new_role = (changes.get("role") or [None, membership.role])[1]
    role = Role(new_role).label.lower() if new_role in Role.values else new_role
    if activity.verb == Activity.Verb.MEMBER_ADDED:
        accepted = Invitation.objects.filter(
            project=project,
            invitee=membership.user,
            status=Invitation.Status.ACCEPTED,
            responded_at__gte=activity.created_at - datetime.timedelta(minutes=1),
        ).exists()
        if accepted:
            return  # they joined by accepting an invitation: they know
        out.add(
            membership.user,
            Kind.MEMBER_ADDED,
            f"{out.actor_name} added you to “{project.name}” as {role}",
            data,
        )
    else:
        out.add(
            membership.user,
            Kind.ROLE_CHANGED,
            f"{out.actor_name} made you {role} in “{project.name}”",
            data,
        )
    out.write({membership.user_id})


def _invited(activity: Activity) -> None:
    invitation_id = (activity.changes or {}).get("invitation")
    invitation = (
        Invitation.objects.open()
        .filter(pk=invitation_id)
        .select_related("invitee", "project")
        .first()
    )
    if invitation is None:
        return  # answered or cancelled meanwhile
    if invitation.invitee is None:
        # An address without an account: only an e-mail can reach it.
        from notifications import mail

        mail.enqueue_invitation_email(invitation.pk)
        return
    out = Fanout(activity, None)
    role = Role(invitation.role).label.lower()
    out.add(
        invitation.invitee,
        Kind.INVITED,
        f"{out.actor_name} invited you to “{invitation.project.name}” as {role}",
        {"invitation": invitation.pk, "role": invitation.role},
    )
    out.write({invitation.invitee_id})
