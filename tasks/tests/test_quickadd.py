"""Quick add understands text: the parser on a table of phrases, then the page and the API."""

import datetime
from types import SimpleNamespace

import pytest

from tasks import quickadd
from tasks.models import Activity, Priority, Task
from tasks.tests.factories import TagFactory

TODAY = datetime.date(2026, 12, 2)  # a Wednesday
D = datetime.date
T = datetime.time

BEN = SimpleNamespace(username="ben")
ANA = SimpleNamespace(username="Ana.Maria")
FINANCE = SimpleNamespace(name="finance")
HOME = SimpleNamespace(name="Home")
MEMBERS = {"ben": BEN, "Ana.Maria": ANA}
TAGS = {"finance": FINANCE, "home": HOME}


def parse(text, **kwargs):
    return quickadd.parse(
        text, today=TODAY, zone="Europe/Paris", members=MEMBERS, tags=TAGS, **kwargs
    )


# text, title, due_date, due_time, priority, recurrence
PHRASES = [
    # the brief's example
    (
        "Pay rent tomorrow 5pm p1 #finance @ben every month",
        "Pay rent",
        D(2026, 12, 3),
        T(17),
        Priority.URGENT,
        "FREQ=MONTHLY",
    ),
    # plain
    ("Buy milk", "Buy milk", None, None, None, ""),
    ("Buy 5 apples", "Buy 5 apples", None, None, None, ""),
    ("", "", None, None, None, ""),
    # relative days
    ("Call mum today", "Call mum", D(2026, 12, 2), None, None, ""),
    ("Call mum TODAY", "Call mum", D(2026, 12, 2), None, None, ""),
    ("Call mum tomorrow", "Call mum", D(2026, 12, 3), None, None, ""),
    ("Call mum Tomorrow", "Call mum", D(2026, 12, 3), None, None, ""),
    ("Call mum tmrw", "Call mum", D(2026, 12, 3), None, None, ""),
    ("Missed it yesterday", "Missed it", D(2026, 12, 1), None, None, ""),
    # weekdays: the next one after today, never today
    ("Gym monday", "Gym", D(2026, 12, 7), None, None, ""),
    ("Gym mon", "Gym", D(2026, 12, 7), None, None, ""),
    ("Gym tuesday", "Gym", D(2026, 12, 8), None, None, ""),
    ("Gym wednesday", "Gym", D(2026, 12, 9), None, None, ""),
    ("Gym wed", "Gym", D(2026, 12, 9), None, None, ""),
    ("Gym thursday", "Gym", D(2026, 12, 3), None, None, ""),
    ("Gym Thu", "Gym", D(2026, 12, 3), None, None, ""),
    ("Gym friday", "Gym", D(2026, 12, 4), None, None, ""),
    ("Gym on friday", "Gym", D(2026, 12, 4), None, None, ""),
    ("Gym next friday", "Gym", D(2026, 12, 4), None, None, ""),
    ("Gym saturday", "Gym", D(2026, 12, 5), None, None, ""),
    ("Gym sunday", "Gym", D(2026, 12, 6), None, None, ""),
    ("Plan next week", "Plan", D(2026, 12, 7), None, None, ""),
    ("Plan next thing", "Plan next thing", None, None, None, ""),
    # in N units
    ("Renew in 3 days", "Renew", D(2026, 12, 5), None, None, ""),
    ("Renew in 1 day", "Renew", D(2026, 12, 3), None, None, ""),
    ("Renew in 2 weeks", "Renew", D(2026, 12, 16), None, None, ""),
    ("Renew in 1 month", "Renew", D(2027, 1, 2), None, None, ""),
    ("Renew in 1 year", "Renew", D(2027, 12, 2), None, None, ""),
    ("Renew in time", "Renew in time", None, None, None, ""),
    # dates
    ("Party 12 Dec", "Party", D(2026, 12, 12), None, None, ""),
    ("Party Dec 12", "Party", D(2026, 12, 12), None, None, ""),
    ("Party December 12th", "Party", D(2026, 12, 12), None, None, ""),
    ("Party 24th december", "Party", D(2026, 12, 24), None, None, ""),
    ("Party on 12 dec", "Party", D(2026, 12, 12), None, None, ""),
    ("Party 1 dec", "Party", D(2027, 12, 1), None, None, ""),
    ("Party jan 5", "Party", D(2027, 1, 5), None, None, ""),
    ("Party 5 jan 2028", "Party", D(2028, 1, 5), None, None, ""),
    ("Party 2026-12-24", "Party", D(2026, 12, 24), None, None, ""),
    ("Party 2026-02-30", "Party 2026-02-30", None, None, None, ""),
    ("Party 24/12", "Party", D(2026, 12, 24), None, None, ""),
    ("Party 3/1", "Party", D(2027, 1, 3), None, None, ""),
    ("Party 24/12/2027", "Party", D(2027, 12, 24), None, None, ""),
    ("Party 31/02", "Party 31/02", None, None, None, ""),
    ("Party 30 feb", "Party 30 feb", None, None, None, ""),
    ("Ask if I may go", "Ask if I may go", None, None, None, ""),
    # times (a time alone is today)
    ("Standup 5pm", "Standup", TODAY, T(17), None, ""),
    ("Standup 5:30pm", "Standup", TODAY, T(17, 30), None, ""),
    ("Standup 5 pm", "Standup", TODAY, T(17), None, ""),
    ("Standup 9am", "Standup", TODAY, T(9), None, ""),
    ("Standup 12am", "Standup", TODAY, T(0), None, ""),
    ("Standup 12pm", "Standup", TODAY, T(12), None, ""),
    ("Standup 17:00", "Standup", TODAY, T(17), None, ""),
    ("Standup at 9", "Standup", TODAY, T(9), None, ""),
    ("Standup at 21", "Standup", TODAY, T(21), None, ""),
    ("Standup at 9:15", "Standup", TODAY, T(9, 15), None, ""),
    ("Lunch noon", "Lunch", TODAY, T(12), None, ""),
    ("Lunch at noon", "Lunch", TODAY, T(12), None, ""),
    ("Backup midnight", "Backup", TODAY, T(0), None, ""),
    ("Meet at home", "Meet at home", None, None, None, ""),
    ("Standup 25:00", "Standup 25:00", None, None, None, ""),
    ("Standup 13pm", "Standup 13pm", None, None, None, ""),
    ("Dentist friday 10:30am", "Dentist", D(2026, 12, 4), T(10, 30), None, ""),
    ("Dentist at 8pm on 12 dec", "Dentist", D(2026, 12, 12), T(20), None, ""),
    # priorities
    ("Fix it p1", "Fix it", None, None, Priority.URGENT, ""),
    ("Fix it P2", "Fix it", None, None, Priority.HIGH, ""),
    ("Fix it p3", "Fix it", None, None, Priority.MEDIUM, ""),
    ("Fix it p4", "Fix it", None, None, Priority.LOW, ""),
    ("Fix it p5", "Fix it p5", None, None, None, ""),
    ("Fix p1 and p2", "Fix and p2", None, None, Priority.URGENT, ""),
    # repeats (a repeat without a date starts at its first occurrence)
    ("Water plants every day", "Water plants", TODAY, None, None, "FREQ=DAILY"),
    ("Water plants daily", "Water plants", TODAY, None, None, "FREQ=DAILY"),
    ("Water plants every 3 days", "Water plants", TODAY, None, None, "FREQ=DAILY;INTERVAL=3"),
    ("Standup every weekday", "Standup", TODAY, None, None, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    ("Review every monday", "Review", D(2026, 12, 7), None, None, "FREQ=WEEKLY;BYDAY=MO"),
    ("Review every mon and thu", "Review", D(2026, 12, 3), None, None, "FREQ=WEEKLY;BYDAY=MO,TH"),
    ("Review every wednesday", "Review", TODAY, None, None, "FREQ=WEEKLY;BYDAY=WE"),
    ("Review every week", "Review", TODAY, None, None, "FREQ=WEEKLY"),
    ("Review weekly", "Review", TODAY, None, None, "FREQ=WEEKLY"),
    ("Review every 2 weeks", "Review", TODAY, None, None, "FREQ=WEEKLY;INTERVAL=2"),
    ("Review every other week", "Review", TODAY, None, None, "FREQ=WEEKLY;INTERVAL=2"),
    ("Rent every month", "Rent", TODAY, None, None, "FREQ=MONTHLY"),
    ("Rent monthly", "Rent", TODAY, None, None, "FREQ=MONTHLY"),
    (
        "Rent every month on the 15th",
        "Rent",
        D(2026, 12, 15),
        None,
        None,
        "FREQ=MONTHLY;BYMONTHDAY=15",
    ),
    ("Rent every month on 1st", "Rent", D(2027, 1, 1), None, None, "FREQ=MONTHLY;BYMONTHDAY=1"),
    ("Rent every 15th", "Rent", D(2026, 12, 15), None, None, "FREQ=MONTHLY;BYMONTHDAY=15"),
    ("Taxes every year", "Taxes", TODAY, None, None, "FREQ=YEARLY"),
    ("Taxes yearly", "Taxes", TODAY, None, None, "FREQ=YEARLY"),
    ("Taxes annually", "Taxes", TODAY, None, None, "FREQ=YEARLY"),
    ("Review every friday 9am", "Review", D(2026, 12, 4), T(9), None, "FREQ=WEEKLY;BYDAY=FR"),
    ("Rent every month 24/12", "Rent", D(2026, 12, 24), None, None, "FREQ=MONTHLY"),
    # repeats it does not understand stay in the title
    ("Check every hour", "Check every hour", None, None, None, ""),
    ("Check every 0 days", "Check every 0 days", None, None, None, ""),
    ("Check every 9999 days", "Check every 9999 days", None, None, None, ""),
    ("Check every blue moon", "Check every blue moon", None, None, None, ""),
    ("Check every", "Check every", None, None, None, ""),
    ("Check every 2 mondays", "Check every 2 mondays", None, None, None, ""),
    # a title that would be empty keeps the original text
    ("tomorrow", "tomorrow", D(2026, 12, 3), None, None, ""),
    ("p1 tomorrow", "p1 tomorrow", D(2026, 12, 3), None, Priority.URGENT, ""),
    # whitespace collapses
    ("  Pay   rent   tomorrow  ", "Pay rent", D(2026, 12, 3), None, None, ""),
    # the first date wins; a second stays
    ("Move today to tomorrow", "Move to tomorrow", TODAY, None, None, ""),
]


@pytest.mark.parametrize(
    ("text", "title", "due_date", "due_time", "priority", "rule"),
    PHRASES,
    ids=[p[0] or "empty" for p in PHRASES],
)
def test_phrase(text, title, due_date, due_time, priority, rule):
    parsed = parse(text)
    assert (parsed.title, parsed.due_date, parsed.due_time, parsed.priority, parsed.recurrence) == (
        title,
        due_date,
        due_time,
        priority,
        rule,
    )
    if rule:
        from tasks import recurrence

        recurrence.validate_rule(rule)


def test_there_are_at_least_sixty_phrases():
    assert len(PHRASES) >= 60


@pytest.mark.parametrize(
    ("text", "title", "tags", "assignee"),
    [
        ("Pay #finance", "Pay", [FINANCE], None),
        ("Pay #FINANCE #home", "Pay", [FINANCE, HOME], None),
        ("Pay #finance #finance", "Pay", [FINANCE], None),
        ("Pay #unknown", "Pay #unknown", [], None),
        ("Pay # finance", "Pay # finance", [], None),
        ("Ask @ben", "Ask", [], BEN),
        ("Ask @BEN", "Ask", [], BEN),
        ("Ask @ana.maria", "Ask", [], ANA),
        ("Ask @nobody", "Ask @nobody", [], None),
        ("Ask @ben and @ana.maria", "Ask and @ana.maria", [], BEN),
        ("Mail ben@example.com", "Mail ben@example.com", [], None),
    ],
)
def test_tags_and_members(text, title, tags, assignee):
    parsed = parse(text)
    assert parsed.title == title
    assert parsed.tags == tags
    assert parsed.assignee is assignee


def test_chips_say_what_was_understood():
    parsed = parse("Pay rent tomorrow 5pm p1 #finance @ben every month")
    assert [kind for kind, _ in parsed.chips] == [
        "date",
        "time",
        "priority",
        "tag",
        "assignee",
        "repeat",
    ]
    assert ("time", "17:00") in parsed.chips
    assert ("tag", "#finance") in parsed.chips
    assert ("assignee", "@ben") in parsed.chips


def test_today_comes_from_the_zone_when_not_given():
    parsed = quickadd.parse("x today", zone="Pacific/Kiritimati")
    assert (
        parsed.due_date
        == datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=14))).date()
    )


# ---------------------------------------------------------------------------
# The page's quick add
# ---------------------------------------------------------------------------
@pytest.fixture
def finance(project):
    return TagFactory(project=project, name="Finance")


@pytest.fixture
def create_url(project):
    from django.urls import reverse

    return reverse("tasks:task-create", args=[project.pk])


@pytest.fixture
def frozen_today(monkeypatch):
    """The page's today (in the user's zone) fixed at TODAY."""
    monkeypatch.setattr(quickadd, "today_in", lambda zone: TODAY)


def test_page_quick_add_understands_the_line(
    client, alice, erin, project, finance, create_url, frozen_today
):
    alice.time_zone = "Europe/Paris"
    alice.save()
    client.force_login(alice)
    response = client.post(
        create_url,
        {"quick": "1", "title": "Pay rent tomorrow 5pm p1 #finance @erin every month"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200, response.content
    task = Task.objects.get()
    assert task.title == "Pay rent"
    assert task.due_date == D(2026, 12, 3)
    assert task.due_at == datetime.datetime(2026, 12, 3, 16, 0, tzinfo=datetime.UTC)
    assert task.priority == Priority.URGENT
    assert list(task.tags.all()) == [finance]
    assert task.assignee == erin
    assert task.recurrence == "FREQ=MONTHLY"
    assert Activity.objects.filter(task=task, verb=Activity.Verb.CREATED).count() == 1


def test_page_quick_add_without_javascript(client, alice, project, create_url, frozen_today):
    client.force_login(alice)
    response = client.post(create_url, {"quick": "1", "title": "Review every monday p2"})
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.title, task.due_date, task.priority, task.recurrence) == (
        "Review",
        D(2026, 12, 7),
        Priority.HIGH,
        "FREQ=WEEKLY;BYDAY=MO",
    )


def test_page_quick_add_keeps_the_unknown_in_the_title(
    client, alice, oscar, project, create_url, frozen_today
):
    client.force_login(alice)
    response = quick_add_post(client, create_url, "Ask @oscar about #nope every hour")
    assert response.status_code == 200
    task = Task.objects.get()
    assert task.title == "Ask @oscar about #nope every hour"
    assert (task.assignee, task.due_date, task.recurrence) == (None, None, "")
    assert not task.tags.exists()


def test_page_quick_add_explicit_fields_win(client, alice, erin, project, create_url, frozen_today):
    client.force_login(alice)
    response = client.post(
        create_url,
        {
            "quick": "1",
            "title": "Call tomorrow @alice",
            "due_date": "2026-12-20",
            "assignee": erin.pk,
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    task = Task.objects.get()
    assert (task.title, task.due_date, task.assignee) == ("Call", D(2026, 12, 20), erin)


def test_the_full_form_does_not_parse(client, alice, project, create_url):
    client.force_login(alice)
    response = client.post(
        create_url,
        {"title": "Pay rent tomorrow p1", "status": "todo", "priority": "none", "repeat": ""},
    )
    assert response.status_code == 302
    assert Task.objects.get().title == "Pay rent tomorrow p1"


def quick_add_post(client, url, title):
    return client.post(url, {"quick": "1", "title": title}, headers={"HX-Request": "true"})


# ---------------------------------------------------------------------------
# The API: POST /api/v1/tasks/ with "parse": true
# ---------------------------------------------------------------------------
TASKS = "/api/v1/tasks/"


def test_api_parse_creates_the_task(token_client, alice, erin, project, finance, frozen_today):
    client = token_client(alice)
    response = client.post(
        TASKS,
        {
            "project": project.pk,
            "title": "Pay rent tomorrow 17:00 p1 #finance @erin every month",
            "parse": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["title"] == "Pay rent"
    assert data["due_date"] == "2026-12-03"
    assert data["due_time"] == "17:00"
    assert data["priority"] == "urgent"
    assert data["tags"] == [finance.pk]
    assert data["assignee"] == erin.pk
    assert data["recurrence"] == "FREQ=MONTHLY"


def test_api_without_parse_keeps_the_title(token_client, alice, project):
    client = token_client(alice)
    response = client.post(
        TASKS, {"project": project.pk, "title": "Pay rent tomorrow p1"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Pay rent tomorrow p1"
    assert response.json()["due_date"] is None


def test_api_explicit_fields_win_over_the_text(token_client, alice, project, frozen_today):
    client = token_client(alice)
    response = client.post(
        TASKS,
        {"project": project.pk, "title": "Call tomorrow p1", "priority": "low", "parse": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["title"], data["due_date"], data["priority"]) == ("Call", "2026-12-03", "low")


def test_api_unknown_words_stay(token_client, alice, project, frozen_today):
    client = token_client(alice)
    response = client.post(
        TASKS,
        {"project": project.pk, "title": "Ask @oscar #nope every fortnight", "parse": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Ask @oscar #nope every fortnight"


@pytest.mark.parametrize("value", ["yes", 3, None, [True]])
def test_api_parse_must_be_a_boolean(token_client, alice, project, value):
    client = token_client(alice)
    response = client.post(
        TASKS, {"project": project.pk, "title": "x tomorrow", "parse": value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert not Task.objects.exists()


@pytest.mark.parametrize("body", ["null", "[]", '"text"', "3"])
def test_api_create_with_a_body_that_is_no_object_is_a_400(token_client, alice, body):
    client = token_client(alice)
    response = client.post(TASKS, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Task.objects.exists()


# ---------------------------------------------------------------------------
# The chips while typing
# ---------------------------------------------------------------------------
def preview_url(project):
    from django.urls import reverse

    return reverse("tasks:quick-add-preview", args=[project.pk])


def test_preview_shows_what_is_understood(
    client, alice, erin, project, finance, frozen_today, django_assert_num_queries
):
    client.force_login(alice)
    client.get(preview_url(project), {"title": "warm up"})
    with django_assert_num_queries(5):
        response = client.get(
            preview_url(project),
            {"title": "Pay rent tomorrow 5pm p1 #finance @erin every month"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="quick-add-chips"' in html
    for label in ("Thu 3 Dec 2026", "17:00", "P1 Urgent", "#Finance", "@erin", "Monthly"):
        assert label in html, label


def test_preview_of_nothing_is_empty(client, alice, project):
    client.force_login(alice)
    response = client.get(preview_url(project), {"title": "  "})
    assert response.status_code == 200
    assert "chip" not in response.content.decode().split("</div>")[0].split(">", 1)[1]


@pytest.mark.parametrize(("who", "code"), [("viewer", 403), ("outsider", 404)])
def test_preview_needs_an_editor(client, cast, project, who, code):
    client.force_login(cast[who])
    response = client.get(preview_url(project), {"title": "x tomorrow"})
    assert response.status_code == code


def test_list_page_has_the_preview_on_the_title(client, alice, project):
    client.force_login(alice)
    html = client.get(project.get_absolute_url()).content.decode()
    assert f'hx-get="{preview_url(project)}"' in html
    assert 'id="quick-add-chips"' in html


def test_preview_after_the_session_ended_leaves_the_page_alone(client, project):
    response = client.get(
        preview_url(project), {"title": "x tomorrow"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "HX-Redirect" not in response.headers
    assert "chip" not in response.content.decode().split("</div>")[0].split(">", 1)[1]
    assert client.get(preview_url(project), {"title": "x"}).status_code == 302


def test_page_quick_add_with_an_error_gives_the_line_back_as_typed(
    client, alice, project, create_url, frozen_today
):
    client.force_login(alice)
    response = client.post(
        create_url,
        {"quick": "1", "title": "Review every monday p2", "due_date": "someday"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#quick-add"
    assert 'value="Review every monday p2"' in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "in 999 years",
        "0 dec",
        "dec 0",
        "99/99",
        "9999-12-31",
        "0000-01-01",
        "every 31st",
        "every month on the 0th",
        "every month on the",
        "every 2 weeks on",
        "at",
        "at 24",
        "at noon at 5pm",
        "next",
        "in",
        "in 3",
        "p0 p9 p",
        "# @ #",
        "@",
        "every every every",
        "every other",
        "every other monday",
        "12:60",
        "0:00am",
        "\u200b tomorrow \u00a0 p1",
    ],
)
def test_odd_lines_never_fail(text):
    parsed = parse(text)
    assert parsed.title
    if parsed.recurrence:
        from tasks import recurrence

        recurrence.validate_rule(parsed.recurrence)


def test_api_parse_without_a_title_is_a_400(token_client, alice, project):
    client = token_client(alice)
    response = client.post(TASKS, {"project": project.pk, "parse": True}, format="json")
    assert response.status_code == 400, response.content
    assert "title" in response.json()["errors"]
    assert not Task.objects.exists()
