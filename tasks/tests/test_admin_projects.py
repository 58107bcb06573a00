"""The admin of projects, members, tags and comments: every write through the services."""

import pytest

from tasks.models import Activity, Comment, Invitation, Membership, Project, Role, Tag, Task
from tasks.tests.admin_support import (
    admin_url,
    confirm_bulk_delete,
    form_data,
    form_errors,
    messages_of,
    run_action,
    run_form_action,
)
from tasks.tests.factories import (
    CommentFactory,
    InvitationFactory,
    MembershipFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

Verb = Activity.Verb


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def membership_of(project, user):
    return Membership.objects.get(project=project, user=user)


def roles(project):
    return dict(project.memberships.values_list("user__username", "role"))


# Projects
def test_project_add_makes_staff_the_owner(staff_client, staff):
    url = admin_url("tasks.project", "add")
    response = staff_client.post(url, form_data(staff_client.get(url), name="Ops"))
    assert response.status_code == 302
    project = Project.objects.get(name="Ops")
    assert project.created_by == staff
    assert project.role_of(staff) == Role.OWNER


def test_project_rename_goes_through_project_update(staff_client, project):
    url = admin_url("tasks.project", "change", project.pk)
    response = staff_client.post(url, form_data(staff_client.get(url), name="  Renamed  "))
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).name == "Renamed"  # stripped by the domain


def test_archived_flag_and_members_are_read_only_on_the_project_form(staff_client, project, oscar):
    url = admin_url("tasks.project", "change", project.pk)
    page = staff_client.get(url)
    assert "is_archived" not in page.context["adminform"].form.fields
    [members] = page.context["inline_admin_formsets"]
    assert not members.has_add_permission and not members.has_change_permission

    data = form_data(page, is_archived="on")
    data.update(
        {
            "memberships-TOTAL_FORMS": "4",
            "memberships-3-user": oscar.pk,
            "memberships-3-role": "owner",
        }
    )
    assert staff_client.post(url, data).status_code == 302

    project.refresh_from_db()
    assert not project.is_archived
    assert project.role_of(oscar) is None
    assert not Activity.objects.exists()


def test_archive_and_unarchive_actions(staff_client, project):
    other = Project.objects.create(name="Beta", created_by=project.created_by)

    response = run_action(staff_client, "tasks.project", "archive", [project, other])
    assert messages_of(response) == ["Archived 2 projects."]
    assert set(Project.objects.values_list("is_archived", flat=True)) == {True}

    response = run_form_action(staff_client, "tasks.project", "unarchive", project)
    assert response["Location"] == admin_url("tasks.project", "change", project.pk)
    assert messages_of(response)[-1] == "Unarchived 1 project."
    assert not Project.objects.get(pk=project.pk).is_archived
    assert Project.objects.get(pk=other.pk).is_archived


def test_project_delete_goes_through_the_domain(staff_client, project, task):
    response = staff_client.post(admin_url("tasks.project", "delete", project.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Task.objects.filter(pk=task.pk).exists()


# Members
def test_membership_change_form_is_read_only(staff_client, project, erin):
    membership = membership_of(project, erin)
    url = admin_url("tasks.membership", "change", membership.pk)
    page = staff_client.get(url)
    assert not page.context["adminform"].form.fields
    assert b'name="_save"' not in page.content and b'name="_continue"' not in page.content

    staff_client.post(url, {"role": "owner", "_save": "Save"})

    assert membership_of(project, erin).role == Role.EDITOR
    assert not Activity.objects.exists()


def test_change_role_asks_for_the_role_then_changes_it(staff_client, staff, project, erin, victor):
    chosen = [membership_of(project, erin), membership_of(project, victor)]

    page = run_action(staff_client, "tasks.membership", "change_role", chosen)
    assert page.status_code == 200
    assert 'name="role"' in page.content.decode()
    assert not Activity.objects.exists()

    response = run_action(staff_client, "tasks.membership", "change_role", chosen, role="owner")

    assert messages_of(response) == ["Changed 2 roles."]
    assert roles(project) == {"alice": "owner", "erin": "owner", "victor": "owner"}
    changes = Activity.objects.filter(verb=Verb.MEMBER_ROLE_CHANGED).order_by("id")
    assert [(a.actor, a.changes) for a in changes] == [
        (staff, {"member": "erin", "role": ["editor", "owner"]}),
        (staff, {"member": "victor", "role": ["viewer", "owner"]}),
    ]


def test_demoting_the_last_owner_is_refused_with_a_message(staff_client, project, alice, erin):
    chosen = [membership_of(project, alice), membership_of(project, erin)]

    response = run_action(staff_client, "tasks.membership", "change_role", chosen, role="viewer")

    assert response.status_code == 302
    [refused, done] = messages_of(response)
    assert refused.startswith(f"“{chosen[0]}”: ") and "at least one owner" in refused
    assert done == "Changed 1 role."
    assert roles(project) == {"alice": "owner", "erin": "viewer", "victor": "viewer"}
    assert Activity.objects.get().changes["member"] == "erin"


def test_staff_member_cannot_raise_their_own_role(staff_client, staff, project):
    membership = MembershipFactory(project=project, user=staff, role=Role.VIEWER)
    response = run_form_action(
        staff_client, "tasks.membership", "change_role", membership, role="owner"
    )
    assert any("raise your own role" in m for m in messages_of(response))
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER
    assert not Activity.objects.exists()


def test_membership_add_goes_through_member_add(staff_client, staff, project, oscar):
    url = admin_url("tasks.membership", "add")
    data = form_data(staff_client.get(url), project=project.pk, user=oscar.pk, role="viewer")
    assert staff_client.post(url, data).status_code == 302
    assert project.role_of(oscar) == Role.VIEWER
    added = Activity.objects.get()
    assert (added.verb, added.actor) == (Verb.MEMBER_ADDED, staff)


def test_adding_a_member_twice_is_a_form_error_with_the_input_kept(staff_client, project, erin):
    url = admin_url("tasks.membership", "add")
    data = form_data(staff_client.get(url), project=project.pk, user=erin.pk, role="owner")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    [reason] = form_errors(response)["__all__"]
    assert "already a member" in reason
    form = response.context["adminform"].form
    assert (form["user"].value(), form["role"].value()) == (str(erin.pk), "owner")
    assert project.role_of(erin) == Role.EDITOR
    assert not Activity.objects.exists()


def test_removing_the_last_owner_is_refused_with_a_message(staff_client, project, alice):
    membership = membership_of(project, alice)
    url = admin_url("tasks.membership", "delete", membership.pk)
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == admin_url("tasks.membership", "change", membership.pk)
    assert any("last owner" in m for m in messages_of(response))
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not Activity.objects.exists()


def test_bulk_delete_reports_only_what_was_deleted(staff_client, project, alice):
    everyone = list(Membership.objects.filter(project=project).order_by("pk"))
    owner = membership_of(project, alice)

    response = confirm_bulk_delete(staff_client, "tasks.membership", everyone)

    assert response.status_code == 302
    [refused, deleted] = messages_of(response)
    assert refused.startswith(f"“{owner}” was not deleted: ") and "last owner" in refused
    assert deleted == "Deleted 2 memberships."
    assert list(Membership.objects.filter(project=project)) == [owner]
    assert Activity.objects.filter(verb=Verb.MEMBER_REMOVED).count() == 2


# Tags
def test_tag_add_and_rename_go_through_the_domain(staff_client, project):
    add = admin_url("tasks.tag", "add")
    data = form_data(staff_client.get(add), project=project.pk, name=" docs ", colour="#000000")
    assert staff_client.post(add, data).status_code == 302
    tag = Tag.objects.get(project=project)
    assert tag.name == "docs"

    change = admin_url("tasks.tag", "change", tag.pk)
    assert staff_client.post(change, form_data(staff_client.get(change), name="Docs")).status_code
    assert Tag.objects.get(pk=tag.pk).name == "Docs"


def test_tag_admin_duplicate_name_is_refused(staff_client, project, tag):
    url = admin_url("tasks.tag", "add")
    data = form_data(staff_client.get(url), project=project.pk, name="BUG", colour="#000000")
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "already has a tag with that name" in response.content.decode()
    assert project.tags.count() == 1


def test_tag_rename_onto_another_tag_is_a_form_error_with_the_input_kept(
    staff_client, project, tag
):
    docs = TagFactory(project=project, name="docs")
    url = admin_url("tasks.tag", "change", docs.pk)
    response = staff_client.post(
        url, form_data(staff_client.get(url), name="Bug", colour="#123456")
    )
    assert response.status_code == 200
    assert any("already has a tag" in m for m in form_errors(response)["__all__"])
    form = response.context["adminform"].form
    assert (form["name"].value(), form["colour"].value()) == ("Bug", "#123456")
    assert project.tags.get(pk=docs.pk).name == "docs"


# Comments
def test_comment_add_edit_delete_write_activity(staff_client, staff, task):
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
    assert set(Activity.objects.values_list("actor", flat=True)) == {staff.pk}


def test_staff_moderate_comments_by_deleting_but_never_edit_anothers_words(
    staff_client, task, alice
):
    theirs = CommentFactory(task=task, author=alice, body="Alice's words")
    change = admin_url("tasks.comment", "change", theirs.pk)

    edited = staff_client.post(change, form_data(staff_client.get(change), body="Staff's words"))
    assert edited.status_code == 200
    assert form_errors(edited)["__all__"] == ["Only its author can change a comment."]
    assert edited.context["adminform"].form["body"].value() == "Staff's words"
    assert Comment.objects.get().body == "Alice's words"
    assert not Activity.objects.exists()

    deleted = confirm_bulk_delete(staff_client, "tasks.comment", [theirs])
    assert messages_of(deleted) == ["Deleted 1 comment."]
    assert not Comment.objects.exists()
    assert Activity.objects.get().verb == Activity.Verb.COMMENT_DELETED


def test_staff_cancel_open_invitations_but_not_in_an_archived_project(staff_client, project):
    beta = Project.objects.create(name="Beta", created_by=project.created_by, is_archived=True)
    open_one = InvitationFactory(project=project)
    archived = InvitationFactory(project=beta)
    answered = InvitationFactory(project=project, status=Invitation.Status.DECLINED)
    response = run_action(
        staff_client, "tasks.invitation", "cancel", [open_one, archived, answered]
    )
    shown = messages_of(response)
    assert shown[-1] == "Cancelled 1 invitation."
    assert any("archived" in message for message in shown)
    statuses = {i.pk: i.status for i in Invitation.objects.all()}
    assert statuses == {
        open_one.pk: Invitation.Status.CANCELLED,
        archived.pk: Invitation.Status.PENDING,
        answered.pk: Invitation.Status.DECLINED,
    }


def test_invitations_are_read_only_in_the_admin_and_show_no_add(staff_client, project):
    invitation = InvitationFactory(project=project)
    page = staff_client.get(admin_url("tasks.invitation", "change", invitation.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert staff_client.get(admin_url("tasks.invitation", "add")).status_code == 403
