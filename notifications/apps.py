from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Follows, the inbox, e-mail and digests, reminders and notification settings (§8)."""

    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from notifications.events import handle_activity
        from notifications.reminders import fire_due_reminders

        # The event bus and the scheduler live in project/; an installation without them
        # (older code paths, some management commands) still loads this app.
        try:
            from project import events
        except ImportError:
            pass
        else:
            events.register("notifications", handle_activity)
        try:
            from project import scheduler
        except ImportError:
            pass
        else:
            scheduler.register("notifications.reminders", fire_due_reminders, every=15)

        from notifications.mail import register_mail_jobs

        register_mail_jobs()
