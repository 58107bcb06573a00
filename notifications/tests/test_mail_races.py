"""
Two schedulers at the same moment on real PostgreSQL: every notification is mailed once,
never twice (rows are claimed with SKIP LOCKED and marked before the mail goes out).
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection

from notifications import mail
from notifications.models import Delivery, Kind, Notification, NotificationSettings
from notifications.tests.helpers import make_note
from tasks.models import Role
from tasks.tests.factories import MembershipFactory, TaskFactory, UserFactory
from tasks.tests.test_races import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite ignores row locks; the race needs PostgreSQL (DATABASE_URL=postgres://…)",
    ),
]

ROUNDS = 5


def test_two_schedulers_never_send_an_instant_mail_twice(smtp, project, alice, erin, victor):
    tasks = TaskFactory.create_batch(6, project=project)
    expected = 0
    for _ in range(ROUNDS):
        for task in tasks:
            for person in (erin, victor):
                make_note(person, task=task, actor=alice)
                make_note(person, task=task, kind=Kind.STATUS_CHANGED, actor=alice)
                make_note(person, task=task, kind=Kind.REMINDER, actor=alice)
                expected += 2  # the two changes in one mail, the reminder in another
        counts = race(mail.send_pending_mail, mail.send_pending_mail, mail.send_pending_mail)
        assert sum(counts) == len(tasks) * 4
        assert not Notification.objects.exclude(email_state=Notification.EmailState.SENT).exists()
    assert len(smtp.wait_for(expected)) == expected
    assert len({message["Message-ID"] for message in smtp.messages}) == expected


def test_two_schedulers_never_send_a_digest_twice(smtp, project, task):
    people = []
    for i in range(8):
        person = UserFactory(username=f"reader{i}", time_zone="Asia/Tokyo")
        MembershipFactory(project=project, user=person, role=Role.VIEWER)
        NotificationSettings.objects.create(user=person, digest_hour=8)
        people.append(person)
    day = datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC)
    for _round in range(ROUNDS):
        for person in people:
            for _ in range(3):
                make_note(person, task=task, delivery=Delivery.DIGEST, at=day)
        # 08:00 in Tokyo, the next morning.
        with time_machine.travel(day + datetime.timedelta(hours=13), tick=False):
            counts = race(mail.send_digests, mail.send_digests, mail.send_digests)
        assert sum(counts) == len(people)
        day += datetime.timedelta(days=1)
    assert len(smtp.wait_for(ROUNDS * len(people))) == ROUNDS * len(people)
    assert Notification.objects.filter(email_state=Notification.EmailState.SENT).count() == (
        ROUNDS * len(people) * 3
    )
