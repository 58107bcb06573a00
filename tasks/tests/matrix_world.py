"""
What the route × role matrices (``test_matrix_pages``, ``test_matrix_api``, ``test_matrix_admin``)
share: one world built once per module, the rows of the matrix, and DESIGN §4 as a function.

The world has two projects with the same cast and contents: ``alpha`` (active) and ``attic``
(archived). Rows:

- ``anonymous``; ``outsider`` (oscar, signed up, member of nothing); ``staff`` (is_staff, no
  model permissions, member of nothing); ``clerk`` (staff holding every model permission but
  no superuser, member of nothing); ``viewer`` (victor), ``editor`` (erin), ``owner`` (alice)
  in ``alpha``; an open invitation to each project is addressed to oscar;
- ``archived-viewer``, ``archived-editor``, ``archived-owner``: the same people, on the same
  routes, pointed at ``attic``.

The admin matrix adds the other staff rows of ``STAFF_GRANTS``, each holding only some model
permissions (``viewonly`` may view every model, ``userclerk`` view and change people and
their tokens, ``taskreader`` view what the tasks app holds, ``groupclerk`` everything about
groups and is in the ``group``), and ``superuser``. Its targets besides the project's rows:
``walt`` (an ordinary account), ``root`` (the superuser, with a token ``root_token``) and
``colleague`` (staff with a permission of their own); walt's and root's e-mail address, second
factor, linked sign-in and its token (``walt_address``, ``root_factor``…).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.shortcuts import resolve_url
from django.utils import timezone

from accounts.models import ApiToken, User
from tasks.models import Activity, Comment, Invitation, Membership, Project, Role, Tag, Task
from tasks.tests.factories import (
    ActivityFactory,
    CommentFactory,
    InvitationFactory,
    MembershipFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
    make_token,
)

MEMBER_ROWS = ["viewer", "editor", "owner"]
ARCHIVED_ROWS = [f"archived-{role}" for role in MEMBER_ROWS]
#: Signed in but in no project: model permissions open the admin, never a project.
NON_MEMBERS = ("outsider", "staff", "clerk")
ROWS = ["anonymous", *NON_MEMBERS, *MEMBER_ROWS, *ARCHIVED_ROWS]

LOGIN = "login"  # an outcome: sent to the log-in page
OK = "ok"  # an outcome: allowed (2xx, or a redirect anywhere but the log-in page)

RANK = {"viewer": 1, "editor": 2, "owner": 3}


#: Which model permissions someone holds: ``(app_label, model_name, action)`` → holds
#: ``<app_label>.<action>_<model_name>``.
Holds = Callable[[str, str, str], bool]

#: The staff rows of the admin matrix that are no superusers, and the model permissions each
#: holds (besides ``is_staff``); a row holds exactly the permissions its function accepts.
STAFF_GRANTS: dict[str, Holds] = {
    "staff": lambda app, model, action: False,
    "viewonly": lambda app, model, action: action == "view",
    "userclerk": lambda app, model, action: (
        model in ("user", "apitoken") and app == "accounts" and action in ("view", "change")
    ),
    "taskreader": lambda app, model, action: app == "tasks" and action == "view",
    "groupclerk": lambda app, model, action: (app, model) == ("auth", "group"),
    "clerk": lambda app, model, action: True,
}


def grant(user: User, holds: Holds) -> None:
    """Give ``user`` exactly the model permissions ``holds(app, model, action)`` accepts."""
    permissions = Permission.objects.select_related("content_type")
    user.user_permissions.set(
        [
            permission
            for permission in permissions
            if holds(
                permission.content_type.app_label,
                permission.content_type.model,
                permission.codename.split("_", 1)[0],
            )
        ]
    )


@dataclasses.dataclass
class World:
    people: dict[str, User | None]
    projects: dict[str, Project]  # "alpha", "attic"
    ids: dict[str, dict[str, int | str]]  # per project: placeholder → value
    created: list

    def person(self, row: str) -> User | None:
        return self.people[row.removeprefix("archived-")]

    def ids_for(self, row: str) -> dict[str, int | str]:
        return self.ids["attic" if row.startswith("archived-") else "alpha"]


def personal_rows(person: User, name: str) -> dict[str, int]:
    """What django-allauth keeps for ``person``: ``<name>_address``, ``_factor``, ``_link``…"""
    linked = SocialAccount.objects.create(user=person, provider="openid_connect", uid=name)
    return {
        f"{name}_address": EmailAddress.objects.get(user=person, primary=True).pk,
        f"{name}_factor": Authenticator.objects.create(
            user=person, type=Authenticator.Type.TOTP, data={"secret": "A" * 32}
        ).pk,
        f"{name}_link": linked.pk,
        f"{name}_link_token": SocialToken.objects.create(account=linked, token=name).pk,
    }


def build_world() -> World:
    alice = UserFactory(username="m-alice", display_name="Alice Owner")
    erin = UserFactory(username="m-erin", display_name="Erin Editor")
    victor = UserFactory(username="m-victor", display_name="Victor Viewer")
    oscar = UserFactory(username="m-oscar", display_name="Oscar Outsider")
    staff = {}
    for row, holds in STAFF_GRANTS.items():
        staff[row] = UserFactory(username=f"m-{row}", display_name=row.title(), is_staff=True)
        grant(staff[row], holds)
    group = Group.objects.create(name="m-support")
    staff["groupclerk"].groups.add(group)
    root = UserFactory(username="m-root", is_staff=True, is_superuser=True)
    colleague = UserFactory(username="m-colleague", is_staff=True)
    grant(colleague, lambda app, model, action: (model, action) == ("project", "delete"))
    walt = UserFactory(username="m-walt", display_name="Walt Member")
    newcomer = UserFactory(username="m-newcomer")
    token, _ = make_token(alice, name="alice's laptop")
    root_token, _ = make_token(root, name="root's laptop")
    personal = {**personal_rows(walt, "walt"), **personal_rows(root, "root")}
    people = {
        "anonymous": None,
        "outsider": oscar,
        **staff,
        "superuser": root,
        "viewer": victor,
        "editor": erin,
        "owner": alice,
    }
    projects, ids = {}, {}
    for name in ("alpha", "attic"):
        project = ProjectFactory(name=name.title(), created_by=alice)
        MembershipFactory(project=project, user=alice, role=Role.OWNER)
        MembershipFactory(project=project, user=erin, role=Role.EDITOR)
        MembershipFactory(project=project, user=victor, role=Role.VIEWER)
        walt_membership = MembershipFactory(project=project, user=walt, role=Role.VIEWER)
        tag = TagFactory(project=project, name="bug", colour="#dc2626")
        task = TaskFactory(project=project, title="Write the README", created_by=alice)
        comment = CommentFactory(task=task, author=erin, body="Looks good")
        activity = ActivityFactory(task=task, actor=alice)
        # Addressed to the outsider: only he may answer it, only owners may cancel it.
        invitation = InvitationFactory(project=project, invitee=oscar, address="m-oscar")
        # alice's own: nobody else learns they exist. (By name: tasks knows no other app.)
        notification = apps.get_model("notifications", "Notification").objects.create(
            recipient=alice, kind="commented", project=project, task=task, actor=erin
        )
        reminder = apps.get_model("notifications", "Reminder").objects.create(
            task=task, user=alice, remind_at=timezone.now() + datetime.timedelta(days=1)
        )
        projects[name] = project
        ids[name] = {
            "project": project.pk,
            "task": task.pk,
            "version": task.version,
            "tag": tag.pk,
            "comment": comment.pk,
            "activity": activity.pk,
            "walt": walt.pk,
            "membership": walt_membership.pk,
            "newcomer": newcomer.pk,
            "token": token.pk,
            "user": walt.pk,
            "root": root.pk,
            "root_token": root_token.pk,
            "colleague": colleague.pk,
            "group": group.pk,
            "invitation": invitation.pk,
            "notification": notification.pk,
            "reminder": reminder.pk,
            **personal,
        }
    # Archived the way the product does it, after its contents exist.
    Project.objects.filter(pk=projects["attic"].pk).update(is_archived=True)
    users = [alice, erin, victor, oscar, *staff.values(), root, colleague, walt, newcomer]
    return World(people=people, projects=projects, ids=ids, created=[*users, group])


def destroy_world(world: World) -> None:
    projects = Project.objects.filter(pk__in=[p.pk for p in world.projects.values()])
    tasks = Task.objects.filter(project__in=projects)
    Activity.objects.filter(task__in=tasks).delete()
    Comment.objects.filter(task__in=tasks).delete()
    tasks.delete()
    Tag.objects.filter(project__in=projects).delete()
    Invitation.objects.filter(project__in=projects).delete()
    Membership.objects.filter(project__in=projects).delete()
    projects.delete()
    users = User.objects.filter(pk__in=[row.pk for row in world.created if isinstance(row, User)])
    ApiToken.objects.filter(user__in=users).delete()
    users.delete()
    Group.objects.filter(
        pk__in=[row.pk for row in world.created if isinstance(row, Group)]
    ).delete()


def expected(row: str, *, needs: str, write: bool, archived_ok: bool = False):
    """
    DESIGN §4 for one row on a route inside a project: ``needs`` is the least role
    (``viewer``/``editor``/``owner``, or ``author``: erin's comment). Anonymous → log in,
    non-members → 404, a role too low → 403; in an archived project every write is 403 except
    the ones ``archived_ok`` (unarchive, delete).
    """
    if row == "anonymous":
        return LOGIN
    if row in NON_MEMBERS:
        return 404
    role = row.removeprefix("archived-")
    if row.startswith("archived-") and write and not archived_ok:
        return 403
    if needs == "author":
        return OK if role == "editor" else 403
    return OK if RANK[role] >= RANK[needs] else 403


def outcome(response, login_url: str | None = None):
    """A response as the matrix compares it: ``login``, ``ok`` or the refusal's status code."""
    login_url = login_url or resolve_url(settings.LOGIN_URL)
    location = response.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith(login_url):
        return LOGIN
    if 200 <= response.status_code < 400:
        return OK
    return response.status_code
