from django.apps import AppConfig


class JobsConfig(AppConfig):
    """
    The background-job backbone (DESIGN §8): workers with heartbeats, retries with backoff,
    recovery of jobs a dead worker left running, the periodic scheduler and the event bus that
    hands every committed ``tasks.Activity`` row to the registered consumers.
    """

    name = "project.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_save

        from project import events, scheduler
        from project.jobs import maintenance
        from tasks.models import Activity

        # tasks knows nothing of the bus: the bus listens to it.
        post_save.connect(
            events.activity_saved, sender=Activity, dispatch_uid="events.activity_saved"
        )
        # Each looks a few times within the delay it serves (10 s, 5 s and 10 s by default).
        scheduler.register(
            "events.sweep",
            events.sweep_undispatched,
            every=max(1, min(10, settings.EVENTS_SWEEP_AFTER_SECONDS / 3)),
        )
        scheduler.register(
            "jobs.retry_failed",
            maintenance.retry_due_jobs,
            every=max(1, min(5, settings.TASKS_RETRY_BASE_SECONDS / 2)),
        )
        scheduler.register(
            "jobs.recover_stuck",
            maintenance.recover_stuck_jobs,
            every=max(1, min(10, settings.TASKS_WORKER_TIMEOUT / 3)),
        )
        scheduler.register(
            "jobs.purge", maintenance.purge_finished_jobs, every=3600, once_per_slot=True
        )
