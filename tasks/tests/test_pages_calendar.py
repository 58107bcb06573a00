"""The calendars (/projects/<id>/calendar/, /calendar/) and the reschedule page."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from tasks import services
from tasks.models import Activity, Status, Task
from tasks.tests.factories import MembershipFactory, ProjectFactory, TaskFactory, UserFactory

D = datetime.date
UTC = datetime.UTC
#: 12:00 UTC on Wednesday 2 December 2026.
NOON_UTC = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON_UTC, tick=False):
        yield


def calendar_url(project, query=""):
    return reverse("tasks:project-calendar", args=[project.pk]) + query


def reschedule_url(task):
    return reverse("tasks:task-reschedule", args=[task.pk])


def days_of(response) -> dict[datetime.date, list[str]]:
    return {
        day.date: [task.title for task in day.tasks]
        for week in response.context["calendar"].weeks
        for day in week
    }


def test_month_view_is_the_default_and_starts_on_monday(client, alice, project):
    TaskFactory(project=project, title="Rent", due_date=D(2026, 12, 24))
    TaskFactory(project=project, title="Undated")
    client.force_login(alice)
    response = client.get(calendar_url(project))
    assert response.status_code == 200
    calendar = response.context["calendar"]
    assert calendar.view == "month"
    # December 2026 begins on a Tuesday: the grid starts on Monday 30 November.
    assert (calendar.first, calendar.last) == (D(2026, 11, 30), D(2027, 1, 3))
    assert all(len(week) == 7 for week in calendar.weeks)
    assert days_of(response)[D(2026, 12, 24)] == ["Rent"]
    html = response.content.decode()
    assert '<th scope="col"><abbr title="Monday">Mon</abbr></th>' in html
    assert 'aria-label="Thursday 24 December 2026"' in html
    assert 'data-date="2026-12-02" aria-current="date"' in html
    assert html.count('aria-current="date"') == 1
    assert "Undated" not in html


def test_week_view_and_navigation(client, alice, project):
    TaskFactory(project=project, title="Inside", due_date=D(2026, 12, 13))
    TaskFactory(project=project, title="Outside", due_date=D(2026, 12, 14))
    client.force_login(alice)
    response = client.get(calendar_url(project, "?view=week&week=2026-12-09"))
    calendar = response.context["calendar"]
    assert (calendar.view, calendar.first, calendar.last) == (
        "week",
        D(2026, 12, 7),
        D(2026, 12, 13),
    )
    assert calendar.previous == "?view=week&week=2026-11-30"
    assert calendar.next == "?view=week&week=2026-12-14"
    assert days_of(response)[D(2026, 12, 13)] == ["Inside"]
    assert "Outside" not in response.content.decode()

    month = client.get(calendar_url(project, "?month=2027-01")).context["calendar"]
    assert (month.title, month.previous, month.next) == (
        "January 2027",
        "?month=2026-12",
        "?month=2027-02",
    )
    # Nonsense falls back to the current month instead of failing.
    for query in ("?month=2026-13", "?month=9999-12", "?view=week&week=nope"):
        assert client.get(calendar_url(project, query)).status_code == 200


def test_timed_task_sits_on_the_viewers_local_day(client, project):
    tokyo = UserFactory(username="kenji", time_zone="Asia/Tokyo")
    la = UserFactory(username="lucy", time_zone="America/Los_Angeles")
    for user in (tokyo, la):
        MembershipFactory(project=project, user=user, role="viewer")
    setter = UserFactory(username="utc", time_zone="UTC")
    MembershipFactory(project=project, user=setter, role="editor")
    services.task_create(
        project=project,
        by=setter,
        title="Call",
        due_date=D(2026, 12, 2),
        due_time=datetime.time(20, 0),
    )
    TaskFactory(project=project, title="All day", due_date=D(2026, 12, 2))

    client.force_login(tokyo)
    response = client.get(calendar_url(project))
    days = days_of(response)
    assert days[D(2026, 12, 3)] == ["Call"]
    assert days[D(2026, 12, 2)] == ["All day"]
    assert '<time class="calendar-time" datetime="2026-12-03T05:00:00+09:00">05:00</time>' in (
        response.content.decode()
    )

    client.force_login(la)
    response = client.get(calendar_url(project))
    days = days_of(response)
    assert days[D(2026, 12, 2)] == ["All day", "Call"]
    assert days[D(2026, 12, 3)] == []
    assert ">12:00</time>" in response.content.decode()


def test_done_tasks_are_hidden_unless_asked_for(client, alice, project):
    TaskFactory(project=project, title="Finished", status=Status.DONE, due_date=D(2026, 12, 5))
    client.force_login(alice)
    assert "Finished" not in client.get(calendar_url(project)).content.decode()
    html = client.get(calendar_url(project, "?done=1")).content.decode()
    assert "<s>Finished</s>" in html
    assert "Hide done tasks" in html


def test_outsider_gets_404(client, oscar, project):
    task = TaskFactory(project=project, due_date=D(2026, 12, 5))
    client.force_login(oscar)
    assert client.get(calendar_url(project)).status_code == 404
    assert client.get(reschedule_url(task)).status_code == 404
    response = client.post(reschedule_url(task), {"due_date": "2026-12-06", "version": 1})
    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).due_date == D(2026, 12, 5)


def test_viewer_sees_no_reschedule_controls_and_is_refused(client, victor, project):
    task = TaskFactory(project=project, title="Look", due_date=D(2026, 12, 5))
    client.force_login(victor)
    html = client.get(calendar_url(project)).content.decode()
    assert "Look" in html
    assert reschedule_url(task) not in html
    assert "draggable" not in html
    assert "calendar.js" not in html
    response = client.post(reschedule_url(task), {"due_date": "2026-12-06", "version": 1})
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).due_date == D(2026, 12, 5)


def test_editor_reschedules_a_task(client, erin, project):
    task = TaskFactory(project=project, title="Ship", due_date=D(2026, 12, 5))
    client.force_login(erin)
    page = calendar_url(project)
    assert reschedule_url(task) in client.get(page).content.decode()
    form = client.get(reschedule_url(task) + f"?next={page}")
    assert form.status_code == 200
    assert 'value="2026-12-05"' in form.content.decode()

    response = client.post(
        reschedule_url(task), {"due_date": "2026-12-09", "version": task.version, "next": page}
    )
    assert response.status_code == 302
    assert response["Location"] == page
    task.refresh_from_db()
    assert task.due_date == D(2026, 12, 9)
    activity = Activity.objects.filter(task=task, verb=Activity.Verb.UPDATED).get()
    assert activity.actor == erin
    assert activity.changes["due_date"] == ["2026-12-05", "2026-12-09"]
    assert days_of(client.get(page))[D(2026, 12, 9)] == ["Ship"]


def test_a_timed_task_keeps_its_local_time(client, erin, project):
    task = services.task_create(
        project=project,
        by=erin,
        title="Call",
        due_date=D(2026, 12, 2),
        due_time=datetime.time(9, 30),
    )
    client.force_login(erin)
    client.post(reschedule_url(task), {"due_date": "2026-12-04", "version": task.version})
    task.refresh_from_db()
    assert (task.due_date, task.due_time) == (D(2026, 12, 4), datetime.time(9, 30))


def test_stale_version_leaves_the_task_and_says_so(client, erin, alice, project):
    task = TaskFactory(project=project, title="Ship", due_date=D(2026, 12, 5))
    seen = task.version
    services.task_update(task=task, by=alice, title="Ship it")
    client.force_login(erin)
    response = client.post(
        reschedule_url(task), {"due_date": "2026-12-09", "version": seen}, follow=True
    )
    assert "changed while you were looking at it" in response.content.decode()
    assert Task.objects.get(pk=task.pk).due_date == D(2026, 12, 5)


def test_bad_date_is_a_400_and_changes_nothing(client, erin, project):
    task = TaskFactory(project=project, due_date=D(2026, 12, 5))
    client.force_login(erin)
    response = client.post(reschedule_url(task), {"due_date": "someday", "version": 1})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert Task.objects.get(pk=task.pk).due_date == D(2026, 12, 5)


def test_next_outside_the_site_is_ignored(client, erin, project):
    task = TaskFactory(project=project, due_date=D(2026, 12, 5))
    client.force_login(erin)
    response = client.post(
        reschedule_url(task),
        {"due_date": "2026-12-06", "version": task.version, "next": "https://evil.example/"},
    )
    assert response["Location"] == calendar_url(project)


def test_my_calendar_shows_my_tasks_in_projects_i_see(client, alice, erin, project):
    TaskFactory(project=project, title="Mine", assignee=erin, due_date=D(2026, 12, 5))
    TaskFactory(project=project, title="Alice's", assignee=alice, due_date=D(2026, 12, 5))
    TaskFactory(project=project, title="Nobody's", due_date=D(2026, 12, 5))
    archived = ProjectFactory(name="Old", is_archived=True)
    MembershipFactory(project=archived, user=erin, role="editor")
    TaskFactory(project=archived, title="Archived", assignee=erin, due_date=D(2026, 12, 5))
    # Assigned to erin in a project she has since left: not hers to see.
    gone = ProjectFactory(name="Gone")
    TaskFactory(project=gone, title="Left behind", assignee=erin, due_date=D(2026, 12, 5))

    client.force_login(erin)
    response = client.get(reverse("tasks:my-calendar"))
    assert response.status_code == 200
    assert days_of(response)[D(2026, 12, 5)] == ["Mine"]
    html = response.content.decode()
    assert "My calendar" in html
    assert 'aria-current="page"' in html


def test_links_to_the_calendars(client, alice, project):
    client.force_login(alice)
    html = client.get(reverse("tasks:project-board", args=[project.pk])).content.decode()
    assert calendar_url(project) in html
    assert reverse("tasks:my-calendar") in html


def page_queries(client, django_assert_num_queries, url, expected: int) -> None:
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [10, 200])
def test_project_calendar_queries_do_not_grow(
    client, alice, project, django_assert_num_queries, count
):
    TaskFactory.create_batch(count, project=project, due_date=D(2026, 12, 10), assignee=alice)
    client.force_login(alice)
    client.get(calendar_url(project))  # warm the session and the per-request caches
    page_queries(client, django_assert_num_queries, calendar_url(project), PROJECT_QUERIES)
    page_queries(client, django_assert_num_queries, reverse("tasks:my-calendar"), MY_QUERIES)


#: Session, user, the project (or the projects I may change), the tasks of the range, and the
#: shell's sidebar projects, unread-notification and invitation counts.
PROJECT_QUERIES = 7
MY_QUERIES = 7
