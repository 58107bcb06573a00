"""
What the route × role matrices (``test_matrix_pages``, ``test_matrix_api``, ``test_matrix_admin``)
share: one world built once per module, the rows of the matrix, and DESIGN §4 as a function.

The world has two projects with the same cast and contents: ``alpha`` (active) and ``attic``
(archived). Rows:

- ``anonymous``; ``outsider`` (oscar, signed up, member of nothing); ``staff`` (is_staff, no
  model permissions, member of nothing); ``viewer`` (victor), ``editor`` (erin), ``owner``
  (alice) in ``alpha``; an open invitation to each project is addressed to oscar;
- ``archived-viewer``, ``archived-editor``, ``archived-owner``: the same people, on the same
  routes, pointed at ``attic``.

The admin matrix adds ``viewonly`` (staff with the view permission of every model) and
``superuser``.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.contrib.auth.models import Permission
from django.shortcuts import resolve_url

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
ROWS = ["anonymous", "outsider", "staff", *MEMBER_ROWS, *ARCHIVED_ROWS]

LOGIN = "login"  # an outcome: sent to the log-in page
OK = "ok"  # an outcome: allowed (2xx, or a redirect anywhere but the log-in page)

RANK = {"viewer": 1, "editor": 2, "owner": 3}


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


def build_world() -> World:
    alice = UserFactory(username="m-alice", display_name="Alice Owner")
    erin = UserFactory(username="m-erin", display_name="Erin Editor")
    victor = UserFactory(username="m-victor", display_name="Victor Viewer")
    oscar = UserFactory(username="m-oscar", display_name="Oscar Outsider")
    stan = UserFactory(username="m-stan", display_name="Stan Staff", is_staff=True)
    vera = UserFactory(username="m-vera", display_name="Vera Viewonly", is_staff=True)
    vera.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    root = UserFactory(username="m-root", is_staff=True, is_superuser=True)
    walt = UserFactory(username="m-walt", display_name="Walt Member")
    newcomer = UserFactory(username="m-newcomer")
    token, _ = make_token(alice, name="alice's laptop")
    people = {
        "anonymous": None,
        "outsider": oscar,
        "staff": stan,
        "viewonly": vera,
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
            "invitation": invitation.pk,
        }
    # Archived the way the product does it, after its contents exist.
    Project.objects.filter(pk=projects["attic"].pk).update(is_archived=True)
    users = [alice, erin, victor, oscar, stan, vera, root, walt, newcomer]
    return World(people=people, projects=projects, ids=ids, created=users)


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
    users = User.objects.filter(pk__in=[user.pk for user in world.created])
    ApiToken.objects.filter(user__in=users).delete()
    users.delete()


def expected(row: str, *, needs: str, write: bool, archived_ok: bool = False):
    """
    DESIGN §4 for one row on a route inside a project: ``needs`` is the least role
    (``viewer``/``editor``/``owner``, or ``author``: erin's comment). Anonymous → log in,
    non-members → 404, a role too low → 403; in an archived project every write is 403 except
    the ones ``archived_ok`` (unarchive, delete).
    """
    if row == "anonymous":
        return LOGIN
    if row in ("outsider", "staff"):
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
