"""The dashboard (/): my open tasks by due date, project progress, the 30-day chart."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tasks.models import Role, Status
from tasks.tests.factories import MembershipFactory, ProjectFactory, TagFactory, TaskFactory

DASHBOARD = reverse("tasks:dashboard")


def section_titles(response):
    return {s.key: [t.title for t in s.tasks] for s in response.context["sections"]}


def test_anonymous_is_sent_to_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_new_user_is_invited_to_create_a_project(client, oscar):
    client.force_login(oscar)
    html = client.get(DASHBOARD).content.decode()
    assert "Create a project" in html
    assert reverse("tasks:project-create") in html


def test_member_with_nothing_assigned_is_told_how_to_fill_it(client, victor, project):
    client.force_login(victor)
    html = client.get(DASHBOARD).content.decode()
    assert "Nothing assigned to you" in html


def test_my_open_tasks_are_grouped_by_due_date(client, erin, project):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    for title, due in [
        ("late", today - 3 * day),
        ("now", today),
        ("soon", today + 2 * day),
        ("week end", today + 7 * day),
        ("later", today + 8 * day),
        ("whenever", None),
    ]:
        TaskFactory(project=project, title=title, assignee=erin, due_date=due)
    client.force_login(erin)
    response = client.get(DASHBOARD)
    assert section_titles(response) == {
        "overdue": ["late"],
        "today": ["now"],
        "week": ["soon", "week end"],
        "later": ["later"],
        "none": ["whenever"],
    }
    html = response.content.decode()
    assert "due-group--overdue" in html
    assert "Next 7 days" in html


def test_only_my_open_tasks_in_active_projects_are_listed(client, erin, alice, project):
    TaskFactory(project=project, title="mine", assignee=erin)
    TaskFactory(project=project, title="alice's", assignee=alice)
    TaskFactory(project=project, title="unassigned")
    TaskFactory(project=project, title="done", assignee=erin, status=Status.DONE)
    archived = ProjectFactory(is_archived=True)
    MembershipFactory(project=archived, user=erin, role=Role.EDITOR)
    TaskFactory(project=archived, title="archived", assignee=erin)
    left = ProjectFactory()
    TaskFactory(project=left, title="no longer a member", assignee=erin)
    client.force_login(erin)
    listed = sum(section_titles(client.get(DASHBOARD)).values(), [])
    assert listed == ["mine"]


def test_rows_offer_complete_only_where_i_can_write(client, victor, project):
    mine = ProjectFactory(name="Own")
    MembershipFactory(project=mine, user=victor, role=Role.OWNER)
    writable = TaskFactory(project=mine, assignee=victor)
    readonly = TaskFactory(project=project, assignee=victor)
    client.force_login(victor)
    html = client.get(DASHBOARD).content.decode()
    assert reverse("tasks:task-complete", args=[writable.pk]) in html
    assert reverse("tasks:task-complete", args=[readonly.pk]) not in html


def test_project_cards_show_progress(client, erin, project):
    TaskFactory.create_batch(3, project=project)
    TaskFactory(project=project, status=Status.DONE)
    client.force_login(erin)
    response = client.get(DASHBOARD)
    (card,) = response.context["projects"]
    assert (card.done_count, card.task_count, card.open_count) == (1, 4, 3)
    assert '<progress class="progress" value="1" max="4"' in response.content.decode()


def test_chart_counts_completions_per_day_for_thirty_days(client, erin, project):
    now = timezone.now()
    TaskFactory.create_batch(2, project=project, status=Status.DONE, completed_at=now)
    TaskFactory(project=project, status=Status.DONE, completed_at=now - datetime.timedelta(days=2))
    TaskFactory(project=project, status=Status.DONE, completed_at=now - datetime.timedelta(days=40))
    TaskFactory(status=Status.DONE, completed_at=now)  # not my project
    client.force_login(erin)
    response = client.get(DASHBOARD)
    chart = response.context["chart"]
    counts = [bar.count for bar in chart["bars"]]
    assert len(counts) == 30
    assert counts[-1] == 2 and counts[-3] == 1
    assert chart["total"] == 3
    html = response.content.decode()
    assert '<svg class="chart-svg" role="img"' in html
    assert '<title id="chart-title">' in html and '<desc id="chart-desc">' in html
    assert "2 tasks completed</title>" in html
    assert '<table class="visually-hidden">' in html


def test_chart_days_are_in_the_users_time_zone(client, erin, project):
    erin.time_zone = "Pacific/Kiritimati"  # UTC+14: its day starts the evening before in UTC
    erin.save()
    zone = zoneinfo.ZoneInfo(erin.time_zone)
    local_today = timezone.localdate(timezone=zone)
    start_of_day = datetime.datetime.combine(local_today, datetime.time(0, 1), tzinfo=zone)
    TaskFactory(project=project, status=Status.DONE, completed_at=start_of_day)
    client.force_login(erin)
    chart = client.get(DASHBOARD).context["chart"]
    assert chart["last"] == local_today
    assert chart["bars"][-1].count == 1


@pytest.mark.parametrize("count", [10, 200])
def test_dashboard_query_count_is_constant(client, erin, project, django_assert_num_queries, count):
    tags = TagFactory.create_batch(2, project=project)
    today = timezone.localdate()
    for i in range(count):
        TaskFactory(
            project=project,
            assignee=erin,
            due_date=today + datetime.timedelta(days=i % 20 - 5),
            tags=tags[: i % 3],
        )
        TaskFactory(project=project, status=Status.DONE, completed_at=timezone.now())
    other = ProjectFactory()
    MembershipFactory(project=other, user=erin, role=Role.VIEWER)
    client.force_login(erin)
    # 1 session, 2 user, 3 my open tasks with project and assignee, 4 their tags,
    # 5 my projects with task counts, 6 completions per day, 7 sidebar projects,
    # 8 the invitations waiting for me (user menu and the dashboard's callout),
    # 9 my unread notifications (inbox badge).
    with django_assert_num_queries(9):
        response = client.get(DASHBOARD)
    assert response.context["open_count"] == count
