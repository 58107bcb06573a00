"""
What Taskdesk tells people, and when. Every notification comes from one ``tasks.Activity``
row (or from a reminder coming due); ``HandledActivity`` records which rows this app has
already turned into notifications, so handing the same row over twice notifies nobody twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tasks.models import Project, Task


class Kind(models.TextChoices):
    """What a notification is about; e-mail is chosen per kind."""

    ASSIGNED = "assigned", "Assigned to you"
    MENTIONED = "mentioned", "Mentioned you"
    COMMENTED = "commented", "New comment"
    STATUS_CHANGED = "status_changed", "Status changed"
    COMPLETED = "completed", "Completed"
    DUE_CHANGED = "due_changed", "Due date changed"
    REMINDER = "reminder", "Reminder"
    MEMBER_ADDED = "member_added", "Added to a project"
    ROLE_CHANGED = "role_changed", "Your role changed"
    INVITED = "invited", "Invited to a project"


class Delivery(models.TextChoices):
    """How one kind of notification reaches someone's mailbox."""

    OFF = "off", "Off"
    INSTANT = "instant", "At once"
    DIGEST = "digest", "Daily digest"


#: What a new account gets for each kind.
DEFAULT_DELIVERY = {
    Kind.ASSIGNED: Delivery.INSTANT,
    Kind.MENTIONED: Delivery.INSTANT,
    Kind.COMMENTED: Delivery.DIGEST,
    Kind.STATUS_CHANGED: Delivery.DIGEST,
    Kind.COMPLETED: Delivery.DIGEST,
    Kind.DUE_CHANGED: Delivery.DIGEST,
    Kind.REMINDER: Delivery.INSTANT,
    Kind.MEMBER_ADDED: Delivery.INSTANT,
    Kind.ROLE_CHANGED: Delivery.INSTANT,
    Kind.INVITED: Delivery.INSTANT,
}


class Follow(models.Model):
    """Someone who hears about a task's changes. Unfollowing deletes the row."""

    class Reason(models.TextChoices):
        CREATED = "created", "Created it"
        ASSIGNED = "assigned", "Assigned"
        COMMENTED = "commented", "Commented"
        MENTIONED = "mentioned", "Mentioned"
        MANUAL = "manual", "Followed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    task = models.ForeignKey("tasks.Task", on_delete=models.CASCADE, related_name="follows")
    reason = models.CharField(max_length=10, choices=Reason, default=Reason.MANUAL)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="follow_task_user_unique")
        ]
        indexes = [models.Index(fields=["user", "task"], name="follow_user_task")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.task_id}"


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def visible_to(self, user) -> NotificationQuerySet:
        """
        ``user``'s own notifications about what they can still see: tasks through
        ``Task.objects.visible_to``, project news through ``Project.objects.visible_to``;
        invitations always (they are about a project one is not in yet).
        """
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user).filter(
            Q(kind=Kind.INVITED)
            | Q(task__in=Task.objects.visible_to(user).values("pk"))
            | Q(task__isnull=True, project__in=Project.objects.visible_to(user).values("pk"))
        )

    def for_list(self) -> NotificationQuerySet:
        return self.select_related("actor", "task", "project")


class Notification(models.Model):
    """
    One entry of someone's inbox. ``email_state`` says what the mail side still owes:
    ``pending`` waits for the burst window (instant) or the digest hour (digest);
    ``sending`` is claimed by one scheduler (``notifications.mail``), ``sent`` went out.
    """

    class EmailState(models.TextChoices):
        NONE = "none", "Not e-mailed"
        PENDING = "pending", "To be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    project = models.ForeignKey(
        "tasks.Project", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    task = models.ForeignKey(
        "tasks.Task", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    activity = models.ForeignKey(
        "tasks.Activity", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: A short sentence for the inbox and the e-mail ("ann commented: …"), fixed when made.
    summary = models.CharField(max_length=300, blank=True)
    #: Extra display data (a comment's excerpt, old and new values), kept as written.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    email_delivery = models.CharField(max_length=10, choices=Delivery, default=Delivery.OFF)
    email_state = models.CharField(max_length=10, choices=EmailState, default=EmailState.NONE)
    emailed_at = models.DateTimeField(null=True, blank=True)
    #: Failed attempts to mail it (the mail server was down); the next one waits until
    #: ``email_retry_at``.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_retry_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["created_at"],
                name="notification_email_pending",
                condition=Q(email_state="pending"),
            ),
            # Claimed rows whose scheduler vanished (notifications.mail gives them up).
            models.Index(
                fields=["emailed_at"],
                name="notification_email_sending",
                condition=Q(email_state="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}"

    @property
    def read(self) -> bool:
        return self.read_at is not None


class HandledActivity(models.Model):
    """An Activity row this app has turned into notifications (at most once)."""

    activity = models.OneToOneField(
        "tasks.Activity", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    handled_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "handled activities"

    def __str__(self) -> str:
        return f"Activity {self.activity_id} handled"


class NotificationSettings(models.Model):
    """One person's choices: e-mail per kind, the digest's local hour, a default reminder."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_settings",
    )
    #: ``{kind: delivery}``; a kind missing here takes ``DEFAULT_DELIVERY``.
    email = models.JSONField(default=dict, blank=True)
    #: The hour (0–23, in the user's own time zone) the daily digest goes out.
    digest_hour = models.PositiveSmallIntegerField(default=8)
    #: The reminder added for a task assigned to this person: minutes before its due time
    #: (0 = at the due time), or none.
    default_reminder_minutes = models.PositiveIntegerField(null=True, blank=True)
    #: When the last digest was sent (so an hour is never served twice).
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notification settings of {self.user}"

    def delivery(self, kind: str) -> str:
        return self.email.get(kind) or DEFAULT_DELIVERY.get(kind, Delivery.OFF)


class Reminder(models.Model):
    """
    A reminder for one person about one task: at a fixed moment (``before_minutes`` empty)
    or a number of minutes before the task's due time (``remind_at`` follows the due time
    and is empty while the task has none). It fires once: ``fired_at`` is set when claimed.
    """

    task = models.ForeignKey("tasks.Task", on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    before_minutes = models.PositiveIntegerField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["remind_at", "id"]
        indexes = [
            # The scheduler's scan: pending reminders by time, nothing else.
            models.Index(
                fields=["remind_at"],
                name="reminder_pending",
                condition=Q(fired_at__isnull=True, remind_at__isnull=False),
            ),
            models.Index(fields=["task", "user"], name="reminder_task_user"),
        ]

    def __str__(self) -> str:
        return f"Reminder for {self.user} on {self.task_id}"
