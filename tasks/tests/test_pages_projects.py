"""The project pages: list, create, settings, archive, delete."""

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Activity, Membership, Project, Role, Status
from tasks.tests.factories import MembershipFactory, ProjectFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def settings_url(project) -> str:
    return reverse("tasks:project-settings", args=[project.pk])


def delete_url(project) -> str:
    return reverse("tasks:project-delete", args=[project.pk])


# ---------------------------------------------------------------------------
# Anonymous and outsiders
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tasks:project-list", "tasks:project-create"])
def test_anonymous_is_sent_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("name", ["tasks:project-settings", "tasks:project-delete"])
def test_anonymous_is_sent_to_login_from_project_pages(client, project, name):
    response = client.post(reverse(name, args=[project.pk]), {"name": "Hijack"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    project.refresh_from_db()
    assert project.name == "Alpha"


@pytest.mark.parametrize("name", ["tasks:project-settings", "tasks:project-delete"])
def test_outsider_gets_404(oscar, project, name):
    client = client_for(oscar)
    assert client.get(reverse(name, args=[project.pk])).status_code == 404
    assert client.post(reverse(name, args=[project.pk]), {"name": "Mine"}).status_code == 404


def test_unknown_project_is_404(alice):
    assert (
        client_for(alice).get(reverse("tasks:project-settings", args=[999999])).status_code == 404
    )


# ---------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------
def test_list_shows_my_projects_with_role_and_progress(alice, project):
    TaskFactory(project=project, status=Status.DONE)
    TaskFactory(project=project)
    TaskFactory(project=project)
    ProjectFactory(name="Someone else's")
    response = client_for(alice).get(reverse("tasks:project-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alpha" in html
    assert "Someone else&#x27;s" not in html and "Someone else's" not in html
    assert "1/3 done" in html
    assert "2 open" in html
    assert "Owner" in html


def test_list_puts_archived_projects_in_their_own_section(alice, project):
    old = ProjectFactory(name="Old times", is_archived=True)
    MembershipFactory(project=old, user=alice, role=Role.OWNER)
    response = client_for(alice).get(reverse("tasks:project-list"))
    assert [p.name for p in response.context["active_projects"]] == ["Alpha"]
    assert [p.name for p in response.context["archived_projects"]] == ["Old times"]


def test_list_empty_state_offers_to_create_a_project(oscar):
    response = client_for(oscar).get(reverse("tasks:project-list"))
    assert "Create your first project" in response.content.decode()


def make_projects(user, projects: int, tasks_each: int) -> None:
    for _ in range(projects):
        project = ProjectFactory(created_by=user)
        MembershipFactory(project=project, user=user, role=Role.EDITOR)
        TaskFactory.create_batch(tasks_each, project=project)


@pytest.mark.parametrize(("projects", "tasks_each"), [(3, 10), (3, 200), (30, 10)])
def test_list_query_count_is_constant(django_assert_num_queries, projects, tasks_each):
    user = UserFactory()
    make_projects(user, projects, tasks_each)
    client = client_for(user)
    # 1 session, 2 user, 3 my projects with task counts (shared by the list and the sidebar),
    # 4 the invitations waiting for me (user menu), 5 my unread notifications (inbox badge)
    with django_assert_num_queries(5):
        response = client.get(reverse("tasks:project-list"))
    assert response.status_code == 200
    assert len(response.context["active_projects"]) == projects


# ---------------------------------------------------------------------------
# Create
# ---------------------------------------------------------------------------
def test_create_makes_me_owner_and_redirects_to_the_project(oscar):
    response = client_for(oscar).post(
        reverse("tasks:project-create"),
        {"name": "  Launch  ", "description": "Go live", "colour": "#10b981"},
    )
    project = Project.objects.get(name="Launch")
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:project-detail", args=[project.pk])
    assert project.colour == "#10b981"
    assert project.created_by == oscar
    assert Membership.objects.get(project=project, user=oscar).role == Role.OWNER


def test_create_form_shows_errors_and_keeps_input(oscar):
    response = client_for(oscar).post(
        reverse("tasks:project-create"),
        {"name": "   ", "description": "Kept text", "colour": "blue"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "name" in form.errors
    assert "colour" in form.errors
    html = response.content.decode()
    assert "Kept text" in html
    assert not Project.objects.exists()


def test_create_requires_csrf(oscar):
    client = Client(enforce_csrf_checks=True)
    client.force_login(oscar)
    response = client.post(reverse("tasks:project-create"), {"name": "No token"})
    assert response.status_code == 403
    assert not Project.objects.filter(name="No token").exists()


# ---------------------------------------------------------------------------
# Settings: rename, recolour, archive
# ---------------------------------------------------------------------------
def test_owner_sees_settings_with_current_values(alice, project):
    response = client_for(alice).get(settings_url(project))
    assert response.status_code == 200
    assert response.context["form"].initial["name"] == "Alpha"


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editor_and_viewer_get_403_on_settings(cast, project, role):
    client = client_for(cast[role])
    assert client.get(settings_url(project)).status_code == 403
    response = client.post(settings_url(project), {"name": "Taken", "colour": "#000000"})
    assert response.status_code == 403
    assert client.post(settings_url(project), {"action": "archive"}).status_code == 403
    project.refresh_from_db()
    assert (project.name, project.is_archived) == ("Alpha", False)


def test_owner_renames_and_recolours(alice, project):
    response = client_for(alice).post(
        settings_url(project), {"name": "Alpha 2", "description": "New", "colour": "#ef4444"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.description, project.colour) == ("Alpha 2", "New", "#ef4444")


def test_settings_errors_keep_input_and_change_nothing(alice, project):
    response = client_for(alice).post(
        settings_url(project), {"name": "", "description": "Typed", "colour": "#12345"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "colour"}
    assert "Typed" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Alpha"


def test_owner_archives_and_unarchives(alice, project):
    client = client_for(alice)
    client.post(settings_url(project), {"action": "archive"})
    project.refresh_from_db()
    assert project.is_archived
    client.post(settings_url(project), {"action": "unarchive"})
    project.refresh_from_db()
    assert not project.is_archived


def test_settings_require_csrf(alice, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(settings_url(project), {"action": "archive"}).status_code == 403
    project.refresh_from_db()
    assert not project.is_archived


# ---------------------------------------------------------------------------
# Delete
# ---------------------------------------------------------------------------
def test_delete_page_asks_for_the_name(alice, project):
    response = client_for(alice).get(delete_url(project))
    assert response.status_code == 200
    assert "Type “Alpha” exactly to confirm." in response.content.decode()


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editor_and_viewer_cannot_delete(cast, project, role):
    client = client_for(cast[role])
    assert client.get(delete_url(project)).status_code == 403
    assert client.post(delete_url(project), {"confirm_name": "Alpha"}).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_wrong_name_deletes_nothing(alice, project, task):
    response = client_for(alice).post(delete_url(project), {"confirm_name": "alpha"})
    assert response.status_code == 200
    assert "confirm_name" in response.context["form"].errors
    assert 'value="alpha"' in response.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()


def test_owner_deletes_with_the_exact_name(alice, project, task):
    response = client_for(alice).post(delete_url(project), {"confirm_name": "Alpha"})
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:project-list")
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Activity.objects.filter(project_id=project.pk).exists()


def test_delete_requires_csrf(alice, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(delete_url(project), {"confirm_name": "Alpha"}).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()
