"""
Board positions: distinct within a column and in the order people put the cards, whatever the
sequence of creates, moves (``index``) and raw position writes (the API's ``position``).
"""

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.extra.django import TestCase
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from accounts.models import User
from tasks import services
from tasks.models import Membership, Project, Role, Status, Task
from tasks.services import POSITION_GAP, POSITION_MAX
from tasks.tests.factories import TaskFactory

STATUSES = list(Status.values)


def column(project, status=Status.TODO) -> list[tuple[str, int]]:
    rows = Task.objects.filter(project=project, status=status).order_by("position", "id")
    return list(rows.values_list("title", "position"))


def titles(project, status=Status.TODO) -> str:
    return "".join(title for title, _ in column(project, status))


# Through the API ------------------------------------------------------------------------------
@pytest.fixture
def abc(project):
    return {
        name: TaskFactory(project=project, title=name, position=(i + 1) * POSITION_GAP)
        for i, name in enumerate("ABCDE")
    }


def patch_position(client, task, position, **extra):
    return client.patch(f"/api/v1/tasks/{task.pk}/", {"position": position, **extra}, format="json")


def test_five_patches_to_zero_end_distinct_last_first(abc, project, erin, token_client):
    client = token_client(erin)
    for name in "ABCDE":
        assert patch_position(client, abc[name], 0).status_code == 200
    assert column(project) == [("E", 0), ("D", 1), ("C", 2), ("B", 3), ("A", 4)]


def test_a_free_position_is_taken_as_it_is(abc, project, erin, token_client):
    response = patch_position(token_client(erin), abc["E"], 1500)
    assert response.json()["position"] == 1500
    assert titles(project) == "AEBCD"
    assert [p for _, p in column(project)] == [1024, 1500, 2048, 3072, 4096]


def test_a_taken_position_makes_room_below_without_touching_others(abc, project, erin):
    Task.objects.filter(pk=abc["C"].pk).update(position=2049)
    services.task_update(task=abc["E"], by=erin, position=2048)
    assert column(project) == [("A", 1024), ("E", 2048), ("B", 2049), ("C", 2050), ("D", 4096)]
    # Making room is order, not an edit: only the moved task has a new version.
    versions = dict(Task.objects.values_list("title", "version"))
    assert versions == {"A": 1, "B": 1, "C": 1, "D": 1, "E": 2}


def test_a_position_at_the_top_of_the_integer_range_renumbers_instead_of_overflowing(
    abc, project, erin, token_client
):
    client = token_client(erin)
    assert patch_position(client, abc["A"], POSITION_MAX).status_code == 200
    assert patch_position(client, abc["B"], POSITION_MAX).status_code == 200
    assert titles(project) == "CDEBA"
    created = client.post("/api/v1/tasks/", {"project": project.pk, "title": "F"}, format="json")
    assert created.status_code == 201
    assert titles(project) == "CDEBAF"
    positions = [p for _, p in column(project)]
    assert len(set(positions)) == len(positions)


def test_a_position_with_a_new_status_lands_in_that_column(abc, project, erin, token_client):
    other = TaskFactory(project=project, title="X", status=Status.DONE, position=0)
    response = patch_position(token_client(erin), abc["A"], 0, status="done")
    assert response.status_code == 200
    assert column(project, Status.DONE)[0] == ("A", 0)
    assert Task.objects.get(pk=other.pk).position == 1
    assert titles(project) == "BCDE"


def test_the_same_position_again_changes_nothing(abc, erin, token_client):
    response = patch_position(token_client(erin), abc["B"], 2048)
    assert response.json()["version"] == 1


def test_viewer_cannot_reorder(abc, victor, token_client):
    assert patch_position(token_client(victor), abc["E"], 0).status_code == 403
    assert Task.objects.get(pk=abc["E"].pk).position == 5 * POSITION_GAP


# Any sequence keeps them distinct and in the modelled order (property-based) -----------------
class BoardMachine(RuleBasedStateMachine):
    """
    The model is a list of task ids per column. Creating appends; ``task_move`` inserts at
    an index; a raw ``position`` goes before every task of the column whose position is not
    lower (it makes room rather than tie).
    """

    tasks = Bundle("tasks")

    def __init__(self):
        super().__init__()
        owner = User.objects.create(username=f"owner{Project.objects.count()}")
        self.by = owner
        self.project = services.project_create(by=owner, name="Board")
        assert Membership.objects.get(project=self.project).role == Role.OWNER
        self.model: dict[str, list[int]] = {status: [] for status in STATUSES}
        self.count = 0

    def status_of(self, pk: int) -> str:
        return next(status for status, pks in self.model.items() if pk in pks)

    @rule(target=tasks, status=st.sampled_from(STATUSES))
    def create(self, status):
        self.count += 1
        task = services.task_create(
            project=self.project, by=self.by, title=f"t{self.count}", status=status
        )
        self.model[status].append(task.pk)
        return task.pk

    @rule(
        pk=tasks,
        status=st.sampled_from(STATUSES),
        index=st.one_of(st.none(), st.integers(min_value=0, max_value=8)),
    )
    def move(self, pk, status, index):
        task = Task.objects.get(pk=pk)
        services.task_move(task=task, by=self.by, status=status, index=index)
        self.model[self.status_of(pk)].remove(pk)
        target = self.model[status]
        target.insert(len(target) if index is None else min(index, len(target)), pk)

    @rule(
        pk=tasks,
        status=st.sampled_from(STATUSES),
        position=st.one_of(
            st.integers(min_value=-3, max_value=3),
            st.sampled_from(
                [POSITION_GAP, 2 * POSITION_GAP, POSITION_MAX - 1, POSITION_MAX, -POSITION_MAX]
            ),
        ),
    )
    def place(self, pk, status, position):
        task = Task.objects.get(pk=pk)
        others = Task.objects.filter(project=self.project, status=status).exclude(pk=pk)
        index = others.filter(position__lt=position).count()
        if task.status == status and task.position == position:
            return  # nothing to change
        services.task_update(task=task, by=self.by, status=status, position=position)
        self.model[self.status_of(pk)].remove(pk)
        self.model[status].insert(index, pk)

    @precondition(lambda self: self.count > 0)
    @rule(pk=consumes(tasks))
    def delete(self, pk):
        services.task_delete(task=Task.objects.get(pk=pk), by=self.by)
        self.model[self.status_of(pk)].remove(pk)

    @invariant()
    def columns_match_the_model(self):
        for status in STATUSES:
            rows = list(
                Task.objects.filter(project=self.project, status=status)
                .order_by("position", "id")
                .values_list("pk", "position")
            )
            positions = [position for _, position in rows]
            assert len(set(positions)) == len(positions), (status, positions)
            assert [pk for pk, _ in rows] == self.model[status], status


BoardMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class TestBoardPositions(BoardMachine.TestCase, TestCase):
    """Each example runs in its own transaction (Hypothesis' Django ``TestCase``)."""
