"""
Serializers check the shape of input and render output; the rules live in ``tasks.services``.

Every id that arrives in a body is resolved through the caller's scope
(``ScopedPrimaryKeyRelatedField``), so an id from a project the caller cannot see reads as
"does not exist" — it can neither be used nor probed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from tasks import markdown
from tasks import recurrence as rrules
from tasks.models import (
    Activity,
    Comment,
    Invitation,
    Membership,
    Project,
    Role,
    Tag,
    Task,
    fellow_members,
)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: The longest description the API accepts (the column itself is unbounded).
DESCRIPTION_MAX_LENGTH = Task.DESCRIPTION_MAX_LENGTH


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key looked up in ``scope(request.user)`` rather than in the whole table."""

    def __init__(self, *, scope: Callable[[Any], QuerySet], model: type, **kwargs):
        self.scope = scope
        # The model's empty queryset tells the schema generator the key's type.
        kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return self.scope(user) if user is not None else self.queryset


def visible_projects(user) -> QuerySet:
    return Project.objects.visible_to(user)


def visible_tags(user) -> QuerySet:
    return Tag.objects.visible_to(user)


def visible_tasks(user) -> QuerySet:
    return Task.objects.visible_to(user)


# ---------------------------------------------------------------------------
# Projects, members, tags
# ---------------------------------------------------------------------------
class ProjectSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:project-detail")
    role = serializers.ChoiceField(
        source="my_role",
        choices=Role.choices,
        read_only=True,
        help_text="Your role in this project.",
    )
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "url",
            "name",
            "description",
            "colour",
            "is_archived",
            "role",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]


class MemberSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["url", "user", "username", "display_name", "role", "created_at"]
        read_only_fields = ["user", "created_at"]
        # A PATCH here has one thing to change; without it there is nothing to do but say so.
        extra_kwargs = {"role": {"required": True}}

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, membership: Membership) -> str:
        path = reverse(
            "api:project-member-detail", args=[membership.project_id, membership.user_id]
        )
        return self.context["request"].build_absolute_uri(path)


class MemberCreateSerializer(serializers.Serializer):
    """
    Name the person by exactly one of ``user`` (id), ``username`` or ``email``. The schema
    shows the body as a ``oneOf`` of ``MemberByUser``, ``MemberByUsername`` and
    ``MemberByEmail``; this serializer reads all three shapes. Who they are is
    ``services.member_invite``'s business, which answers the same whether they exist or not.
    """

    user = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    username = serializers.CharField(required=False, max_length=150)
    email = serializers.EmailField(required=False, max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)

    def validate(self, attrs: dict) -> dict:
        given = [name for name in ("user", "username", "email") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"user": ["Give exactly one of user (an id), username or email."]}
            )
        return attrs


class ProjectInvitationSerializer(serializers.ModelSerializer):
    """An open invitation as the project's owners see it: what they typed, not who it is."""

    url = serializers.SerializerMethodField()
    invitee = serializers.CharField(
        source="address",
        read_only=True,
        help_text="The username or e-mail address (in lower case) the invitation went to.",
    )

    class Meta:
        model = Invitation
        fields = ["id", "url", "project", "invitee", "role", "created_at", "expires_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, invitation: Invitation) -> str:
        path = reverse("api:project-invitation-detail", args=[invitation.project_id, invitation.pk])
        return self.context["request"].build_absolute_uri(path)


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation addressed to me: accept it with ``{"accepted": true}``, decline with DELETE."""

    url = serializers.HyperlinkedIdentityField(view_name="api:invitation-detail")
    project_name = serializers.CharField(source="project.name", read_only=True)
    invited_by_name = serializers.SerializerMethodField()
    accepted = serializers.BooleanField(
        source="is_accepted",
        help_text="Send true to join the project with the invited role.",
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "url",
            "project",
            "project_name",
            "role",
            "invited_by_name",
            "created_at",
            "expires_at",
            "accepted",
        ]
        read_only_fields = [
            "id",
            "project",
            "project_name",
            "role",
            "invited_by_name",
            "created_at",
            "expires_at",
        ]

    def get_invited_by_name(self, invitation: Invitation) -> str:
        return invitation.invited_by.name if invitation.invited_by else ""

    def validate_accepted(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError("Send true to accept; DELETE declines.")
        return value


ROLE_HELP = "The role to give; viewer when omitted."


class MemberByUserSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1, help_text="The person's user id.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER, help_text=ROLE_HELP)


class MemberByUsernameSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER, help_text=ROLE_HELP)


class MemberByEmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER, help_text=ROLE_HELP)


class TagSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:tag-detail")
    project = ScopedPrimaryKeyRelatedField(
        scope=visible_projects,
        model=Project,
        help_text="Chosen when the tag is created; naming another project later is a 400.",
    )

    class Meta:
        model = Tag
        fields = ["id", "url", "project", "name", "colour"]
        read_only_fields = ["id"]

    def validate_project(self, project: Project) -> Project:
        if self.instance is not None and project.pk != self.instance.project_id:
            raise serializers.ValidationError("A tag stays in the project it was created in.")
        return project


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------
TASK_FIELDS = [
    "id",
    "url",
    "project",
    "title",
    "description",
    "description_html",
    "status",
    "priority",
    "due_date",
    "due_time",
    "due_at",
    "recurrence",
    "recurrence_mode",
    "recurrence_text",
    "assignee",
    "tags",
    "parent",
    "position",
    "version",
    "created_by",
    "created_at",
    "updated_at",
    "completed_at",
]


def utc_iso(value: datetime.datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC ("2026-12-02T14:30:00Z")."""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "nullable": True,
        "readOnly": True,
        "description": "A timed task's instant in UTC (null when it has no due time).",
    }
)
class UtcInstantField(serializers.ReadOnlyField):
    def to_representation(self, value):
        return utc_iso(value)


class TaskSerializer(serializers.ModelSerializer):
    """
    A task with its tags and assignee as ids. ``version`` rises by one on every change and is
    also sent as the ``ETag`` header. Moving a task is a ``PATCH`` of ``project``.

    ``due_date`` and ``due_time`` are returned as set, in the time zone of whoever set them;
    ``due_at`` is the instant they name. Given in a request they are read in your time zone.
    """

    url = serializers.HyperlinkedIdentityField(view_name="api:task-detail")
    project = ScopedPrimaryKeyRelatedField(
        scope=visible_projects,
        model=Project,
        help_text="Changing it moves the task; you must be an editor in both projects.",
    )
    assignee = ScopedPrimaryKeyRelatedField(
        scope=fellow_members,
        model=User,
        allow_null=True,
        required=False,
        help_text="A member of the task's project, or null.",
    )
    tags = ScopedPrimaryKeyRelatedField(
        scope=visible_tags,
        model=Tag,
        many=True,
        required=False,
        help_text="Tag ids from the task's project, in ascending order.",
    )
    parent = ScopedPrimaryKeyRelatedField(
        scope=visible_tasks,
        model=Task,
        allow_null=True,
        required=False,
        help_text=(
            "The task this is a subtask of (same project; at most 3 levels deep; no cycles), "
            "or null. Moving a parent to another project moves its subtasks; a subtask moves "
            "alone only with parent null in the same request. Deleting a task deletes its "
            "subtasks. Completing a parent leaves its subtasks as they are."
        ),
    )
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False
    )
    position = serializers.IntegerField(
        min_value=INT32_MIN,
        max_value=INT32_MAX,
        required=False,
        help_text="Order inside the board column (smaller first).",
    )
    due_time = serializers.TimeField(
        format="%H:%M",
        input_formats=["%H:%M", "%H:%M:%S"],
        allow_null=True,
        required=False,
        help_text=(
            '"HH:MM" or null. Needs a due date; read in your time zone when given, returned '
            "as set (see due_at for the instant)."
        ),
    )
    due_at = UtcInstantField()
    recurrence = serializers.CharField(
        max_length=rrules.MAX_LENGTH,
        allow_blank=True,
        required=False,
        validators=[rrules.validate_rule],
        help_text=(
            "An RFC 5545 RRULE without DTSTART, such as FREQ=WEEKLY;BYDAY=MO (at most daily; "
            "ends with its own COUNT or UNTIL); blank: does not repeat. Needs a due date."
        ),
    )
    recurrence_mode = serializers.ChoiceField(
        choices=rrules.Mode.CHOICES,
        required=False,
        help_text=(
            "Where the next occurrence is counted from when the task is completed: its due "
            "date (from_due) or the day it was completed (from_completion)."
        ),
    )
    recurrence_text = serializers.CharField(
        read_only=True, help_text='The rule in words, like "Every Monday".'
    )
    description_html = serializers.SerializerMethodField(
        help_text="The description rendered from Markdown and sanitised (read-only)."
    )

    class Meta:
        model = Task
        fields = TASK_FIELDS
        read_only_fields = [
            "id",
            "version",
            "created_by",
            "created_at",
            "updated_at",
            "completed_at",
            "due_at",
            "recurrence_text",
            "description_html",
        ]
        # Not DRF's validator for the unique board position: a requested position that is
        # taken makes room (``services.task_update``) rather than being refused.
        validators = []

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        instance = self.instance

        def value(name: str):
            return attrs[name] if name in attrs else getattr(instance, name, None)

        if "recurrence" in attrs:
            attrs["recurrence"] = rrules.normalize(attrs["recurrence"])
        due_date = value("due_date")
        errors = {}
        # Removing the date removes the time, unless a time is given with it.
        if due_date is None and attrs.get("due_time") is not None:
            errors["due_time"] = ["A due time needs a due date."]
        if due_date is None and value("recurrence"):
            errors["recurrence"] = ["A repeating task needs a due date."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def get_description_html(self, task: Task) -> str:
        return markdown.render(task.description)

    def to_representation(self, instance: Task) -> dict:
        data = super().to_representation(instance)
        data["tags"] = sorted(data["tags"])
        return data


# ---------------------------------------------------------------------------
# Comments and activity
# ---------------------------------------------------------------------------
class CommentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:comment-detail")
    author_name = serializers.SerializerMethodField()
    body = serializers.CharField(max_length=Comment.BODY_MAX_LENGTH)
    body_html = serializers.SerializerMethodField(
        help_text="The body rendered from Markdown and sanitised (read-only)."
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "url",
            "task",
            "author",
            "author_name",
            "body",
            "body_html",
            "created_at",
            "edited_at",
        ]
        read_only_fields = ["id", "task", "author", "body_html", "created_at", "edited_at"]

    def get_body_html(self, comment: Comment) -> str:
        return markdown.render(comment.body)

    def get_author_name(self, comment: Comment) -> str | None:
        return comment.author.name if comment.author else None


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {}, "minItems": 2, "maxItems": 2},
                {"type": "string"},
                {"type": "integer"},
                {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "due_date": {"type": "string", "format": "date"},
                    },
                    "required": ["id", "due_date"],
                },
            ]
        },
        "description": (
            'What changed, as {"field": [old, new]} with display values; a member change also '
            'names the member ({"member": "ada"}) and a comment event the comment '
            '({"comment": 12}). Completing a repeating task names its next occurrence '
            '({"next_occurrence": {"id": 8, "due_date": "2026-12-08"}}), whose "created" '
            'event names the one before ({"previous_occurrence": {"id": 7, "due_date": …}}).'
        ),
    }
)
class ChangesField(serializers.JSONField):
    """``Activity.changes`` as stored: field → [old, new], plus the member or comment named."""


class ActivitySerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    changes = ChangesField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "task",
            "task_title",
            "actor",
            "actor_name",
            "verb",
            "changes",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor_name(self, activity: Activity) -> str | None:
        return activity.actor.name if activity.actor else None
