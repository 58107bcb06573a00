"""
Properties of the task list, checked on data Hypothesis makes up: the filters return exactly
what a plain-Python reading of them says, and a cursor walk sees every task exactly once, in
order, while tasks are being added.
"""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.models import PRIORITY_RANK, Priority, Role, Status, Task
from tasks.tests.factories import MembershipFactory, ProjectFactory, TagFactory, TaskFactory

TASKS = "/api/v1/tasks/"
TODAY = timezone.localdate()
DATES = st.none() | st.integers(-6, 6).map(lambda days: TODAY + datetime.timedelta(days=days))
WORDS = ["alpha", "beta", "gamma"]

HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def client(erin, token_client):
    return token_client(erin)


@pytest.fixture
def world(project, erin, alice):
    """Alpha (the cast's project), Beta (erin edits it too) and Hidden (erin is no member)."""
    beta = ProjectFactory(name="Beta")
    MembershipFactory(project=beta, user=erin, role=Role.EDITOR)
    MembershipFactory(project=beta, user=alice, role=Role.OWNER)
    hidden = ProjectFactory(name="Hidden")
    MembershipFactory(project=hidden, user=alice, role=Role.OWNER)
    tags = {p.pk: [TagFactory(project=p, name=f"t{i}") for i in range(2)] for p in (project, beta)}
    return {"projects": [project, beta, hidden], "tags": tags, "people": [erin, alice]}


def walk(client, query: str) -> list[int]:
    """Every id the list returns for ``query``, following ``next`` to the end."""
    ids, url = [], f"{TASKS}?{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids


task_specs = st.lists(
    st.fixed_dictionaries(
        {
            "project": st.integers(0, 2),
            "status": st.sampled_from(Status.values),
            "priority": st.sampled_from(Priority.values),
            "due_date": DATES,
            "assignee": st.integers(0, 2),  # none, erin, alice
            "tags": st.sets(st.integers(0, 1)),
            "word": st.sampled_from(WORDS),
        }
    ),
    max_size=12,
)

filters = st.fixed_dictionaries(
    {},
    optional={
        # Only projects erin can see: any other id is a 400 ("not a valid choice").
        "project": st.integers(0, 1),
        "status": st.lists(st.sampled_from(Status.values), min_size=1, max_size=2, unique=True),
        "priority": st.lists(st.sampled_from(Priority.values), min_size=1, max_size=2, unique=True),
        "assignee": st.sampled_from(["me", "none", "alice"]),
        "tag": st.integers(0, 1),
        "due_before": DATES.filter(bool),
        "due_after": DATES.filter(bool),
        "overdue": st.booleans(),
        "search": st.sampled_from(WORDS),
    },
)


def expected_ids(tasks: list[Task], spec: dict, world: dict, erin) -> set[int]:
    """The filters as a plain-Python reading of the API documentation."""
    visible = {p.pk for p in world["projects"][:2]}
    matches = set()
    for task in tasks:
        tag_ids = {tag.pk for tag in task.tags.all()}
        checks = [
            task.project_id in visible,
            "project" not in spec or task.project_id == world["projects"][spec["project"]].pk,
            "status" not in spec or task.status in spec["status"],
            "priority" not in spec or task.priority in spec["priority"],
            "due_before" not in spec
            or (task.due_date is not None and task.due_date <= spec["due_before"]),
            "due_after" not in spec
            or (task.due_date is not None and task.due_date >= spec["due_after"]),
            "search" not in spec or spec["search"] in task.title,
        ]
        if "assignee" in spec:
            wanted = {"me": erin.pk, "none": None, "alice": world["people"][1].pk}
            checks.append(task.assignee_id == wanted[spec["assignee"]])
        if "tag" in spec:
            tag = world["tags"][world["projects"][0].pk][spec["tag"]]
            checks.append(tag.pk in tag_ids)
        if "overdue" in spec:
            late = task.due_date is not None and task.due_date < TODAY and task.status != "done"
            checks.append(late is spec["overdue"])
        if all(checks):
            matches.add(task.pk)
    return matches


def as_query(spec: dict, world: dict) -> str:
    parts = []
    for name, value in spec.items():
        if name == "project":
            value = world["projects"][value].pk
        elif name == "tag":
            value = world["tags"][world["projects"][0].pk][value].pk
        elif name == "assignee" and value == "alice":
            value = world["people"][1].pk
        elif name == "overdue":
            value = str(value).lower()
        for item in value if isinstance(value, list) else [value]:
            parts.append(f"{name}={item}")
    return "&".join([*parts, "page_size=5"])


@HYPOTHESIS
@given(specs=task_specs, spec=filters)
def test_task_filters_match_a_python_model(client, world, erin, specs, spec):
    if connection.vendor == "postgresql":
        spec.pop("search", None)  # full-text search stems words; the model here does not
    projects, people = world["projects"], [None, *world["people"]]
    tasks = []
    try:
        for n, row in enumerate(specs):
            project = projects[row["project"]]
            project_tags = world["tags"].get(project.pk, [])
            tasks.append(
                TaskFactory(
                    project=project,
                    title=f"{row['word']} {n}",
                    status=row["status"],
                    priority=row["priority"],
                    due_date=row["due_date"],
                    assignee=people[row["assignee"]],
                    tags=[project_tags[i] for i in row["tags"] if project_tags],
                )
            )
        got = walk(client, as_query(spec, world))
        assert len(got) == len(set(got))
        assert set(got) == expected_ids(tasks, spec, world, erin)
    finally:
        Task.objects.filter(pk__in=[task.pk for task in tasks]).delete()


MOMENTS = [
    datetime.datetime(2026, 1, 1, hour, tzinfo=datetime.UTC) for hour in (9, 10, 11)
]  # few values: many ties, which the id must break
keys = st.fixed_dictionaries(
    {
        "created_at": st.sampled_from(MOMENTS),
        "updated_at": st.sampled_from(MOMENTS),
        "due_date": DATES,
        "priority": st.sampled_from(Priority.values),
        "position": st.integers(0, 3),
    }
)


def sort_key(task: Task, ordering: str):
    name = ordering.removeprefix("-")
    descending = ordering.startswith("-")
    if name == "due_date":
        # Undated tasks come last whichever the direction.
        filler = datetime.date.min if descending else datetime.date.max
        return (task.due_date or filler, task.pk)
    if name == "priority":
        return (PRIORITY_RANK[task.priority], task.pk)
    column = {"created": "created_at", "updated": "updated_at"}.get(name, name)
    return (getattr(task, column), task.pk)


def make(project, values: dict) -> Task:
    task = TaskFactory(
        project=project,
        due_date=values["due_date"],
        priority=values["priority"],
        position=values["position"],
    )
    # The timestamps are set by the model; pin them to the drawn (tied) values.
    Task.objects.filter(pk=task.pk).update(
        created_at=values["created_at"], updated_at=values["updated_at"]
    )
    task.refresh_from_db()
    return task


@HYPOTHESIS
@given(
    initial=st.lists(keys, max_size=12),
    ordering=st.sampled_from(
        [
            f"{sign}{name}"
            for name in ("created", "updated", "due_date", "priority", "position")
            for sign in ("", "-")
        ]
    ),
    page_size=st.integers(1, 4),
    data=st.data(),
)
def test_a_cursor_walk_sees_every_task_once_in_order_while_tasks_are_added(
    client, project, initial, ordering, page_size, data
):
    originals = [make(project, values) for values in initial]
    added = []
    try:
        seen, cursor = [], None
        while True:
            query = f"ordering={ordering}&page_size={page_size}"
            response = client.get(f"{TASKS}?{query}" + (f"&cursor={cursor}" if cursor else ""))
            assert response.status_code == 200, response.content
            body = response.json()
            seen += [row["id"] for row in body["results"]]
            # Someone adds tasks between two pages.
            added += [make(project, values) for values in data.draw(st.lists(keys, max_size=2))]
            if not body["next"]:
                break
            cursor = parse_qs(urlsplit(body["next"]).query)["cursor"][0]
        assert len(seen) == len(set(seen)), "a task was listed twice"
        assert {task.pk for task in originals} <= set(seen), "a task was skipped"
        by_id = {task.pk: task for task in [*originals, *added]}
        in_order = sorted(
            seen,
            key=lambda pk: sort_key(by_id[pk], ordering),
            reverse=ordering.startswith("-"),
        )
        assert seen == in_order
    finally:
        Task.objects.filter(pk__in=[t.pk for t in [*originals, *added]]).delete()
