from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # allauth's own sign-in signal: it records the session in "Your sessions" on it.
        from allauth.account.signals import user_logged_in, user_signed_up

        # The username-wide login delay counts failures from authenticate()'s signals.
        from accounts import lockout  # noqa: F401
        from accounts.middleware import session_recorded_at_login
        from accounts.signals import mark_new_account, sync_primary_email

        post_save.connect(sync_primary_email, sender=self.get_model("User"))
        user_logged_in.connect(session_recorded_at_login)
        user_signed_up.connect(mark_new_account)
