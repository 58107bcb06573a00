"""The daily digest at each person's local hour, daylight saving time included."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from notifications import mail
from notifications.models import Delivery, Kind, Notification, NotificationSettings
from notifications.tests.conftest import html_part, smtp_server, text_part
from notifications.tests.helpers import make_note
from tasks.models import Role
from tasks.tests.factories import MembershipFactory, ProjectFactory, TaskFactory, UserFactory

UTC = datetime.UTC
State = Notification.EmailState


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def digest_reader(name: str, zone: str, hour: int, project):
    person = UserFactory(username=name, time_zone=zone)
    MembershipFactory(project=project, user=person, role=Role.VIEWER)
    NotificationSettings.objects.create(user=person, digest_hour=hour)
    return person


def waiting(person, task, at, **kwargs):
    return make_note(person, task=task, delivery=Delivery.DIGEST, at=at, **kwargs)


def test_each_person_gets_the_digest_at_their_own_local_hour(smtp, project, task, alice):
    tokyo = digest_reader("kenji", "Asia/Tokyo", 8, project)
    new_york = digest_reader("nora", "America/New_York", 8, project)
    for person in (tokyo, new_york):
        waiting(person, task, utc(2026, 6, 1, 20), actor=alice, summary="Alice commented")

    # 22:59 UTC: 07:59 in Tokyo. 23:00 UTC: 08:00 in Tokyo, 19:00 in New York.
    with time_machine.travel(utc(2026, 6, 1, 22, 59), tick=False):
        assert mail.send_digests() == 0
    with time_machine.travel(utc(2026, 6, 1, 23, 0), tick=False):
        assert mail.send_digests() == 1
        assert mail.send_digests() == 0
    [message] = smtp.wait_for(1)
    assert message["To"] == "kenji@example.com"
    assert message["Subject"] == "Your Taskdesk digest: 1 update"
    # New York's 08:00 EDT is 12:00 UTC.
    with time_machine.travel(utc(2026, 6, 2, 11, 59), tick=False):
        assert mail.send_digests() == 0
    with time_machine.travel(utc(2026, 6, 2, 12, 0), tick=False):
        assert mail.send_digests() == 1
    assert [m["To"] for m in smtp.wait_for(2)] == ["kenji@example.com", "nora@example.com"]
    assert not Notification.objects.exclude(email_state=State.SENT).exists()
    assert NotificationSettings.objects.get(user=new_york).last_digest_at == utc(2026, 6, 2, 12)


def test_an_hour_that_does_not_exist_that_day_comes_at_the_next_valid_time(smtp, project, task):
    # 8 March 2026 in New York: clocks jump from 02:00 EST to 03:00 EDT (07:00 UTC).
    person = digest_reader("nora", "America/New_York", 2, project)
    waiting(person, task, utc(2026, 3, 7, 20))
    with time_machine.travel(utc(2026, 3, 8, 6, 59), tick=False):  # 01:59 EST
        assert mail.send_digests() == 0
    with time_machine.travel(utc(2026, 3, 8, 7, 0), tick=False):  # 03:00 EDT
        assert mail.send_digests() == 1
    assert len(smtp.wait_for(1)) == 1
    zone = zoneinfo.ZoneInfo("America/New_York")
    assert mail.local_moment(datetime.date(2026, 3, 8), 2, zone) == utc(2026, 3, 8, 7)


def test_an_hour_that_happens_twice_sends_once(smtp, project, task):
    # 1 November 2026 in New York: 01:00–02:00 happens twice (EDT, then EST).
    person = digest_reader("nora", "America/New_York", 1, project)
    waiting(person, task, utc(2026, 10, 31, 20))
    with time_machine.travel(utc(2026, 11, 1, 5, 0), tick=False):  # 01:00 EDT
        assert mail.send_digests() == 1
    waiting(person, task, utc(2026, 11, 1, 5, 30))
    with time_machine.travel(utc(2026, 11, 1, 6, 0), tick=False):  # 01:00 EST
        assert mail.send_digests() == 0
    # The next one is the next day's 01:00 EST (06:00 UTC).
    with time_machine.travel(utc(2026, 11, 2, 6, 0), tick=False):
        assert mail.send_digests() == 1
    assert len(smtp.wait_for(2)) == 2


def test_what_arrives_after_the_hour_waits_for_the_next_day(smtp, project, task):
    person = digest_reader("kenji", "Asia/Tokyo", 8, project)  # 08:00 JST = 23:00 UTC
    waiting(person, task, utc(2026, 6, 2, 1))  # 10:00 JST, after today's digest moment
    with time_machine.travel(utc(2026, 6, 2, 2), tick=False):
        assert mail.send_digests() == 0
    with time_machine.travel(utc(2026, 6, 2, 23), tick=False):
        assert mail.send_digests() == 1


def test_the_digest_lists_updates_by_project_and_task(smtp, project, task, alice):
    person = digest_reader("kenji", "Asia/Tokyo", 8, project)
    other_project = ProjectFactory(name="Beta <Home>")
    MembershipFactory(project=other_project, user=person, role=Role.EDITOR)
    bills = TaskFactory(project=other_project, title="Bills & <taxes>")
    second = TaskFactory(project=project, title="Second task")
    day = utc(2026, 6, 1, 10)
    waiting(person, task, day, actor=alice, summary="Alice commented on the README")
    waiting(person, bills, day, summary="Bills are due", kind=Kind.DUE_CHANGED)
    waiting(person, task, day, actor=alice, summary="Alice completed the README")
    waiting(person, second, day, summary="Second changed", kind=Kind.STATUS_CHANGED)
    with time_machine.travel(utc(2026, 6, 1, 23), tick=False):
        assert mail.send_digests() == 1
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Your Taskdesk digest: 4 updates"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_part(message)
    assert (
        text.index("== Alpha ==")
        < text.index("Write the README")
        < text.index("Alice commented on the README")
        < text.index("Alice completed the README")
        < text.index("Second task")
        < text.index("== Beta <Home> ==")
        < text.index("Bills & <taxes>")
    )
    html = html_part(message)
    assert "Beta &lt;Home&gt;" in html and "Bills &amp; &lt;taxes&gt;" in html


def test_someone_without_settings_gets_it_at_the_default_hour(smtp, project, task, erin):
    waiting(erin, task, utc(2026, 6, 1, 1))  # erin: UTC, default hour 8
    with time_machine.travel(utc(2026, 6, 1, 7, 59), tick=False):
        assert mail.send_digests() == 0
    with time_machine.travel(utc(2026, 6, 1, 8), tick=False):
        assert mail.send_digests() == 1


def test_a_digest_that_could_not_be_sent_is_tried_again(smtp_down, settings, project, task):
    person = digest_reader("kenji", "Asia/Tokyo", 8, project)
    note = waiting(person, task, utc(2026, 6, 1, 10))
    with time_machine.travel(utc(2026, 6, 1, 23), tick=False):
        assert mail.send_digests() == 0
    note.refresh_from_db()
    assert note.email_state == State.PENDING and note.email_attempts == 1
    assert NotificationSettings.objects.get(user=person).last_digest_at is None
    with smtp_server(settings) as inbox:
        with time_machine.travel(utc(2026, 6, 1, 23, 5), tick=False):
            assert mail.send_digests() == 1
        assert len(inbox.wait_for(1)) == 1


@pytest.mark.parametrize(
    ("zone", "now", "moment"),
    [
        ("Asia/Tokyo", utc(2026, 6, 1, 22, 59), utc(2026, 5, 31, 23)),
        ("Asia/Tokyo", utc(2026, 6, 1, 23), utc(2026, 6, 1, 23)),
        ("America/New_York", utc(2026, 1, 5, 13), utc(2026, 1, 5, 13)),  # EST
        ("America/New_York", utc(2026, 7, 5, 13), utc(2026, 7, 5, 12)),  # EDT
    ],
)
def test_last_digest_moment(zone, now, moment):
    assert mail.last_digest_moment(now, zoneinfo.ZoneInfo(zone), 8) == moment
