"""The task admin: the change form edits fields through task_update, state changes are actions."""

import csv
import io

import pytest

from tasks import services
from tasks.models import Activity, Comment, Status, Task
from tasks.tests.admin_support import (
    admin_url,
    confirm_bulk_delete,
    form_data,
    form_errors,
    messages_of,
    run_action,
    run_form_action,
)
from tasks.tests.factories import CommentFactory, ProjectFactory, TagFactory, TaskFactory

pytestmark = pytest.mark.django_db

Verb = Activity.Verb


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# The change form
def test_edit_bumps_version_and_writes_activity(staff_client, staff, task, tag):
    url = admin_url("tasks.task", "change", task.pk)
    data = form_data(staff_client.get(url), title="Renamed", priority="high", tags=[tag.pk])
    response = staff_client.post(url, data)
    assert response.status_code == 302

    task.refresh_from_db()
    assert (task.title, task.priority, task.version) == ("Renamed", "high", 2)
    assert list(task.tags.all()) == [tag]
    [activity] = Activity.objects.filter(task=task)
    assert activity.actor == staff
    assert activity.changes == {
        "title": ["Write the README", "Renamed"],
        "priority": ["none", "high"],
        "tags": [[], ["bug"]],
    }


def test_save_without_changes_writes_nothing(staff_client, task):
    url = admin_url("tasks.task", "change", task.pk)
    staff_client.post(url, form_data(staff_client.get(url)))
    task.refresh_from_db()
    assert task.version == 1
    assert not Activity.objects.exists()


def test_status_and_project_are_read_only_on_the_change_form(staff_client, task):
    elsewhere = ProjectFactory(name="Beta")
    url = admin_url("tasks.task", "change", task.pk)
    page = staff_client.get(url)
    form = page.context["adminform"].form
    assert "status" not in form.fields and "project" not in form.fields

    staff_client.post(url, {**form_data(page), "status": "done", "project": elsewhere.pk})

    task.refresh_from_db()
    assert (task.status, task.project.name, task.version) == (Status.TODO, "Alpha", 1)


def test_edit_based_on_an_old_version_is_refused_and_the_input_kept(staff_client, task, alice):
    url = admin_url("tasks.task", "change", task.pk)
    data = form_data(staff_client.get(url), title="Mine", description="Typed with care")
    services.task_update(task=task, by=alice, title="Theirs")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    [reason] = form_errors(response)["__all__"]
    assert "changed by someone else" in reason
    form = response.context["adminform"].form
    assert (form["title"].value(), form["description"].value()) == ("Mine", "Typed with care")
    task.refresh_from_db()
    assert (task.title, task.version) == ("Theirs", 2)
    assert Activity.objects.get().actor == alice  # only the change that won


def test_change_form_refuses_an_assignee_who_is_not_a_member(staff_client, task, oscar):
    # The change form offers only the project's members, so the form itself refuses oscar.
    url = admin_url("tasks.task", "change", task.pk)
    response = staff_client.post(url, form_data(staff_client.get(url), assignee=oscar.pk))
    assert response.status_code == 200
    assert "assignee" in form_errors(response)
    task.refresh_from_db()
    assert (task.assignee, task.version) == (None, 1)
    assert not Activity.objects.exists()


def test_add_form_refusal_is_a_field_error_with_the_input_kept(staff_client, project, oscar):
    # The add form cannot know the project's members in advance: the domain refuses.
    url = admin_url("tasks.task", "add")
    data = form_data(
        staff_client.get(url),
        project=project.pk,
        title="Typed title",
        description="Typed body",
        assignee=oscar.pk,
    )

    response = staff_client.post(url, data)

    assert response.status_code == 200
    [reason] = form_errors(response)["assignee"]
    assert "not a member" in reason
    form = response.context["adminform"].form
    assert (form["title"].value(), form["description"].value()) == ("Typed title", "Typed body")
    assert form["project"].value() == str(project.pk)
    assert not Task.objects.exists()
    assert not Activity.objects.exists()


def test_change_form_offers_only_the_tasks_projects_tags_and_members(
    staff_client, task, tag, alice, erin, victor, oscar
):
    other_bug = TagFactory(name="bug")  # the same name, in another project
    form = staff_client.get(admin_url("tasks.task", "change", task.pk)).context["adminform"].form
    assert list(form.fields["tags"].queryset) == [tag]
    assert other_bug not in form.fields["tags"].queryset
    assert set(form.fields["assignee"].queryset) == {alice, erin, victor}
    html = str(form["assignee"])
    assert f'value="{erin.pk}"' in html and f'value="{oscar.pk}"' not in html


def test_change_form_refuses_another_projects_tag(staff_client, task, tag):
    other_bug = TagFactory(name="bug")
    url = admin_url("tasks.task", "change", task.pk)
    response = staff_client.post(url, form_data(staff_client.get(url), tags=[other_bug.pk]))
    assert response.status_code == 200
    assert "tags" in form_errors(response)
    assert not task.tags.exists()


def test_add_form_labels_every_tag_with_its_project(staff_client, project, tag):
    elsewhere = ProjectFactory(name="Beta")
    other_bug = TagFactory(name="bug", project=elsewhere)
    form = staff_client.get(admin_url("tasks.task", "add")).context["adminform"].form
    labels = [label for _value, label in form.fields["tags"].choices]
    assert labels == ["bug (Alpha)", "bug (Beta)"]
    html = str(form["tags"])
    assert f'<option value="{other_bug.pk}">bug (Beta)</option>' in html


def test_add_goes_through_task_create(staff_client, staff, project, erin, tag):
    url = admin_url("tasks.task", "add")
    data = form_data(
        staff_client.get(url),
        project=project.pk,
        title="From the admin",
        status="in_progress",
        assignee=erin.pk,
        tags=[tag.pk],
    )
    response = staff_client.post(url, data)
    task = Task.objects.get(title="From the admin")
    assert response.status_code == 302
    assert response["Location"] == admin_url("tasks.task")
    assert (task.created_by, task.assignee, task.status, task.version) == (
        staff,
        erin,
        Status.IN_PROGRESS,
        1,
    )
    assert list(task.tags.all()) == [tag]
    assert task.position > 0
    assert Activity.objects.get(task=task).verb == Verb.CREATED


def test_delete_page_goes_through_task_delete(staff_client, staff, task):
    url = admin_url("tasks.task", "delete", task.pk)
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Task.objects.filter(pk=task.pk).exists()
    activity = Activity.objects.get(verb=Verb.DELETED)
    assert (activity.task_title, activity.actor) == ("Write the README", staff)


def test_comments_are_read_only_on_the_task(staff_client, task, alice):
    comment = CommentFactory(task=task, author=alice, body="Old words")
    url = admin_url("tasks.task", "change", task.pk)
    page = staff_client.get(url)
    [comments, _history] = page.context["inline_admin_formsets"]
    assert not comments.has_add_permission and not comments.has_change_permission
    assert admin_url("tasks.comment", "change", comment.pk) in page.content.decode()

    data = form_data(page)
    data.update({"comments-0-body": "New words", "comments-0-DELETE": "on"})
    data.update({"comments-TOTAL_FORMS": "2", "comments-1-body": "Sneaked in"})
    assert staff_client.post(url, data).status_code == 302

    assert list(Comment.objects.values_list("body", flat=True)) == ["Old words"]
    assert not Activity.objects.exists()


# Actions
def test_mark_done_action_completes_through_the_domain(staff_client, staff, project):
    tasks = TaskFactory.create_batch(3, project=project)
    already = TaskFactory(project=project, status=Status.DONE)

    response = run_action(staff_client, "tasks.task", "mark_done", [*tasks, already])

    assert response.status_code == 302
    assert messages_of(response) == ["Marked 3 tasks done."]
    for task in tasks:
        task.refresh_from_db()
        assert (task.status, task.version) == (Status.DONE, 2)
        assert task.completed_at is not None
    assert Task.objects.get(pk=already.pk).version == 1
    completed = Activity.objects.filter(verb=Verb.COMPLETED)
    assert completed.count() == 3
    assert {a.actor for a in completed} == {staff}


def test_reopen_action(staff_client, project):
    done = TaskFactory(project=project, status=Status.DONE)
    response = run_action(staff_client, "tasks.task", "reopen", [done])
    assert messages_of(response) == ["Reopened 1 task."]
    done.refresh_from_db()
    assert (done.status, done.completed_at, done.version) == (Status.TODO, None, 2)
    assert Activity.objects.get(task=done).verb == Verb.REOPENED


def test_mark_done_from_the_change_form(staff_client, task):
    response = run_form_action(staff_client, "tasks.task", "mark_done", task)
    assert response.status_code == 302
    assert response["Location"] == admin_url("tasks.task", "change", task.pk)
    assert Task.objects.get(pk=task.pk).status == Status.DONE
    assert Activity.objects.get(task=task).verb == Verb.COMPLETED


def test_move_to_status_asks_for_the_status_first(staff_client, project):
    tasks = TaskFactory.create_batch(2, project=project)

    page = run_action(staff_client, "tasks.task", "move_to_status", tasks)

    assert page.status_code == 200
    assert "admin/choose_for_action.html" in [t.name for t in page.templates]
    html = page.content.decode()
    assert 'name="action" value="move_to_status"' in html
    assert 'name="status"' in html
    assert all(f'value="{task.pk}"' in html for task in tasks)
    assert not Activity.objects.exists()


def test_move_to_status_moves_each_task_to_the_bottom_of_the_column(staff_client, staff, project):
    ahead = TaskFactory(project=project, status=Status.IN_PROGRESS)
    tasks = TaskFactory.create_batch(2, project=project)
    there = TaskFactory(project=project, status=Status.IN_PROGRESS)

    response = run_action(
        staff_client, "tasks.task", "move_to_status", [*tasks, there], status="in_progress"
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Moved 2 tasks."]
    column = Task.objects.filter(status=Status.IN_PROGRESS).order_by("position")
    assert list(column) == [ahead, there, *tasks]
    moves = Activity.objects.filter(verb=Verb.MOVED)
    assert [(m.task_id, m.actor, m.changes["status"]) for m in moves.order_by("id")] == [
        (task.pk, staff, ["todo", "in_progress"]) for task in tasks
    ]


def test_move_to_status_without_a_choice_shows_the_page_again(staff_client, task):
    response = run_action(staff_client, "tasks.task", "move_to_status", [task], status="lost")
    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    assert Task.objects.get(pk=task.pk).version == 1


def test_move_to_status_from_the_change_form_comes_back_to_it(staff_client, task):
    url = admin_url("tasks.task", "change", task.pk)
    page = run_form_action(staff_client, "tasks.task", "move_to_status", task)
    assert 'name="CHANGE_FORM-action" value="move_to_status"' in page.content.decode()

    response = run_form_action(staff_client, "tasks.task", "move_to_status", task, status="done")

    assert response.status_code == 302
    assert response["Location"] == url
    task.refresh_from_db()
    assert (task.status, task.version) == (Status.DONE, 2)
    assert Activity.objects.get(task=task).verb == Verb.COMPLETED


def test_move_to_project_keeps_tags_by_name(staff_client, staff, project, task, tag, erin):
    beta = ProjectFactory(name="Beta")
    beta_bug = TagFactory(project=beta, name="BUG")
    services.task_update(task=task, by=erin, tags=[tag], assignee=erin)

    response = run_action(staff_client, "tasks.task", "move_to_project", [task], project=beta.pk)

    assert messages_of(response) == ["Moved 1 task."]
    task.refresh_from_db()
    assert (task.project, task.assignee, list(task.tags.all())) == (beta, None, [beta_bug])
    moved = Activity.objects.get(verb=Verb.MOVED)
    assert moved.actor == staff
    assert moved.changes["project"] == ["Alpha", "Beta"]


def test_csv_export(staff_client, project, erin, tag):
    first = TaskFactory(project=project, title="Write docs", assignee=erin, tags=[tag])
    second = TaskFactory(project=project, title='=HYPERLINK("http://evil")')
    TaskFactory(project=project, title="Not selected")

    response = run_action(staff_client, "tasks.task", "export_csv", [first, second])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["title"] for row in rows] == ["Write docs", '\'=HYPERLINK("http://evil")']
    assert rows[0]["project"] == "Alpha"
    assert rows[0]["assignee"] == "erin"
    assert rows[0]["tags"] == "bug"
    assert rows[0]["status"] == "todo"
    assert rows[0]["version"] == "1"


def test_bulk_delete_confirms_first_then_deletes_through_the_domain(staff_client, project):
    tasks = TaskFactory.create_batch(2, project=project)

    page = run_action(staff_client, "tasks.task", "delete_selected", tasks)
    assert page.status_code == 200
    assert "Are you sure" in page.content.decode()
    assert Task.objects.count() == 2

    response = confirm_bulk_delete(staff_client, "tasks.task", tasks)

    assert response.status_code == 302
    assert messages_of(response) == ["Deleted 2 tasks."]
    assert not Task.objects.exists()
    assert Activity.objects.filter(verb=Verb.DELETED).count() == 2
