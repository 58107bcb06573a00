"""
``manage.py seed_demo``: three people, two projects and about two hundred tasks to click through.

Everything is created through ``tasks.services`` (so the activity history is real); only the
timestamps are then moved into the past, so that the dashboard's 30-day chart has bars.
The data is the same on every run (a seeded ``random.Random``), and a second run adds nothing.
``--reset`` (development only) erases the whole database first, so the demo data comes back
exactly as on a fresh install, ids included (the README's API examples rely on them).
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tasks import services
from tasks.models import Activity, Comment, Priority, Project, Role, Status, Task

DEBUG_PASSWORD = "taskdesk-demo"
EMAIL_DOMAIN = "demo.taskdesk.example"
SEED = 20240601
TASKS_PER_PROJECT = 100


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    time_zone: str

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}"


PEOPLE = (
    Person("ada", "Ada Lovelace", "Europe/London"),
    Person("ben", "Ben Okafor", "America/New_York"),
    Person("cy", "Cy Tanaka", "Asia/Tokyo"),
)

# name, description, colour, {username: role} (the first is the creator, hence the owner),
# tags, and the words its task titles are made of.
PROJECTS = (
    {
        "name": "Website relaunch",
        "description": "New marketing site: content, design system and a faster checkout.",
        "colour": "#3b82f6",
        "roles": {"ada": Role.OWNER, "ben": Role.EDITOR, "cy": Role.VIEWER},
        "tags": {
            "design": "#8b5cf6",
            "content": "#0ea5e9",
            "frontend": "#10b981",
            "bug": "#dc2626",
            "seo": "#f59e0b",
        },
        "verbs": ("Draft", "Review", "Design", "Fix", "Polish", "Test", "Publish", "Measure"),
        "things": (
            "the pricing page",
            "the hero section",
            "blog post templates",
            "the contact form",
            "navigation on mobile",
            "image compression",
            "the footer links",
            "meta descriptions",
            "the checkout flow",
            "the 404 page",
            "cookie banner copy",
            "case study layout",
        ),
    },
    {
        "name": "Mobile app",
        "description": "The iOS and Android app: offline mode, push notifications, release 2.0.",
        "colour": "#f97316",
        "roles": {"ben": Role.OWNER, "cy": Role.EDITOR, "ada": Role.VIEWER},
        "tags": {
            "ios": "#64748b",
            "android": "#22c55e",
            "api": "#6366f1",
            "bug": "#dc2626",
            "release": "#ec4899",
        },
        "verbs": ("Implement", "Refactor", "Fix", "Profile", "Document", "Ship", "Test", "Plan"),
        "things": (
            "offline sync",
            "push notifications",
            "the login screen",
            "crash on rotation",
            "dark mode",
            "the settings screen",
            "background refresh",
            "deep links",
            "the onboarding tour",
            "app store screenshots",
            "token refresh",
            "accessibility labels",
        ),
    },
)

COMMENTS = (
    "I can take this one after the current sprint.",
    "Blocked until the API change lands.",
    "Looks good to me — ship it.",
    "Left a few notes in the doc: https://example.com/notes",
    "Can we split this into two smaller tasks?",
    "Done on staging, please double-check on a phone.",
    "Reproduced it on the latest build.",
    "Moved the deadline: waiting for the copy.",
)

DESCRIPTIONS = (
    "",
    "",
    "Keep it small; the first version only needs the happy path.",
    "See the discussion in https://example.com/design-review for context.",
    "Acceptance:\n- works without JavaScript\n- keyboard accessible\n- tested on mobile",
    "Follow-up from last week's review.",
)


class Command(BaseCommand):
    help = "Create demo users, projects and tasks (idempotent) and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="If the demo data exists already, change nothing and only print the login hint.",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo accounts new passwords and print them.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Erase the whole database (every account, project and task, not only the demo's) "
                "and seed the demo data afresh, ids starting at 1 again. Only with DEBUG on."
            ),
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="With --reset, do not ask for confirmation.",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where Taskdesk is served, for the login hint (default: %(default)s).",
        )

    def handle(
        self,
        *args,
        once: bool,
        reset_passwords: bool,
        reset: bool,
        interactive: bool,
        base_url: str,
        **options,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if reset:
            self._erase_database(interactive)
            once = False
        existing = self._existing_people()
        demo_exists = bool(existing) or self._demo_projects().exists()

        if once and demo_exists:
            self.stdout.write("Demo data is already there; nothing changed.")
            passwords = self._reset_passwords(existing) if reset_passwords else {}
            if passwords:
                self.stdout.write("New passwords set for the demo accounts.")
            self._print_hint(passwords)
            return

        started = time.monotonic()
        with transaction.atomic():
            people, passwords = self._ensure_people(existing)
            created = self._ensure_projects(people)
            # The demo history is dated weeks back: it is the past, not news, so nobody is
            # notified of it (the worker finds these rows already dispatched).
            Activity.objects.filter(project__in=created, dispatched_at__isnull=True).update(
                dispatched_at=timezone.now()
            )
            if reset_passwords:
                passwords.update(self._reset_passwords(existing))
        elapsed = time.monotonic() - started

        if created:
            tasks = Task.objects.filter(project__in=created).count()
            comments = Comment.objects.filter(task__project__in=created).count()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {len(created)} demo projects with {tasks} tasks and "
                    f"{comments} comments in {elapsed:.1f} s."
                )
            )
        else:
            self.stdout.write("Demo data is already there; nothing added.")
        self._print_hint(passwords)

    def _erase_database(self, interactive: bool) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "--reset erases the whole database, so it only runs with DEBUG on "
                "(a development database); nothing was changed."
            )
        if interactive:
            answer = input(
                "This erases EVERYTHING in the database (all accounts, projects, tasks and "
                "tokens, not only the demo data) and seeds the demo data afresh.\n"
                "Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Reset cancelled; nothing was changed.")
        # flush empties every table and restarts the id sequences.
        call_command("flush", interactive=False, verbosity=0)
        self.stdout.write("Erased the database; seeding the demo data afresh.")

    # People --------------------------------------------------------------------------------
    def _existing_people(self) -> dict[str, User]:
        users = {u.username: u for u in User.objects.filter(username__in=_usernames())}
        for user in users.values():
            if not user.email.lower().endswith("@" + EMAIL_DOMAIN):
                raise CommandError(
                    f"A user called “{user.username}” exists and is not a demo account "
                    f"(its email is not @{EMAIL_DOMAIN}); seed_demo leaves it alone. "
                    "Rename that user or seed another database."
                )
        return users

    def _ensure_people(self, existing: dict[str, User]) -> tuple[dict[str, User], dict[str, str]]:
        people, passwords = dict(existing), {}
        for person in PEOPLE:
            if person.username in people:
                continue
            password = _new_password()
            user = User(
                username=person.username,
                email=person.email,
                display_name=person.display_name,
                time_zone=person.time_zone,
            )
            user.set_password(password)
            user.save()
            people[person.username] = user
            passwords[person.username] = password
        return people, passwords

    def _reset_passwords(self, users: dict[str, User]) -> dict[str, str]:
        passwords = {}
        for username, user in users.items():
            passwords[username] = _new_password()
            user.set_password(passwords[username])
            user.save(update_fields=["password"])
        return passwords

    # Projects and tasks --------------------------------------------------------------------
    def _demo_projects(self):
        return Project.objects.filter(
            name__in=[spec["name"] for spec in PROJECTS],
            created_by__username__in=_usernames(),
            created_by__email__iendswith="@" + EMAIL_DOMAIN,
        )

    def _ensure_projects(self, people: dict[str, User]) -> list[Project]:
        present = set(self._demo_projects().values_list("name", flat=True))
        rng = random.Random(SEED)
        now = timezone.now()
        created = []
        for spec in PROJECTS:
            # Draw for every project, seeded or not, so each one's data never depends on
            # which of the others already existed.
            project_rng = random.Random(rng.random())
            if spec["name"] in present:
                continue
            created.append(_seed_project(spec, people, project_rng, now))
        return created

    # Output --------------------------------------------------------------------------------
    def _print_hint(self, passwords: dict[str, str]) -> None:
        login_url = self.base_url + reverse("account_login")
        self.stdout.write("")
        self.stdout.write(f"Log in at {login_url} as one of:")
        roles = {
            person.username: ", ".join(
                f"{spec['roles'][person.username].label.lower()} in {spec['name']}"
                for spec in PROJECTS
            )
            for person in PEOPLE
        }
        for person in PEOPLE:
            if person.username in passwords:
                secret = f"password: {passwords[person.username]}"
            elif settings.DEBUG:
                secret = f"password: {DEBUG_PASSWORD}"
            else:
                secret = "(password printed when first seeded)"
            self.stdout.write(
                f"  {person.username:<4} {secret:<36} {person.display_name}: "
                f"{roles[person.username]}"
            )
        if settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    f"DEBUG is on, so the demo accounts use the fixed password "
                    f"“{DEBUG_PASSWORD}”. Never seed a production database with DEBUG on."
                )
            )
        elif not passwords:
            self.stdout.write(
                "The passwords were printed when the demo data was first seeded; run "
                "'manage.py seed_demo --reset-passwords' to set and print new ones."
            )
        admin_url = self.base_url + reverse("admin:index")
        staff = list(
            User.objects.filter(is_staff=True, is_active=True)
            .order_by("username")
            .values_list("username", flat=True)
        )
        if staff:
            shown = ", ".join(staff[:3]) + (f" and {len(staff) - 3} more" if len(staff) > 3 else "")
            self.stdout.write(f"The admin is at {admin_url} (staff: {shown}).")
        else:
            self.stdout.write(
                "There is no staff account yet: make one with "
                f"'manage.py createsuperuser' to use the admin at {admin_url}."
            )


def _usernames() -> list[str]:
    return [person.username for person in PEOPLE]


def _new_password() -> str:
    return DEBUG_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12)


def _seed_project(spec: dict, people: dict[str, User], rng: random.Random, now: datetime):
    """One project, its members, tags, tasks and comments, all through the domain functions."""
    usernames = list(spec["roles"])
    owner = people[usernames[0]]
    project = services.project_create(
        by=owner, name=spec["name"], description=spec["description"], colour=spec["colour"]
    )
    for username in usernames[1:]:
        services.member_add(
            project=project, user=people[username], role=spec["roles"][username], by=owner
        )
    tags = [
        services.tag_create(project=project, name=name, colour=colour, by=owner)
        for name, colour in spec["tags"].items()
    ]
    members = [people[name] for name in usernames]
    writers = [people[name] for name in usernames if spec["roles"][name] != Role.VIEWER]

    today = timezone.localdate()
    history: dict[int, tuple[datetime, datetime | None]] = {}
    comments: list[Comment] = []
    for _ in range(TASKS_PER_PROJECT):
        status = rng.choices([Status.TODO, Status.IN_PROGRESS, Status.DONE], [45, 20, 35])[0]
        author = rng.choice(writers)
        task = services.task_create(
            project=project,
            by=author,
            title=f"{rng.choice(spec['verbs'])} {rng.choice(spec['things'])}",
            description=rng.choice(DESCRIPTIONS),
            status=Status.IN_PROGRESS if status == Status.IN_PROGRESS else Status.TODO,
            priority=rng.choices(list(Priority), [30, 20, 25, 15, 10])[0],
            due_date=_due_date(rng, today, done=status == Status.DONE),
            assignee=rng.choice([*members, None]),
            tags=rng.sample(tags, k=rng.choice([0, 1, 1, 2, 3])),
        )
        if status == Status.DONE:
            completed_at = now - timedelta(days=rng.uniform(0.05, 29.9))
            created_at = completed_at - timedelta(days=rng.uniform(0.5, 14))
            task = services.task_complete(task=task, by=rng.choice(writers))
        else:
            completed_at = None
            created_at = now - timedelta(days=rng.uniform(0.1, 45))
        history[task.pk] = (created_at, completed_at)
        for _ in range(rng.choices([0, 1, 2, 3], [60, 20, 12, 8])[0]):
            comments.append(
                services.comment_add(task=task, by=rng.choice(writers), body=rng.choice(COMMENTS))
            )

    _backdate(project, history, comments, rng, now)
    return project


def _due_date(rng: random.Random, today, *, done: bool):
    bucket = rng.choices(
        ["overdue", "today", "week", "later", "none"],
        [5, 5, 10, 30, 50] if done else [15, 10, 25, 25, 25],
    )[0]
    offset = {
        "overdue": -rng.randint(1, 14),
        "today": 0,
        "week": rng.randint(1, 6),
        "later": rng.randint(8, 60),
        "none": None,
    }[bucket]
    return None if offset is None else today + timedelta(days=offset)


def _backdate(project, history, comments, rng: random.Random, now: datetime) -> None:
    """Spread the history over the last weeks: tasks, their activity and their comments."""
    tasks = list(Task.objects.filter(project=project))
    for task in tasks:
        task.created_at, task.completed_at = history[task.pk]
        task.updated_at = task.completed_at or task.created_at
    Task.objects.bulk_update(tasks, ["created_at", "updated_at", "completed_at"], batch_size=500)

    for comment in comments:
        created_at, completed_at = history[comment.task_id]
        end = completed_at or now
        comment.created_at = created_at + (end - created_at) * rng.random()
    Comment.objects.bulk_update(comments, ["created_at"], batch_size=500)
    comment_times = {comment.pk: comment.created_at for comment in comments}

    activities = list(Activity.objects.filter(project=project, task__isnull=False))
    for activity in activities:
        created_at, completed_at = history[activity.task_id]
        if activity.verb == Activity.Verb.COMPLETED:
            activity.created_at = completed_at
        elif activity.verb == Activity.Verb.COMMENTED:
            activity.created_at = comment_times[activity.changes["comment"]]
        else:
            activity.created_at = created_at
    Activity.objects.bulk_update(activities, ["created_at"], batch_size=500)
