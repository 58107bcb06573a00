"""Instant notification e-mails, sent through a real SMTP server and read back."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from notifications import mail
from notifications.models import Delivery, Kind, Notification, NotificationSettings
from notifications.tests.conftest import html_part, smtp_server, text_part
from notifications.tests.helpers import make_note
from tasks.models import Membership
from tasks.tests.factories import TaskFactory

State = Notification.EmailState


@pytest.fixture
def rent(project, alice):
    return TaskFactory(
        project=project, title="<script>alert(1)</script> Pay rent", created_by=alice
    )


def test_a_notification_becomes_one_mail_with_both_parts_and_the_headers(smtp, erin, alice, rent):
    note = make_note(
        erin,
        task=rent,
        kind=Kind.COMMENTED,
        actor=alice,
        summary="Alice Owner commented: <b>soon</b>",
        data={"excerpt": "I'll pay <b>tomorrow</b>"},
    )
    assert mail.send_pending_mail() == 1
    [message] = smtp.wait_for(1)
    assert message["From"] == "Taskdesk <taskdesk@example.com>"
    assert message["To"] == "erin@example.com"
    assert message["Subject"] == "Alice Owner commented on “<script>alert(1)</script> Pay rent”"
    assert re.fullmatch(r"<[^@\s]+@tasks\.example\.com>", message["Message-ID"])
    assert (
        message["In-Reply-To"]
        == message["References"]
        == (f"<task-{rent.pk}.{erin.pk}@tasks.example.com>")
    )
    unsubscribe = re.fullmatch(
        r"<(https://tasks\.example\.com/unsubscribe/[^/>]+/)>", message["List-Unsubscribe"]
    )
    assert unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"

    text = text_part(message)
    assert "Alice Owner commented: <b>soon</b>" in text  # plain text is not HTML-escaped
    assert "I'll pay <b>tomorrow</b>" in text
    assert f"https://tasks.example.com/tasks/{rent.pk}/" in text
    assert unsubscribe.group(1) in text

    html = html_part(message)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Pay rent" in html
    assert "Alice Owner commented: &lt;b&gt;soon&lt;/b&gt;" in html
    assert f'href="https://tasks.example.com/tasks/{rent.pk}/"' in html

    note.refresh_from_db()
    assert note.email_state == State.SENT and note.emailed_at is not None


def test_changes_in_a_burst_make_one_mail_once_they_settle(smtp, settings, erin, alice, task):
    settings.NOTIFICATION_BURST_SECONDS = 120
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        make_note(erin, task=task, kind=Kind.COMMENTED, actor=alice, ago=90, summary="one")
        make_note(erin, task=task, kind=Kind.STATUS_CHANGED, actor=alice, ago=50, summary="two")
        make_note(erin, task=task, kind=Kind.DUE_CHANGED, actor=alice, ago=10, summary="three")
        assert mail.send_pending_mail() == 0  # the last change is 10 s old: wait
    with time_machine.travel(start + datetime.timedelta(seconds=111), tick=False):
        assert mail.send_pending_mail() == 1
        assert mail.send_pending_mail() == 0
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "3 updates on “Write the README”"
    text = text_part(message)
    assert text.index("- one") < text.index("- two") < text.index("- three")
    assert not Notification.objects.exclude(email_state=State.SENT).exists()


def test_a_burst_that_goes_on_is_mailed_ten_minutes_after_its_first_change(smtp, erin, alice, task):
    now = timezone.now()
    for minute in range(11):  # a change every minute, the last one just now
        make_note(erin, task=task, actor=alice, at=now - datetime.timedelta(minutes=minute))
    assert mail.send_pending_mail(now - datetime.timedelta(seconds=30)) == 0
    assert mail.send_pending_mail(now) == 1
    assert len(smtp.wait_for(1)) == 1


def test_changes_to_two_tasks_make_two_mails(smtp, erin, alice, project, task):
    other = TaskFactory(project=project, title="Second")
    make_note(erin, task=task, actor=alice)
    make_note(erin, task=other, actor=alice)
    assert mail.send_pending_mail() == 2
    subjects = sorted(message["Subject"] for message in smtp.wait_for(2))
    assert subjects == [
        "Alice Owner commented on “Second”",
        "Alice Owner commented on “Write the README”",
    ]


def test_a_reminder_goes_at_once(smtp, erin, task):
    make_note(erin, task=task, kind=Kind.REMINDER, ago=0, summary="Due in 15 minutes")
    make_note(erin, task=task, kind=Kind.COMMENTED, ago=0)  # this one waits for the burst
    assert mail.send_pending_mail() == 1
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Reminder: “Write the README”"
    assert "Due in 15 minutes" in text_part(message)
    assert Notification.objects.get(kind=Kind.COMMENTED).email_state == State.PENDING


def test_digest_and_off_notifications_are_not_mailed_at_once(smtp, erin, task):
    make_note(erin, task=task, delivery=Delivery.DIGEST)
    make_note(erin, task=task, delivery=Delivery.OFF)
    assert mail.send_pending_mail() == 0
    assert smtp.messages == []


def test_a_task_no_longer_visible_is_skipped(smtp, erin, alice, task):
    note = make_note(erin, task=task, actor=alice)
    Membership.objects.filter(user=erin).delete()
    assert mail.send_pending_mail() == 0
    note.refresh_from_db()
    assert note.email_state == State.SKIPPED
    assert smtp.messages == []


def test_a_kind_turned_off_since_is_skipped(smtp, erin, alice, task):
    note = make_note(erin, task=task, actor=alice)
    NotificationSettings.objects.create(user=erin, email={Kind.COMMENTED: Delivery.OFF})
    assert mail.send_pending_mail() == 0
    note.refresh_from_db()
    assert note.email_state == State.SKIPPED


def test_someone_who_cannot_receive_mail_is_skipped(smtp, erin, alice, task):
    note = make_note(erin, task=task, actor=alice)
    type(erin).objects.filter(pk=erin.pk).update(email="")  # removed their address since
    assert mail.send_pending_mail() == 0
    note.refresh_from_db()
    assert note.email_state == State.SKIPPED


def test_project_notifications_name_the_project(smtp, erin, alice, project):
    make_note(erin, project=project, kind=Kind.ROLE_CHANGED, actor=alice)
    assert mail.send_pending_mail() == 1
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Your role in “Alpha” changed"
    assert f"https://tasks.example.com/projects/{project.pk}/" in text_part(message)
    assert message["In-Reply-To"] is None


# ---------------------------------------------------------------------------
# The mail server is down
# ---------------------------------------------------------------------------
def test_a_mail_server_that_is_down_costs_nothing_and_the_mail_goes_later(
    smtp_down, settings, erin, alice, task, caplog
):
    note = make_note(erin, task=task, actor=alice)
    assert mail.send_pending_mail() == 0  # no exception
    note.refresh_from_db()
    assert note.email_state == State.PENDING
    assert note.email_attempts == 1 and note.email_retry_at > timezone.now()
    assert "will try again" in caplog.text
    # Not retried before its time, even with the server back.
    with smtp_server(settings) as inbox:
        assert mail.send_pending_mail() == 0
        later = note.email_retry_at + datetime.timedelta(seconds=1)
        assert mail.send_pending_mail(later) == 1
        assert len(inbox.wait_for(1)) == 1
    note.refresh_from_db()
    assert note.email_state == State.SENT


def test_after_many_failures_a_notification_is_given_up(smtp_down, erin, alice, task):
    note = make_note(erin, task=task, actor=alice)
    now = timezone.now()
    for _ in range(mail.MAX_ATTEMPTS):
        mail.send_pending_mail(now)
        now += datetime.timedelta(hours=2)
    note.refresh_from_db()
    assert note.email_state == State.SKIPPED and note.email_attempts == mail.MAX_ATTEMPTS


def test_rows_left_claimed_by_a_vanished_scheduler_are_never_sent(smtp, erin, alice, task):
    note = make_note(erin, task=task, actor=alice)
    Notification.objects.filter(pk=note.pk).update(
        email_state=State.SENDING, emailed_at=timezone.now() - datetime.timedelta(hours=2)
    )
    assert mail.send_pending_mail() == 0
    note.refresh_from_db()
    assert note.email_state == State.SKIPPED
    assert smtp.messages == []


def test_running_twice_sends_nothing_twice(smtp, erin, alice, task):
    make_note(erin, task=task, actor=alice)
    make_note(erin, task=task, kind=Kind.REMINDER, actor=alice)
    assert mail.send_pending_mail() == 2
    assert mail.send_pending_mail() == 0
    assert len(smtp.wait_for(2)) == 2


def test_an_invitation_answered_meanwhile_is_not_mailed(smtp, oscar, alice, project):
    from tasks import services

    invitation = services.member_invite(project=project, by=alice, username="oscar")
    answered = make_note(
        oscar, project=project, kind=Kind.INVITED, actor=alice, data={"invitation": invitation.pk}
    )
    services.invitation_decline(invitation=invitation, by=oscar)
    assert mail.send_pending_mail() == 0
    answered.refresh_from_db()
    assert answered.email_state == State.SKIPPED
    invitation = services.member_invite(project=project, by=alice, username="oscar")
    make_note(
        oscar, project=project, kind=Kind.INVITED, actor=alice, data={"invitation": invitation.pk}
    )
    assert mail.send_pending_mail() == 1
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Alice Owner invited you to “Alpha”"
    assert "https://tasks.example.com/invitations/" in text_part(message)
