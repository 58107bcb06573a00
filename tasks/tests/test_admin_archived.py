"""
An archived project is read-only in the admin too: staff change it only by unarchiving it.

The domain refuses; the admin shows its reason (as a form error with the input kept, or as a
message) and changes nothing, no activity included.
"""

import pytest

from tasks import services
from tasks.models import Activity, Comment, Membership, Project, Status, Tag, Task
from tasks.tests.admin_support import (
    admin_url,
    confirm_bulk_delete,
    form_data,
    form_errors,
    messages_of,
    run_action,
    run_form_action,
)
from tasks.tests.factories import CommentFactory, ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def archived(project, task, tag, alice):
    """Alpha with a task, a tag and alice's comment, then archived by alice."""
    CommentFactory(task=task, author=alice, body="Before the archive")
    services.project_update(project=project, by=alice, is_archived=True)
    Activity.objects.all().delete()  # only what the admin writes is of interest here
    return project


def snapshot():
    """Everything an admin change could touch, to show that a refusal changed nothing."""
    return {
        "projects": list(Project.objects.values_list("name", "is_archived")),
        "tasks": list(Task.objects.values_list("title", "status", "version", "project_id")),
        "tags": list(Tag.objects.values_list("name", "colour")),
        "comments": list(Comment.objects.values_list("body", "edited_at")),
        "members": list(Membership.objects.values_list("user__username", "role")),
        "activity": Activity.objects.count(),
    }


def assert_archived_reason(reasons):
    assert reasons, "no reason was shown"
    assert any("archived" in reason.lower() for reason in reasons), reasons


def test_task_edit_is_refused_with_the_input_kept(staff_client, archived, task):
    url = admin_url("tasks.task", "change", task.pk)
    data = form_data(staff_client.get(url), title="Typed anyway")
    before = snapshot()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert_archived_reason(form_errors(response)["__all__"])
    assert response.context["adminform"].form["title"].value() == "Typed anyway"
    assert snapshot() == before


def test_task_add_is_refused_with_the_input_kept(staff_client, archived):
    url = admin_url("tasks.task", "add")
    data = form_data(staff_client.get(url), project=archived.pk, title="New in the archive")
    before = snapshot()

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert_archived_reason(form_errors(response)["__all__"])
    assert response.context["adminform"].form["title"].value() == "New in the archive"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "answer", "done"),
    [
        ("mark_done", {}, "Marked 0 tasks done."),
        ("move_to_status", {"status": "in_progress"}, "Moved 0 tasks."),
    ],
)
def test_task_actions_are_refused_per_task(staff_client, archived, task, action, answer, done):
    open_elsewhere = TaskFactory(project=ProjectFactory(name="Beta"), title="Elsewhere")
    before = snapshot()

    response = run_action(staff_client, "tasks.task", action, [task], **answer)

    [refused, summary] = messages_of(response)
    assert refused.startswith(f"“{task}”: ")
    assert_archived_reason([refused])
    assert summary == done
    assert snapshot() == before
    assert Task.objects.get(pk=open_elsewhere.pk).status == Status.TODO


def test_moving_a_task_out_of_an_archived_project_is_refused(staff_client, archived, task):
    beta = ProjectFactory(name="Beta")
    before = snapshot()
    response = run_action(staff_client, "tasks.task", "move_to_project", [task], project=beta.pk)
    assert_archived_reason(messages_of(response))
    assert snapshot() == before


def test_task_delete_page_is_refused_with_403(staff_client, archived, task):
    before = snapshot()
    response = staff_client.post(admin_url("tasks.task", "delete", task.pk), {"post": "yes"})
    assert response.status_code == 403
    assert "is archived" in response.content.decode()
    assert snapshot() == before


def test_bulk_delete_deletes_only_outside_the_archive(staff_client, archived, task):
    elsewhere = TaskFactory(project=ProjectFactory(name="Beta"))

    response = confirm_bulk_delete(staff_client, "tasks.task", [task, elsewhere])

    [refused, deleted] = messages_of(response)
    assert refused.startswith(f"“{task}” was not deleted: ")
    assert_archived_reason([refused])
    assert deleted == "Deleted 1 task."
    assert list(Task.objects.all()) == [task]
    assert Activity.objects.get().task_title == elsewhere.title


def test_tag_changes_are_refused(staff_client, archived, tag):
    before = snapshot()
    change = admin_url("tasks.tag", "change", tag.pk)
    renamed = staff_client.post(change, form_data(staff_client.get(change), name="feature"))
    assert renamed.status_code == 200
    assert_archived_reason(form_errors(renamed)["__all__"])

    add = admin_url("tasks.tag", "add")
    data = form_data(staff_client.get(add), project=archived.pk, name="new", colour="#000000")
    assert_archived_reason(form_errors(staff_client.post(add, data))["__all__"])

    deleted = staff_client.post(admin_url("tasks.tag", "delete", tag.pk), {"post": "yes"})
    assert deleted.status_code == 403
    assert "is archived" in deleted.content.decode()
    assert snapshot() == before


def test_comment_changes_are_refused(staff_client, staff, archived, task):
    mine = CommentFactory(task=task, author=staff, body="Mine, from before")
    before = snapshot()

    add = admin_url("tasks.comment", "add")
    added = staff_client.post(add, form_data(staff_client.get(add), task=task.pk, body="Late"))
    assert_archived_reason(form_errors(added)["__all__"])

    change = admin_url("tasks.comment", "change", mine.pk)
    edited = staff_client.post(change, form_data(staff_client.get(change), body="Edited"))
    assert_archived_reason(form_errors(edited)["__all__"])

    deleted = staff_client.post(admin_url("tasks.comment", "delete", mine.pk), {"post": "yes"})
    assert deleted.status_code == 403
    assert "is archived" in deleted.content.decode()
    assert snapshot() == before


def test_member_changes_are_refused(staff_client, archived, erin, oscar):
    membership = Membership.objects.get(project=archived, user=erin)
    before = snapshot()

    add = admin_url("tasks.membership", "add")
    data = form_data(staff_client.get(add), project=archived.pk, user=oscar.pk, role="viewer")
    assert_archived_reason(form_errors(staff_client.post(add, data))["__all__"])

    changed = run_action(
        staff_client, "tasks.membership", "change_role", [membership], role="owner"
    )
    assert_archived_reason(messages_of(changed))

    removed = confirm_bulk_delete(staff_client, "tasks.membership", [membership])
    assert_archived_reason(messages_of(removed))
    assert snapshot() == before


def test_project_rename_is_refused_until_unarchived(staff_client, archived, task):
    url = admin_url("tasks.project", "change", archived.pk)
    before = snapshot()
    refused = staff_client.post(url, form_data(staff_client.get(url), name="Renamed"))
    assert refused.status_code == 200
    assert_archived_reason(form_errors(refused)["__all__"])
    assert snapshot() == before

    response = run_form_action(staff_client, "tasks.project", "unarchive", archived)
    assert messages_of(response) == ["Unarchived 1 project."]

    assert staff_client.post(url, form_data(staff_client.get(url), name="Renamed")).status_code
    assert Project.objects.get(pk=archived.pk).name == "Renamed"
    done = run_action(staff_client, "tasks.task", "mark_done", [task])
    assert messages_of(done)[-1] == "Marked 1 task done."
    assert Task.objects.get(pk=task.pk).status == Status.DONE


def test_deleting_an_archived_project_is_allowed(staff_client, archived, task):
    response = staff_client.post(admin_url("tasks.project", "delete", archived.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Project.objects.exists()
    assert not Task.objects.exists()
