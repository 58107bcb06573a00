from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Follows, the inbox, e-mail and digests, reminders and notification settings (§8)."""

    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from notifications.mail import register_mail_jobs

        register_mail_jobs()
