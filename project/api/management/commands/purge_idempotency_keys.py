from django.core.management.base import BaseCommand

from project.api.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete idempotency keys older than a day (each user's are also purged as they post)."

    def handle(self, *args, **options):
        deleted = purge_expired()
        if options["verbosity"]:
            self.stdout.write(f"Deleted {deleted} expired idempotency keys.")
