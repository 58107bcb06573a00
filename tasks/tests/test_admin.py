"""The staff admin: reachable by staff only, writes through the domain functions, no N+1."""

import csv
import io

import pytest
from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tasks.models import Activity, Comment, Membership, Project, Role, Status, Task
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


def admin_url(model, view="changelist", *args):
    app_label, model_name = model.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def form_data(response, **changes):
    """The form of an admin add/change page as the browser would post it, with ``changes``."""
    data = {}

    def put(bound):
        if bound.field.disabled:
            return
        value = bound.value()
        if value is None or value is False:
            return
        if isinstance(bound.field.widget, forms.MultiWidget):
            parts = bound.field.widget.decompress(value)
            for suffix, part in zip(bound.field.widget.widgets_names, parts, strict=True):
                data[bound.html_name + suffix] = str(part)
        elif value is True:
            data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = str(value)

    for bound in response.context["adminform"].form:
        put(bound)
    for inline in response.context["inline_admin_formsets"]:
        for bound in inline.formset.management_form:
            put(bound)
        for form in inline.formset.forms:
            for bound in form:
                put(bound)
    data.update({key: "" if value is None else value for key, value in changes.items()})
    data["_save"] = "Save"
    return data


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def run_action(client, model, action, objects):
    return client.post(
        admin_url(model),
        {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects]},
    )


# Reachability -------------------------------------------------------------------------------
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


# Tasks through the domain functions ---------------------------------------------------------
def test_admin_task_edit_bumps_version_and_writes_activity(staff_client, staff, task, tag):
    url = admin_url("tasks.task", "change", task.pk)
    data = form_data(staff_client.get(url), title="Renamed", priority="high", tags=[tag.pk])
    response = staff_client.post(url, data)
    assert response.status_code == 302

    task.refresh_from_db()
    assert (task.title, task.priority, task.version) == ("Renamed", "high", 2)
    assert list(task.tags.all()) == [tag]
    [activity] = Activity.objects.filter(task=task)
    assert activity.actor == staff
    assert activity.changes == {
        "title": ["Write the README", "Renamed"],
        "priority": ["none", "high"],
        "tags": [[], ["bug"]],
    }


def test_admin_task_save_without_changes_writes_nothing(staff_client, task):
    url = admin_url("tasks.task", "change", task.pk)
    staff_client.post(url, form_data(staff_client.get(url)))
    task.refresh_from_db()
    assert task.version == 1
    assert not Activity.objects.exists()


def test_admin_task_edit_based_on_an_old_version_is_refused(staff_client, task, alice):
    url = admin_url("tasks.task", "change", task.pk)
    data = form_data(staff_client.get(url), title="Mine")
    services.task_update(task=task, by=alice, title="Theirs")

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == url
    assert any("changed by someone else" in m for m in messages_of(response))
    task.refresh_from_db()
    assert (task.title, task.version) == ("Theirs", 2)


def test_admin_refuses_an_assignee_who_is_not_a_member(staff_client, task, oscar):
    # The change form offers only the project's members, so the form itself refuses oscar.
    url = admin_url("tasks.task", "change", task.pk)
    response = staff_client.post(url, form_data(staff_client.get(url), assignee=oscar.pk))
    assert response.status_code == 200
    assert "assignee" in response.context["adminform"].form.errors
    task.refresh_from_db()
    assert (task.assignee, task.version) == (None, 1)
    assert not Activity.objects.exists()


def test_admin_add_refuses_an_assignee_who_is_not_a_member(staff_client, project, oscar):
    # The add form cannot know the project's members in advance: the domain refuses.
    url = admin_url("tasks.task", "add")
    data = form_data(staff_client.get(url), project=project.pk, title="X", assignee=oscar.pk)
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert any("not a member" in m for m in messages_of(response))
    assert not Task.objects.filter(title="X").exists()


def test_change_form_offers_only_the_tasks_projects_tags_and_members(
    staff_client, task, tag, alice, erin, victor, oscar
):
    other_bug = TagFactory(name="bug")  # the same name, in another project
    form = staff_client.get(admin_url("tasks.task", "change", task.pk)).context["adminform"].form
    assert list(form.fields["tags"].queryset) == [tag]
    assert other_bug not in form.fields["tags"].queryset
    assert set(form.fields["assignee"].queryset) == {alice, erin, victor}
    html = str(form["assignee"])
    assert f'value="{erin.pk}"' in html and f'value="{oscar.pk}"' not in html


def test_change_form_refuses_another_projects_tag(staff_client, task, tag):
    other_bug = TagFactory(name="bug")
    url = admin_url("tasks.task", "change", task.pk)
    response = staff_client.post(url, form_data(staff_client.get(url), tags=[other_bug.pk]))
    assert response.status_code == 200
    assert "tags" in response.context["adminform"].form.errors
    assert not task.tags.exists()


def test_add_form_labels_every_tag_with_its_project(staff_client, project, tag):
    elsewhere = ProjectFactory(name="Beta")
    other_bug = TagFactory(name="bug", project=elsewhere)
    form = staff_client.get(admin_url("tasks.task", "add")).context["adminform"].form
    labels = [label for _value, label in form.fields["tags"].choices]
    assert labels == ["bug (Alpha)", "bug (Beta)"]
    html = str(form["tags"])
    assert f'<option value="{other_bug.pk}">bug (Beta)</option>' in html


def test_admin_task_add_goes_through_task_create(staff_client, staff, project, erin):
    url = admin_url("tasks.task", "add")
    data = form_data(
        staff_client.get(url), project=project.pk, title="From the admin", assignee=erin.pk
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302
    task = Task.objects.get(title="From the admin")
    assert (task.created_by, task.assignee, task.version) == (staff, erin, 1)
    assert task.position > 0
    assert Activity.objects.get(task=task).verb == Verb.CREATED


def test_admin_task_delete_writes_activity(staff_client, staff, task):
    url = admin_url("tasks.task", "delete", task.pk)
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Task.objects.filter(pk=task.pk).exists()
    activity = Activity.objects.get(verb=Verb.DELETED)
    assert (activity.task_title, activity.actor) == ("Write the README", staff)


def test_admin_comment_inline_goes_through_the_domain_functions(staff_client, staff, task, alice):
    old = CommentFactory(task=task, author=alice, body="Old words")
    gone = CommentFactory(task=task, author=alice, body="Remove me")
    url = admin_url("tasks.task", "change", task.pk)
    page = staff_client.get(url)
    forms = {f.instance.pk: f.prefix for f in page.context["inline_admin_formsets"][0].formset}
    data = form_data(page)
    data[f"{forms[old.pk]}-body"] = "New words"
    data[f"{forms[gone.pk]}-DELETE"] = "on"
    data.update({"comments-TOTAL_FORMS": "3", "comments-2-body": "Added in the admin"})

    assert staff_client.post(url, data).status_code == 302

    assert Comment.objects.get(pk=old.pk).body == "New words"
    assert not Comment.objects.filter(pk=gone.pk).exists()
    assert Comment.objects.get(body="Added in the admin").author == staff
    verbs = sorted(Activity.objects.filter(task=task).values_list("verb", flat=True))
    assert verbs == sorted([Verb.COMMENTED, Verb.COMMENT_EDITED, Verb.COMMENT_DELETED])
    assert Task.objects.get(pk=task.pk).version == 1


# Task actions -------------------------------------------------------------------------------
def test_mark_done_action_completes_through_the_domain(staff_client, staff, project):
    tasks = TaskFactory.create_batch(3, project=project)
    already = TaskFactory(project=project, status=Status.DONE)

    response = run_action(staff_client, "tasks.task", "mark_done", [*tasks, already])

    assert response.status_code == 302
    assert "Marked 3 tasks done." in messages_of(response)
    for task in tasks:
        task.refresh_from_db()
        assert (task.status, task.version) == (Status.DONE, 2)
        assert task.completed_at is not None
    assert Task.objects.get(pk=already.pk).version == 1
    completed = Activity.objects.filter(verb=Verb.COMPLETED)
    assert completed.count() == 3
    assert {a.actor for a in completed} == {staff}


def test_reopen_action(staff_client, project):
    done = TaskFactory(project=project, status=Status.DONE)
    response = run_action(staff_client, "tasks.task", "reopen", [done])
    assert "Reopened 1 task." in messages_of(response)
    done.refresh_from_db()
    assert (done.status, done.completed_at, done.version) == (Status.TODO, None, 2)
    assert Activity.objects.get(task=done).verb == Verb.REOPENED


def test_mark_done_from_the_change_form(staff_client, task):
    url = admin_url("tasks.task", "change", task.pk)
    response = staff_client.post(
        url, {"CHANGE_FORM-action": "mark_done", ACTION_CHECKBOX_NAME: [str(task.pk)]}
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == Status.DONE


def test_csv_export(staff_client, project, erin, tag):
    first = TaskFactory(project=project, title="Write docs", assignee=erin, tags=[tag])
    second = TaskFactory(project=project, title='=HYPERLINK("http://evil")')
    TaskFactory(project=project, title="Not selected")

    response = run_action(staff_client, "tasks.task", "export_csv", [first, second])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["title"] for row in rows] == ["Write docs", '\'=HYPERLINK("http://evil")']
    assert rows[0]["project"] == "Alpha"
    assert rows[0]["assignee"] == "erin"
    assert rows[0]["tags"] == "bug"
    assert rows[0]["status"] == "todo"
    assert rows[0]["version"] == "1"


# Projects and memberships -------------------------------------------------------------------
def test_admin_project_add_makes_staff_the_owner(staff_client, staff):
    url = admin_url("tasks.project", "add")
    data = form_data(staff_client.get(url), name="Ops", colour="#112233")
    data.update({"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert staff_client.post(url, data).status_code == 302
    project = Project.objects.get(name="Ops")
    assert project.created_by == staff
    assert project.role_of(staff) == Role.OWNER


def test_admin_membership_inline_hand_over_ownership(staff_client, project, alice, erin):
    url = admin_url("tasks.project", "change", project.pk)
    page = staff_client.get(url)
    prefixes = {
        f.instance.user_id: f.prefix for f in page.context["inline_admin_formsets"][0].formset
    }
    data = form_data(page)
    data[f"{prefixes[alice.pk]}-role"] = Role.EDITOR
    data[f"{prefixes[erin.pk]}-role"] = Role.OWNER

    assert staff_client.post(url, data).status_code == 302

    assert project.role_of(erin) == Role.OWNER
    assert Project.objects.get(pk=project.pk).role_of(alice) == Role.EDITOR
    assert Activity.objects.filter(verb=Verb.MEMBER_ROLE_CHANGED).count() == 2


def test_admin_membership_inline_cannot_demote_the_last_owner(staff_client, project, alice):
    url = admin_url("tasks.project", "change", project.pk)
    page = staff_client.get(url)
    prefixes = {
        f.instance.user_id: f.prefix for f in page.context["inline_admin_formsets"][0].formset
    }
    data = form_data(page, name="Renamed")
    data[f"{prefixes[alice.pk]}-role"] = Role.VIEWER

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == url
    assert any("at least one owner" in m for m in messages_of(response))
    project = Project.objects.get(pk=project.pk)
    # The whole save is refused, the rename included.
    assert project.name == "Alpha"
    assert project.role_of(alice) == Role.OWNER
    assert not Activity.objects.exists()


def test_admin_membership_inline_add_and_remove(staff_client, project, victor, oscar):
    url = admin_url("tasks.project", "change", project.pk)
    page = staff_client.get(url)
    prefixes = {
        f.instance.user_id: f.prefix for f in page.context["inline_admin_formsets"][0].formset
    }
    data = form_data(page)
    data[f"{prefixes[victor.pk]}-DELETE"] = "on"
    data.update(
        {
            "memberships-TOTAL_FORMS": "4",
            "memberships-3-user": oscar.pk,
            "memberships-3-role": "editor",
        }
    )
    assert staff_client.post(url, data).status_code == 302
    assert project.role_of(oscar) == Role.EDITOR
    assert not Membership.objects.filter(project=project, user=victor).exists()
    verbs = set(Activity.objects.values_list("verb", flat=True))
    assert verbs == {Verb.MEMBER_ADDED, Verb.MEMBER_REMOVED}


def test_membership_admin_last_owner_demotion_is_an_error_message(staff_client, project, alice):
    membership = Membership.objects.get(project=project, user=alice)
    url = admin_url("tasks.membership", "change", membership.pk)
    response = staff_client.post(url, form_data(staff_client.get(url), role=Role.EDITOR))
    assert response.status_code == 302
    assert any("at least one owner" in m for m in messages_of(response))
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER


def test_membership_admin_last_owner_removal_is_an_error_message(staff_client, project, alice):
    membership = Membership.objects.get(project=project, user=alice)
    url = admin_url("tasks.membership", "delete", membership.pk)
    response = staff_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert any("last owner" in m for m in messages_of(response))
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_membership_admin_role_change_and_add_write_activity(staff_client, project, erin, oscar):
    membership = Membership.objects.get(project=project, user=erin)
    url = admin_url("tasks.membership", "change", membership.pk)
    staff_client.post(url, form_data(staff_client.get(url), role=Role.VIEWER))
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER

    add = admin_url("tasks.membership", "add")
    data = form_data(staff_client.get(add), project=project.pk, user=oscar.pk, role="viewer")
    assert staff_client.post(add, data).status_code == 302
    assert project.role_of(oscar) == Role.VIEWER
    changes = sorted(Activity.objects.values_list("verb", flat=True))
    assert changes == [Verb.MEMBER_ADDED, Verb.MEMBER_ROLE_CHANGED]


def test_staff_member_cannot_raise_their_own_role(staff_client, staff, project):
    membership = MembershipFactory(project=project, user=staff, role=Role.VIEWER)
    url = admin_url("tasks.membership", "change", membership.pk)
    response = staff_client.post(url, form_data(staff_client.get(url), role=Role.OWNER))
    assert response.status_code == 302
    assert any("raise your own role" in m for m in messages_of(response))
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER


def test_tag_admin_duplicate_name_is_refused(staff_client, project, tag):
    url = admin_url("tasks.tag", "add")
    data = form_data(staff_client.get(url), project=project.pk, name="BUG", colour="#000000")
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "already has a tag with that name" in response.content.decode()
    assert project.tags.count() == 1


def test_tag_admin_rename_onto_another_tag_is_an_error_message(staff_client, project, tag):
    docs = TagFactory(project=project, name="docs")
    url = admin_url("tasks.tag", "change", docs.pk)
    response = staff_client.post(url, form_data(staff_client.get(url), name="Bug"))
    assert response.status_code == 302
    assert any("already has a tag" in m for m in messages_of(response))
    assert project.tags.get(pk=docs.pk).name == "docs"


def test_bulk_delete_of_memberships_keeps_the_last_owner(staff_client, project, alice):
    everyone = list(Membership.objects.filter(project=project))
    response = staff_client.post(
        admin_url("tasks.membership"),
        {
            "action": "delete_selected",
            "post": "yes",
            ACTION_CHECKBOX_NAME: [str(m.pk) for m in everyone],
        },
    )
    assert response.status_code == 302
    assert any("last owner" in m for m in messages_of(response))
    assert list(Membership.objects.filter(project=project)) == [
        Membership.objects.get(project=project, user=alice)
    ]
    assert Activity.objects.filter(verb=Verb.MEMBER_REMOVED).count() == 2


def test_project_delete_goes_through_the_domain(staff_client, project, task):
    response = staff_client.post(admin_url("tasks.project", "delete", project.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Task.objects.filter(pk=task.pk).exists()


# Comments -----------------------------------------------------------------------------------
def test_comment_admin_add_edit_delete_write_activity(staff_client, staff, task):
    add = admin_url("tasks.comment", "add")
    data = form_data(staff_client.get(add), task=task.pk, body="From staff")
    assert staff_client.post(add, data).status_code == 302
    comment = Comment.objects.get()
    assert comment.author == staff

    change = admin_url("tasks.comment", "change", comment.pk)
    staff_client.post(change, form_data(staff_client.get(change), body="Edited by staff"))
    assert Comment.objects.get(pk=comment.pk).edited_at is not None

    staff_client.post(admin_url("tasks.comment", "delete", comment.pk), {"post": "yes"})
    assert not Comment.objects.exists()
    verbs = list(Activity.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == [Verb.COMMENTED, Verb.COMMENT_EDITED, Verb.COMMENT_DELETED]


# Activity and tokens ------------------------------------------------------------------------
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


# Query counts -------------------------------------------------------------------------------
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
