"""``manage.py seed_notifications``: a reminder due in a minute and a mention in ada's inbox."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Kind, Notification, Reminder

pytestmark = pytest.mark.django_db


def run(name, *args):
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_demo_reminder_and_mention():
    run("seed_demo")
    run("seed_notifications")
    reminder = Reminder.objects.get(user__username="ada")
    wait = (reminder.remind_at - timezone.now()).total_seconds()
    assert 50 < wait <= 60
    mention = Notification.objects.get(recipient__username="ada", kind=Kind.MENTIONED)
    assert mention.actor.username in ("ben", "cy")
    assert "@ada" in mention.data["excerpt"]
    # Again: the waiting reminder and the mention are not repeated.
    run("seed_notifications")
    assert Reminder.objects.filter(user__username="ada").count() == 1
    assert Notification.objects.filter(kind=Kind.MENTIONED).count() == 1


def test_without_demo_data_nothing_happens():
    assert "No demo data" in run("seed_notifications")
