from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API's shared plumbing; its one model keeps idempotency keys for every worker."""

    name = "project.api"
    label = "api"
    verbose_name = "API plumbing"
    default_auto_field = "django.db.models.BigAutoField"
