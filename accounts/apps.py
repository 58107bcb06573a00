from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        # The username-wide login delay counts failures from authenticate()'s signals.
        from accounts import lockout  # noqa: F401
        from accounts.middleware import session_recorded_at_login
        from accounts.signals import sync_primary_email

        post_save.connect(sync_primary_email, sender=self.get_model("User"))
        user_logged_in.connect(session_recorded_at_login)
