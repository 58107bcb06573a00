"""The task page, edit (with its version check), delete and the complete toggle."""

import datetime

import pytest
from django.urls import reverse

from tasks import services
from tasks.models import Activity, Priority, Role, Status, Task
from tasks.templatetags.taskdesk import activity_words
from tasks.tests.factories import (
    ActivityFactory,
    CommentFactory,
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
)


def url(name, task):
    return reverse(f"tasks:{name}", args=[task.pk])


def edit_data(task, **changes):
    """The edit form as the page sends it, with ``changes`` applied."""
    data = {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "due_date": task.due_date.isoformat() if task.due_date else "",
        "assignee": task.assignee_id or "",
        "tags": [t.pk for t in task.tags.all()],
        "project": task.project_id,
        "version": task.version,
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------------------
# Who may see and write
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["task-detail", "task-update", "task-delete"])
def test_anonymous_is_sent_to_login(client, task, name):
    response = client.get(url(name, task))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "task-detail"),
        ("get", "task-update"),
        ("post", "task-update"),
        ("get", "task-delete"),
        ("post", "task-delete"),
        ("post", "task-complete"),
    ],
)
def test_outsider_gets_404(client, oscar, task, method, name):
    client.force_login(oscar)
    assert getattr(client, method)(url(name, task), {"title": "x"}).status_code == 404
    assert Task.objects.get(pk=task.pk).title == "Write the README"


def test_viewer_reads_the_task_without_controls(client, victor, task):
    client.force_login(victor)
    response = client.get(url("task-detail", task))
    assert response.status_code == 200
    html = response.content.decode()
    assert task.title in html
    assert url("task-update", task) not in html
    assert url("task-delete", task) not in html
    assert 'id="comment-form"' not in html


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "task-update"),
        ("post", "task-update"),
        ("get", "task-delete"),
        ("post", "task-delete"),
        ("post", "task-complete"),
    ],
)
def test_viewer_cannot_write(client, victor, task, method, name):
    client.force_login(victor)
    assert getattr(client, method)(url(name, task), edit_data(task, title="x")).status_code == 403
    task.refresh_from_db()
    assert (task.title, task.status) == ("Write the README", Status.TODO)


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_writers_get_edit_controls(client, cast, task, role):
    client.force_login(cast[role])
    html = client.get(url("task-detail", task)).content.decode()
    assert url("task-update", task) in html
    assert url("task-delete", task) in html
    assert 'name="inline" value="priority"' in html


def test_archived_project_tasks_are_read_only(client, alice, project, task):
    project.is_archived = True
    project.save()
    client.force_login(alice)
    html = client.get(url("task-detail", task)).content.decode()
    assert url("task-update", task) not in html
    assert client.post(url("task-complete", task)).status_code == 403
    assert client.post(url("task-update", task), edit_data(task, title="New")).status_code == 403


# ---------------------------------------------------------------------------
# What the page shows
# ---------------------------------------------------------------------------
def test_description_is_escaped_with_line_breaks_and_links(client, alice, project):
    task = TaskFactory(
        project=project,
        description="<script>alert('x')</script>\nSee https://example.com/spec now",
    )
    client.force_login(alice)
    html = client.get(url("task-detail", task)).content.decode()
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;<br>" in html
    assert (
        '<a href="https://example.com/spec" rel="noopener nofollow ugc">https://example.com/spec</a>'
        in html
    )


def test_side_panel_shows_the_tasks_facts(client, alice, erin, project, tag):
    task = TaskFactory(
        project=project,
        assignee=erin,
        priority=Priority.HIGH,
        due_date=datetime.date(2031, 3, 4),
        tags=[tag],
        created_by=alice,
    )
    client.force_login(alice)
    html = client.get(url("task-detail", task)).content.decode()
    assert "Erin Editor" in html
    assert 'datetime="2031-03-04"' in html
    assert "bug" in html
    assert project.name in html
    assert "Alice Owner" in html
    # Breadcrumbs: project → task
    assert f'href="{project.get_absolute_url()}"' in html


def test_activity_reads_as_sentences(client, alice, erin, project, tag):
    client.force_login(alice)
    task = services.task_create(project=project, by=alice, title="Plan")
    services.task_move(task=task, by=erin, status=Status.IN_PROGRESS)
    services.task_update(task=task, by=alice, due_date=datetime.date(2031, 12, 3))
    services.task_update(task=task, by=alice, due_date=datetime.date(2031, 12, 5))
    other = TagFactory(project=project, name="ui")
    services.task_update(task=task, by=erin, tags=[tag, other])
    services.task_update(task=task, by=alice, assignee=erin, priority=Priority.URGENT)
    services.task_complete(task=task, by=erin)
    html = client.get(url("task-detail", task)).content.decode()
    for sentence in [
        "<strong>Alice Owner</strong> created this task",
        "<strong>Erin Editor</strong> moved this from To do to In progress",
        "<strong>Alice Owner</strong> set the due date to 3 Dec 2031",
        "<strong>Alice Owner</strong> changed the due date from 3 Dec 2031 to 5 Dec 2031",
        "<strong>Erin Editor</strong> added tags bug, ui",
        "<strong>Alice Owner</strong> set the priority to Urgent and assigned this to erin",
        "<strong>Erin Editor</strong> completed this",
    ]:
        assert sentence in html


def test_activity_from_a_user_who_wrote_html_is_escaped(client, alice, project, task):
    ActivityFactory(
        task=task, actor=alice, changes={"title": ["old", "<b>bold</b>"]}, verb="updated"
    )
    client.force_login(alice)
    html = client.get(url("task-detail", task)).content.decode()
    assert "renamed this from “old” to “&lt;b&gt;bold&lt;/b&gt;”" in html


# ---------------------------------------------------------------------------
# Edit
# ---------------------------------------------------------------------------
def test_edit_form_offers_members_tags_and_editable_projects(client, erin, oscar, project, tag):
    task = TaskFactory(project=project)
    mine = ProjectFactory(name="Mine")
    MembershipFactory(project=mine, user=erin, role=Role.OWNER)
    looking_only = ProjectFactory(name="Looking only")
    MembershipFactory(project=looking_only, user=erin, role=Role.VIEWER)
    client.force_login(erin)
    form = client.get(url("task-update", task)).context["form"]
    assert oscar not in form.fields["assignee"].queryset
    assert list(form.fields["tags"].queryset) == [tag]
    assert set(form.fields["project"].queryset) == {project, mine}
    assert form.initial["version"] == task.version


def test_editor_saves_changes(client, erin, victor, project, task, tag):
    client.force_login(erin)
    response = client.post(
        url("task-update", task),
        edit_data(
            task,
            title="Write the manual",
            priority=Priority.HIGH,
            assignee=victor.pk,
            tags=[tag.pk],
            due_date="2031-01-02",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == task.get_absolute_url()
    task.refresh_from_db()
    assert (task.title, task.priority, task.assignee, task.version) == (
        "Write the manual",
        "high",
        victor,
        2,
    )
    assert list(task.tags.all()) == [tag]


def test_edit_shows_errors_and_keeps_input(client, erin, oscar, task):
    client.force_login(erin)
    response = client.post(
        url("task-update", task),
        edit_data(task, title="", description="My careful words", assignee=oscar.pk),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "assignee"}
    assert "My careful words" in response.content.decode()
    task.refresh_from_db()
    assert task.version == 1


def test_stale_edit_is_refused_keeping_input_and_showing_newer_values(client, erin, alice, task):
    client.force_login(erin)
    loaded = edit_data(task)  # version 1 on the page
    services.task_update(task=task, by=alice, title="Alice's title", priority=Priority.URGENT)
    response = client.post(
        url("task-update", task), {**loaded, "title": "Erin's title", "description": "Erin's"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this task" in html
    form = response.context["form"]
    assert form["title"].value() == "Erin's title"
    assert "Erin&#x27;s" in html
    # The newer values, and the newer version, so saving again is a conscious overwrite.
    assert response.context["current"].title == "Alice's title"
    assert "Alice&#x27;s title" in html
    assert form["version"].value() == 2
    task.refresh_from_db()
    assert (task.title, task.version) == ("Alice's title", 2)
    again = client.post(url("task-update", task), {**loaded, "title": "Erin's", "version": 2})
    assert again.status_code == 302
    task.refresh_from_db()
    assert task.title == "Erin's"


def loaded_form(client, task, **changes):
    """The edit form as the page shows it (with the values it was loaded with), then typed into."""
    form = client.get(url("task-update", task)).context["form"]
    return {**edit_data(task), "original": form.initial["original"], **changes}


def test_stale_save_writes_only_my_fields_and_keeps_the_teammates_change(client, erin, alice, task):
    client.force_login(erin)
    loaded = loaded_form(client, task, description="Erin's notes")
    services.task_update(task=task, by=alice, priority=Priority.URGENT, title="Alice's title")
    response = client.post(url("task-update", task), loaded)
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.priority, task.description) == (
        "Alice's title",
        Priority.URGENT,
        "Erin's notes",
    )
    assert task.version == 3
    # Only the description is recorded as Erin's change.
    assert task.activities.order_by("-id").first().changes.keys() == {"description"}


def test_save_of_an_unchanged_form_writes_nothing(client, erin, task):
    client.force_login(erin)
    response = client.post(url("task-update", task), loaded_form(client, task))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.version == 1


def conflict_screen(client, erin, alice, task):
    """Erin and Alice both change the title; Erin saves last and gets the conflict screen."""
    client.force_login(erin)
    loaded = loaded_form(client, task, title="Erin's title", description="Erin's notes")
    services.task_update(task=task, by=alice, title="Alice's title", priority=Priority.URGENT)
    response = client.post(url("task-update", task), loaded)
    assert response.status_code == 200
    [conflict] = response.context["conflicts"]
    assert (conflict["name"], conflict["theirs"], conflict["mine"]) == (
        "title",
        "Alice's title",
        "Erin's title",
    )
    html = response.content.decode()
    assert "you both changed title" in html
    assert 'name="keep_title" value="theirs"' in html
    form = response.context["form"]
    # My input is kept; the field only Alice changed shows her value.
    assert form["title"].value() == "Erin's title"
    assert form["description"].value() == "Erin's notes"
    assert form["priority"].value() == Priority.URGENT
    task.refresh_from_db()
    assert (task.title, task.description, task.version) == ("Alice's title", "", 2)
    return form


def test_field_changed_by_both_is_shown_side_by_side_and_mine_is_kept(client, erin, alice, task):
    conflict_screen(client, erin, alice, task)


def resubmit(form, **choices):
    """Post the conflict screen's form back as the browser would, with the chosen sides."""
    data = {}
    for field in form:
        value = field.value()
        if value is None:
            continue
        data[field.name] = [str(v) for v in value] if isinstance(value, list) else value
    return {**data, **choices}


@pytest.mark.parametrize(("keep", "title"), [("theirs", "Alice's title"), ("mine", "Erin's title")])
def test_choosing_a_side_saves_it_with_my_other_changes(client, erin, alice, task, keep, title):
    form = conflict_screen(client, erin, alice, task)
    response = client.post(url("task-update", task), resubmit(form, keep_title=keep))
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.description, task.priority) == (title, "Erin's notes", "urgent")


def test_conflict_without_a_choice_saves_nothing_and_asks_again(client, erin, alice, task):
    form = conflict_screen(client, erin, alice, task)
    response = client.post(url("task-update", task), resubmit(form))
    assert response.status_code == 200
    assert "Title: choose whether to keep their value or yours." in response.content.decode()
    assert [c["name"] for c in response.context["conflicts"]] == ["title"]
    task.refresh_from_db()
    assert task.version == 2


def test_edit_moves_the_task_to_another_editable_project(client, erin, alice, project, tag):
    task = TaskFactory(project=project, tags=[tag], assignee=alice)
    other = ProjectFactory(name="Beta")
    MembershipFactory(project=other, user=erin, role=Role.EDITOR)
    TagFactory(project=other, name="BUG")
    client.force_login(erin)
    response = client.post(url("task-update", task), edit_data(task, project=other.pk))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.project == other
    assert [t.name for t in task.tags.all()] == ["BUG"]  # same name carried over
    assert task.assignee is None  # alice is not a member of Beta


def test_edit_cannot_move_to_a_project_the_user_only_views(client, erin, project, task):
    viewed = ProjectFactory(name="Viewed")
    MembershipFactory(project=viewed, user=erin, role=Role.VIEWER)
    client.force_login(erin)
    response = client.post(url("task-update", task), edit_data(task, project=viewed.pk))
    assert response.status_code == 200
    assert "project" in response.context["form"].errors
    task.refresh_from_db()
    assert task.project == project


def test_side_panel_changes_one_field(client, erin, victor, task):
    client.force_login(erin)
    response = client.post(
        url("task-update", task), {"inline": "priority", "priority": "urgent", "version": "1"}
    )
    assert response.status_code == 302
    client.post(url("task-update", task), {"inline": "assignee", "assignee": victor.pk})
    client.post(url("task-update", task), {"inline": "due_date", "due_date": "2031-02-03"})
    task.refresh_from_db()
    assert (task.priority, task.assignee, task.due_date) == (
        "urgent",
        victor,
        datetime.date(2031, 2, 3),
    )


def test_side_panel_refuses_a_stale_change(client, erin, alice, task):
    services.task_update(task=task, by=alice, priority=Priority.LOW)
    client.force_login(erin)
    response = client.post(
        url("task-update", task),
        {"inline": "priority", "priority": "urgent", "version": "1"},
        follow=True,
    )
    assert "changed while you were looking" in response.content.decode()
    task.refresh_from_db()
    assert task.priority == Priority.LOW


def test_side_panel_refuses_an_outsider_as_assignee(client, erin, oscar, task):
    client.force_login(erin)
    response = client.post(
        url("task-update", task), {"inline": "assignee", "assignee": oscar.pk}, follow=True
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.assignee is None


# ---------------------------------------------------------------------------
# Delete and complete
# ---------------------------------------------------------------------------
def test_delete_asks_first_then_deletes(client, erin, project, task):
    client.force_login(erin)
    page = client.get(url("task-delete", task))
    assert page.status_code == 200
    assert "Delete this task?" in page.content.decode()
    assert Task.objects.filter(pk=task.pk).exists()
    response = client.post(url("task-delete", task))
    assert response.status_code == 302
    assert response["Location"] == project.get_absolute_url()
    assert not Task.objects.filter(pk=task.pk).exists()
    assert Activity.objects.filter(verb="deleted", task_title=task.title).exists()


def test_complete_toggles_done_and_open(client, erin, project, task):
    client.force_login(erin)
    response = client.post(url("task-complete", task), {"next": "/tasks/"})
    assert response.status_code == 302
    assert response["Location"] == "/tasks/"
    task.refresh_from_db()
    assert task.status == Status.DONE
    client.post(url("task-complete", task))
    task.refresh_from_db()
    assert task.status == Status.TODO and task.completed_at is None


def test_complete_by_htmx_returns_the_row(client, erin, task):
    client.force_login(erin)
    response = client.post(url("task-complete", task), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li")
    assert f'id="task-{task.pk}"' in html
    assert "is-done" in html and 'aria-pressed="true"' in html
    assert "<html" not in html


def test_complete_is_post_only(client, erin, task):
    client.force_login(erin)
    assert client.get(url("task-complete", task)).status_code == 405


# ---------------------------------------------------------------------------
# Query count
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("count", [10, 200])
def test_task_page_query_count_is_constant(
    client, alice, erin, project, task, django_assert_num_queries, count
):
    task.tags.set(TagFactory.create_batch(3, project=project))
    for i in range(count):
        CommentFactory(task=task, author=[alice, erin][i % 2])
        ActivityFactory(
            task=task, actor=[alice, erin][i % 2], changes={"priority": ["low", "high"]}
        )
    client.force_login(alice)
    # 1 session, 2 user, 3 task with project, assignee and creator, 4 my role in the project,
    # 5 the task's tags, 6 comments with authors, 7 activity with actors, 8 members (assignee
    # choices), 9 sidebar projects, 10 the invitations waiting for me (user menu), 11 my unread
    # notifications (inbox badge), 12 whether I follow the task, 13 my reminders on it.
    with django_assert_num_queries(13):
        response = client.get(url("task-detail", task))
    assert len(response.context["comments"]) == count


@pytest.mark.parametrize(
    ("verb", "changes", "words"),
    [
        ("moved", {"project": ["Alpha", "Beta"]}, "moved this from project Alpha to Beta"),
        ("moved", {"position": [1024, 2048]}, "reordered this in its column"),
        ("reopened", {"status": ["done", "todo"]}, "reopened this as To do"),
        ("updated", {"title": ["Old", "New"]}, "renamed this from “Old” to “New”"),
        ("updated", {"description": ["", "Text"]}, "added a description"),
        ("updated", {"description": ["a", "b"]}, "edited the description"),
        ("updated", {"priority": ["low", "none"]}, "removed the priority (was Low)"),
        ("updated", {"priority": ["low", "high"]}, "changed the priority from Low to High"),
        ("updated", {"due_date": ["2031-12-03", None]}, "removed the due date (was 3 Dec 2031)"),
        ("updated", {"assignee": ["erin", None]}, "unassigned erin"),
        ("updated", {"assignee": ["erin", "alice"]}, "reassigned this from erin to alice"),
        ("updated", {"tags": [["bug", "ui"], ["ui"]]}, "removed tag bug"),
        (
            "updated",
            {"tags": [["old"], ["new"]], "title": ["a", "b"]},
            "renamed this from “a” to “b”, added tag new and removed tag old",
        ),
        ("comment_edited", {"comment": 3}, "edited a comment"),
        ("deleted", {}, "deleted this task"),
        ("invited", {"invitation": 3, "role": "editor"}, "invited someone as editor"),
    ],
)
def test_activity_sentences_cover_every_change(verb, changes, words):
    assert activity_words(Activity(verb=verb, changes=changes)) == words
