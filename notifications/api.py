"""
``/api/v1/notifications/`` (your inbox), ``/api/v1/tasks/{id}/reminders/`` (your reminders on
a task), ``/api/v1/tasks/{id}/followers/`` (who follows it; follow and unfollow yourself) and
``/api/v1/me/`` with the notification settings.

Reminders and following are one's own business: every role may have them, in archived
projects too, but a read-only token changes nothing. A task the caller cannot see is a 404.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.api import MeSerializer, MeView
from notifications import services
from notifications.models import Delivery, Follow, Kind, Notification, Reminder
from project.api.idempotency import idempotent_create
from project.api.pagination import NewestFirstPagination
from project.api.responses import created
from tasks.api.task_views import TaskScopedMixin

UNREAD = OpenApiParameter(
    "unread",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="`true`: unread notifications only; `false`: read ones only.",
)


class NotificationSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:notification-detail")
    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)
    actor_name = serializers.SerializerMethodField()
    created = serializers.DateTimeField(source="created_at", read_only=True)
    read = serializers.BooleanField(help_text="Whether you have read it; PATCH to change.")

    class Meta:
        model = Notification
        fields = [
            "id",
            "url",
            "kind",
            "summary",
            "project",
            "task",
            "actor",
            "actor_name",
            "data",
            "created",
            "read",
        ]
        read_only_fields = ["id", "summary", "project", "task", "actor", "data"]

    def get_actor_name(self, notification: Notification) -> str | None:
        return notification.actor.name if notification.actor else None


@extend_schema_view(
    list=extend_schema(summary="List your notifications", parameters=[UNREAD]),
    retrieve=extend_schema(summary="Get a notification"),
    partial_update=extend_schema(
        summary="Mark a notification read or unread",
        description='`{"read": true}` marks it read, `{"read": false}` unread again.',
    ),
)
class NotificationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Your inbox, newest first: only entries about what you can still see."""

    serializer_class = NotificationSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "patch", "head", "options"]
    query_parameters = ("unread",)

    def get_queryset(self):
        notifications = Notification.objects.visible_to(self.request.user).for_list()
        if self.action == "list" and "unread" in self.request.query_params:
            unread = serializers.BooleanField().run_validation(self.request.query_params["unread"])
            notifications = notifications.filter(read_at__isnull=unread)
        return notifications

    def list(self, request, *args, **kwargs):
        try:
            return super().list(request, *args, **kwargs)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"unread": error.detail}) from None

    def perform_update(self, serializer) -> None:
        serializer.instance = services.mark_read(
            notification=serializer.instance,
            by=self.request.user,
            read=serializer.validated_data.get("read", serializer.instance.read),
        )


class ReminderSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    remind_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=(
            "When it fires. Give this (a moment in the future) or `before_minutes`; for a "
            "relative reminder it follows the task's due time (null while it has none)."
        ),
    )
    before_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=services.MAX_BEFORE_MINUTES,
        help_text=(
            "Minutes before the task's due time (0: at the due time). A task due on a date "
            "without a time counts from REMINDER_UNTIMED_HOUR (9:00) in your time zone."
        ),
    )
    created = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Reminder
        fields = ["id", "url", "task", "remind_at", "before_minutes", "fired_at", "created"]
        read_only_fields = ["id", "task", "fired_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, reminder: Reminder) -> str:
        path = reverse("api:task-reminder-detail", args=[reminder.task_id, reminder.pk])
        return self.context["request"].build_absolute_uri(path)


@extend_schema_view(
    list=extend_schema(summary="List your reminders on a task"),
    create=extend_schema(
        summary="Add a reminder to a task",
        description=(
            'Body `{"remind_at": "<ISO instant>"}` (in the future) or `{"before_minutes": N}` '
            "(the task needs a due date): exactly one of them, else 400."
        ),
    ),
    retrieve=extend_schema(summary="Get one of your reminders"),
    destroy=extend_schema(summary="Remove one of your reminders"),
)
class TaskReminderViewSet(
    TaskScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own reminders on a task anyone in its project can see."""

    serializer_class = ReminderSerializer
    pagination_class = None
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reminder.objects.none()
        return Reminder.objects.filter(task=self.get_task(), user=self.request.user).order_by(
            "created_at", "id"
        )

    @idempotent_create
    def create(self, request, *args, **kwargs):
        task = self.get_task()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reminder = services.reminder_add(
            task=task,
            by=request.user,
            remind_at=serializer.validated_data.get("remind_at"),
            before_minutes=serializer.validated_data.get("before_minutes"),
        )
        return created(self.get_serializer(reminder).data)

    def perform_destroy(self, instance: Reminder) -> None:
        services.reminder_remove(reminder=instance, by=self.request.user)


class FollowerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    reason = serializers.ChoiceField(choices=Follow.Reason.choices, read_only=True)
    created = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Follow
        fields = ["user", "username", "display_name", "reason", "created"]
        read_only_fields = fields


@extend_schema_view(
    get=extend_schema(summary="List a task's followers"),
    post=extend_schema(
        summary="Follow a task",
        request=None,
        responses={201: FollowerSerializer, 200: FollowerSerializer},
        description="You follow the task (201; 200 if you already did). No body.",
    ),
    delete=extend_schema(summary="Unfollow a task", description="You stop following it (204)."),
)
class TaskFollowerView(TaskScopedMixin, generics.ListAPIView):
    """Who hears about a task's changes. You follow or unfollow only yourself."""

    serializer_class = FollowerSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Follow.objects.none()
        return services.followers_of(self.get_task())

    @idempotent_create
    def post(self, request, *args, **kwargs):
        task = self.get_task()
        with transaction.atomic():
            existed = Follow.objects.filter(task=task, user=request.user).exists()
            follow = services.follow(task=task, by=request.user)
        data = self.get_serializer(follow).data
        if existed:
            return Response(data)
        path = reverse("api:task-followers", args=[task.pk])
        return Response(
            data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(path)},
        )

    def delete(self, request, *args, **kwargs):
        services.unfollow(task=self.get_task(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationSettingsSerializer(serializers.Serializer):
    email = serializers.DictField(
        child=serializers.ChoiceField(choices=Delivery.choices),
        required=False,
        help_text=(
            "How each kind of notification reaches your mailbox: "
            + ", ".join(Kind.values)
            + " → off, instant (at once) or digest (the daily digest)."
        ),
    )
    digest_hour = serializers.IntegerField(
        min_value=0, max_value=23, required=False, help_text="Local hour of the daily digest."
    )
    default_reminder_minutes = serializers.IntegerField(
        min_value=0,
        max_value=services.MAX_BEFORE_MINUTES,
        allow_null=True,
        required=False,
        help_text="A reminder this many minutes before a task assigned to you is due; null: none.",
    )

    def validate_email(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(Kind.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown kinds: {', '.join(unknown)}.")
        return value

    def to_representation(self, instance) -> dict:
        return {
            "email": {kind: instance.delivery(kind) for kind in Kind.values},
            "digest_hour": instance.digest_hour,
            "default_reminder_minutes": instance.default_reminder_minutes,
        }


# The same resource as accounts' ``Me``, one field richer: one component, named "Me".
@extend_schema_serializer(component_name="Me")
class MeWithNotificationsSerializer(MeSerializer):
    notification_settings = NotificationSettingsSerializer(
        required=False, help_text="E-mail per kind, the digest hour and the default reminder."
    )

    class Meta(MeSerializer.Meta):
        fields = [*MeSerializer.Meta.fields, "notification_settings"]

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        data["notification_settings"] = NotificationSettingsSerializer().to_representation(
            services.settings_for(instance)
        )
        return data

    def update(self, instance, validated_data):
        choices = validated_data.pop("notification_settings", None)
        with transaction.atomic():
            user = super().update(instance, validated_data)
            if choices:
                services.settings_update(user=user, **choices)
        return user


class MeWithNotificationsView(MeView):
    serializer_class = MeWithNotificationsSerializer
