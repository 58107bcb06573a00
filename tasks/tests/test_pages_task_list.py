"""The task list of a project (/projects/<id>/): filters, sort, pages, quick add, new task."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tasks.models import Priority, Role, Status, Task
from tasks.templatetags.taskdesk import row_url
from tasks.tests.factories import (
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
)


def list_url(project, query=""):
    return reverse("tasks:project-detail", args=[project.pk]) + query


def create_url(project):
    return reverse("tasks:task-create", args=[project.pk])


def titles(response):
    return [task.title for task in response.context["tasks"]]


# ---------------------------------------------------------------------------
# Who may see and write
# ---------------------------------------------------------------------------
def test_anonymous_is_sent_to_login(client, project):
    response = client.get(list_url(project))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_anonymous_htmx_page_load_is_sent_to_login_as_a_whole_page(client, project):
    response = client.get(list_url(project), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("account_login"))


@pytest.mark.parametrize("action", ["quick add", "complete", "comment"])
def test_htmx_change_after_the_session_ended_keeps_the_page_and_says_so(
    client, project, task, action
):
    """Not a redirect: that would replace the page, and what was typed in it, by the login."""
    path, data = {
        "quick add": (create_url(project), {"title": "Typed before lunch", "quick": "1"}),
        "complete": (reverse("tasks:task-complete", args=[task.pk]), {}),
        "comment": (reverse("tasks:comment-create", args=[task.pk]), {"body": "Long words"}),
    }[action]
    page = list_url(project, "?status=todo")
    response = client.post(
        path,
        data,
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
    )
    assert response.status_code == 401
    assert "HX-Redirect" not in response
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#session-expired", "outerHTML")
    html = response.content.decode()
    assert "Your session has expired" in html
    login = f"{reverse('account_login')}?next=%2Fprojects%2F{project.pk}%2F%3Fstatus%3Dtodo"
    assert f'href="{login}" target="_blank"' in html
    assert Task.objects.count() == 1


def test_anonymous_cannot_create(client, project):
    response = client.post(create_url(project), {"title": "Sneaky"})
    assert response.status_code == 302
    assert not Task.objects.exists()


def test_outsider_gets_404(client, oscar, project):
    client.force_login(oscar)
    assert client.get(list_url(project)).status_code == 404
    assert client.get(create_url(project)).status_code == 404
    assert client.post(create_url(project), {"title": "x"}).status_code == 404
    assert not Task.objects.exists()


def test_viewer_reads_the_list_without_write_controls(client, victor, project, task):
    client.force_login(victor)
    response = client.get(list_url(project))
    assert response.status_code == 200
    html = response.content.decode()
    assert task.title in html
    assert 'id="quick-add"' not in html
    assert reverse("tasks:task-complete", args=[task.pk]) not in html


def test_viewer_cannot_create_a_task(client, victor, project):
    client.force_login(victor)
    assert client.get(create_url(project)).status_code == 403
    assert client.post(create_url(project), {"title": "Nope"}).status_code == 403
    assert not Task.objects.exists()


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_writers_see_quick_add_and_complete_boxes(client, cast, project, task, role):
    client.force_login(cast[role])
    html = client.get(list_url(project)).content.decode()
    assert 'id="quick-add"' in html
    assert reverse("tasks:task-complete", args=[task.pk]) in html


def test_archived_project_is_read_only(client, alice, project, task):
    project.is_archived = True
    project.save()
    client.force_login(alice)
    html = client.get(list_url(project)).content.decode()
    assert "archived" in html
    assert 'id="quick-add"' not in html
    response = client.post(create_url(project), {"title": "Late"})
    assert response.status_code == 403
    assert Task.objects.count() == 1


# ---------------------------------------------------------------------------
# Quick add and the new-task form
# ---------------------------------------------------------------------------
def test_quick_add_with_title_alone_creates_a_task_and_returns_to_the_list(client, erin, project):
    client.force_login(erin)
    back = list_url(project, "?status=todo")
    response = client.post(
        create_url(project), {"title": "  Buy milk ", "quick": "1", "next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == back
    task = Task.objects.get()
    assert (task.title, task.status, task.priority) == ("Buy milk", Status.TODO, Priority.NONE)
    assert task.created_by == erin
    assert task.activities.get().verb == "created"


def test_quick_add_takes_due_date_and_assignee(client, erin, victor, project):
    client.force_login(erin)
    client.post(
        create_url(project),
        {"title": "Call", "due_date": "2030-01-02", "assignee": victor.pk, "quick": "1"},
    )
    task = Task.objects.get()
    assert task.due_date == datetime.date(2030, 1, 2)
    assert task.assignee == victor


def test_quick_add_never_redirects_off_site(client, erin, project):
    client.force_login(erin)
    response = client.post(create_url(project), {"title": "x", "next": "https://evil.example/"})
    assert response["Location"] == list_url(project)


def test_quick_add_by_htmx_returns_the_new_row_and_a_fresh_form(client, erin, project):
    client.force_login(erin)
    response = client.post(
        create_url(project), {"title": "Fresh row", "quick": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    task = Task.objects.get()
    assert f'id="task-{task.pk}"' in html
    assert 'id="quick-add"' in html and 'hx-swap-oob="true"' in html
    assert "<html" not in html


def htmx_from(page_url):
    """The headers htmx sends from a page at ``page_url``."""
    return {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"http://testserver{page_url}"}


def nav_count(project, count):
    return (
        f'<span class="nav-count" id="nav-count-{project.pk}" title="{count} open '
        f'task{"" if count == 1 else "s"}" hx-swap-oob="true">{count}<'
    )


def list_count(words):
    return (
        '<span class="muted small" id="list-count" aria-live="polite" hx-swap-oob="true">'
        f"{words}</span>"
    )


def test_quick_add_by_htmx_updates_the_list_and_sidebar_counts(client, erin, project, spread):
    client.force_login(erin)
    page = list_url(project, "?priority=high")
    html = client.get(page).content.decode()
    assert (
        '<span class="muted small" id="list-count" aria-live="polite">4 tasks match</span>' in html
    )
    assert f'id="nav-count-{project.pk}"' in html
    response = client.post(
        create_url(project), {"title": "Fix the urgent bug", "quick": "1"}, **htmx_from(page)
    )
    html = response.content.decode()
    # The sidebar counts every open task; the list counts what its filters match (the new
    # task has no priority, so the filtered count stays; it shows until the page reloads).
    assert nav_count(project, len(spread)) in html
    assert list_count("4 tasks match") in html
    unfiltered = client.post(
        create_url(project), {"title": "Another", "quick": "1"}, **htmx_from(list_url(project))
    )
    assert list_count(f"{len(spread) + 1} tasks") in unfiltered.content.decode()


def test_complete_by_htmx_updates_the_counts_of_the_page_it_came_from(
    client, erin, project, spread
):
    client.force_login(erin)
    task = spread["match"]
    complete = reverse("tasks:task-complete", args=[task.pk])
    open_before = len(spread) - 1
    on_list = client.post(complete, **htmx_from(list_url(project))).content.decode()
    assert nav_count(project, open_before - 1) in on_list
    # Done tasks are hidden on the list: one fewer listed once it reloads.
    assert list_count(f"{open_before - 1} tasks") in on_list
    # From the dashboard there is no list count to update, only the sidebar.
    on_dashboard = client.post(complete, **htmx_from(reverse("tasks:dashboard")))
    html = on_dashboard.content.decode()
    assert nav_count(project, open_before) in html
    assert 'id="list-count"' not in html
    # Another project's list is not this one.
    other = ProjectFactory()
    assert (
        'id="list-count"'
        not in client.post(complete, **htmx_from(list_url(other))).content.decode()
    )


def test_quick_add_by_htmx_with_errors_retargets_the_form(client, erin, project):
    client.force_login(erin)
    response = client.post(
        create_url(project), {"title": "  ", "quick": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#quick-add"
    assert "This field is required" in response.content.decode()
    assert not Task.objects.exists()


def test_new_task_form_lists_members_and_project_tags(client, erin, oscar, project, tag):
    other_tag = TagFactory(name="elsewhere")
    client.force_login(erin)
    form = client.get(create_url(project)).context["form"]
    assert set(form.fields["assignee"].queryset) == set(project.members.all())
    assert oscar not in form.fields["assignee"].queryset
    assert list(form.fields["tags"].queryset) == [tag]
    assert other_tag not in form.fields["tags"].queryset


def test_new_task_form_creates_a_full_task(client, erin, victor, project, tag):
    client.force_login(erin)
    response = client.post(
        create_url(project),
        {
            "title": "Ship it",
            "description": "All of it",
            "status": Status.IN_PROGRESS,
            "priority": Priority.HIGH,
            "due_date": "2030-05-06",
            "assignee": victor.pk,
            "tags": [tag.pk],
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.status, task.priority, task.assignee) == (Status.IN_PROGRESS, "high", victor)
    assert list(task.tags.all()) == [tag]


def test_new_task_form_shows_errors_and_keeps_input(client, erin, oscar, project):
    client.force_login(erin)
    response = client.post(
        create_url(project),
        {"title": "", "description": "Kept text", "assignee": oscar.pk, "due_date": "soon"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"title", "assignee", "due_date"}
    html = response.content.decode()
    assert "Kept text" in html
    assert "Enter a valid date" in html
    assert not Task.objects.exists()


def test_tag_of_another_project_is_refused(client, erin, project):
    foreign = TagFactory(name="foreign")
    client.force_login(erin)
    response = client.post(create_url(project), {"title": "T", "tags": [foreign.pk]})
    assert response.status_code == 200
    assert "tags" in response.context["form"].errors


# ---------------------------------------------------------------------------
# Filters, chips, sort and pages
# ---------------------------------------------------------------------------
@pytest.fixture
def spread(project, alice, erin, tag):
    """Tasks that differ in one filterable property each."""
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    return {
        "match": TaskFactory(
            project=project,
            title="Fix the login bug",
            priority=Priority.HIGH,
            assignee=erin,
            due_date=today - day,
            tags=[tag],
        ),
        "other_priority": TaskFactory(
            project=project,
            title="Fix the logout bug",
            priority=Priority.LOW,
            assignee=erin,
            due_date=today - day,
            tags=[tag],
        ),
        "other_assignee": TaskFactory(
            project=project,
            title="Fix the signup bug",
            priority=Priority.HIGH,
            assignee=alice,
            due_date=today - day,
            tags=[tag],
        ),
        "no_tag": TaskFactory(
            project=project,
            title="Fix the avatar bug",
            priority=Priority.HIGH,
            assignee=erin,
            due_date=today - day,
        ),
        "later": TaskFactory(
            project=project,
            title="Fix the footer bug",
            priority=Priority.HIGH,
            assignee=erin,
            due_date=today + 30 * day,
            tags=[tag],
        ),
        "done": TaskFactory(
            project=project,
            title="Fix the done bug",
            priority=Priority.HIGH,
            assignee=erin,
            status=Status.DONE,
            due_date=today - day,
            tags=[tag],
        ),
        "unassigned": TaskFactory(project=project, title="Write docs"),
    }


def test_filters_combine(client, erin, project, tag, spread):
    client.force_login(erin)
    query = f"?status=todo&priority=high&assignee=me&tag={tag.pk}&due=overdue&search=login"
    assert titles(client.get(list_url(project, query))) == ["Fix the login bug"]
    # Without the text, every other difference still filters.
    query = f"?status=todo&priority=high&assignee=me&tag={tag.pk}&due=overdue"
    assert titles(client.get(list_url(project, query))) == ["Fix the login bug"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?assignee=none", {"unassigned"}),
        ("?due=none", {"unassigned"}),
        ("?due=overdue", {"match", "other_priority", "other_assignee", "no_tag"}),
        ("?status=done", {"done"}),
        ("?priority=low", {"other_priority"}),
        ("?search=footer", {"later"}),
    ],
)
def test_each_filter_on_its_own(client, erin, project, spread, query, expected):
    client.force_login(erin)
    got = set(titles(client.get(list_url(project, query))))
    assert got == {spread[key].title for key in expected}


def test_filter_by_assignee_id(client, erin, alice, project, spread):
    client.force_login(erin)
    assert titles(client.get(list_url(project, f"?assignee={alice.pk}"))) == ["Fix the signup bug"]


def test_active_filters_are_removable_chips_with_a_clear_link(client, erin, project, tag, spread):
    client.force_login(erin)
    response = client.get(list_url(project, f"?status=todo&tag={tag.pk}&sort=title&page=1"))
    chips = response.context["chips"]
    assert [chip.label for chip in chips] == ["Status: To do", "Tag: bug"]
    assert chips[0].remove_url == f"?tag={tag.pk}&sort=title"
    assert chips[1].remove_url == "?status=todo&sort=title"
    html = response.content.decode()
    assert "Clear filters" in html
    assert response.context["clear_url"] == "?sort=title"


def test_filters_that_match_nothing_say_so(client, erin, project, spread):
    client.force_login(erin)
    html = client.get(list_url(project, "?search=zebra")).content.decode()
    assert "No task matches these filters" in html
    assert "Clear filters" in html


def test_empty_project_invites_the_first_task(client, erin, project):
    client.force_login(erin)
    html = client.get(list_url(project)).content.decode()
    assert "No tasks yet" in html
    assert "add the first one above" in html.lower()


def test_bad_filter_values_are_ignored_not_an_error(client, erin, project, spread):
    client.force_login(erin)
    response = client.get(list_url(project, "?status=bogus&tag=abc&due=someday&page=zz"))
    assert response.status_code == 200
    assert len(response.context["tasks"]) == len(spread)
    assert response.context["filter_errors"]


def test_default_order_puts_open_tasks_first_then_by_due_date(client, erin, project):
    today = timezone.localdate()
    TaskFactory(project=project, title="done early", status=Status.DONE, due_date=today)
    TaskFactory(project=project, title="undated")
    TaskFactory(project=project, title="next week", due_date=today + datetime.timedelta(days=7))
    TaskFactory(project=project, title="tomorrow low", due_date=today + datetime.timedelta(days=1))
    TaskFactory(
        project=project,
        title="tomorrow urgent",
        priority=Priority.URGENT,
        due_date=today + datetime.timedelta(days=1),
    )
    client.force_login(erin)
    assert titles(client.get(list_url(project, "?completed=show"))) == [
        "tomorrow urgent",
        "tomorrow low",
        "next week",
        "undated",
        "done early",
    ]


def test_completed_tasks_are_hidden_until_asked_for(client, erin, project, spread):
    client.force_login(erin)
    response = client.get(list_url(project))
    assert spread["done"].title not in titles(response)
    assert len(titles(response)) == len(spread) - 1
    html = response.content.decode()
    assert 'name="completed" value="show"' in html
    assert "Show completed" in html
    shown = client.get(list_url(project, "?completed=show"))
    assert spread["done"].title in titles(shown)
    # Showing them is a removable chip; "clear" goes back to the open tasks.
    assert [chip.label for chip in shown.context["chips"]] == ["Completed shown"]
    assert shown.context["chips"][0].remove_url == "?"


def test_open_status_means_every_status_but_done(client, erin, project, spread):
    TaskFactory(project=project, title="Started", status=Status.IN_PROGRESS)
    client.force_login(erin)
    response = client.get(list_url(project, "?status=open&completed=show"))
    got = set(titles(response))
    assert spread["done"].title not in got
    assert {"Started", spread["match"].title} <= got
    assert [chip.label for chip in response.context["chips"]] == [
        "Status: Open",
        "Completed shown",
    ]


def test_several_statuses_and_priorities_at_once(client, erin, project, spread):
    TaskFactory(project=project, title="Started high", status=Status.IN_PROGRESS, priority="high")
    TaskFactory(project=project, title="Started none", status=Status.IN_PROGRESS)
    client.force_login(erin)
    query = "?status=in_progress&status=done&priority=high&priority=low"
    response = client.get(list_url(project, query))
    assert set(titles(response)) == {"Started high", spread["done"].title}
    html = response.content.decode()
    # Each chosen value is ticked in its menu, and the menus say what is chosen.
    assert 'name="status" value="in_progress" checked' in html
    assert 'name="status" value="done" checked' in html
    assert 'name="priority" value="low" checked' in html
    assert 'name="status" value="todo" checked' not in html
    assert response.context["status_summary"] == "In progress, Done"
    # Each value is its own chip: removing one keeps the others.
    chip = next(c for c in response.context["chips"] if c.label == "Status: Done")
    assert chip.remove_url == "?status=in_progress&priority=high&priority=low"


def test_everything_done_says_so_and_offers_to_show_it(client, erin, project):
    TaskFactory(project=project, title="Finished", status=Status.DONE)
    client.force_login(erin)
    response = client.get(list_url(project))
    html = response.content.decode()
    assert "Everything here is done" in html
    assert 'href="?completed=show"' in html


def test_search_in_the_list_puts_open_tasks_first(client, erin, project):
    TaskFactory(project=project, title="Bug in the login page", status=Status.DONE)
    TaskFactory(project=project, title="Bug in the footer")
    client.force_login(erin)
    response = client.get(list_url(project, "?search=bug&completed=show"))
    assert titles(response) == ["Bug in the footer", "Bug in the login page"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's")
def test_search_in_the_list_ranks_open_tasks_by_best_match(client, erin, project):
    today = timezone.localdate()
    # The weaker match is older: without ranking it would come first.
    TaskFactory(project=project, title="Call the bank", description="about an invoice")
    TaskFactory(project=project, title="Invoice", description="the invoice for the invoice run")
    TaskFactory(
        project=project, title="Invoice invoice invoice", status=Status.DONE, due_date=today
    )
    client.force_login(erin)
    response = client.get(list_url(project, "?search=invoice&completed=show"))
    assert titles(response) == ["Invoice", "Call the bank", "Invoice invoice invoice"]


def test_sort_by_priority_and_title(client, erin, project):
    for title, priority in [("b", Priority.LOW), ("a", Priority.URGENT), ("c", Priority.NONE)]:
        TaskFactory(project=project, title=title, priority=priority)
    client.force_login(erin)
    assert titles(client.get(list_url(project, "?sort=-priority"))) == ["a", "b", "c"]
    assert titles(client.get(list_url(project, "?sort=title"))) == ["a", "b", "c"]
    assert titles(client.get(list_url(project, "?sort=-created"))) == ["c", "a", "b"]


def test_pages_of_fifty_keep_the_filters(client, erin, project):
    TaskFactory.create_batch(55, project=project, priority=Priority.HIGH)
    TaskFactory(project=project, priority=Priority.LOW)
    client.force_login(erin)
    first = client.get(list_url(project, "?priority=high"))
    assert len(first.context["tasks"]) == 50
    assert "?priority=high&amp;page=2" in first.content.decode()
    second = client.get(list_url(project, "?priority=high&page=2"))
    assert len(second.context["tasks"]) == 5


def test_list_never_shows_tasks_of_other_projects(client, erin, project):
    TaskFactory(title="Mine", project=project)
    TaskFactory(title="Theirs")
    client.force_login(erin)
    assert titles(client.get(list_url(project, "?project="))) == ["Mine"]


def test_titles_are_escaped(client, erin, project):
    TaskFactory(project=project, title="<script>alert(1)</script>")
    client.force_login(erin)
    html = client.get(list_url(project)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ---------------------------------------------------------------------------
# Query count
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_is_constant(client, erin, project, django_assert_num_queries, count):
    tags = TagFactory.create_batch(3, project=project)
    people = [UserFactory() for _ in range(3)]
    for person in people:
        MembershipFactory(project=project, user=person, role=Role.EDITOR)
    for i in range(count):
        TaskFactory(project=project, assignee=people[i % 3], tags=tags[: i % 4])
    ProjectFactory()  # someone else's project changes nothing
    client.force_login(erin)
    # 1 session, 2 user, 3 project (with my role), 4 members (assignee choices),
    # 5 project tags (tag filter), 6 count for the pager, 7 the page of tasks with project
    # and assignee, 8 their tags (prefetch), 9 the sidebar's projects, 10 the invitations
    # waiting for me (user menu), 11 my unread notifications (inbox badge).
    with django_assert_num_queries(11):
        response = client.get(list_url(project, "?assignee=&sort=due_date"))
    assert len(response.context["tasks"]) == min(count, 50)


def test_row_links_match_the_url_map():
    for name in ["tasks:task-detail", "tasks:task-complete", "tasks:task-move"]:
        assert row_url(name, 42) == reverse(name, args=[42])


# ---------------------------------------------------------------------------
# One row representation: the page and every htmx answer draw a task the same way
# ---------------------------------------------------------------------------
def row_html(html, task):
    """The ``<li>`` of ``task`` in a page or an htmx answer."""
    at = html.index(f'id="task-{task.pk}"')
    return html[html.rindex("<li", 0, at) : html.index("</li>", at) + len("</li>")]


def test_quick_add_answers_the_row_the_page_draws(client, erin, alice, project):
    client.force_login(erin)
    page = list_url(project)
    data = {
        "title": "Same everywhere",
        "quick": "1",
        "assignee": alice.pk,
        "due_date": "2030-01-02",
    }
    added = client.post(create_url(project), data, **htmx_from(page)).content.decode()
    task = Task.objects.get(title="Same everywhere")
    assert row_html(added, task) == row_html(client.get(page).content.decode(), task)


def test_complete_answers_the_row_the_page_draws(client, erin, alice, project, tag):
    task = TaskFactory(project=project, assignee=alice, tags=[tag], priority=Priority.HIGH)
    client.force_login(erin)
    page = list_url(project)
    complete = reverse("tasks:task-complete", args=[task.pk])
    client.post(complete, **htmx_from(page))
    # Completed then reopened: the second answer is the task as the page lists it.
    reopened = client.post(complete, **htmx_from(page)).content.decode()
    assert row_html(reopened, task) == row_html(client.get(page).content.decode(), task)
