from django.apps import AppConfig
from django.db.models.signals import post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.signals import sync_primary_email

        post_save.connect(sync_primary_email, sender=self.get_model("User"))
