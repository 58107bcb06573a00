"""
Projects, memberships, tasks, tags, comments and activity.

Access is decided here and nowhere else: ``Project.objects.visible_to(user)``,
``Task.objects.visible_to(user)`` (and ``editable_by`` where writing differs) scope every
lookup, and ``require_role`` is the one role check that pages, API and forms share.
State changes that span rows live in ``tasks.services``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Cast, Coalesce, Lower
from django.urls import reverse
from django.utils import timezone

from accounts.models import READ_ONLY_TOKEN, token_scope
from project.text import MultiLineTextField, SingleLineCharField
from tasks import recurrence as rrules

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, for example #3b82f6."
)


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    OWNER = "owner", "Owner"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]

    def allows(self, needed: Role | str) -> bool:
        """Whether this role includes everything ``needed`` may do."""
        return ROLE_RANK[self] >= ROLE_RANK[Role(needed)]


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


def roles_allowing(needed: Role | str) -> list[Role]:
    """The roles that include ``needed``: what the scoped querysets filter on."""
    return [role for role in Role if role.allows(needed)]


def require_token_allows(user, project: Project | None = None, *, write: bool) -> None:
    """
    The limits of the API token ``user`` came in with (none for a session): a read-only token
    never writes, a token limited to some projects reaches no other (nor creates projects).
    """
    scope = token_scope(user)
    if scope is None:
        return
    if write and scope.read_only:
        raise PermissionDenied(READ_ONLY_TOKEN)
    if project is None:
        if scope.limited_to_projects:
            raise PermissionDenied(
                "This API token is limited to some projects, so it cannot create projects."
            )
    elif not scope.allows_project(project.pk):
        raise PermissionDenied("This API token is not allowed in this project.")


def require_project_create(user) -> None:
    """Anyone signed in may create a project, but not through a read-only or limited token."""
    require_token_allows(user, None, write=True)


def require_role(project: Project, user, needed: Role | str) -> Role:
    """
    The one role check. The project must already have been found through
    ``visible_to(user)`` (so an outsider has had their 404); a role too low is a 403, and so
    is anything beyond the scope of the API token the user came in with.
    """
    require_token_allows(user, project, write=Role(needed) != Role.VIEWER)
    role = project.role_of(user)
    if role is None or not role.allows(needed):
        raise PermissionDenied(
            f"This needs the {Role(needed).label.lower()} role in “{project.name}”."
        )
    return role


def require_writable(
    project: Project, user, needed: Role | str = Role.EDITOR, *, as_staff: bool = False
) -> None:
    """
    The write rule: ``needed`` (unless staff act in the admin, ``as_staff``) in a project that
    is not archived. ``Project.can_write`` and the ``writable_by`` querysets say the same, and
    every service that changes a project's contents calls this.
    """
    if as_staff:
        require_token_allows(user, project, write=True)
    else:
        require_role(project, user, needed)
    if project.is_archived:
        raise PermissionDenied(
            f"“{project.name}” is archived, so it is read-only. "
            "An owner can unarchive it in the project settings."
        )


# ---------------------------------------------------------------------------
# Projects and members
# ---------------------------------------------------------------------------
class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProjectQuerySet:
        """Projects ``user`` is a member of, each annotated with ``my_role``."""
        if not getattr(user, "is_authenticated", False):
            # Still annotated, so that editable_by() and owned_by() can filter on my_role.
            return self.annotate(my_role=models.F("memberships__role")).none()
        # One join: the annotation reuses the membership join of the filter.
        projects = self.filter(memberships__user=user).annotate(
            my_role=models.F("memberships__role")
        )
        # An API token limited to some projects sees only those (the others are 404s), and
        # so does everything scoped through this method: tasks, tags, comments, activity.
        scope = token_scope(user)
        if scope is not None and scope.project_ids is not None:
            projects = projects.filter(pk__in=sorted(scope.project_ids))
        return projects

    def _changeable_by(self, user) -> ProjectQuerySet:
        """``visible_to``, and nothing at all through a read-only API token."""
        projects = self.visible_to(user)
        scope = token_scope(user)
        return projects.none() if scope is not None and scope.read_only else projects

    def editable_by(self, user) -> ProjectQuerySet:
        """Projects where ``user`` has the editor role or more, archived or not."""
        # Filter on the annotation, not on memberships__role: a second filter() across a
        # multi-valued relation would join another membership row, not the user's own.
        return self._changeable_by(user).filter(my_role__in=roles_allowing(Role.EDITOR))

    def writable_by(self, user) -> ProjectQuerySet:
        """
        Projects whose tasks, tags and comments ``user`` may change: ``require_writable``
        as a queryset (editor or owner, and not archived).
        """
        return self.editable_by(user).active()

    def owned_by(self, user) -> ProjectQuerySet:
        return self._changeable_by(user).filter(my_role__in=roles_allowing(Role.OWNER))

    def active(self) -> ProjectQuerySet:
        return self.filter(is_archived=False)

    def with_task_counts(self) -> ProjectQuerySet:
        """``task_count``, ``done_count`` and ``open_count`` for progress bars."""
        return self.annotate(
            task_count=models.Count("tasks", distinct=True),
            done_count=models.Count("tasks", filter=models.Q(tasks__status="done"), distinct=True),
        ).annotate(open_count=models.F("task_count") - models.F("done_count"))


class Project(models.Model):
    DEFAULT_COLOUR = "#3b82f6"

    name = SingleLineCharField(max_length=100)
    description = MultiLineTextField(blank=True)
    colour = models.CharField(max_length=7, default=DEFAULT_COLOUR, validators=[colour_validator])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_archived = models.BooleanField(default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="project_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tasks:project-detail", args=[self.pk])

    def role_of(self, user) -> Role | None:
        """The user's role here; uses the ``my_role`` annotation of ``visible_to`` if present."""
        if not getattr(user, "is_authenticated", False):
            return None
        cached = self.__dict__.get("my_role")
        if cached is not None:
            return Role(cached)
        role = (
            Membership.objects.filter(project=self, user=user)
            .values_list("role", flat=True)
            .first()
        )
        if role is None:
            return None
        self.my_role = role
        return Role(role)

    def can_write(self, user) -> bool:
        """Whether ``user`` may change tasks, tags and comments here (``require_writable``)."""
        try:
            require_writable(self, user)
        except PermissionDenied:
            return False
        return True

    def can_manage(self, user) -> bool:
        """Whether ``user`` owns the project: settings, members, archive, delete."""
        try:
            require_role(self, user, Role.OWNER)
        except PermissionDenied:
            return False
        return True


def fellow_members(user) -> models.QuerySet:
    """People who share a project with ``user``: the only ones an id may name."""
    projects = Project.objects.visible_to(user).values("pk")
    return get_user_model().objects.filter(memberships__project__in=projects).distinct()


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user) -> MembershipQuerySet:
        return self.filter(project__in=Project.objects.visible_to(user).values("pk"))


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["project", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                name="membership_unique_project_user",
                violation_error_message="This person is already a member of the project.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]
        indexes = [
            # visible_to(user) starts from the user's memberships.
            models.Index(fields=["user", "role"], name="membership_user_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class InvitationQuerySet(models.QuerySet):
    def open(self) -> InvitationQuerySet:
        """Not yet accepted, declined or cancelled (expired ones included)."""
        return self.filter(status=Invitation.Status.PENDING)

    def current(self, now=None) -> InvitationQuerySet:
        """Open and not expired: what can still be accepted."""
        return self.open().filter(expires_at__gt=now or timezone.now())

    def pending_for(self, user) -> InvitationQuerySet:
        """
        The one place that decides which invitations ``user`` sees and may answer: the open
        ones addressed to them, by account or, for an invitation to an address that had no
        account then, by their e-mail address (matched when asked, so signing up with the
        invited address is all it takes). Expired ones are included, so that answering one
        says "expired" rather than "not found"; lists add ``current()``.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        # With mandatory verification, only a confirmed address may be invited: otherwise
        # signing up with someone else's address would collect their invitations.
        mandatory = settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
        if mandatory and not user.can_receive_mail:
            return self.none()
        addressed = models.Q(invitee=user)
        if user.email:
            addressed |= models.Q(invitee__isnull=True, address=user.email.lower())
        return self.open().filter(addressed)

    def for_list(self) -> InvitationQuerySet:
        return self.select_related("project", "invited_by")


def invitation_expiry(now=None) -> datetime.datetime:
    """When an invitation made (or renewed) now runs out: ``INVITATION_EXPIRY_DAYS`` later."""
    return (now or timezone.now()) + datetime.timedelta(days=settings.INVITATION_EXPIRY_DAYS)


class Invitation(models.Model):
    """
    An owner's offer to join a project with a role, which the person accepts or declines.
    Nobody becomes a member without accepting. ``address`` is what the owner typed (a username,
    or an e-mail address in lower case); ``invitee`` is the account it named, if any: an
    e-mail address without an account waits for someone to sign up with it, an unknown
    username is never answered. The owner gets the same answer either way.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    address = models.CharField(max_length=254, help_text="The username or e-mail address typed.")
    role = models.CharField(max_length=10, choices=Role, default=Role.VIEWER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(default=invitation_expiry)
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open invitation per person and project: inviting again renews it.
            models.UniqueConstraint(
                fields=["project", "invitee"],
                condition=models.Q(status="pending", invitee__isnull=False),
                name="invitation_one_open_per_invitee",
            ),
            models.UniqueConstraint(
                fields=["project", "address"],
                condition=models.Q(status="pending"),
                name="invitation_one_open_per_address",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "declined", "cancelled"]),
                name="invitation_status_valid",
            ),
            models.CheckConstraint(condition=~models.Q(address=""), name="invitation_address_set"),
        ]
        indexes = [
            # pending_for(user): a person's open invitations, by account or by address.
            models.Index(fields=["invitee", "status"], name="invitation_invitee_status"),
            models.Index(fields=["address", "status"], name="invitation_address_status"),
        ]

    def __str__(self) -> str:
        return f"{self.address} to {self.project} ({self.role})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_accepted(self) -> bool:
        return self.status == self.Status.ACCEPTED


# ---------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------
class TagQuerySet(models.QuerySet):
    def visible_to(self, user) -> TagQuerySet:
        return self.filter(project__in=Project.objects.visible_to(user).values("pk"))

    def editable_by(self, user) -> TagQuerySet:
        return self.filter(project__in=Project.objects.editable_by(user).values("pk"))

    def writable_by(self, user) -> TagQuerySet:
        return self.filter(project__in=Project.objects.writable_by(user).values("pk"))


class Tag(models.Model):
    DEFAULT_COLOUR = "#64748b"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tags")
    name = SingleLineCharField(max_length=50)
    colour = models.CharField(max_length=7, default=DEFAULT_COLOUR, validators=[colour_validator])

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(
                "project",
                Lower("name"),
                name="tag_name_unique_per_project_ci",
                violation_error_message="This project already has a tag with that name.",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="tag_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------
class Status(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class Priority(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_RANK = {
    Priority.NONE: 0,
    Priority.LOW: 1,
    Priority.MEDIUM: 2,
    Priority.HIGH: 3,
    Priority.URGENT: 4,
}


def priority_rank_expression() -> models.Case:
    """Priority as a number, so that "urgent" sorts above "high" rather than by spelling."""
    return models.Case(
        *[
            models.When(priority=value, then=models.Value(rank))
            for value, rank in PRIORITY_RANK.items()
        ],
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def due_date_sort_key(*, descending: bool = False) -> Coalesce:
    """
    The due date with undated tasks pushed to the end in either direction, for keyset
    pagination (which needs non-null keys). The indexes ``task_due_asc``/``task_due_desc``
    are built on exactly these expressions.
    """
    sentinel = datetime.date.min if descending else datetime.date.max
    return Coalesce(models.F("due_date"), models.Value(sentinel), output_field=models.DateField())


def due_sort_key(zone=None) -> Coalesce:
    """
    When a task is due, as an instant to sort by: a timed task's ``due_at``; an untimed
    task's date counts as the very end of that day in ``zone`` (the viewer's; the active
    zone by default), so on any date untimed tasks come after that date's timed ones.
    Undated tasks: null. (The zone's offset now stands for its offset on every date: near a
    daylight-saving change an untimed task may sort an hour off, never across a timed task
    of another local day by more than that.)
    """
    offset = timezone.localtime(timezone.now(), zone).utcoffset() or datetime.timedelta(0)
    end_of_day = datetime.timedelta(days=1) - offset - datetime.timedelta(microseconds=1)
    untimed = models.ExpressionWrapper(
        Cast("due_date", models.DateTimeField())
        + models.Value(end_of_day, output_field=models.DurationField()),
        output_field=models.DateTimeField(),
    )
    return Coalesce(models.F("due_at"), untimed, output_field=models.DateTimeField())


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user) -> TaskQuerySet:
        return self.filter(project__in=Project.objects.visible_to(user).values("pk"))

    def editable_by(self, user) -> TaskQuerySet:
        return self.filter(project__in=Project.objects.editable_by(user).values("pk"))

    def writable_by(self, user) -> TaskQuerySet:
        """Tasks ``user`` may change: ``require_writable`` as a queryset."""
        return self.filter(project__in=Project.objects.writable_by(user).values("pk"))

    def open(self) -> TaskQuerySet:
        return self.exclude(status=Status.DONE)

    def overdue(self, today=None) -> TaskQuerySet:
        """Open tasks past due: timed ones by instant, untimed ones by ``today``'s date."""
        today = today or timezone.localdate()
        return self.open().filter(
            models.Q(due_at__isnull=True, due_date__lt=today) | models.Q(due_at__lt=timezone.now())
        )

    def with_priority_rank(self) -> TaskQuerySet:
        return self.annotate(priority_rank=priority_rank_expression())

    def for_list(self) -> TaskQuerySet:
        """
        Everything a task row shows (project, assignee, tags) in a constant number of queries,
        the tags as a plain list, ``task.tag_list``: reading ``task.tags.all()`` would build a
        related manager and clone a queryset per row even when prefetched (a tenth of a
        50-row page's render time).
        """
        return (
            self.select_related("project", "assignee")
            .prefetch_related(
                models.Prefetch(
                    "tags", queryset=Tag.objects.order_by(Lower("name"), "id"), to_attr="tag_list"
                )
            )
            .with_subtask_counts()
        )

    def with_subtask_counts(self) -> TaskQuerySet:
        """
        ``subtask_count`` and ``subtasks_done``: a parent's direct subtasks, all and done, as
        correlated subqueries of the same query (no query per row, and no join that other
        filters could multiply).
        """
        children = (
            Task.objects.filter(parent=models.OuterRef("pk"))
            .order_by()
            .values("parent")
            .annotate(
                n=models.Count("pk"),
                done=models.Count("pk", filter=models.Q(status=Status.DONE)),
            )
        )
        return self.annotate(
            subtask_count=Coalesce(models.Subquery(children.values("n")), 0),
            subtasks_done=Coalesce(models.Subquery(children.values("done")), 0),
        )


class Task(models.Model):
    TITLE_MAX_LENGTH = 200
    #: The longest description the forms and the API accept (the column itself is unbounded).
    DESCRIPTION_MAX_LENGTH = 20_000

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    title = SingleLineCharField(max_length=TITLE_MAX_LENGTH)
    description = MultiLineTextField(blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.TODO)
    priority = models.CharField(max_length=10, choices=Priority, default=Priority.NONE)
    due_date = models.DateField(null=True, blank=True)
    # A timed task is an instant: ``due_at`` (UTC) is ``due_date`` + ``due_time`` read in
    # ``due_time_zone``, the zone of whoever set them (``services`` keeps the three in step).
    due_time = models.TimeField(null=True, blank=True)
    due_time_zone = models.CharField(max_length=64, blank=True, editable=False)
    due_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    recurrence = models.CharField(
        max_length=rrules.MAX_LENGTH,
        blank=True,
        validators=[rrules.validate_rule],
        help_text="An RFC 5545 rule such as FREQ=WEEKLY;BYDAY=MO (blank: does not repeat).",
    )
    recurrence_mode = models.CharField(
        max_length=20, choices=rrules.Mode.CHOICES, default=rrules.Mode.FROM_DUE
    )
    # The occurrence this one follows; one-to-one, so completing twice never makes two.
    previous_occurrence = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="next_occurrence",
    )
    # Deleting a task deletes its subtasks (and theirs): the whole subtree goes with it.
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subtasks",
        help_text="The task this is a subtask of (same project; at most 3 levels deep).",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tasks")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    position = models.IntegerField(default=0, help_text="Order inside its board column.")
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(title=""), name="task_title_not_empty"),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="task_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=Priority.values), name="task_priority_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status=Status.DONE, completed_at__isnull=False)
                    | (~models.Q(status=Status.DONE) & models.Q(completed_at__isnull=True))
                ),
                name="task_completed_at_iff_done",
                violation_error_message="A task has a completion time exactly when it is done.",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="task_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(due_time__isnull=True) | models.Q(due_date__isnull=False),
                name="task_due_time_needs_date",
                violation_error_message="A due time needs a due date.",
            ),
            models.CheckConstraint(
                condition=models.Q(recurrence_mode__in=["from_due", "from_completion"]),
                name="task_recurrence_mode_valid",
            ),
            # Board order is a total order inside a column. Checked at commit (PostgreSQL;
            # SQLite does not support deferred unique constraints and goes without): making
            # room shifts neighbours one by one, which passes through duplicates mid-statement.
            models.UniqueConstraint(
                fields=["project", "status", "position"],
                name="task_position_unique_per_column",
                deferrable=models.Deferrable.DEFERRED,
                violation_error_message="Another task of this column has that position.",
            ),
        ]
        indexes = [
            # Board columns: WHERE project = ? AND status = ? ORDER BY position.
            models.Index(fields=["project", "status", "position"], name="task_board"),
            # Due-date filters and sorting inside a project (list page, API ?due_before=).
            models.Index(fields=["project", "due_date"], name="task_project_due"),
            # API default ordering and cursor pagination: newest first.
            models.Index(fields=["-created_at", "-id"], name="task_created"),
            # Dashboard: my open tasks by due date.
            models.Index(fields=["assignee", "status", "due_date"], name="task_assignee_due"),
            # Dashboard chart: tasks completed per day.
            models.Index(fields=["completed_at"], name="task_completed"),
            # API orderings (?ordering=due_date, priority, updated, position): the keyset
            # pages read these in order instead of sorting every visible task.
            models.Index(due_date_sort_key(), models.F("id"), name="task_due_asc"),
            models.Index(due_date_sort_key(descending=True), models.F("id"), name="task_due_desc"),
            models.Index(priority_rank_expression(), models.F("id"), name="task_priority_rank"),
            models.Index(fields=["updated_at", "id"], name="task_updated"),
            models.Index(fields=["position", "id"], name="task_position"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("tasks:task-detail", args=[self.pk])

    #: A task, its subtask and a sub-subtask: no deeper.
    MAX_DEPTH = 3

    def subtask_progress(self) -> str:
        """ "n/m done" of the direct subtasks, from ``with_subtask_counts`` (blank: none)."""
        total = getattr(self, "subtask_count", None)
        if not total:
            return ""
        return f"{self.subtasks_done}/{total} done"

    @property
    def is_done(self) -> bool:
        return self.status == Status.DONE

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def clean(self) -> None:
        errors = {}
        if self.due_time is not None and self.due_date is None:
            errors["due_time"] = "A due time needs a due date."
        if self.recurrence and self.due_date is None:
            errors["recurrence"] = "A repeating task needs a due date."
        if errors:
            raise ValidationError(errors)

    def due_day(self, zone=None) -> datetime.date | None:
        """
        The day it is due for a viewer in ``zone`` (the active zone by default): a timed
        task's instant as a local date there, an untimed task's date as it is.
        """
        if self.due_at is not None:
            return timezone.localtime(self.due_at, zone).date()
        return self.due_date

    def local_due_time(self, zone=None) -> datetime.time | None:
        """The due time in ``zone`` (the active zone by default), for timed tasks."""
        if self.due_at is None:
            return None
        return timezone.localtime(self.due_at, zone).time()

    def is_overdue(self, today=None, now=None) -> bool:
        """
        A timed task once its instant has passed; an untimed one once its date is before
        ``today`` (the viewer's).
        """
        if self.is_done or self.due_date is None:
            return False
        if self.due_at is not None:
            return self.due_at < (now or timezone.now())
        return self.due_date < (today or timezone.localdate())

    @property
    def recurrence_text(self) -> str:
        return rrules.describe(self.recurrence)


# ---------------------------------------------------------------------------
# Comments and activity
# ---------------------------------------------------------------------------
class CommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> CommentQuerySet:
        return self.filter(task__project__in=Project.objects.visible_to(user).values("pk"))


class Comment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="comments",
    )
    #: The longest comment the forms and the API accept (the column itself is unbounded).
    BODY_MAX_LENGTH = 10_000
    body = MultiLineTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(body=""), name="comment_body_not_empty"),
        ]
        indexes = [models.Index(fields=["task", "created_at"], name="comment_task_created")]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.task}"

    def require_changeable_by(
        self, user, *, as_staff: bool = False, deleting: bool = False
    ) -> None:
        """
        The comment rule: only its author changes it, while they may write in the project.
        Staff in the admin (``as_staff``) may delete anyone's comment, to moderate, but never
        put words in someone else's mouth.
        """
        if self.author_id != getattr(user, "pk", None) and not (as_staff and deleting):
            raise PermissionDenied("Only its author can change a comment.")
        require_writable(self.task.project, user, as_staff=as_staff)


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user) -> ActivityQuerySet:
        return self.filter(project__in=Project.objects.visible_to(user).values("pk"))


class Activity(models.Model):
    """
    What happened to a task (or, with no task, to the project's members), written in the
    same transaction as the change and never edited.
    ``changes`` holds ``{"field": [old, new]}`` with display values (names, not ids), so the
    history reads the same after people or tags are renamed or deleted.
    """

    class Verb(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        COMPLETED = "completed", "completed"
        REOPENED = "reopened", "reopened"
        MOVED = "moved", "moved"
        DELETED = "deleted", "deleted"
        COMMENTED = "commented", "commented"
        COMMENT_EDITED = "comment_edited", "edited a comment"
        COMMENT_DELETED = "comment_deleted", "deleted a comment"
        MEMBER_ADDED = "member_added", "added a member"
        MEMBER_ROLE_CHANGED = "member_role_changed", "changed a member's role"
        MEMBER_REMOVED = "member_removed", "removed a member"
        INVITED = "invited", "invited someone"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activities")
    # Kept (as null) when the task is deleted, so the project's history still says so.
    task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    task_title = models.CharField(max_length=Task.TITLE_MAX_LENGTH, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verb = models.CharField(max_length=20, choices=Verb.choices)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When every consumer of the event bus (project/events.py) had handled this row; empty
    # until then. Written by the bus only.
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["task", "-created_at"], name="activity_task_created"),
            models.Index(fields=["project", "-created_at"], name="activity_project_created"),
            # The few rows not yet handed on, for the bus's sweep.
            models.Index(
                fields=["created_at"],
                name="activity_undispatched",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        subject = f" “{self.task_title}”" if self.task_title else ""
        return f"{self.actor} {self.get_verb_display()}{subject}"
