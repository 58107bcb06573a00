"""Repeating tasks: the rule's validation and words, next occurrences, completing them."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tasks import recurrence as rrules
from tasks import services
from tasks.models import Activity, Status, Task
from tasks.templatetags.taskdesk import activity_words
from tasks.tests.factories import TagFactory

D = datetime.date
UTC = datetime.UTC


# ---------------------------------------------------------------------------
# The rule
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=MO,TH",
        "freq=monthly;byday=-1fr",
        "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;COUNT=10",
        "FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20271231",
        "FREQ=DAILY;UNTIL=20271231T235959Z",
    ],
)
def test_valid_rules_pass(rule):
    rrules.validate_rule(rule)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("FREQ=HOURLY", "too_frequent"),
        ("FREQ=MINUTELY;INTERVAL=5", "too_frequent"),
        ("FREQ=SECONDLY", "too_frequent"),
        ("FREQ=DAILY;BYHOUR=9,17", "invalid"),
        ("FREQ=FORTNIGHTLY", "invalid"),
        ("BYDAY=MO", "invalid"),
        ("every monday", "invalid"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid"),
        ("FREQ=DAILY;COUNT=0", "invalid"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "invalid"),
        ("DTSTART:20260101\nRRULE:FREQ=DAILY", "invalid"),
    ],
)
def test_invalid_or_too_frequent_rules_are_refused(rule, code):
    with pytest.raises(ValidationError) as caught:
        rrules.validate_rule(rule)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=DAILY", "Every day"),
        ("FREQ=DAILY;INTERVAL=3", "Every 3 days"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"),
        ("FREQ=WEEKLY;BYDAY=TH,MO", "Every Monday and Thursday"),
        ("FREQ=WEEKLY;BYDAY=MO", "Every Monday"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "Every 2 weeks on Friday"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "Monthly on day 15"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "Monthly on the last Friday"),
        ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", "Monthly on the last Friday"),
        ("FREQ=MONTHLY;BYDAY=1MO", "Monthly on the first Monday"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3", "Every year on 3 March"),
        ("FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20271231", "Monthly on day 15 until 31 Dec 2027"),
        ("FREQ=DAILY;COUNT=10", "Every day, 10 times"),
        (
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
            "Repeats yearly (custom rule FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO)",
        ),
    ],
)
def test_rules_in_words(rule, words):
    assert rrules.describe(rule) == words


@pytest.mark.parametrize(
    ("preset", "rule", "words"),
    [
        ("daily", "FREQ=DAILY", "Every day"),
        ("weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"),
        ("weekly", "FREQ=WEEKLY;BYDAY=FR", "Every Friday"),
        ("monthly_day", "FREQ=MONTHLY;BYMONTHDAY=27", "Monthly on day 27"),
        ("monthly_last_weekday", "FREQ=MONTHLY;BYDAY=-1FR", "Monthly on the last Friday"),
        ("yearly", "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=27", "Every year on 27 November"),
    ],
)
def test_presets_make_rules_for_the_due_date(preset, rule, words):
    friday = D(2026, 11, 27)
    assert rrules.preset_rule(preset, friday) == rule
    assert rrules.describe(rule) == words
    assert rrules.preset_of(rule, friday) == preset


# ---------------------------------------------------------------------------
# Next occurrences
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "due", "expected"),
    [
        ("FREQ=DAILY", D(2026, 12, 31), D(2027, 1, 1)),
        ("FREQ=WEEKLY;BYDAY=MO,TH", D(2026, 12, 3), D(2026, 12, 7)),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", D(2026, 12, 4), D(2026, 12, 7)),
        # Day 31 skips the months without one, as RFC 5545 says.
        ("FREQ=MONTHLY;BYMONTHDAY=31", D(2027, 1, 31), D(2027, 3, 31)),
        ("FREQ=MONTHLY;BYMONTHDAY=31", D(2027, 3, 31), D(2027, 5, 31)),
        ("FREQ=MONTHLY;BYDAY=-1FR", D(2026, 11, 27), D(2026, 12, 25)),
        ("FREQ=MONTHLY;BYDAY=-1FR", D(2027, 1, 29), D(2027, 2, 26)),
        # 29 February comes back in the next leap year.
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", D(2028, 2, 29), D(2032, 2, 29)),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", D(2026, 12, 4), D(2026, 12, 18)),
    ],
)
def test_next_occurrence_from_the_due_date(rule, due, expected):
    assert rrules.next_occurrence(rule, due_date=due) == (expected, rule)


def test_count_is_carried_down_and_runs_out():
    assert rrules.next_occurrence("FREQ=DAILY;COUNT=3", due_date=D(2026, 1, 1)) == (
        D(2026, 1, 2),
        "FREQ=DAILY;COUNT=2",
    )
    assert rrules.next_occurrence("FREQ=DAILY;COUNT=2", due_date=D(2026, 1, 2)) == (
        D(2026, 1, 3),
        "FREQ=DAILY;COUNT=1",
    )
    assert rrules.next_occurrence("FREQ=DAILY;COUNT=1", due_date=D(2026, 1, 3)) is None


def test_until_is_a_date_included_then_exhausted():
    rule = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261214T000000Z"
    assert rrules.next_occurrence(rule, due_date=D(2026, 12, 7)) == (D(2026, 12, 14), rule)
    assert rrules.next_occurrence(rule, due_date=D(2026, 12, 14)) is None


def test_from_completion_counts_from_the_completion_date():
    got = rrules.next_occurrence(
        "FREQ=DAILY;INTERVAL=3", due_date=D(2026, 12, 1), completed_on=D(2026, 12, 10)
    )
    assert got == (D(2026, 12, 13), "FREQ=DAILY;INTERVAL=3")


# ---------------------------------------------------------------------------
# Completing a repeating task
# ---------------------------------------------------------------------------
@pytest.fixture
def berlin(erin):
    erin.time_zone = "Europe/Berlin"
    erin.save(update_fields=["time_zone"])
    return erin


def _repeating(project, by, **kwargs):
    kwargs.setdefault("title", "Water the plants")
    kwargs.setdefault("due_date", D(2026, 12, 1))
    kwargs.setdefault("recurrence", "FREQ=WEEKLY;BYDAY=TU")
    return services.task_create(project=project, by=by, **kwargs)


def test_completing_creates_the_next_occurrence_with_its_fields(project, erin, alice):
    bug = TagFactory(project=project, name="home")
    task = _repeating(
        project,
        erin,
        description="Both balconies",
        priority="high",
        assignee=alice,
        tags=[bug],
        recurrence_mode="from_due",
    )
    done = services.task_complete(task=task, by=erin)
    following = done.next_occurrence
    assert following.status == Status.TODO
    assert following.due_date == D(2026, 12, 8)
    assert (following.title, following.description, following.priority) == (
        "Water the plants",
        "Both balconies",
        "high",
    )
    assert following.assignee == alice
    assert list(following.tags.all()) == [bug]
    assert following.recurrence == "FREQ=WEEKLY;BYDAY=TU"
    assert following.project == project
    completion = Activity.objects.filter(task=task).first()
    assert completion.verb == Activity.Verb.COMPLETED
    assert completion.changes["status"] == ["todo", "done"]
    assert completion.changes["next_occurrence"] == {"id": following.pk, "due_date": "2026-12-08"}
    assert "completed this, next occurrence on 8 Dec" in activity_words(completion)
    created = Activity.objects.get(task=following)
    assert created.verb == Activity.Verb.CREATED
    assert created.actor == erin
    assert created.changes["previous_occurrence"]["id"] == task.pk
    assert "next occurrence" in activity_words(created)


def test_every_completion_path_repeats(client, project, erin):
    board_task = _repeating(project, erin, title="Board")
    client.force_login(erin)
    response = client.post(
        reverse("tasks:task-move", args=[board_task.pk]), {"status": "done", "index": 0}
    )
    assert response.status_code in (200, 302, 303)
    assert Task.objects.filter(previous_occurrence=board_task).count() == 1

    update_task = _repeating(project, erin, title="Update")
    services.task_update(task=update_task, by=erin, status=Status.DONE)
    assert Task.objects.filter(previous_occurrence=update_task).count() == 1

    api_task = _repeating(project, erin, title="API")
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(erin)
    response = api.patch(f"/api/v1/tasks/{api_task.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200
    assert Task.objects.filter(previous_occurrence=api_task).count() == 1


def test_reopening_and_completing_again_makes_no_second_occurrence(project, erin):
    task = _repeating(project, erin)
    services.task_complete(task=task, by=erin)
    services.task_reopen(task=task, by=erin)
    services.task_complete(task=task, by=erin)
    services.task_complete(task=task, by=erin)  # already done: no change at all
    assert Task.objects.filter(title="Water the plants").count() == 2
    latest = Activity.objects.filter(task=task, verb="completed").first()
    assert "next_occurrence" not in latest.changes


def test_count_runs_out(project, erin):
    task = _repeating(project, erin, recurrence="FREQ=DAILY;COUNT=2")
    second = services.task_complete(task=task, by=erin).next_occurrence
    assert second.recurrence == "FREQ=DAILY;COUNT=1"
    assert second.due_date == D(2026, 12, 2)
    services.task_complete(task=second, by=erin)
    assert Task.objects.count() == 2
    assert "next_occurrence" not in Activity.objects.filter(task=second).first().changes


def test_until_runs_out(project, erin):
    task = _repeating(project, erin, recurrence="FREQ=DAILY;UNTIL=20261202")
    second = services.task_complete(task=task, by=erin).next_occurrence
    assert second.due_date == D(2026, 12, 2)
    services.task_complete(task=second, by=erin)
    assert Task.objects.count() == 2


def test_from_completion_counts_from_the_day_in_the_completers_zone(project, erin, berlin):
    task = _repeating(
        project, erin, recurrence="FREQ=DAILY;INTERVAL=2", recurrence_mode="from_completion"
    )
    # 23:30 UTC on 9 December is already 10 December in Berlin.
    with time_machine.travel(datetime.datetime(2026, 12, 9, 23, 30, tzinfo=UTC), tick=False):
        following = services.task_complete(task=task, by=berlin).next_occurrence
    assert following.due_date == D(2026, 12, 12)
    assert following.recurrence_mode == "from_completion"


@pytest.mark.parametrize(
    ("start", "expected_utc"),
    [
        # Berlin goes to summer time on 29 March 2026 and back on 25 October 2026.
        (D(2026, 3, 28), [(3, 28, 8), (3, 29, 7), (3, 30, 7)]),
        (D(2026, 10, 24), [(10, 24, 7), (10, 25, 8), (10, 26, 8)]),
    ],
)
def test_daily_nine_oclock_stays_nine_oclock_local_across_dst(project, berlin, start, expected_utc):
    task = _repeating(
        project, berlin, recurrence="FREQ=DAILY", due_date=start, due_time=datetime.time(9, 0)
    )
    seen = []
    for _ in range(3):
        seen.append(task)
        task = services.task_complete(task=task, by=berlin).next_occurrence
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    for occurrence, (month, day, hour) in zip(seen, expected_utc, strict=True):
        assert occurrence.due_time == datetime.time(9, 0)
        assert occurrence.due_at.astimezone(zone).time() == datetime.time(9, 0)
        assert occurrence.due_at == datetime.datetime(2026, month, day, hour, tzinfo=UTC)


def test_a_repeating_task_needs_a_due_date_and_a_valid_rule(project, erin):
    with pytest.raises(ValidationError) as caught:
        services.task_create(project=project, by=erin, title="x", recurrence="FREQ=DAILY")
    assert "recurrence" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.task_create(
            project=project, by=erin, title="x", due_date=D(2026, 1, 1), recurrence="FREQ=HOURLY"
        )
    assert "recurrence" in caught.value.message_dict
    assert not Task.objects.exists()


# ---------------------------------------------------------------------------
# The form
# ---------------------------------------------------------------------------
def _form_data(**extra):
    data = {"title": "Pay rent", "status": "todo", "priority": "none", "due_date": "2026-11-27"}
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("preset", "rule"),
    [
        ("", ""),
        ("daily", "FREQ=DAILY"),
        ("weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("weekly", "FREQ=WEEKLY;BYDAY=FR"),
        ("monthly_day", "FREQ=MONTHLY;BYMONTHDAY=27"),
        ("monthly_last_weekday", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("yearly", "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=27"),
    ],
)
def test_form_presets_become_rules(client, project, erin, preset, rule):
    client.force_login(erin)
    response = client.post(
        reverse("tasks:task-create", args=[project.pk]),
        _form_data(repeat=preset, recurrence="", recurrence_mode="from_due"),
    )
    assert response.status_code == 302
    assert Task.objects.get().recurrence == rule


def test_form_custom_rule_and_mode(client, project, erin):
    client.force_login(erin)
    response = client.post(
        reverse("tasks:task-create", args=[project.pk]),
        _form_data(
            repeat="custom",
            recurrence="freq=monthly;byday=1mo;count=6",
            recurrence_mode="from_completion",
        ),
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.recurrence, task.recurrence_mode) == (
        "FREQ=MONTHLY;BYDAY=1MO;COUNT=6",
        "from_completion",
    )
    page = client.get(task.get_absolute_url()).content.decode()
    assert "Monthly on the first Monday, 6 times" in page


def test_form_refuses_bad_rules_and_repeats_without_date(client, project, erin):
    client.force_login(erin)
    url = reverse("tasks:task-create", args=[project.pk])
    response = client.post(url, _form_data(repeat="custom", recurrence="FREQ=HOURLY"))
    assert response.status_code == 200
    assert "at most daily" in response.content.decode()
    response = client.post(url, _form_data(repeat="daily", due_date=""))
    assert response.status_code == 200
    assert "needs a due date" in response.content.decode()
    assert not Task.objects.exists()


def test_edit_form_shows_the_preset_and_keeps_the_rule(client, project, erin):
    task = _repeating(project, erin, due_date=D(2026, 11, 27), recurrence="FREQ=WEEKLY;BYDAY=FR")
    client.force_login(erin)
    page = client.get(reverse("tasks:task-update", args=[task.pk])).content.decode()
    assert '<option value="weekly" selected>Every week on Friday</option>' in page
