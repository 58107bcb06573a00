"""
The staff admin: every model reachable by staff only, Django's model permissions respected,
read-only history and tokens, no N+1. Tasks, projects, members, tags and comments have their
own modules (``test_admin_tasks``, ``test_admin_projects``, ``test_admin_archived``).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tasks.models import Activity, Membership, Role, Status, Task
from tasks.tests.admin_support import (
    admin_url,
    confirm_bulk_delete,
    form_data,
    make_clerk,
    messages_of,
    run_action,
    run_form_action,
)
from tasks.tests.factories import (
    ActivityFactory,
    CommentFactory,
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
    make_token,
)

pytestmark = pytest.mark.django_db

Verb = Activity.Verb

MODELS = [
    "accounts.user",
    "accounts.apitoken",
    "tasks.project",
    "tasks.membership",
    "tasks.tag",
    "tasks.task",
    "tasks.comment",
    "tasks.activity",
]
#: Tokens are made by their owners, activity by the domain functions: no add page for either.
NO_ADD = {"accounts.apitoken", "tasks.activity"}


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# Reachability
@pytest.fixture
def one_of_each(project, task, tag, alice):
    token, _ = make_token(alice)
    comment = CommentFactory(task=task, author=alice)
    activity = ActivityFactory(task=task, actor=alice)
    return {
        "accounts.user": alice,
        "accounts.apitoken": token,
        "tasks.project": project,
        "tasks.membership": Membership.objects.get(project=project, user=alice),
        "tasks.tag": tag,
        "tasks.task": task,
        "tasks.comment": comment,
        "tasks.activity": activity,
    }


@pytest.mark.parametrize("model", MODELS)
def test_staff_sees_every_changelist_and_change_page(staff_client, one_of_each, model):
    assert staff_client.get(admin_url(model)).status_code == 200
    obj = one_of_each[model]
    assert staff_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_staff_add_pages(staff_client, model):
    expected = 403 if model in NO_ADD else 200
    assert staff_client.get(admin_url(model, "add")).status_code == expected


@pytest.mark.parametrize("model", MODELS)
def test_changelist_search_works(staff_client, one_of_each, model):
    assert staff_client.get(admin_url(model), {"q": "a"}).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_non_staff_is_sent_to_the_admin_login(client, alice, model):
    client.force_login(alice)
    response = client.get(admin_url(model))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_task_autocomplete_for_projects_and_assignees(staff_client, project, alice):
    # (Tags are a filtered list instead: see the change and add form tests below.)
    url = reverse("admin:autocomplete")
    common = {"app_label": "tasks", "model_name": "task"}
    projects = staff_client.get(url, {**common, "field_name": "project", "term": "alp"}).json()
    users = staff_client.get(url, {**common, "field_name": "assignee", "term": "ali"}).json()
    assert [r["id"] for r in projects["results"]] == [str(project.pk)]
    assert [r["id"] for r in users["results"]] == [str(alice.pk)]


# Staff without superuser: Django's model permissions decide
def test_staff_without_a_models_permissions_gets_403(client, project, task):
    client.force_login(make_clerk("view_task"))
    membership = Membership.objects.filter(project=project).first()
    assert client.get(admin_url("tasks.task")).status_code == 200
    assert client.get(admin_url("tasks.membership")).status_code == 403
    assert client.get(admin_url("tasks.membership", "change", membership.pk)).status_code == 403
    assert client.get(admin_url("tasks.project", "change", project.pk)).status_code == 403
    assert client.get(admin_url("tasks.task", "add")).status_code == 403


def test_view_only_staff_cannot_save_or_delete(client, task):
    client.force_login(make_clerk("view_task"))
    url = admin_url("tasks.task", "change", task.pk)
    assert b'name="_save"' not in client.get(url).content
    assert client.post(url, {"title": "Mine", "_save": "Save"}).status_code == 403
    assert (
        client.post(admin_url("tasks.task", "delete", task.pk), {"post": "yes"}).status_code == 403
    )
    task.refresh_from_db()
    assert (task.title, task.version) == ("Write the README", 1)
    assert not Activity.objects.exists()


def test_actions_are_offered_by_permission(client, task):
    client.force_login(make_clerk("view_task"))
    offered = client.get(admin_url("tasks.task")).context["action_form"].fields["action"]
    assert [name for name, _label in offered.choices if name] == ["export_csv"]

    response = run_action(client, "tasks.task", "mark_done", [task])

    assert response.status_code == 302
    assert messages_of(response) == ["No action selected."]
    assert Task.objects.get(pk=task.pk).status == Status.TODO
    assert not Activity.objects.exists()


def test_staff_with_change_permission_runs_actions_as_themselves(client, task):
    clerk = make_clerk("view_task", "change_task")
    client.force_login(clerk)

    response = run_form_action(client, "tasks.task", "move_to_status", task, status="done")

    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == Status.DONE
    activity = Activity.objects.get()
    assert (activity.verb, activity.actor) == (Activity.Verb.COMPLETED, clerk)


def test_bulk_delete_needs_the_delete_permission(client, project):
    client.force_login(make_clerk("view_task", "change_task"))
    tasks = TaskFactory.create_batch(2, project=project)
    response = confirm_bulk_delete(client, "tasks.task", tasks)
    assert messages_of(response) == ["No action selected."]
    assert Task.objects.count() == 2


def test_staff_with_membership_permissions_changes_roles(client, project, erin):
    clerk = make_clerk("view_membership", "change_membership")
    client.force_login(clerk)
    membership = Membership.objects.get(project=project, user=erin)

    response = run_action(client, "tasks.membership", "change_role", [membership], role="viewer")

    assert messages_of(response) == ["Changed 1 role."]
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER
    assert Activity.objects.get().actor == clerk
    assert client.get(admin_url("tasks.membership", "add")).status_code == 403


# Activity and tokens
def test_activity_is_read_only(staff_client, task):
    activity = ActivityFactory(task=task)
    url = admin_url("tasks.activity", "change", activity.pk)
    page = staff_client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert staff_client.post(url, {"verb": "deleted"}).status_code == 403
    assert staff_client.post(admin_url("tasks.activity", "delete", activity.pk)).status_code == 403
    assert Activity.objects.get(pk=activity.pk).verb == Verb.UPDATED


def test_token_admin_never_shows_the_hash(staff_client, alice):
    token, secret = make_token(alice, name="laptop")
    for url in (
        admin_url("accounts.apitoken"),
        admin_url("accounts.apitoken", "change", token.pk),
    ):
        page = staff_client.get(url).content.decode()
        assert token.key_hash not in page
        assert "key_hash" not in page
        assert secret not in page
        assert token.prefix in page


def test_revoke_action(staff_client, alice):
    live, _ = make_token(alice, name="live")
    other, _ = make_token(alice, name="other")
    response = run_action(staff_client, "accounts.apitoken", "revoke", [live])
    assert "Revoked 1 token." in messages_of(response)
    live.refresh_from_db()
    other.refresh_from_db()
    assert (live.status, other.status) == ("revoked", "active")


def test_token_changelist_filters_by_status(staff_client, alice):
    active, _ = make_token(alice, name="active-one")
    expired, _ = make_token(alice, name="expired-one", expires_at=timezone.now())
    revoked, _ = make_token(alice, name="revoked-one")
    revoked.revoke()
    for status, token in [("active", active), ("expired", expired), ("revoked", revoked)]:
        page = staff_client.get(admin_url("accounts.apitoken"), {"status": status})
        shown = [t.pk for t in page.context["cl"].result_list]
        assert shown == [token.pk], status


def test_user_admin_add_form_takes_email_and_display_name(staff_client):
    url = admin_url("accounts.user", "add")
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "display_name": "New Bie",
        "usable_password": "false",
        "_save": "Save",
    }
    assert staff_client.post(url, data).status_code == 302
    page = staff_client.get(admin_url("accounts.user", "add")).content.decode()
    assert 'name="display_name"' in page and 'name="email"' in page


def test_deleting_the_last_owner_of_a_project_is_refused(staff_client, project, alice):
    url = admin_url("accounts.user", "delete", alice.pk)
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == admin_url("accounts.user", "change", alice.pk)
    assert any("Alpha: The last owner" in m for m in messages_of(response))
    assert project.role_of(alice) == Role.OWNER


def test_deleting_a_member_leaves_their_projects_through_the_domain(
    staff_client, project, erin, task
):
    task.assignee = erin
    task.save()
    response = staff_client.post(admin_url("accounts.user", "delete", erin.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(user_id=erin.pk).exists()
    assert Activity.objects.get().changes == {"member": "erin", "role": ["editor", None]}
    assert Task.objects.get(pk=task.pk).assignee is None


def test_bulk_delete_of_users_skips_the_last_owner(staff_client, project, alice, erin, victor):
    response = confirm_bulk_delete(staff_client, "accounts.user", [alice, erin])
    [refused, deleted] = messages_of(response)
    assert refused.startswith("“Alice Owner” was not deleted: Alpha: The last owner")
    assert deleted == "Deleted 1 user."
    assert set(User.objects.values_list("username", flat=True)) == {"alice", "victor", "staff"}
    assert project.role_of(alice) == Role.OWNER


def test_user_admin_edits_display_name_and_time_zone(staff_client, alice):
    url = admin_url("accounts.user", "change", alice.pk)
    page = staff_client.get(url)
    bad = staff_client.post(url, form_data(page, time_zone="Mars/Olympus_Mons"))
    assert bad.status_code == 200
    assert "time_zone" in bad.context["adminform"].form.errors

    response = staff_client.post(url, form_data(page, display_name="Ada", time_zone="Asia/Tokyo"))
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.time_zone) == ("Ada", "Asia/Tokyo")


# Query counts
def make_rows(model, count, project, alice):
    """``count`` rows of ``model`` with every relation its changelist shows filled in."""
    for _ in range(count):
        member = UserFactory()
        if model == "tasks.task":
            TaskFactory(
                project=project,
                assignee=member,
                tags=[TagFactory(project=project), TagFactory(project=project)],
            )
        elif model == "tasks.project":
            other = ProjectFactory(created_by=member)
            MembershipFactory(project=other, user=member, role=Role.OWNER)
            TaskFactory(project=other)
        elif model == "tasks.comment":
            CommentFactory(task=TaskFactory(project=project), author=member)
        elif model == "tasks.activity":
            ActivityFactory(task=TaskFactory(project=project), actor=member)
        elif model == "tasks.membership":
            MembershipFactory(project=project, user=member)
        elif model == "accounts.apitoken":
            make_token(member)


def changelist_queries(client, model):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(admin_url(model)).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "model",
    [
        "tasks.task",
        "tasks.project",
        "tasks.comment",
        "tasks.activity",
        "tasks.membership",
        "accounts.apitoken",
    ],
)
def test_changelist_query_count_is_constant(staff_client, project, alice, model):
    make_rows(model, 10, project, alice)
    ten = changelist_queries(staff_client, model)
    make_rows(model, 90, project, alice)
    hundred = changelist_queries(staff_client, model)
    assert ten == hundred


def test_task_changelist_query_count_is_pinned(
    staff_client, project, alice, django_assert_num_queries
):
    make_rows("tasks.task", 25, project, alice)
    # 1 session, 2 staff user, 3 project filter choices, 4 filtered count, 5 full count,
    # 6 the page of tasks with project and assignee joined, 7 their tags (one prefetch),
    # 8 date hierarchy bounds (min/max created_at), 9 the days within them.
    with django_assert_num_queries(9):
        staff_client.get(admin_url("tasks.task"))
