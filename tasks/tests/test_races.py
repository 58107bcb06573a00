"""
Concurrent requests on real PostgreSQL: each race has a winner, the losers get a 4xx (404, 409,
or the 400 of an id that was already gone when their body was read), never a 500, and the
database keeps its invariants (positions distinct within a column, an assignee is a member).

Each request runs in its own thread, with its own database connection, released together by a
barrier, for several rounds; a 500 would surface as the exception the test client re-raises.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from rest_framework.test import APIClient

from tasks import services
from tasks.models import (
    Activity,
    Comment,
    Invitation,
    Membership,
    Project,
    Role,
    Status,
    Tag,
    Task,
)
from tasks.tests.factories import MembershipFactory, TagFactory, TaskFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=(
            "SQLite runs one writer at a time and ignores row locks, so these races cannot "
            "happen there; they need PostgreSQL (DATABASE_URL=postgres://…)"
        ),
    ),
]

ROUNDS = 8


def race(*calls: Callable[[], object]) -> list:
    """Run the calls at the same moment, each in its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise AssertionError(f"a concurrent request failed: {result!r}") from result
    return results


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def codes(responses) -> list[int]:
    return sorted(response.status_code for response in responses)


def column_positions(project, status=Status.TODO) -> list[int]:
    return list(
        Task.objects.filter(project=project, status=status)
        .order_by("position", "id")
        .values_list("position", flat=True)
    )


def test_parallel_deletes_of_one_task(project, alice, erin):
    for _ in range(ROUNDS):
        task = TaskFactory(project=project)
        url = f"/api/v1/tasks/{task.pk}/"
        responses = race(
            lambda url=url: api(alice).delete(url),
            lambda url=url: api(erin).delete(url),
            lambda url=url: api(erin).delete(url),
        )
        assert codes(responses) == [204, 404, 404]
        assert not Task.objects.filter(pk=task.pk).exists()
        assert Activity.objects.filter(task_title=task.title, verb="deleted").count() == 1


def test_parallel_completions_of_a_repeating_task_make_one_next_occurrence(project, alice, erin):
    for _ in range(ROUNDS):
        task = services.task_create(
            project=project,
            by=alice,
            title="Water the plants",
            due_date=datetime.date(2026, 12, 1),
            recurrence="FREQ=DAILY",
        )
        url = f"/api/v1/tasks/{task.pk}/"
        board = f"/tasks/{task.pk}/move/"

        def board_move(board=board) -> object:
            client = Client()
            client.force_login(erin)
            return client.post(board, {"status": "done", "index": 0})

        responses = race(
            lambda url=url: api(alice).patch(url, {"status": "done"}, format="json"),
            lambda url=url: api(erin).patch(url, {"status": "done"}, format="json"),
            board_move,
        )
        for response in responses:
            assert response.status_code < 500, response.content
        following = Task.objects.filter(previous_occurrence=task)
        assert following.count() == 1
        assert following.get().due_date == datetime.date(2026, 12, 2)
        assert Activity.objects.filter(task=task, verb="completed").count() == 1


def test_comment_against_task_delete(project, alice, erin):
    outcomes = set()
    for _ in range(ROUNDS):
        task = TaskFactory(project=project)
        responses = race(
            lambda task=task: api(alice).delete(f"/api/v1/tasks/{task.pk}/"),
            lambda task=task: api(erin).post(
                f"/api/v1/tasks/{task.pk}/comments/", {"body": "Wait!"}, format="json"
            ),
        )
        deleted, commented = responses
        assert deleted.status_code == 204
        assert commented.status_code in (201, 404), commented.content
        outcomes.add(commented.status_code)
        assert not Comment.objects.filter(task_id=task.pk).exists()
    assert outcomes <= {201, 404}


def test_project_delete_against_task_creates(alice, erin):
    for _ in range(ROUNDS):
        project = services.project_create(by=alice, name="Doomed")
        services.member_add(project=project, user=erin, role=Role.EDITOR, by=alice)
        body = {"project": project.pk, "title": "One more"}
        responses = race(
            lambda project=project: api(alice).delete(f"/api/v1/projects/{project.pk}/"),
            lambda body=body: api(erin).post("/api/v1/tasks/", body, format="json"),
            lambda body=body: api(alice).post("/api/v1/tasks/", body, format="json"),
        )
        deleted, *created = responses
        assert deleted.status_code == 204
        for response in created:
            # 400: the project id was already unknown when the body was read.
            assert response.status_code in (201, 400, 404), response.content
        assert not Project.objects.filter(pk=project.pk).exists()
        assert not Task.objects.filter(project_id=project.pk).exists()


def test_tag_delete_against_attaching_it(project, alice, erin):
    for _ in range(ROUNDS):
        tag = TagFactory(project=project)
        task = TaskFactory(project=project)
        responses = race(
            lambda tag=tag: api(alice).delete(f"/api/v1/tags/{tag.pk}/"),
            lambda tag=tag, task=task: api(erin).patch(
                f"/api/v1/tasks/{task.pk}/", {"tags": [tag.pk]}, format="json"
            ),
        )
        deleted, attached = responses
        assert deleted.status_code == 204
        assert attached.status_code in (200, 400, 409), attached.content
        assert not Tag.objects.filter(pk=tag.pk).exists()
        assert not Task.tags.through.objects.filter(tag_id=tag.pk).exists()
        task.refresh_from_db()
        expected_version = 2 if attached.status_code == 200 else 1
        assert task.version == expected_version


def test_task_moved_into_a_project_being_deleted(project, alice, erin):
    for _ in range(ROUNDS):
        target = services.project_create(by=alice, name="Target")
        services.member_add(project=target, user=erin, role=Role.EDITOR, by=alice)
        task = TaskFactory(project=project)
        responses = race(
            lambda target=target: api(alice).delete(f"/api/v1/projects/{target.pk}/"),
            lambda target=target, task=task: api(erin).patch(
                f"/api/v1/tasks/{task.pk}/", {"project": target.pk}, format="json"
            ),
        )
        deleted, moved = responses
        assert deleted.status_code == 204
        assert moved.status_code in (200, 400, 404), moved.content
        if moved.status_code == 200:
            # Moved first, then deleted with the project it had joined.
            assert not Task.objects.filter(pk=task.pk).exists()
        else:
            assert Task.objects.get(pk=task.pk).project_id == project.pk


def test_parallel_board_moves_keep_positions_distinct(project, alice, erin):
    for _ in range(ROUNDS):
        Task.objects.filter(project=project).delete()
        for _ in range(3):
            TaskFactory(project=project)
        movers = [TaskFactory(project=project, status=Status.IN_PROGRESS) for _ in range(4)]
        calls = []
        for i, mover in enumerate(movers):
            client = Client()
            client.force_login(alice if i % 2 else erin)
            url = f"/tasks/{mover.pk}/move/"
            calls.append(
                lambda client=client, url=url: client.post(url, {"status": "todo", "index": "1"})
            )
        responses = race(*calls)
        assert codes(responses) == [302] * 4
        assert all(response["Location"].endswith("/board/") for response in responses)
        positions = column_positions(project)
        assert len(positions) == len(set(positions)) == 7


def test_parallel_patches_to_position_zero_keep_positions_distinct(project, alice, erin):
    for _ in range(ROUNDS):
        Task.objects.filter(project=project).delete()
        tasks = [TaskFactory(project=project) for _ in range(5)]
        calls = [
            lambda task=task, user=(alice, erin)[i % 2]: api(user).patch(
                f"/api/v1/tasks/{task.pk}/", {"position": 0}, format="json"
            )
            for i, task in enumerate(tasks)
        ]
        responses = race(*calls)
        assert codes(responses) == [200] * 5
        positions = column_positions(project)
        assert positions == sorted(set(positions))
        assert positions[0] == 0
        # The writes ran one after the other (their activity ids say in which order), each
        # putting its task on top: the board shows them last-come first.
        arrival = list(
            Activity.objects.filter(project=project, verb="moved")
            .order_by("-id")
            .values_list("task_id", flat=True)[:5]
        )
        board = list(
            Task.objects.filter(project=project).order_by("position").values_list("pk", flat=True)
        )
        assert board == arrival


def test_parallel_creates_get_distinct_positions(project, alice, erin):
    body = {"project": project.pk, "title": "Fast"}
    for _ in range(ROUNDS // 2):
        responses = race(
            *[
                lambda user=user: api(user).post("/api/v1/tasks/", body, format="json")
                for user in (alice, erin, alice, erin)
            ]
        )
        assert codes(responses) == [201] * 4
    positions = column_positions(project)
    assert len(positions) == len(set(positions)) == 4 * (ROUNDS // 2)


def test_an_assignee_removed_at_the_same_moment_does_not_stay_assigned(project, alice):
    for round_ in range(ROUNDS * 5):
        helper = MembershipFactory(project=project, role=Role.EDITOR).user
        task = TaskFactory(project=project)
        responses = race(
            lambda helper=helper: api(alice).delete(
                f"/api/v1/projects/{project.pk}/members/{helper.pk}/"
            ),
            lambda helper=helper, task=task: api(alice).patch(
                f"/api/v1/tasks/{task.pk}/", {"assignee": helper.pk}, format="json"
            ),
        )
        removed, assigned = responses
        assert removed.status_code == 204, round_
        assert assigned.status_code in (200, 400), assigned.content
        assert not Membership.objects.filter(project=project, user=helper).exists()
        assert not Task.objects.filter(project=project, assignee=helper).exists(), round_


def test_parallel_role_changes_never_leave_a_project_without_an_owner(project, alice, erin):
    members = f"/api/v1/projects/{project.pk}/members"
    for _ in range(ROUNDS):
        Membership.objects.filter(project=project, user__in=[alice, erin]).update(role=Role.OWNER)
        responses = race(
            lambda: api(alice).patch(f"{members}/{alice.pk}/", {"role": "editor"}, format="json"),
            lambda: api(erin).patch(f"{members}/{erin.pk}/", {"role": "editor"}, format="json"),
        )
        assert codes(responses) == [200, 400]
        assert Membership.objects.filter(project=project, role=Role.OWNER).count() == 1


def test_parallel_task_moves_between_two_projects_do_not_deadlock(project, alice):
    other = services.project_create(by=alice, name="Other")
    for _ in range(ROUNDS):
        here = TaskFactory(project=project)
        there = TaskFactory(project=other)
        responses = race(
            lambda here=here: api(alice).patch(
                f"/api/v1/tasks/{here.pk}/", {"project": other.pk}, format="json"
            ),
            lambda there=there: api(alice).patch(
                f"/api/v1/tasks/{there.pk}/", {"project": project.pk}, format="json"
            ),
        )
        assert codes(responses) == [200, 200]
    for column in (project, other):
        positions = column_positions(column)
        assert len(positions) == len(set(positions))


def test_unique_positions_are_enforced_by_the_database(project):
    """The constraint is deferred to commit: a duplicate cannot be committed."""
    first = TaskFactory(project=project)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskFactory(project=project, position=first.position)


def test_parallel_invitations_of_one_person_make_one(project, alice, oscar):
    url = f"/api/v1/projects/{project.pk}/members/"
    for _ in range(ROUNDS):
        responses = race(
            lambda: api(alice).post(url, {"username": "oscar", "role": "viewer"}, format="json"),
            lambda: api(alice).post(url, {"email": "oscar@example.com", "role": "editor"}),
        )
        assert codes(responses) == [202, 202]
        assert Invitation.objects.open().filter(project=project).count() == 1
        Invitation.objects.all().delete()


def test_accepting_twice_or_against_a_cancel_joins_at_most_once(project, alice, oscar):
    outcomes = set()
    for _ in range(ROUNDS):
        Membership.objects.filter(project=project, user=oscar).delete()
        invitation = services.member_invite(project=project, by=alice, username="oscar")
        url = f"/api/v1/invitations/{invitation.pk}/"
        cancel = f"/api/v1/projects/{project.pk}/invitations/{invitation.pk}/"
        accepted, again, cancelled = race(
            lambda url=url: api(oscar).patch(url, {"accepted": True}, format="json"),
            lambda url=url: api(oscar).patch(url, {"accepted": True}, format="json"),
            lambda cancel=cancel: api(alice).delete(cancel),
        )
        answers = sorted([accepted.status_code, again.status_code, cancelled.status_code])
        outcomes.add(tuple(answers))
        joined = Membership.objects.filter(project=project, user=oscar).count()
        assert answers in ([200, 404, 404], [204, 404, 404]), answers
        assert joined == (1 if 200 in answers else 0)
        assert Activity.objects.filter(verb="member_added", changes__member="oscar").count() == (
            joined
        )
        Activity.objects.filter(verb="member_added").delete()
    assert outcomes
