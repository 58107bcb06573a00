"""
``manage.py issue_token alice --name deploy [--days 30] [--read-only] [--project 3 …]
[--can-manage-tokens]``: print a new API token's secret.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import ApiToken, User


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print its secret (shown this once only). By "
        "default it reads and writes in all the user's projects and cannot manage tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--days", type=int, default=None, help="Expire after this many days (default: never)."
        )
        parser.add_argument(
            "--read-only", action="store_true", help="The token can only read (GET)."
        )
        parser.add_argument(
            "--project",
            type=int,
            action="append",
            dest="projects",
            metavar="ID",
            help="Limit the token to this project (repeat for more; default: all projects).",
        )
        parser.add_argument(
            "--can-manage-tokens",
            action="store_true",
            help="Let the token list, create and revoke the user's tokens.",
        )

    def handle(
        self,
        *args,
        username: str,
        name: str,
        days: int | None,
        read_only: bool,
        projects: list[int] | None,
        can_manage_tokens: bool,
        **options,
    ):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user called {username!r}.")
        if days is not None and days <= 0:
            raise CommandError("--days must be a positive number.")
        if projects:
            # The projects the user is a member of, through the relation the tasks app adds
            # to the user (accounts imports no other app).
            mine = set(user.projects.filter(pk__in=projects).values_list("pk", flat=True))
            if unknown := sorted(set(projects) - mine):
                listed = ", ".join(map(str, unknown))
                raise CommandError(f"{username} is not a member of project {listed}.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        _, secret = ApiToken.issue(
            user=user,
            name=name,
            expires_at=expires_at,
            read_only=read_only,
            project_ids=projects,
            can_manage_tokens=can_manage_tokens,
        )
        # Only the secret on stdout, so scripts can capture it: TOKEN=$(manage.py issue_token …)
        self.stdout.write(secret)
