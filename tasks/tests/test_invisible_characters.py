"""
Invisible and text-direction characters in what people name and write: stripped from display
names, project names, task titles, tag names, descriptions and comments on every way in (pages,
API, domain functions); a name that was nothing else is refused like an empty one.
"""

from importlib import import_module

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tasks import services
from tasks.models import Activity, Comment, Project, Tag, Task

pytestmark = pytest.mark.django_db

ZWSP = "\u200b"
RLO = "\u202e"  # right-to-left override: shows the rest of the line reversed
PDF = "\u202c"
FSI, PDI = "\u2068", "\u2069"
ONLY_INVISIBLE = f"{ZWSP}\u200d\ufeff{RLO}\u00ad"
PROGRAMMER = "\U0001f469\u200d\U0001f4bb"  # woman technologist, a ZWJ sequence


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def erin_api(erin, token_client):
    return token_client(erin)


@pytest.fixture
def alice_api(alice, token_client):
    return token_client(alice)


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------
def test_api_project_name_loses_invisibles(erin_api):
    response = erin_api.post("/api/v1/projects/", {"name": f"Ap{ZWSP}ollo{RLO}gpj.exe{PDF}"})
    assert response.status_code == 201
    assert response.json()["name"] == "Apollogpj.exe"
    assert Project.objects.get().name == "Apollogpj.exe"


def test_api_project_name_of_invisibles_only_is_400(erin_api):
    response = erin_api.post("/api/v1/projects/", {"name": ONLY_INVISIBLE})
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert not Project.objects.exists()


def test_api_project_rename_loses_invisibles(alice_api, project):
    response = alice_api.patch(f"/api/v1/projects/{project.pk}/", {"name": f"Beta{FSI}{PDI}"})
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.name == "Beta"


def test_api_task_title_and_description_lose_invisibles(erin_api, project):
    body = {
        "project": project.pk,
        "title": f"{PROGRAMMER} Pay{ZWSP}ment {RLO}fix",
        "description": f"Steps:\n\n1. {RLO}open{PDF} it\n2. close it",
    }
    response = erin_api.post("/api/v1/tasks/", body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["title"] == f"{PROGRAMMER} Payment fix"  # the emoji keeps its joiner
    assert data["description"] == "Steps:\n\n1. open it\n2. close it"
    task = Task.objects.get()
    assert (task.title, task.description) == (data["title"], data["description"])
    assert Activity.objects.get(task=task).task_title == data["title"]


def test_api_task_title_of_invisibles_only_is_400(erin_api, project):
    response = erin_api.post(
        "/api/v1/tasks/", {"project": project.pk, "title": ONLY_INVISIBLE}, format="json"
    )
    assert response.status_code == 400
    assert "title" in response.json()["errors"]
    assert not Task.objects.exists()


def test_api_task_retitled_with_invisibles_only_is_400_and_unchanged(erin_api, task):
    response = erin_api.patch(f"/api/v1/tasks/{task.pk}/", {"title": ONLY_INVISIBLE})
    assert response.status_code == 400
    assert "title" in response.json()["errors"]
    task.refresh_from_db()
    assert (task.title, task.version) == ("Write the README", 1)


def test_api_task_title_plus_invisibles_is_no_change(erin_api, task):
    response = erin_api.patch(f"/api/v1/tasks/{task.pk}/", {"title": f"Write the {ZWSP}README"})
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.version == 1
    assert not Activity.objects.filter(task=task).exists()


def test_api_tag_name_loses_invisibles_and_then_clashes(erin_api, project, tag):
    response = erin_api.post("/api/v1/tags/", {"project": project.pk, "name": f"b{ZWSP}ug"})
    assert response.status_code == 409  # "bug" exists: no invisible twin of it
    response = erin_api.post("/api/v1/tags/", {"project": project.pk, "name": f"{RLO}ui"})
    assert response.status_code == 201
    assert response.json()["name"] == "ui"
    response = erin_api.post("/api/v1/tags/", {"project": project.pk, "name": ONLY_INVISIBLE})
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["bug", "ui"]


def test_api_comment_loses_bidi_controls(erin_api, task):
    url = f"/api/v1/tasks/{task.pk}/comments/"
    response = erin_api.post(url, {"body": f"LGTM {RLO}ok{PDF}\nthanks"})
    assert response.status_code == 201
    assert response.json()["body"] == "LGTM ok\nthanks"
    assert erin_api.post(url, {"body": ONLY_INVISIBLE}).status_code == 400
    assert Comment.objects.count() == 1


def test_api_display_name_loses_invisibles(erin_api, erin):
    response = erin_api.patch("/api/v1/me/", {"display_name": f"Erin{ZWSP} {RLO}Editor"})
    assert response.status_code == 200
    assert response.json()["display_name"] == "Erin Editor"
    erin.refresh_from_db()
    assert erin.display_name == "Erin Editor"


def test_api_token_name_loses_invisibles_and_cannot_be_only_that(erin_api, erin):
    response = erin_api.post("/api/v1/tokens/", {"name": f"C{ZWSP}I{RLO}"})
    assert response.status_code == 201
    assert response.json()["name"] == "CI"
    response = erin_api.post("/api/v1/tokens/", {"name": ONLY_INVISIBLE})
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert sorted(erin.api_tokens.values_list("name", flat=True)) == ["CI", "test"]


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------
def test_page_project_create_with_invisibles_only_shows_the_error_by_the_field(oscar):
    response = client_for(oscar).post(
        reverse("tasks:project-create"), {"name": ONLY_INVISIBLE, "colour": "#10b981"}
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not Project.objects.exists()


def test_page_project_create_strips_invisibles(oscar):
    client_for(oscar).post(
        reverse("tasks:project-create"), {"name": f"Lau{ZWSP}nch{RLO}", "colour": "#10b981"}
    )
    assert Project.objects.get().name == "Launch"


def test_page_task_create_strips_and_refuses(erin, project):
    client = client_for(erin)
    url = reverse("tasks:task-create", args=[project.pk])
    response = client.post(url, {"title": ONLY_INVISIBLE})
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert not Task.objects.exists()
    response = client.post(url, {"title": f"Ship{ZWSP} it{RLO}"})
    assert response.status_code == 302
    assert Task.objects.get().title == "Ship it"


def test_page_tag_create_strips_invisibles(erin, project):
    client = client_for(erin)
    url = reverse("tasks:tag-list", args=[project.pk])
    client.post(url, {"name": f"des{ZWSP}ign", "colour": "#8b5cf6"})
    response = client.post(url, {"name": ONLY_INVISIBLE, "colour": "#8b5cf6"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert list(Tag.objects.values_list("name", flat=True)) == ["design"]


def test_page_token_name_of_invisibles_only_shows_the_error_by_the_field(erin):
    response = client_for(erin).post(reverse("token-create"), {"name": ONLY_INVISIBLE})
    assert response.status_code == 400  # the token page answers a refused form with a 400
    assert "name" in response.context["form"].errors
    assert not erin.api_tokens.exists()


def test_page_comment_strips_bidi_controls(erin, task):
    client = client_for(erin)
    client.post(reverse("tasks:comment-create", args=[task.pk]), {"body": f"{RLO}Looks good"})
    assert Comment.objects.get().body == "Looks good"


def test_page_settings_display_name_loses_invisibles(erin):
    response = client_for(erin).post(
        reverse("settings"),
        {"display_name": f"{RLO}Erin{ZWSP}", "email": erin.email, "time_zone": "UTC"},
    )
    assert response.status_code == 302
    erin.refresh_from_db()
    assert erin.display_name == "Erin"


def test_page_settings_display_name_of_invisibles_only_shows_the_username(erin):
    client_for(erin).post(
        reverse("settings"),
        {"display_name": ONLY_INVISIBLE, "email": erin.email, "time_zone": "UTC"},
    )
    erin.refresh_from_db()
    assert (erin.display_name, erin.name) == ("", "erin")


def test_a_new_account_s_display_name_is_cleaned():
    user = User.objects.create_user("nora", "nora@example.com", "x", display_name=f"No{ZWSP}ra")
    assert user.display_name == "Nora"


# ---------------------------------------------------------------------------
# The domain functions (what the admin and jobs call too)
# ---------------------------------------------------------------------------
def test_services_clean_what_they_store(alice, project, tag):
    renamed = services.project_update(project=project, by=alice, name=f"{RLO}Alpha 2")
    assert renamed.name == "Alpha 2"
    task = services.task_create(
        project=project, by=alice, title=f"T{ZWSP}1", description=f"{FSI}d{PDI}"
    )
    assert (task.title, task.description) == ("T1", "d")
    services.tag_update(tag=tag, by=alice, name=f"bu{ZWSP}gs")
    tag.refresh_from_db()
    assert tag.name == "bugs"


# ---------------------------------------------------------------------------
# What was stored before: the migrations clean it
# ---------------------------------------------------------------------------
def plant(model, pk, **values):
    """Write values as they were stored before the cleaning (the ORM would clean them)."""
    table = model._meta.db_table
    columns = ", ".join(f"{column} = %s" for column in values)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {columns} WHERE id = %s", [*values.values(), pk])


def test_the_migrations_clean_what_was_stored_before(alice, project, task, tag):
    from django.apps import apps

    accounts_migration = import_module("accounts.migrations.0004_usernames_that_look_alike")
    tasks_migration = import_module(
        "tasks.migrations.0006_names_and_texts_without_invisible_characters"
    )
    other = Task.objects.create(
        project=project, title="Other", created_by=alice, position=2048, version=1
    )
    twin = Tag.objects.create(project=project, name="twin")
    plant(Project, project.pk, name=f"{RLO}Alpha", description=f"a{ZWSP}b")
    plant(Task, task.pk, title=f"Write{ZWSP} the README{RLO}")
    plant(Task, other.pk, title=ONLY_INVISIBLE)  # would be empty: left alone
    plant(Tag, tag.pk, name=f"bug{ZWSP}")
    plant(Tag, twin.pk, name=f"BUG{FSI}")  # would clash with "bug": left alone
    plant(User, alice.pk, display_name=f"Alice{RLO}")

    tasks_migration.clean_existing_texts(apps, None)
    accounts_migration.clean_existing_names(apps, None)

    project.refresh_from_db()
    assert (project.name, project.description) == ("Alpha", "ab")
    assert Task.objects.get(pk=task.pk).title == "Write the README"
    assert Task.objects.get(pk=other.pk).title == ONLY_INVISIBLE
    assert Tag.objects.get(pk=tag.pk).name == "bug"
    assert Tag.objects.get(pk=twin.pk).name == f"BUG{FSI}"
    alice.refresh_from_db()
    assert alice.display_name == "Alice"
