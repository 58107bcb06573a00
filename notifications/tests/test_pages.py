"""The inbox, the badge, the settings page, the task page's panel and the mention suggestions."""

import datetime

import pytest
import time_machine
from django.test import Client

from notifications.models import Follow, Kind, Notification, NotificationSettings, Reminder
from tasks.models import Role
from tasks.tests.factories import MembershipFactory, ProjectFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db
INBOX = "/inbox/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def note(recipient, task=None, kind=Kind.COMMENTED, project=None, **kwargs):
    return Notification.objects.create(
        recipient=recipient,
        task=task,
        project=project or (task.project if task else None),
        kind=kind,
        summary=kwargs.pop("summary", f"{kind} note"),
        **kwargs,
    )


def test_anonymous_goes_to_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_inbox_groups_by_task_and_project_newest_first(erin, alice, project, task):
    other = TaskFactory(project=project, title="Other task")
    note(erin, task, summary="first on README")
    note(erin, kind=Kind.MEMBER_ADDED, project=project, summary="added to Alpha")
    note(erin, other, summary="on other")
    note(erin, task, Kind.MENTIONED, summary="mentioned on README")
    response = client_for(erin).get(INBOX)
    groups = response.context["groups"]
    assert [g["title"] for g in groups] == ["Write the README", "Other task", "Alpha"]
    assert [e.summary for e in groups[0]["entries"]] == ["mentioned on README", "first on README"]
    html = response.content.decode()
    assert html.count("is-unread") == 4
    assert "mentioned on README" in html


def test_inbox_hides_what_is_no_longer_visible(erin, project, task):
    note(erin, task, summary="secret task")
    project.memberships.filter(user=erin).delete()
    response = client_for(erin).get(INBOX)
    assert "secret task" not in response.content.decode()


def test_unread_filter(erin, task):
    note(erin, task, summary="old news", read_at=datetime.datetime.now(datetime.UTC))
    note(erin, task, summary="fresh news")
    html = client_for(erin).get(INBOX, {"show": "unread"}).content.decode()
    assert "fresh news" in html and "old news" not in html


def test_open_marks_read_and_goes_to_the_task(erin, task):
    entry = note(erin, task)
    response = client_for(erin).post(f"/inbox/{entry.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/"
    entry.refresh_from_db()
    assert entry.read


def test_mark_read_without_javascript(erin, task):
    entry = note(erin, task)
    response = client_for(erin).post(f"/inbox/{entry.pk}/read/", {"next": "/inbox/?show=unread"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?show=unread"
    entry.refresh_from_db()
    assert entry.read


def test_mark_read_with_htmx_swaps_the_entry_and_badge(erin, task):
    entry = note(erin, task)
    note(erin, task)
    response = client_for(erin).post(f"/inbox/{entry.pk}/read/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert f'id="notification-{entry.pk}"' in html and "Mark unread" in html
    assert 'id="inbox-link"' in html and 'hx-swap-oob="true"' in html
    assert "1 unread" in html


def test_someone_elses_entry_is_404(erin, victor, task):
    entry = note(erin, task)
    assert client_for(victor).post(f"/inbox/{entry.pk}/read/").status_code == 404
    assert client_for(victor).post(f"/inbox/{entry.pk}/open/").status_code == 404


def test_mark_all_read(erin, victor, task):
    note(erin, task)
    note(erin, task)
    theirs = note(victor, task)
    response = client_for(erin).post("/inbox/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=erin, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert not theirs.read


@pytest.mark.parametrize("count", [3, 30])
def test_inbox_query_count_is_constant(erin, alice, project, django_assert_num_queries, count):
    for i in range(count):
        task = TaskFactory(project=project)
        note(erin, task, actor=alice)
        note(erin, kind=Kind.ROLE_CHANGED, project=project) if i % 5 == 0 else None
    client = client_for(erin)
    # 1 session, 2 user, 3 count for the pager, 4 the page of entries with their task,
    # project and actor, 5 sidebar projects, 6 invitations waiting (user menu),
    # 7 unread count (inbox badge, shared by the "Unread" tab)
    with django_assert_num_queries(7):
        response = client.get(INBOX)
    assert response.status_code == 200


def test_badge_shows_the_unread_count(erin, task):
    for _ in range(3):
        note(erin, task)
    html = client_for(erin).get("/projects/").content.decode()
    assert 'id="inbox-link"' in html and "3 unread" in html


def test_settings_page_shows_and_saves(erin):
    client = client_for(erin)
    response = client.get("/accounts/settings/notifications/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form["email_assigned"].value() == "instant"
    data = {f"email_{kind}": "digest" for kind in Kind.values}
    data.update(email_mentioned="off", digest_hour="18", default_reminder_minutes="60")
    response = client.post("/accounts/settings/notifications/", data)
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=erin)
    assert saved.email["mentioned"] == "off" and saved.email["assigned"] == "digest"
    assert (saved.digest_hour, saved.default_reminder_minutes) == (18, 60)


def test_settings_page_keeps_input_on_error(erin):
    response = client_for(erin).post(
        "/accounts/settings/notifications/", {"digest_hour": "25", "email_assigned": "loud"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not NotificationSettings.objects.exists()


def test_task_page_follow_and_unfollow(victor, task):
    client = client_for(victor)
    assert "Follow" in client.get(f"/tasks/{task.pk}/").content.decode()
    response = client.post(f"/tasks/{task.pk}/follow/", {"follow": "1"})
    assert response.status_code == 302
    assert Follow.objects.filter(user=victor, task=task, reason="manual").exists()
    html = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "Following" in html
    client.post(f"/tasks/{task.pk}/follow/", {"follow": "0"})
    assert not Follow.objects.exists()


def test_outsider_cannot_follow(oscar, task):
    assert client_for(oscar).post(f"/tasks/{task.pk}/follow/").status_code == 404


@time_machine.travel(datetime.datetime(2030, 1, 1, 8, tzinfo=datetime.UTC), tick=False)
def test_task_page_reminders_add_and_remove(erin, project):
    task = TaskFactory(project=project, due_date=datetime.date(2030, 1, 10))
    client = client_for(erin)
    response = client.post(f"/tasks/{task.pk}/reminders/", {"when": "60"})
    assert response.status_code == 302
    reminder = Reminder.objects.get()
    assert reminder.before_minutes == 60 and reminder.user == erin
    client.post(f"/tasks/{task.pk}/reminders/", {"when": "at", "remind_at": "2030-01-05T10:30"})
    fixed = Reminder.objects.get(before_minutes__isnull=True)
    assert fixed.remind_at == datetime.datetime(2030, 1, 5, 10, 30, tzinfo=datetime.UTC)
    html = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "60 min before" in html
    response = client.post(f"/reminders/{reminder.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="reminders"' in response.content.decode()
    assert Reminder.objects.count() == 1


def test_reminder_errors_are_shown(erin, task):
    client = client_for(erin)
    response = client.post(f"/tasks/{task.pk}/reminders/", {"when": "10"}, follow=True)
    assert "no due date" in response.content.decode()
    response = client.post(f"/tasks/{task.pk}/reminders/", {"when": "at"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Choose the moment" in response.content.decode()
    assert not Reminder.objects.exists()


def test_someone_elses_reminder_cannot_be_removed(alice, erin, task):
    reminder = Reminder.objects.create(task=task, user=alice, remind_at="2099-01-01T00:00Z")
    assert client_for(erin).post(f"/reminders/{reminder.pk}/delete/").status_code == 404


def test_mention_candidates(erin, project, oscar):
    MembershipFactory(project=project, user=UserFactory(username="ernest"), role=Role.VIEWER)
    client = client_for(erin)
    response = client.get(f"/projects/{project.pk}/mentions/", {"q": "er"})
    assert [r["username"] for r in response.json()["results"]] == ["erin", "ernest"]
    assert client.get(f"/projects/{project.pk}/mentions/", {"q": "osc"}).json() == {"results": []}
    elsewhere = ProjectFactory()
    assert client.get(f"/projects/{elsewhere.pk}/mentions/").status_code == 404


def test_mention_candidates_are_capped(erin, project):
    for i in range(12):
        MembershipFactory(project=project, user=UserFactory(username=f"m{i:02d}"))
    response = client_for(erin).get(f"/projects/{project.pk}/mentions/", {"q": "m"})
    assert len(response.json()["results"]) == 8
