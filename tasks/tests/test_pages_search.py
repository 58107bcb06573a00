"""Search (/search/?q=) and My tasks (/tasks/): tasks across all of my projects."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tasks.models import Priority, Role, Status
from tasks.tests.factories import MembershipFactory, ProjectFactory, TagFactory, TaskFactory

SEARCH = reverse("tasks:search")
MY_TASKS = reverse("tasks:my-tasks")


def titles(response):
    return [task.title for task in response.context["tasks"]]


@pytest.mark.parametrize("path", [SEARCH, MY_TASKS])
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# ---------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------
def test_search_finds_tasks_in_all_my_projects_only(client, victor, project):
    TaskFactory(project=project, title="Invoice the client")
    second = ProjectFactory(name="Second")
    MembershipFactory(project=second, user=victor, role=Role.VIEWER)
    TaskFactory(project=second, title="Other", description="about the invoice")
    TaskFactory(title="Secret invoice")  # a project victor is not in
    TaskFactory(project=project, title="Unrelated")
    client.force_login(victor)
    response = client.get(SEARCH, {"q": "invoice"})
    assert sorted(titles(response)) == ["Invoice the client", "Other"]
    html = response.content.decode()
    assert "Secret invoice" not in html
    assert "Second" in html  # rows name their project


def test_search_puts_open_tasks_before_done_ones(client, erin, project):
    # The done task is more recently updated than the first open one.
    TaskFactory(project=project, title="Renew the domain")
    TaskFactory(project=project, title="Renew the certificate", status=Status.DONE)
    TaskFactory(project=project, title="Renew the lease", status=Status.IN_PROGRESS)
    client.force_login(erin)
    got = titles(client.get(SEARCH, {"q": "renew"}))
    assert got[-1] == "Renew the certificate"
    assert set(got[:2]) == {"Renew the domain", "Renew the lease"}


def test_search_without_words_explains_itself(client, erin, project, task):
    client.force_login(erin)
    response = client.get(SEARCH)
    assert titles(response) == []
    assert "Search every project" in response.content.decode()


def test_search_without_matches_says_so(client, erin, project, task):
    client.force_login(erin)
    html = client.get(SEARCH, {"q": "zebra"}).content.decode()
    assert "No task matches" in html


def test_search_words_are_escaped(client, erin, project):
    client.force_login(erin)
    html = client.get(SEARCH, {"q": "<script>x</script>"}).content.decode()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_search_rows_offer_complete_only_where_i_can_write(client, victor, project):
    readonly = TaskFactory(project=project, title="Needle one")
    own = ProjectFactory()
    MembershipFactory(project=own, user=victor, role=Role.OWNER)
    writable = TaskFactory(project=own, title="Needle two")
    client.force_login(victor)
    html = client.get(SEARCH, {"q": "needle"}).content.decode()
    assert reverse("tasks:task-complete", args=[writable.pk]) in html
    assert reverse("tasks:task-complete", args=[readonly.pk]) not in html


# ---------------------------------------------------------------------------
# My tasks
# ---------------------------------------------------------------------------
def test_my_tasks_lists_open_tasks_assigned_to_me(client, erin, alice, project):
    TaskFactory(project=project, title="mine", assignee=erin)
    TaskFactory(project=project, title="done", assignee=erin, status=Status.DONE)
    TaskFactory(project=project, title="alice's", assignee=alice)
    archived = ProjectFactory(is_archived=True)
    MembershipFactory(project=archived, user=erin, role=Role.EDITOR)
    TaskFactory(project=archived, title="archived", assignee=erin)
    client.force_login(erin)
    assert titles(client.get(MY_TASKS)) == ["mine"]


def test_my_tasks_sorts(client, erin, project):
    today = timezone.localdate()
    TaskFactory(project=project, title="b", assignee=erin, priority=Priority.URGENT)
    TaskFactory(project=project, title="a", assignee=erin, due_date=today)
    TaskFactory(
        project=project,
        title="c",
        assignee=erin,
        priority=Priority.LOW,
        due_date=today + datetime.timedelta(days=1),
    )
    client.force_login(erin)
    assert titles(client.get(MY_TASKS)) == ["a", "c", "b"]
    assert titles(client.get(MY_TASKS, {"sort": "-priority"})) == ["b", "c", "a"]
    assert titles(client.get(MY_TASKS, {"sort": "title"})) == ["a", "b", "c"]


def test_my_tasks_empty_state(client, erin, project):
    client.force_login(erin)
    assert "Nothing on your plate" in client.get(MY_TASKS).content.decode()


def test_complete_from_my_tasks_by_htmx_keeps_the_project_name(client, erin, project):
    task = TaskFactory(project=project, assignee=erin)
    client.force_login(erin)
    response = client.post(
        reverse("tasks:task-complete", args=[task.pk]),
        {"show_project": "1"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'class="task-project"' in html and project.name in html


# ---------------------------------------------------------------------------
# Query counts
# ---------------------------------------------------------------------------
def many_tasks(project, erin, count):
    tags = TagFactory.create_batch(2, project=project)
    for i in range(count):
        TaskFactory(project=project, title=f"Needle {i}", assignee=erin, tags=tags[: i % 3])


@pytest.mark.parametrize("count", [10, 200])
def test_my_tasks_query_count_is_constant(client, erin, project, django_assert_num_queries, count):
    many_tasks(project, erin, count)
    client.force_login(erin)
    # 1 session, 2 user, 3 count for the pager, 4 the page of tasks with project and
    # assignee, 5 their tags, 6 the projects I may write in, 7 sidebar projects,
    # 8 the invitations waiting for me (user menu), 9 my unread notifications (inbox badge).
    with django_assert_num_queries(9):
        response = client.get(MY_TASKS)
    assert len(response.context["tasks"]) == min(count, 50)


@pytest.mark.parametrize("count", [10, 200])
def test_search_query_count_is_constant(client, erin, project, django_assert_num_queries, count):
    many_tasks(project, erin, count)
    client.force_login(erin)
    # 1 session, 2 user, 3 count for the pager, 4 the page of matches, 5 their tags,
    # 6 the projects I may write in, 7 sidebar projects, 8 the invitations waiting for me,
    # 9 my unread notifications (inbox badge).
    with django_assert_num_queries(9):
        response = client.get(SEARCH, {"q": "needle"})
    assert len(response.context["tasks"]) == min(count, 50)
