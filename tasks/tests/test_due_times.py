"""
Due times: a timed task is an instant, set in its setter's zone and shown, bucketed, filtered
and sorted in each viewer's zone, on both sides of the date line.
"""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tasks import services
from tasks.filters import TaskFilter
from tasks.models import Activity, Task
from tasks.tests.factories import MembershipFactory, UserFactory
from tasks.views.pages import group_by_due

D = datetime.date
T = datetime.time
UTC = datetime.UTC
#: 12:00 UTC on Wednesday 2 December 2026: already Thursday 3 December from UTC+12 on.
NOON_UTC = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOON_UTC, tick=False):
        yield


def person(project, name: str, zone: str):
    user = UserFactory(username=name, time_zone=zone)
    MembershipFactory(project=project, user=user, role="editor")
    return user


def bucket_for(task: Task, zone: str) -> str:
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        sections = group_by_due([task], timezone.localdate())
    return next(section.key for section in sections if section.tasks)


def test_a_time_is_read_in_the_setters_zone(project):
    tokyo = person(project, "kenji", "Asia/Tokyo")
    task = services.task_create(
        project=project, by=tokyo, title="Call", due_date=D(2026, 12, 2), due_time=T(23, 30)
    )
    assert task.due_date == D(2026, 12, 2)
    assert task.due_time == T(23, 30)
    assert task.due_at == datetime.datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
    # A UTC viewer sees 14:30 on the 2nd; Kiritimati (+14) sees 04:30 on the 3rd.
    assert task.local_due_time(zoneinfo.ZoneInfo("UTC")) == T(14, 30)
    assert task.due_day(zoneinfo.ZoneInfo("Pacific/Kiritimati")) == D(2026, 12, 3)
    assert task.due_day(zoneinfo.ZoneInfo("Pacific/Pago_Pago")) == D(2026, 12, 2)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", "week"),  # tomorrow, 09:00
        ("America/Los_Angeles", "week"),  # tomorrow, 01:00
        ("Asia/Tokyo", "week"),  # tomorrow, 18:00
        ("Pacific/Auckland", "today"),  # today (the 3rd), 22:00
        ("Pacific/Kiritimati", "today"),  # today (the 3rd), 23:00
        ("Pacific/Pago_Pago", "today"),  # today (the 2nd), 22:00
    ],
)
def test_timed_task_buckets_per_viewer(project, alice, frozen, zone, expected):
    task = services.task_create(
        project=project, by=alice, title="Ship", due_date=D(2026, 12, 3), due_time=T(9, 0)
    )
    assert bucket_for(task, zone) == expected


@pytest.mark.parametrize(
    ("zone", "due", "expected"),
    [
        ("UTC", D(2026, 12, 3), "week"),
        ("Pacific/Kiritimati", D(2026, 12, 3), "today"),
        ("Pacific/Pago_Pago", D(2026, 12, 3), "week"),
        ("Pacific/Kiritimati", D(2026, 12, 2), "overdue"),
        ("Pacific/Auckland", D(2026, 12, 2), "overdue"),
        ("America/Los_Angeles", D(2026, 12, 2), "today"),
        ("Pacific/Pago_Pago", D(2026, 12, 1), "overdue"),
    ],
)
def test_untimed_task_buckets_by_the_viewers_date(project, alice, frozen, zone, due, expected):
    task = services.task_create(project=project, by=alice, title="Ship", due_date=due)
    assert bucket_for(task, zone) == expected


def test_a_timed_task_is_overdue_once_its_instant_has_passed(project, alice):
    task = services.task_create(
        project=project, by=alice, title="Ship", due_date=D(2026, 12, 2), due_time=T(12, 0)
    )
    with time_machine.travel(datetime.datetime(2026, 12, 2, 11, 59, tzinfo=UTC), tick=False):
        assert bucket_for(task, "UTC") == "today"
        assert not Task.objects.overdue().filter(pk=task.pk).exists()
    with time_machine.travel(datetime.datetime(2026, 12, 2, 12, 1, tzinfo=UTC), tick=False):
        assert bucket_for(task, "UTC") == "overdue"
        assert Task.objects.overdue().filter(pk=task.pk).exists()


# The filter's "week" is the next 7 days counted from today, today included.
@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", {"today": set(), "overdue": set(), "week": {"timed", "untimed"}}),
        (
            "Pacific/Kiritimati",
            {"today": {"timed", "untimed"}, "overdue": set(), "later": set()},
        ),
        ("Pacific/Pago_Pago", {"today": {"timed"}, "overdue": set(), "week": {"timed", "untimed"}}),
    ],
)
def test_due_filters_follow_the_viewers_zone(project, alice, frozen, zone, expected, rf):
    services.task_create(
        project=project, by=alice, title="timed", due_date=D(2026, 12, 3), due_time=T(9, 0)
    )
    services.task_create(project=project, by=alice, title="untimed", due_date=D(2026, 12, 3))
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for bucket, titles in expected.items():
            request = rf.get("/")
            request.user = alice
            found = TaskFilter({"due": bucket}, queryset=Task.objects.all(), request=request).qs
            assert {t.title for t in found} == titles, bucket


def test_due_before_and_after_use_instants(project, alice, frozen, rf):
    services.task_create(
        project=project, by=alice, title="timed", due_date=D(2026, 12, 3), due_time=T(9, 0)
    )
    request = rf.get("/")
    request.user = alice
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Pago_Pago")):
        # 09:00 UTC on the 3rd is 22:00 on the 2nd in Pago Pago.
        before = TaskFilter(
            {"due_before": "2026-12-02"}, queryset=Task.objects.all(), request=request
        )
        after = TaskFilter(
            {"due_after": "2026-12-03"}, queryset=Task.objects.all(), request=request
        )
        assert [t.title for t in before.qs] == ["timed"]
        assert list(after.qs) == []


def test_dashboard_buckets_per_viewer_over_http(client, project, frozen):
    setter = person(project, "kenji", "Asia/Tokyo")
    near = person(project, "moana", "Pacific/Kiritimati")
    far = person(project, "sina", "Pacific/Pago_Pago")
    # 08:00 on the 3rd in Tokyo is 23:00 UTC on the 2nd: today for Pago Pago (12:00 local),
    # today for Kiritimati (13:00 on the 3rd), also today in UTC.
    for assignee in (near, far):
        services.task_create(
            project=project,
            by=setter,
            title=f"Call {assignee.username}",
            due_date=D(2026, 12, 3),
            due_time=T(8, 0),
            assignee=assignee,
        )
    for viewer, local in ((near, "13:00"), (far, "12:00")):
        client.force_login(viewer)
        page = client.get(reverse("tasks:dashboard")).content.decode()
        today = page.split('id="group-today"')[1].split("</section>")[0]
        assert f"Call {viewer.username}" in today
        assert f"today {local}" in today


def test_pages_show_the_time_in_the_viewers_zone(client, project, alice, frozen):
    tokyo = person(project, "kenji", "Asia/Tokyo")
    task = services.task_create(
        project=project, by=tokyo, title="Call", due_date=D(2026, 12, 2), due_time=T(23, 30)
    )
    client.force_login(alice)  # UTC
    detail = client.get(task.get_absolute_url()).content.decode()
    assert "today 14:30" in detail
    assert "Wednesday 2 December 2026, 14:30 UTC" in detail
    listing = client.get(project.get_absolute_url()).content.decode()
    assert "today 14:30" in listing
    board = client.get(reverse("tasks:project-board", args=[project.pk])).content.decode()
    assert "today 14:30" in board
    client.force_login(tokyo)
    assert "today 23:30" in client.get(task.get_absolute_url()).content.decode()


def test_sorting_by_due_is_by_instant_with_untimed_after_the_days_timed(
    client, project, alice, frozen
):
    services.task_create(project=project, by=alice, title="A untimed 3rd", due_date=D(2026, 12, 3))
    services.task_create(
        project=project, by=alice, title="B 3rd 18:00", due_date=D(2026, 12, 3), due_time=T(18, 0)
    )
    services.task_create(
        project=project, by=alice, title="C 3rd 08:00", due_date=D(2026, 12, 3), due_time=T(8, 0)
    )
    services.task_create(
        project=project, by=alice, title="D 4th 07:00", due_date=D(2026, 12, 4), due_time=T(7, 0)
    )
    client.force_login(alice)
    for sort in ("", "due_date"):
        page = client.get(project.get_absolute_url(), {"sort": sort}).content.decode()
        order = sorted(
            ["A untimed 3rd", "B 3rd 18:00", "C 3rd 08:00", "D 4th 07:00"], key=page.index
        )
        assert order == ["C 3rd 08:00", "B 3rd 18:00", "A untimed 3rd", "D 4th 07:00"], sort


# ---------------------------------------------------------------------------
# Services: changing due dates and times
# ---------------------------------------------------------------------------
def test_an_edit_from_another_zone_naming_the_same_instant_changes_nothing(project):
    tokyo = person(project, "kenji", "Asia/Tokyo")
    angeles = person(project, "lupe", "America/Los_Angeles")
    task = services.task_create(
        project=project, by=tokyo, title="Call", due_date=D(2026, 12, 3), due_time=T(8, 0)
    )
    version = task.version
    # 08:00 on the 3rd in Tokyo is 15:00 on the 2nd in Los Angeles.
    same = services.task_update(task=task, by=angeles, due_date=D(2026, 12, 2), due_time=T(15, 0))
    assert same.version == version
    assert (same.due_date, same.due_time) == (D(2026, 12, 3), T(8, 0))
    # Changing the time alone keeps the day as the editor sees it.
    moved = services.task_update(task=task, by=angeles, due_time=T(16, 0))
    assert moved.due_at == datetime.datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert (moved.due_date, moved.due_time, moved.due_time_zone) == (
        D(2026, 12, 2),
        T(16, 0),
        "America/Los_Angeles",
    )
    activity = Activity.objects.filter(task=task).first()
    assert activity.changes["due_time"] == ["08:00", "16:00"]
    assert activity.changes["due_date"] == ["2026-12-03", "2026-12-02"]


def test_removing_the_date_removes_the_time(project, alice):
    task = services.task_create(
        project=project, by=alice, title="Call", due_date=D(2026, 12, 3), due_time=T(8, 0)
    )
    cleared = services.task_update(task=task, by=alice, due_date=None)
    assert (cleared.due_date, cleared.due_time, cleared.due_at) == (None, None, None)


def test_a_time_without_a_date_is_refused(project, alice):
    with pytest.raises(ValidationError) as caught:
        services.task_create(project=project, by=alice, title="x", due_time=T(8, 0))
    assert "due_time" in caught.value.message_dict


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------
@pytest.fixture
def tokyo_api(project):
    user = person(project, "kenji", "Asia/Tokyo")
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_sets_and_returns_due_time_and_instant(tokyo_api, project):
    response = tokyo_api.post(
        "/api/v1/tasks/",
        {
            "project": project.pk,
            "title": "Call",
            "due_date": "2026-12-02",
            "due_time": "23:30",
            "recurrence": "FREQ=WEEKLY;BYDAY=WE",
            "recurrence_mode": "from_completion",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["due_date"] == "2026-12-02"
    assert body["due_time"] == "23:30"
    assert body["due_at"] == "2026-12-02T14:30:00Z"
    assert body["recurrence"] == "FREQ=WEEKLY;BYDAY=WE"
    assert body["recurrence_mode"] == "from_completion"
    assert body["recurrence_text"] == "Every Wednesday"
    listed = tokyo_api.get("/api/v1/tasks/").json()["results"][0]
    assert listed == tokyo_api.get(f"/api/v1/tasks/{body['id']}/").json()
    # due_at is read-only: ignored in a body.
    patched = tokyo_api.patch(
        f"/api/v1/tasks/{body['id']}/", {"due_at": "2030-01-01T00:00:00Z"}, format="json"
    )
    assert patched.json()["due_at"] == "2026-12-02T14:30:00Z"
    cleared = tokyo_api.patch(f"/api/v1/tasks/{body['id']}/", {"due_time": None}, format="json")
    assert (cleared.json()["due_time"], cleared.json()["due_at"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_time": "09:00"}, "due_time"),
        ({"due_date": "2026-12-02", "due_time": "25:00"}, "due_time"),
        ({"recurrence": "FREQ=DAILY"}, "recurrence"),
        ({"due_date": "2026-12-02", "recurrence": "FREQ=HOURLY"}, "recurrence"),
        ({"due_date": "2026-12-02", "recurrence": "FREQ=NEVER"}, "recurrence"),
        ({"due_date": "2026-12-02", "recurrence": "not a rule"}, "recurrence"),
        ({"due_date": "2026-12-02", "recurrence_mode": "sometimes"}, "recurrence_mode"),
    ],
)
def test_api_refuses_bad_due_times_and_rules(tokyo_api, project, body, field):
    response = tokyo_api.post(
        "/api/v1/tasks/", {"project": project.pk, "title": "x", **body}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Task.objects.exists()


def test_api_patch_removing_the_date_of_a_repeating_task_is_refused(tokyo_api, project):
    created = tokyo_api.post(
        "/api/v1/tasks/",
        {"project": project.pk, "title": "x", "due_date": "2026-12-02", "recurrence": "FREQ=DAILY"},
        format="json",
    ).json()
    response = tokyo_api.patch(f"/api/v1/tasks/{created['id']}/", {"due_date": None}, format="json")
    assert response.status_code == 400
    assert "recurrence" in response.json()["errors"]


def test_api_completion_creates_the_next_occurrence_in_the_setters_zone(tokyo_api, project):
    created = tokyo_api.post(
        "/api/v1/tasks/",
        {
            "project": project.pk,
            "title": "Stand-up",
            "due_date": "2026-12-02",
            "due_time": "09:30",
            "recurrence": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        },
        format="json",
    ).json()
    assert created["recurrence_text"] == "Every weekday"
    tokyo_api.patch(f"/api/v1/tasks/{created['id']}/", {"status": "done"}, format="json")
    following = Task.objects.get(previous_occurrence_id=created["id"])
    body = tokyo_api.get(f"/api/v1/tasks/{following.pk}/").json()
    assert (body["due_date"], body["due_time"], body["due_at"]) == (
        "2026-12-03",
        "09:30",
        "2026-12-03T00:30:00Z",
    )
    activity = tokyo_api.get(f"/api/v1/tasks/{created['id']}/activity/").json()
    first = activity["results"][0] if "results" in activity else activity[0]
    assert first["changes"]["next_occurrence"] == {"id": following.pk, "due_date": "2026-12-03"}


# ---------------------------------------------------------------------------
# Pages: forms
# ---------------------------------------------------------------------------
def browser_edit_data(client, task) -> dict:
    """The edit form as a browser submits it untouched: every field's initial value."""
    form = client.get(reverse("tasks:task-update", args=[task.pk])).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name == "tags":
            data[name] = [str(v) for v in value or []]
        elif value is None:
            data[name] = ""
        elif hasattr(value, "strftime") and name == "due_time":
            data[name] = value.strftime("%H:%M")
        elif hasattr(value, "isoformat"):
            data[name] = value.isoformat()
        else:
            data[name] = value
    return data


def test_quick_add_takes_a_time(client, project, frozen):
    tokyo = person(project, "kenji", "Asia/Tokyo")
    client.force_login(tokyo)
    response = client.post(
        reverse("tasks:task-create", args=[project.pk]),
        {"quick": "1", "title": "Call", "due_date": "2026-12-03", "due_time": "08:00"},
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.due_at == datetime.datetime(2026, 12, 2, 23, 0, tzinfo=UTC)


def test_an_untouched_edit_form_in_another_zone_changes_nothing(client, project, frozen):
    tokyo = person(project, "kenji", "Asia/Tokyo")
    angeles = person(project, "lupe", "America/Los_Angeles")
    task = services.task_create(
        project=project,
        by=tokyo,
        title="Call",
        due_date=D(2026, 12, 3),
        due_time=T(8, 0),
        recurrence="FREQ=WEEKLY;BYDAY=TH",
    )
    client.force_login(angeles)
    data = browser_edit_data(client, task)
    # Los Angeles sees 15:00 on Wednesday the 2nd.
    assert (data["due_date"], data["due_time"]) == ("2026-12-02", "15:00")
    assert data["repeat"] == "custom"  # Thursdays, though the date shown is a Wednesday
    response = client.post(reverse("tasks:task-update", args=[task.pk]), data)
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.version == 1
    # Changing the time in the form moves the instant, read in the editor's zone.
    data["due_time"] = "16:30"
    client.post(reverse("tasks:task-update", args=[task.pk]), data)
    task.refresh_from_db()
    assert task.due_at == datetime.datetime(2026, 12, 3, 0, 30, tzinfo=UTC)
    assert task.recurrence == "FREQ=WEEKLY;BYDAY=TH"


def test_edit_form_changes_the_repeat(client, project, alice, frozen):
    task = services.task_create(
        project=project, by=alice, title="Rent", due_date=D(2026, 11, 27), recurrence="FREQ=DAILY"
    )
    client.force_login(alice)
    data = browser_edit_data(client, task)
    assert data["repeat"] == "daily"
    data["repeat"] = "monthly_last_weekday"
    client.post(reverse("tasks:task-update", args=[task.pk]), data)
    task.refresh_from_db()
    assert task.recurrence == "FREQ=MONTHLY;BYDAY=-1FR"
    page = client.get(task.get_absolute_url()).content.decode()
    assert "Monthly on the last Friday" in page
    assert "changed the repeat to Monthly on the last Friday" in page
    data = browser_edit_data(client, task)
    data["repeat"] = ""
    client.post(reverse("tasks:task-update", args=[task.pk]), data)
    task.refresh_from_db()
    assert task.recurrence == ""


def test_completing_on_the_page_says_when_the_next_occurrence_is(client, project, alice, frozen):
    task = services.task_create(
        project=project,
        by=alice,
        title="Rent",
        due_date=D(2026, 12, 1),
        recurrence="FREQ=WEEKLY;BYDAY=TU",
    )
    client.force_login(alice)
    listing = client.get(project.get_absolute_url()).content.decode()
    assert 'title="Every Tuesday"' in listing
    response = client.post(
        reverse("tasks:task-complete", args=[task.pk]), {"version": task.version}
    )
    assert response.status_code in (200, 302, 303)
    page = client.get(task.get_absolute_url()).content.decode()
    assert "completed this, next occurrence on 8 Dec" in page
    following = Task.objects.get(previous_occurrence=task)
    assert "as the next occurrence" in client.get(following.get_absolute_url()).content.decode()


def test_the_same_date_and_time_from_another_zone_is_another_instant(project):
    tokyo = person(project, "kenji", "Asia/Tokyo")
    angeles = person(project, "lupe", "America/Los_Angeles")
    task = services.task_create(
        project=project, by=tokyo, title="Call", due_date=D(2026, 12, 3), due_time=T(8, 0)
    )
    moved = services.task_update(task=task, by=angeles, due_date=D(2026, 12, 3), due_time=T(8, 0))
    assert moved.version == 2
    moved.refresh_from_db()
    assert moved.due_at == datetime.datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    assert moved.due_time_zone == "America/Los_Angeles"
    activity = Activity.objects.filter(task=task).first()
    assert activity.changes == {"due_time_zone": ["Asia/Tokyo", "America/Los_Angeles"]}
