"""The task list: filters, search, ordering, cursor pagination and its query count."""

import datetime
import random

import pytest
from django.db import connection
from django.utils import timezone

from tasks.models import Role, Status
from tasks.tests.factories import (
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
)

TASKS = "/api/v1/tasks/"
ORDERINGS = ["due_date", "priority", "created", "updated", "position"]


@pytest.fixture
def client(erin, token_client):
    return token_client(erin)


def titles(response):
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------
@pytest.fixture
def board(project, erin, victor, tag):
    today = timezone.localdate()
    other = TagFactory(project=project, name="docs")
    TaskFactory(project=project, title="late", due_date=today - datetime.timedelta(days=2))
    TaskFactory(
        project=project,
        title="late but done",
        status=Status.DONE,
        due_date=today - datetime.timedelta(days=2),
    )
    TaskFactory(project=project, title="mine", assignee=erin, priority="high", tags=[tag])
    TaskFactory(project=project, title="victor's", assignee=victor, priority="urgent")
    TaskFactory(
        project=project,
        title="soon",
        status=Status.IN_PROGRESS,
        due_date=today + datetime.timedelta(days=3),
        tags=[other],
    )
    return {"today": today, "docs": other}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=done", ["late but done"]),
        ("status=done&status=in_progress", ["late but done", "soon"]),
        ("priority=high&priority=urgent", ["mine", "victor's"]),
        ("assignee=me", ["mine"]),
        ("assignee=none", ["late", "late but done", "soon"]),
        ("overdue=true", ["late"]),
        ("search=LATE", ["late", "late but done"]),
        ("status=todo&assignee=none", ["late"]),
        ("status=todo&priority=high&assignee=me", ["mine"]),
    ],
)
def test_filters(client, board, query, expected):
    assert titles(client.get(f"{TASKS}?{query}")) == expected


def test_filter_by_assignee_id_tag_and_dates(client, board, victor, tag):
    assert titles(client.get(f"{TASKS}?assignee={victor.pk}")) == ["victor's"]
    assert titles(client.get(f"{TASKS}?tag={tag.pk}")) == ["mine"]
    assert titles(client.get(f"{TASKS}?tag={board['docs'].pk}&status=in_progress")) == ["soon"]
    today = board["today"]
    assert titles(client.get(f"{TASKS}?due_after={today}")) == ["soon"]
    assert titles(client.get(f"{TASKS}?due_before={today}")) == ["late", "late but done"]


def test_filter_by_project_shows_only_that_project(client, project, erin, board):
    beta = ProjectFactory(name="Beta")
    MembershipFactory(project=beta, user=erin, role=Role.VIEWER)
    TaskFactory(project=beta, title="in beta")
    assert titles(client.get(f"{TASKS}?project={beta.pk}")) == ["in beta"]
    assert len(titles(client.get(f"{TASKS}?project={project.pk}"))) == 5


@pytest.mark.parametrize("name", ["project", "tag"])
def test_foreign_ids_in_the_query_string_are_400(client, oscar, name):
    secret = ProjectFactory(name="Secret")
    MembershipFactory(project=secret, user=oscar, role=Role.OWNER)
    secret_tag = TagFactory(project=secret, name="hidden")
    TaskFactory(project=secret, title="hidden", tags=[secret_tag])
    value = secret.pk if name == "project" else secret_tag.pk
    response = client.get(f"{TASKS}?{name}={value}")
    assert response.status_code == 400
    assert name in response.json()["errors"]


@pytest.mark.parametrize(
    "query", ["status=finished", "priority=9", "due_before=yesterday", "due_after=2030-02-30"]
)
def test_bad_filter_values_are_400(client, query):
    response = client.get(f"{TASKS}?{query}")
    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL")
def test_full_text_search_stems_words(client, project):
    TaskFactory(project=project, title="Run the nightly backup")
    TaskFactory(project=project, title="Plan the offsite", description="Who is running it?")
    TaskFactory(project=project, title="Rename the runner")
    assert titles(client.get(f"{TASKS}?search=running")) == [
        "Plan the offsite",
        "Run the nightly backup",
    ]
    assert titles(client.get(f"{TASKS}?search=backup -offsite")) == ["Run the nightly backup"]


# ---------------------------------------------------------------------------
# Ordering and cursor pagination
# ---------------------------------------------------------------------------
def test_unknown_ordering_is_400(client):
    response = client.get(f"{TASKS}?ordering=title;drop")
    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4IiwxLDEsMF0"])
def test_invalid_cursor_is_400(client, cursor):
    response = client.get(f"{TASKS}?cursor={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_priority_sorts_by_rank_and_undated_tasks_come_last(client, project):
    for title, priority, due in [
        ("low", "low", "2030-01-02"),
        ("urgent", "urgent", None),
        ("none", "none", "2030-01-01"),
        ("high", "high", None),
    ]:
        TaskFactory(project=project, title=title, priority=priority, due_date=due)

    def order(ordering):
        return [
            row["title"] for row in client.get(f"{TASKS}?ordering={ordering}").json()["results"]
        ]

    assert order("-priority") == ["urgent", "high", "low", "none"]
    assert order("priority") == ["none", "low", "high", "urgent"]
    assert order("due_date")[:2] == ["none", "low"]
    assert order("-due_date")[:2] == ["low", "none"]
    assert set(order("-due_date")[2:]) == {"urgent", "high"}


def test_page_size_defaults_to_50_and_is_capped_at_200(client, project):
    TaskFactory.create_batch(205, project=project)
    assert len(client.get(TASKS).json()["results"]) == 50
    assert len(client.get(f"{TASKS}?page_size=500").json()["results"]) == 200
    assert len(client.get(f"{TASKS}?page_size=7").json()["results"]) == 7
    assert len(client.get(f"{TASKS}?page_size=nonsense").json()["results"]) == 50


def _random_tasks(project, count, rng):
    base = timezone.now() - datetime.timedelta(days=10)
    existing = project.tasks.count()
    for i in range(count):
        moment = base + datetime.timedelta(minutes=rng.choice([0, 1, 2, 3]))
        # Positions are distinct inside a column (a database constraint) but tie across the
        # three columns, so the walk still meets equal keys.
        slot = existing + i
        TaskFactory(
            project=project,
            title=f"t{i}",
            status=list(Status)[slot % 3],
            priority=rng.choice(["none", "low", "medium", "high", "urgent"]),
            due_date=rng.choice([None, None, datetime.date(2030, 1, rng.randint(1, 3))]),
            position=1024 * (slot // 3 % 2 + 1) + slot // 6,
            created_at=moment,
            updated_at=moment,
        )


@pytest.mark.parametrize("ordering", [*ORDERINGS, *[f"-{o}" for o in ORDERINGS]])
def test_walk_sees_every_task_once_while_tasks_are_added(client, project, ordering):
    rng = random.Random(ordering)
    _random_tasks(project, 37, rng)
    before = set(project.tasks.values_list("pk", flat=True))
    seen = []
    url = f"{TASKS}?ordering={ordering}&page_size=5"
    pages = 0
    while url:
        data = client.get(url).json()
        seen += [row["id"] for row in data["results"]]
        # Someone adds tasks between our pages, with keys on both sides of the cursor.
        _random_tasks(project, 2, rng)
        url = data["next"]
        pages += 1
        assert pages < 40
    assert len(seen) == len(set(seen)), "a task was seen twice"
    assert before <= set(seen), "a task was skipped"


@pytest.mark.parametrize("ordering", ["due_date", "-priority"])
def test_previous_link_returns_the_page_before(client, project, ordering):
    _random_tasks(project, 23, random.Random(7))
    first = client.get(f"{TASKS}?ordering={ordering}&page_size=5").json()
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(third["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in second["results"]]
    back_again = client.get(back["previous"]).json()
    assert [r["id"] for r in back_again["results"]] == [r["id"] for r in first["results"]]
    assert back_again["previous"] is None


# ---------------------------------------------------------------------------
# Query count
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("rows", [10, 200])
def test_list_query_count_is_constant(client, project, tag, erin, django_assert_num_queries, rows):
    other = TagFactory(project=project, name="other")
    for _ in range(rows):
        TaskFactory(project=project, assignee=erin, tags=[tag, other])
    client.get(TASKS)  # the token's first use records last_used_at
    # 1. the bearer token with its user
    # 2. the page of rows (one SELECT of the listed columns, visibility as a subquery; on
    #    PostgreSQL with each row's tag ids as an array subquery)
    # 3. elsewhere: the page's tag ids from the task-tag table
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 3):
        response = client.get(f"{TASKS}?page_size=200&status=todo&ordering=-priority")
    assert len(response.json()["results"]) == rows
