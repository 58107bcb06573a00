from django.apps import AppConfig


class JobsProbeConfig(AppConfig):
    name = "project.tests.jobs_probe"
    label = "jobs_probe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from project import events, scheduler
        from project.tests.jobs_probe import probes

        events.register("probe", probes.handle_activity)
        scheduler.register("probe.tick", probes.tick, every=1, once_per_slot=True)
