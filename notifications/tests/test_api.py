"""/api/v1/notifications/, /api/v1/tasks/{id}/reminders/ and …/followers/, /api/v1/me/."""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from notifications.models import Follow, Kind, Notification, NotificationSettings, Reminder
from tasks.tests.factories import TaskFactory, make_token

pytestmark = pytest.mark.django_db
NOTIFICATIONS = "/api/v1/notifications/"


def client_for(user, **token):
    client = APIClient()
    _, secret = make_token(user, **token)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def note(recipient, task, kind=Kind.COMMENTED, **kwargs):
    return Notification.objects.create(
        recipient=recipient, task=task, project=task.project, kind=kind, **kwargs
    )


def test_list_contract_and_unread_filter(erin, alice, task):
    read = note(erin, task, actor=alice, summary="Alice commented")
    Notification.objects.filter(pk=read.pk).update(read_at=datetime.datetime.now(datetime.UTC))
    unread = note(erin, task, Kind.ASSIGNED, actor=alice)
    note(alice, task)  # someone else's
    client = client_for(erin)
    items = client.get(NOTIFICATIONS).json()["results"]
    assert [item["id"] for item in items] == [unread.pk, read.pk]
    first = items[0]
    assert set(first) == {
        "id",
        "url",
        "kind",
        "summary",
        "project",
        "task",
        "actor",
        "actor_name",
        "data",
        "created",
        "read",
    }
    assert (first["kind"], first["task"], first["actor"], first["read"]) == (
        "assigned",
        task.pk,
        alice.pk,
        False,
    )
    assert first["project"] == task.project_id
    only_unread = client.get(NOTIFICATIONS, {"unread": "true"}).json()["results"]
    assert [item["id"] for item in only_unread] == [unread.pk]
    assert client.get(NOTIFICATIONS, {"unread": "maybe"}).status_code == 400
    assert client.get(NOTIFICATIONS, {"unred": "true"}).status_code == 400


def test_list_hides_tasks_no_longer_visible(erin, task, project):
    note(erin, task)
    project.memberships.filter(user=erin).delete()
    assert client_for(erin).get(NOTIFICATIONS).json()["results"] == []


def test_list_query_count_is_constant(erin, alice, task, django_assert_num_queries):
    for _ in range(20):
        note(erin, task, actor=alice)
    client = client_for(erin)
    client.get(NOTIFICATIONS)  # the token's first use writes its last_used_at
    # 1. the bearer token with its user  2. the page of notifications with actor, task, project
    with django_assert_num_queries(2):
        response = client.get(NOTIFICATIONS)
    assert len(response.json()["results"]) == 20


def test_patch_marks_read_and_unread(erin, task):
    entry = note(erin, task)
    client = client_for(erin)
    response = client.patch(f"{NOTIFICATIONS}{entry.pk}/", {"read": True})
    assert response.status_code == 200 and response.json()["read"] is True
    entry.refresh_from_db()
    assert entry.read_at is not None
    assert client.patch(f"{NOTIFICATIONS}{entry.pk}/", {"read": False}).json()["read"] is False


def test_someone_elses_notification_is_404(erin, victor, task):
    entry = note(erin, task)
    assert (
        client_for(victor).patch(f"{NOTIFICATIONS}{entry.pk}/", {"read": True}).status_code == 404
    )


def test_read_only_token_cannot_mark_read(erin, task):
    entry = note(erin, task)
    client = client_for(erin, read_only=True)
    assert client.get(NOTIFICATIONS).status_code == 200
    assert client.patch(f"{NOTIFICATIONS}{entry.pk}/", {"read": True}).status_code == 403


@time_machine.travel(datetime.datetime(2030, 1, 1, 8, tzinfo=datetime.UTC), tick=False)
def test_reminders_create_list_delete(erin, victor, project):
    task = TaskFactory(project=project, due_date=datetime.date(2030, 1, 10))
    url = f"/api/v1/tasks/{task.pk}/reminders/"
    client = client_for(victor)  # a viewer may remind themselves
    fixed = client.post(url, {"remind_at": "2030-01-05T10:00:00Z"})
    assert fixed.status_code == 201, fixed.json()
    assert fixed["Location"] == fixed.json()["url"]
    relative = client.post(url, {"before_minutes": 60}).json()
    assert relative["remind_at"] == "2030-01-10T08:00:00Z"
    assert relative["before_minutes"] == 60 and relative["fired_at"] is None
    Reminder.objects.create(task=task, user=erin, remind_at="2030-01-03T00:00:00Z")
    assert [r["id"] for r in client.get(url).json()] == [fixed.json()["id"], relative["id"]]
    assert client.delete(f"{url}{relative['id']}/").status_code == 204
    erins = Reminder.objects.get(user=erin)
    assert client.delete(f"{url}{erins.pk}/").status_code == 404
    assert Reminder.objects.filter(user=victor).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"remind_at": "2030-01-05T10:00:00Z", "before_minutes": 5},
        {"remind_at": "2029-01-05T10:00:00Z"},
        {"before_minutes": 10},  # the task has no due date
        {"before_minutes": -1},
        {"remind_at": "soon"},
    ],
)
@time_machine.travel(datetime.datetime(2030, 1, 1, 8, tzinfo=datetime.UTC), tick=False)
def test_bad_reminders_are_400(erin, task, body):
    response = client_for(erin).post(f"/api/v1/tasks/{task.pk}/reminders/", body)
    assert response.status_code == 400, response.json()
    assert set(response.json()) == {"detail", "errors"}
    assert not Reminder.objects.exists()


def test_reminders_of_an_invisible_task_are_404(oscar, task):
    client = client_for(oscar)
    url = f"/api/v1/tasks/{task.pk}/reminders/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"remind_at": "2099-01-01T00:00:00Z"}).status_code == 404


def test_read_only_token_cannot_add_reminders(erin, task):
    client = client_for(erin, read_only=True)
    url = f"/api/v1/tasks/{task.pk}/reminders/"
    assert client.post(url, {"remind_at": "2099-01-01T00:00:00Z"}).status_code == 403


def test_follow_list_unfollow(erin, victor, task):
    url = f"/api/v1/tasks/{task.pk}/followers/"
    client = client_for(victor)
    assert client.post(url).status_code == 201
    assert client.post(url).status_code == 200
    Follow.objects.create(task=task, user=erin, reason=Follow.Reason.ASSIGNED)
    listed = client.get(url).json()
    assert [(f["username"], f["reason"]) for f in listed] == [
        ("erin", "assigned"),
        ("victor", "manual"),
    ]
    assert set(listed[0]) == {"user", "username", "display_name", "reason", "created"}
    assert client.delete(url).status_code == 204
    assert list(Follow.objects.values_list("user__username", flat=True)) == ["erin"]


def test_followers_of_an_invisible_task_are_404(oscar, task):
    client = client_for(oscar)
    url = f"/api/v1/tasks/{task.pk}/followers/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.delete(url).status_code == 404


def test_me_shows_and_changes_notification_settings(erin):
    client = client_for(erin)
    shown = client.get("/api/v1/me/").json()["notification_settings"]
    assert shown["email"]["assigned"] == "instant" and shown["email"]["commented"] == "digest"
    assert set(shown["email"]) == set(Kind.values)
    assert (shown["digest_hour"], shown["default_reminder_minutes"]) == (8, None)
    response = client.patch(
        "/api/v1/me/",
        {
            "notification_settings": {
                "email": {"commented": "off"},
                "digest_hour": 18,
                "default_reminder_minutes": 60,
            }
        },
    )
    assert response.status_code == 200, response.json()
    saved = NotificationSettings.objects.get(user=erin)
    assert saved.email == {"commented": "off"}
    assert (saved.digest_hour, saved.default_reminder_minutes) == (18, 60)
    assert response.json()["notification_settings"]["email"]["commented"] == "off"


@pytest.mark.parametrize(
    "settings_body",
    [
        {"email": {"commented": "sometimes"}},
        {"email": {"gossip": "off"}},
        {"digest_hour": 24},
        {"default_reminder_minutes": -5},
    ],
)
def test_bad_notification_settings_are_400(erin, settings_body):
    response = client_for(erin).patch("/api/v1/me/", {"notification_settings": settings_body})
    assert response.status_code == 400
    assert not NotificationSettings.objects.exists()
