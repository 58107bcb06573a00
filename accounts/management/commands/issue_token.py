"""``manage.py issue_token alice --name deploy [--days 30]``: print a new API token's secret."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create an API token for a user and print its secret (shown this once only)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--days", type=int, default=None, help="Expire after this many days (default: never)."
        )

    def handle(self, *args, username: str, name: str, days: int | None, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user called {username!r}.")
        if days is not None and days <= 0:
            raise CommandError("--days must be a positive number.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        _, secret = ApiToken.issue(user=user, name=name, expires_at=expires_at)
        # Only the secret on stdout, so scripts can capture it: TOKEN=$(manage.py issue_token …)
        self.stdout.write(secret)
