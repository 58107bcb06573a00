"""The consumer: who hears about which Activity row, and who follows what."""

import datetime

import pytest

from notifications.events import handle_activity, mentioned_names
from notifications.models import Follow, HandledActivity, Kind, Notification, NotificationSettings
from tasks import services
from tasks.models import Activity, Role
from tasks.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def inbox(user):
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_mentioned_names_skip_email_addresses():
    assert mentioned_names("Hi @Erin, ask @victor. Mail ann@example.com") == {"erin", "victor"}


def test_creating_with_an_assignee_notifies_and_follows(alice, erin, project, deliver):
    task = services.task_create(project=project, by=alice, title="Plan", assignee=erin)
    deliver()
    note = Notification.objects.get(recipient=erin)
    assert note.kind == Kind.ASSIGNED
    assert note.task == task and note.actor == alice and note.project == project
    assert note.summary == "Alice Owner assigned you “Plan”"
    assert note.email_delivery == "instant" and note.email_state == "pending"
    assert dict(Follow.objects.values_list("user__username", "reason")) == {
        "alice": "created",
        "erin": "assigned",
    }
    assert inbox(alice) == []  # nobody hears of their own action


def test_reassigning_notifies_the_new_assignee(alice, erin, victor, project, deliver):
    task = services.task_create(project=project, by=alice, title="Plan")
    services.task_update(task=task, by=alice, assignee=erin)
    deliver()
    assert inbox(erin) == [Kind.ASSIGNED]
    assert inbox(victor) == []


def test_assigning_yourself_notifies_nobody(erin, project, deliver):
    task = services.task_create(project=project, by=erin, title="Plan")
    services.task_update(task=task, by=erin, assignee=erin)
    deliver()
    assert Notification.objects.count() == 0


def test_description_mentions_only_new_ones(alice, erin, victor, project, deliver):
    task = services.task_create(project=project, by=alice, title="Plan", description="@erin look")
    deliver()
    assert inbox(erin) == [Kind.MENTIONED]
    services.task_update(task=task, by=alice, description="@erin look, and @victor too")
    deliver()
    assert inbox(erin) == [Kind.MENTIONED]
    assert inbox(victor) == [Kind.MENTIONED]
    assert Follow.objects.get(user=victor).reason == "mentioned"
    assert "description" in Notification.objects.get(recipient=victor).summary


def test_mention_of_a_non_member_notifies_nobody(alice, oscar, project, task, deliver):
    services.comment_add(task=task, by=alice, body="@oscar and @nobody-at-all, see this")
    deliver()
    assert inbox(oscar) == []
    assert not Follow.objects.filter(user=oscar).exists()


def test_comment_notifies_followers_and_mention_wins(alice, erin, victor, project, deliver):
    task = services.task_create(project=project, by=alice, title="Plan")
    Follow.objects.create(task=task, user=victor)
    Follow.objects.create(task=task, user=erin)
    services.comment_add(task=task, by=alice, body="Thoughts, @erin?")
    deliver()
    assert inbox(victor) == [Kind.COMMENTED]
    note = Notification.objects.get(recipient=erin)
    assert note.kind == Kind.MENTIONED  # one entry, the stronger kind
    assert note.data["excerpt"] == "Thoughts, @erin?"
    assert inbox(alice) == []


def test_commenter_follows_and_hears_later_comments(alice, erin, project, task, deliver):
    services.comment_add(task=task, by=erin, body="First")
    services.comment_add(task=task, by=alice, body="Second")
    deliver()
    assert Follow.objects.get(user=erin, task=task).reason == "commented"
    assert inbox(erin) == [Kind.COMMENTED]


def test_comment_edit_notifies_newly_mentioned_only(alice, erin, victor, project, task, deliver):
    comment = services.comment_add(task=task, by=alice, body="@erin")
    deliver()
    services.comment_edit(comment=comment, by=alice, body="@erin and @victor")
    deliver()
    assert inbox(erin) == [Kind.MENTIONED]
    assert inbox(victor) == [Kind.MENTIONED]


def test_status_completion_and_due_changes_reach_followers(alice, erin, project, deliver):
    task = services.task_create(project=project, by=alice, title="Plan", assignee=erin)
    services.task_update(task=task, by=alice, status="in_progress")
    services.task_update(task=task, by=alice, due_date=datetime.date(2030, 1, 2))
    services.task_complete(task=task, by=alice)
    deliver()
    assert inbox(erin) == [Kind.COMPLETED, Kind.DUE_CHANGED, Kind.STATUS_CHANGED, Kind.ASSIGNED]
    due = Notification.objects.get(recipient=erin, kind=Kind.DUE_CHANGED)
    assert due.data == {"due_date": [None, "2030-01-02"]}
    assert "2030-01-02" in due.summary
    status = Notification.objects.get(recipient=erin, kind=Kind.STATUS_CHANGED)
    assert status.summary == "Alice Owner moved “Plan” to In progress"


def test_someone_who_can_no_longer_see_the_task_hears_nothing(alice, erin, project, deliver):
    task = services.task_create(project=project, by=alice, title="Plan", assignee=erin)
    deliver()
    services.comment_add(task=task, by=alice, body="Still there?")
    project.memberships.filter(user=erin).delete()
    deliver()
    assert inbox(erin) == [Kind.ASSIGNED]


def test_member_added_and_role_changed(alice, oscar, project, deliver):
    membership = services.member_add(project=project, user=oscar, role=Role.VIEWER, by=alice)
    services.member_change_role(membership=membership, role=Role.EDITOR, by=alice)
    deliver()
    added, changed = Notification.objects.filter(recipient=oscar).order_by("id")
    assert added.kind == Kind.MEMBER_ADDED and added.project == project and added.task is None
    assert added.summary == "Alice Owner added you to “Alpha” as viewer"
    assert changed.kind == Kind.ROLE_CHANGED
    assert changed.summary == "Alice Owner made you editor in “Alpha”"


def test_invited_with_an_account(alice, oscar, project, deliver):
    invitation = services.member_invite(project=project, by=alice, username="oscar")
    activity = Activity.objects.create(
        project=project,
        actor=alice,
        verb="invited",
        changes={"invitation": invitation.pk, "role": "viewer"},
    )
    handle_activity(activity)
    note = Notification.objects.get(recipient=oscar)
    assert note.kind == Kind.INVITED and note.data == {
        "invitation": invitation.pk,
        "role": "viewer",
    }


def test_invited_address_without_account_gets_no_notification(alice, project):
    pytest.importorskip("notifications.mail")
    invitation = services.member_invite(project=project, by=alice, email="new@example.com")
    activity = Activity.objects.create(
        project=project, actor=alice, verb="invited", changes={"invitation": invitation.pk}
    )
    handle_activity(activity)
    assert Notification.objects.count() == 0


def test_same_activity_twice_notifies_once(alice, erin, project):
    services.task_create(project=project, by=alice, title="Plan", assignee=erin)
    activity = Activity.objects.get()
    handle_activity(activity)
    handle_activity(activity)
    assert Notification.objects.count() == 1
    assert HandledActivity.objects.count() == 1


def test_email_delivery_follows_the_settings(alice, erin, project, deliver):
    NotificationSettings.objects.create(user=erin, email={"assigned": "off"})
    services.task_create(project=project, by=alice, title="Plan", assignee=erin)
    deliver()
    note = Notification.objects.get(recipient=erin)
    assert note.email_delivery == "off" and note.email_state == "none"


def test_no_address_no_email(alice, project, deliver):
    walt = UserFactory(username="walt", email="")
    MembershipFactory(project=project, user=walt, role=Role.EDITOR)
    services.task_create(project=project, by=alice, title="Plan", assignee=walt)
    deliver()
    note = Notification.objects.get(recipient=walt)
    assert note.email_delivery == "off" and note.email_state == "none"


@pytest.mark.parametrize("followers", [5, 50])
def test_fan_out_query_count_is_constant(
    alice, erin, project, task, django_assert_num_queries, followers
):
    people = UserFactory.create_batch(followers)
    for person in people:
        MembershipFactory(project=project, user=person, role=Role.VIEWER)
    Follow.objects.bulk_create([Follow(task=task, user=person) for person in people])
    services.comment_add(task=task, by=alice, body=f"Hello @erin and @{people[0].username}")
    activity = Activity.objects.get(verb="commented")
    # 1 savepoint, 2–3 hold the project and the task, 4 savepoint, 5 the handled row,
    # 6 release, 7 the task, 8 the actor (for the summary), 9 the comment, 10 the followers,
    # 11 the members among the people named, 12 new follows, 13 the recipients' settings,
    # 14 the notifications, 15 release
    with django_assert_num_queries(15):
        handle_activity(activity)
    assert Notification.objects.filter(activity=activity).count() == followers + 1
