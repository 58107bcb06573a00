from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # The username-wide login delay counts failures from authenticate()'s signals.
        from accounts import lockout  # noqa: F401
