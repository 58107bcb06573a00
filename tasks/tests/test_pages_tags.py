"""The tags page: every member reads; editors and owners create, rename, recolour, delete."""

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Tag
from tasks.tests.factories import TagFactory, TaskFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def tags_url(project) -> str:
    return reverse("tasks:tag-list", args=[project.pk])


def update_url(tag) -> str:
    return reverse("tasks:tag-update", args=[tag.pk])


def delete_url(tag) -> str:
    return reverse("tasks:tag-delete", args=[tag.pk])


def test_anonymous_is_sent_to_login(client, project, tag):
    for response in (
        client.get(tags_url(project)),
        client.post(tags_url(project), {"name": "new", "colour": "#000000"}),
        client.post(update_url(tag), {"name": "renamed", "colour": "#000000"}),
        client.post(delete_url(tag)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert list(Tag.objects.values_list("name", flat=True)) == ["bug"]


def test_outsider_gets_404(oscar, project, tag):
    client = client_for(oscar)
    assert client.get(tags_url(project)).status_code == 404
    assert client.post(tags_url(project), {"name": "x", "colour": "#000000"}).status_code == 404
    assert client.get(update_url(tag)).status_code == 404
    assert client.post(update_url(tag), {"name": "x", "colour": "#000000"}).status_code == 404
    assert client.post(delete_url(tag)).status_code == 404
    assert list(Tag.objects.values_list("name", flat=True)) == ["bug"]


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_every_member_sees_the_tags_with_their_use(cast, project, tag, role):
    TaskFactory(project=project, tags=[tag])
    response = client_for(cast[role]).get(tags_url(project))
    assert response.status_code == 200
    html = response.content.decode()
    assert "bug" in html
    assert "1 task" in html
    assert response.context["can_edit"] is (role != "viewer")


def test_viewer_reads_but_every_write_is_403(victor, project, tag):
    client = client_for(victor)
    html = client.get(tags_url(project)).content.decode()
    assert "Create tag" not in html
    assert client.post(tags_url(project), {"name": "mine", "colour": "#000000"}).status_code == 403
    assert client.get(update_url(tag)).status_code == 403
    assert client.post(update_url(tag), {"name": "mine", "colour": "#000000"}).status_code == 403
    assert client.post(delete_url(tag)).status_code == 403
    tag.refresh_from_db()
    assert (tag.name, tag.colour) == ("bug", "#dc2626")


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_editor_and_owner_create_rename_recolour_and_delete(cast, project, role):
    client = client_for(cast[role])
    response = client.post(tags_url(project), {"name": " design ", "colour": "#8b5cf6"})
    assert response.status_code == 302
    tag = Tag.objects.get(project=project)
    assert (tag.name, tag.colour) == ("design", "#8b5cf6")

    response = client.post(update_url(tag), {"name": "ux", "colour": "#0ea5e9"})
    assert response.status_code == 302
    assert response["Location"] == tags_url(project)
    tag.refresh_from_db()
    assert (tag.name, tag.colour) == ("ux", "#0ea5e9")

    assert client.post(delete_url(tag)).status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()


def test_duplicate_name_ignoring_case_is_a_field_error(erin, project, tag):
    response = client_for(erin).post(tags_url(project), {"name": "BUG", "colour": "#000000"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already has a tag" in str(errors["name"])
    assert 'value="BUG"' in response.content.decode()
    assert Tag.objects.count() == 1


def test_renaming_onto_another_tag_is_a_field_error_and_keeps_input(erin, project, tag):
    other = TagFactory(project=project, name="feature")
    response = client_for(erin).post(update_url(other), {"name": "Bug", "colour": "#111111"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    html = response.content.decode()
    assert 'value="Bug"' in html
    other.refresh_from_db()
    assert (other.name, other.colour) == ("feature", Tag.DEFAULT_COLOUR)


def test_same_name_in_another_project_is_fine(erin, project):
    TagFactory(name="bug")
    response = client_for(erin).post(tags_url(project), {"name": "bug", "colour": "#000000"})
    assert response.status_code == 302
    assert Tag.objects.filter(project=project, name="bug").exists()


def test_bad_colour_shows_an_error(erin, project):
    response = client_for(erin).post(tags_url(project), {"name": "odd", "colour": "red"})
    assert response.status_code == 200
    assert "colour" in response.context["form"].errors
    assert not Tag.objects.filter(name="odd").exists()


def test_deleting_a_tag_keeps_its_tasks(erin, project, tag):
    task = TaskFactory(project=project, tags=[tag])
    client_for(erin).post(delete_url(tag))
    task.refresh_from_db()
    assert list(task.tags.all()) == []


def test_delete_asks_first_on_get(erin, project, tag):
    """Without JavaScript the list's Delete button GETs this page; its form POSTs."""
    TaskFactory(project=project, tags=[tag])
    response = client_for(erin).get(delete_url(tag))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Delete the tag “bug”?" in html
    assert "It is removed from 1 task" in html
    assert f'method="post" action="{delete_url(tag)}"' in html
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_delete_confirmation_follows_the_roles(cast, tag):
    assert client_for(None).get(delete_url(tag)).status_code == 302
    assert client_for(cast["outsider"]).get(delete_url(tag)).status_code == 404
    assert client_for(cast["viewer"]).get(delete_url(tag)).status_code == 403
    assert client_for(cast["editor"]).get(delete_url(tag)).status_code == 200
    assert client_for(cast["owner"]).get(delete_url(tag)).status_code == 200
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_list_delete_control_gets_the_confirmation_without_javascript(erin, project, tag):
    html = client_for(erin).get(tags_url(project)).content.decode()
    form = html.split(f'action="{delete_url(tag)}"', 1)[0].rsplit("<form", 1)[1]
    assert 'method="get"' in form


def test_delete_by_htmx_reloads_the_list_with_the_message(erin, project, tag):
    client = client_for(erin)
    response = client.post(delete_url(tag), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == tags_url(project)
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert "Tag “bug” deleted" in client.get(tags_url(project)).content.decode()


def test_tag_writes_require_csrf(erin, project, tag):
    client = Client(enforce_csrf_checks=True)
    client.force_login(erin)
    assert client.post(tags_url(project), {"name": "x", "colour": "#000000"}).status_code == 403
    assert client.post(update_url(tag), {"name": "x", "colour": "#000000"}).status_code == 403
    assert client.post(delete_url(tag)).status_code == 403
    assert list(Tag.objects.values_list("name", flat=True)) == ["bug"]


@pytest.mark.parametrize("tags", [3, 30])
def test_tags_page_query_count_is_constant(erin, project, django_assert_num_queries, tags):
    for number in range(tags):
        TaskFactory(project=project, tags=[TagFactory(project=project, name=f"t{number}")])
    client = client_for(erin)
    # 1 session, 2 user, 3 project with my role, 4 tags with task counts,
    # 5 my projects with task counts (sidebar), 6 the invitations waiting for me (user menu),
    # 7 my unread notifications (inbox badge)
    with django_assert_num_queries(7):
        response = client.get(tags_url(project))
    assert len(response.context["tags"]) == tags
