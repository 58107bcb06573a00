"""The database itself guards the data: these writes bypass forms and services on purpose."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from tasks.models import Comment, Membership, Project, Role, Status, Tag, Task
from tasks.tests.factories import (
    CommentFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@contextmanager
def refused():
    """Expect the database to refuse the write; the savepoint keeps the test transaction usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


# Memberships -------------------------------------------------------------------------------
def test_membership_is_unique_per_project_and_user(project, erin):
    with refused():
        Membership.objects.create(project=project, user=erin, role=Role.VIEWER)
    assert Membership.objects.filter(project=project, user=erin).count() == 1


def test_same_user_can_be_member_of_two_projects(erin):
    MembershipFactory(user=erin)
    MembershipFactory(user=erin)
    assert Membership.objects.filter(user=erin).count() == 2


def test_membership_role_must_be_a_known_value(project, erin):
    with refused():
        Membership.objects.filter(project=project, user=erin).update(role="admin")
    assert Membership.objects.get(project=project, user=erin).role == Role.EDITOR


# Tags --------------------------------------------------------------------------------------
def test_tag_names_are_unique_per_project_ignoring_case(project):
    Tag.objects.create(project=project, name="Bug")
    with refused():
        Tag.objects.create(project=project, name="bUG")


def test_renaming_a_tag_onto_another_ignoring_case_is_refused(project):
    Tag.objects.create(project=project, name="Bug")
    other = Tag.objects.create(project=project, name="docs")
    with refused():
        Tag.objects.filter(pk=other.pk).update(name="BUG")


def test_same_tag_name_is_fine_in_another_project(project):
    Tag.objects.create(project=project, name="bug")
    Tag.objects.create(project=ProjectFactory(), name="BUG")
    assert Tag.objects.filter(name__iexact="bug").count() == 2


def test_empty_tag_name_is_refused(project):
    with refused():
        Tag.objects.create(project=project, name="")


# Projects ----------------------------------------------------------------------------------
def test_empty_project_name_is_refused(alice):
    with refused():
        Project.objects.create(name="", created_by=alice)


# Tasks -------------------------------------------------------------------------------------
def test_empty_task_title_is_refused(project):
    with refused():
        Task.objects.create(project=project, title="")


def test_task_status_must_be_a_known_value(task):
    with refused():
        Task.objects.filter(pk=task.pk).update(status="blocked")
    task.refresh_from_db()
    assert task.status == Status.TODO


def test_task_priority_must_be_a_known_value(task):
    with refused():
        Task.objects.filter(pk=task.pk).update(priority="critical")


def test_done_task_without_completion_time_is_refused(project):
    with refused():
        Task.objects.create(project=project, title="Done", status=Status.DONE, completed_at=None)


def test_open_task_with_completion_time_is_refused(project):
    with refused():
        Task.objects.create(
            project=project, title="Open", status=Status.TODO, completed_at=timezone.now()
        )


def test_reopening_without_clearing_completion_time_is_refused(project):
    done = TaskFactory(project=project, status=Status.DONE)
    assert done.completed_at is not None
    with refused():
        Task.objects.filter(pk=done.pk).update(status=Status.IN_PROGRESS)


def test_done_task_with_completion_time_is_accepted(project):
    task = Task.objects.create(
        project=project, title="Done", status=Status.DONE, completed_at=timezone.now()
    )
    assert task.pk


def test_task_version_must_be_positive(task):
    with refused():
        Task.objects.filter(pk=task.pk).update(version=0)


# Comments ----------------------------------------------------------------------------------
def test_empty_comment_body_is_refused(task, alice):
    with refused():
        Comment.objects.create(task=task, author=alice, body="")


def test_non_empty_comment_body_is_accepted(task, alice):
    assert CommentFactory(task=task, author=alice, body="Fine").pk


# Users -------------------------------------------------------------------------------------
def test_user_email_is_unique_ignoring_case():
    UserFactory(username="first", email="Same@Example.com")
    with refused():
        User.objects.create(username="second", email="same@example.COM")


def test_blank_emails_are_allowed_many_times():
    User.objects.create(username="first", email="")
    User.objects.create(username="second", email="")
    User.objects.create(username="third", email="")
    assert User.objects.filter(email="").count() == 3


def test_username_is_unique():
    UserFactory(username="dup")
    with refused():
        User.objects.create(username="dup", email="other@example.com")
