"""
Benchmark data, generated with bulk inserts and a fixed random seed so that every run
measures the same rows.

``seed_pages``: one project of 1,000 tasks, the size of a busy team's project, for the list
and the board. ``seed_api``: 100,000 tasks over four projects visible to one user (plus one
project they cannot see), so that scoping, ordering and pagination meet a realistic table.
The rows skip ``tasks.services`` on purpose: going through the domain functions would take
minutes, and only reading is measured.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tasks.models import Comment, Membership, Priority, Project, Role, Status, Tag, Task

BATCH_SIZE = 2000

VERBS = [
    "Write", "Review", "Fix", "Plan", "Draft", "Update", "Test", "Ship", "Design", "Migrate",
    "Document", "Refactor", "Measure", "Prepare", "Check",
]  # fmt: skip
NOUNS = [
    "release notes", "login page", "invoice export", "onboarding email", "search results",
    "board layout", "API docs", "backup job", "pricing table", "weekly report", "mobile menu",
    "error pages", "password reset", "CSV import", "dark theme", "audit log",
]  # fmt: skip
WORDS = [
    "customer", "feedback", "sprint", "budget", "deadline", "server", "cache", "query",
    "index", "review", "design", "meeting", "browser", "mobile", "report", "chart", "export",
    "import", "invoice", "account", "billing", "team",
]  # fmt: skip
TAG_NAMES = [
    "backend", "frontend", "bug", "feature", "docs", "design", "ops", "security",
    "research", "urgent-fix", "customer", "tech-debt",
]  # fmt: skip
TAG_COLOURS = ["#ef4444", "#f97316", "#eab308", "#22c55e", "#06b6d4", "#3b82f6", "#8b5cf6"]

STATUS_WEIGHTS = {Status.TODO: 40, Status.IN_PROGRESS: 25, Status.DONE: 35}
PRIORITY_WEIGHTS = {
    Priority.NONE: 30,
    Priority.LOW: 20,
    Priority.MEDIUM: 25,
    Priority.HIGH: 17,
    Priority.URGENT: 8,
}


@dataclass
class Dataset:
    """What the benchmark needs to know about the rows it made."""

    user: User
    projects: list[Project]
    task_count: int = 0
    tag_count: int = 0
    comment_count: int = 0


def make_users(prefix: str, count: int) -> list[User]:
    """Users without a usable password: the benchmark signs in by session or token."""
    users = [
        User(
            username=f"{prefix}{n}",
            email=f"{prefix}{n}@bench.example",
            display_name=f"{prefix.title()} Member {n}",
            password=make_password(None),
        )
        for n in range(count)
    ]
    return User.objects.bulk_create(users)


def make_project(name: str, owner: User, members: list[tuple[User, Role]]) -> Project:
    project = Project.objects.create(name=name, created_by=owner, colour="#3b82f6")
    Membership.objects.bulk_create(
        [Membership(project=project, user=owner, role=Role.OWNER)]
        + [Membership(project=project, user=user, role=role) for user, role in members]
    )
    return project


def make_tags(project: Project, count: int, rng: random.Random) -> list[Tag]:
    return Tag.objects.bulk_create(
        [
            Tag(project=project, name=name, colour=rng.choice(TAG_COLOURS))
            for name in TAG_NAMES[:count]
        ]
    )


def make_tasks(
    project: Project,
    count: int,
    *,
    assignees: list[User | None],
    tags: list[Tag],
    creator: User,
    rng: random.Random,
    now: datetime.datetime,
) -> list[Task]:
    """``count`` tasks spread over statuses, priorities, due dates, assignees and 0–3 tags."""
    today = now.date()
    statuses = list(STATUS_WEIGHTS)
    status_weights = list(STATUS_WEIGHTS.values())
    priorities = list(PRIORITY_WEIGHTS)
    priority_weights = list(PRIORITY_WEIGHTS.values())
    positions = dict.fromkeys(statuses, 0)
    tasks = []
    for n in range(count):
        status = rng.choices(statuses, status_weights)[0]
        positions[status] += 1
        created = now - datetime.timedelta(minutes=rng.randint(1, 365 * 24 * 60))
        updated = created + datetime.timedelta(minutes=rng.randint(0, 10 * 24 * 60))
        updated = min(updated, now)
        due = None
        if rng.random() < 0.7:
            due = today + datetime.timedelta(days=rng.randint(-30, 60))
        words = " ".join(rng.choices(WORDS, k=rng.randint(6, 30)))
        tasks.append(
            Task(
                project=project,
                title=f"{rng.choice(VERBS)} {rng.choice(NOUNS)} #{n + 1}",
                description=f"{words.capitalize()}." if rng.random() < 0.8 else "",
                status=status,
                priority=rng.choices(priorities, priority_weights)[0],
                due_date=due,
                assignee=rng.choice(assignees),
                created_by=creator,
                created_at=created,
                updated_at=updated,
                completed_at=updated if status == Status.DONE else None,
                position=positions[status] * 1024,
                version=rng.randint(1, 6),
            )
        )
    tasks = Task.objects.bulk_create(tasks, batch_size=BATCH_SIZE)
    links = [
        Task.tags.through(task_id=task.pk, tag_id=tag.pk)
        for task in tasks
        for tag in rng.sample(tags, rng.choice([0, 0, 1, 1, 1, 2, 2, 3]))
    ]
    Task.tags.through.objects.bulk_create(links, batch_size=BATCH_SIZE * 2)
    return tasks


def make_comments(tasks: list[Task], authors: list[User], share: float, rng: random.Random) -> int:
    comments = [
        Comment(task=task, author=rng.choice(authors), body=" ".join(rng.choices(WORDS, k=12)))
        for task in tasks
        if rng.random() < share
        for _ in range(rng.randint(1, 3))
    ]
    Comment.objects.bulk_create(comments, batch_size=BATCH_SIZE)
    return len(comments)


@transaction.atomic
def seed_pages(seed: int = 1) -> Dataset:
    """One project, 1,000 tasks, 12 tags, 5 members (assignees), some comments."""
    rng = random.Random(seed)
    now = timezone.now()
    owner, *others = make_users("pages", 5)
    members = [
        (others[0], Role.EDITOR),
        (others[1], Role.EDITOR),
        (others[2], Role.EDITOR),
        (others[3], Role.VIEWER),
    ]
    project = make_project("Website relaunch", owner, members)
    tags = make_tags(project, 12, rng)
    people = [owner, *others]
    tasks = make_tasks(
        project,
        1000,
        assignees=[*people, None],
        tags=tags,
        creator=owner,
        rng=rng,
        now=now,
    )
    comments = make_comments(tasks, people, 0.3, rng)
    return Dataset(
        user=owner,
        projects=[project],
        task_count=len(tasks),
        tag_count=len(tags),
        comment_count=comments,
    )


@transaction.atomic
def seed_api(seed: int = 2) -> Dataset:
    """
    100,000 tasks in four projects the user belongs to (owner, owner, editor, viewer) and
    5,000 in a project of strangers, which must never show up.
    """
    rng = random.Random(seed)
    now = timezone.now()
    user, *colleagues = make_users("api", 6)
    strangers = make_users("outsider", 2)
    roles = [Role.OWNER, Role.OWNER, Role.EDITOR, Role.VIEWER]
    projects = []
    task_total = tag_total = comment_total = 0
    for index, role in enumerate(roles):
        if role == Role.OWNER:
            owner, members = user, [(c, Role.EDITOR) for c in colleagues[:3]]
        else:
            owner = colleagues[index]
            members = [(user, role), *[(c, Role.EDITOR) for c in colleagues[:2]]]
        project = make_project(f"API project {index + 1}", owner, members)
        tags = make_tags(project, 10, rng)
        people = [owner, *(m for m, _ in members)]
        tasks = make_tasks(
            project,
            25_000,
            assignees=[*people, None],
            tags=tags,
            creator=owner,
            rng=rng,
            now=now,
        )
        comment_total += make_comments(tasks, people, 0.05, rng)
        projects.append(project)
        task_total += len(tasks)
        tag_total += len(tags)
    hidden = make_project("Strangers' project", strangers[0], [(strangers[1], Role.EDITOR)])
    make_tasks(
        hidden,
        5_000,
        assignees=[*strangers, None],
        tags=make_tags(hidden, 5, rng),
        creator=strangers[0],
        rng=rng,
        now=now,
    )
    return Dataset(
        user=user,
        projects=projects,
        task_count=task_total,
        tag_count=tag_total,
        comment_count=comment_total,
    )
