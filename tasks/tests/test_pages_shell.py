"""The page frame every page shares: sidebar, "New task", user menu, CSP, error pages."""

import json
import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tasks.models import Role
from tasks.tests.factories import MembershipFactory, ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db

# A script without src= runs inline, unless it is a JSON data block (the passkey sign-in's).
INLINE_SCRIPT = re.compile(
    r'<script(?![^>]*\bsrc=)(?![^>]*\btype="application/json")[^>]*>', re.IGNORECASE
)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=|\shx-on", re.IGNORECASE)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def assert_no_inline_code(html: str) -> None:
    """What the Content-Security-Policy would block: inline scripts, styles, handlers."""
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html).group(0)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)


def test_signed_in_pages_send_a_strict_csp_and_carry_no_inline_code(alice, project, tag):
    client = client_for(alice)
    urls = [
        reverse("tasks:project-list"),
        reverse("tasks:project-create"),
        reverse("tasks:project-settings", args=[project.pk]),
        reverse("tasks:project-delete", args=[project.pk]),
        reverse("tasks:member-list", args=[project.pk]),
        reverse("tasks:tag-list", args=[project.pk]),
        reverse("tasks:tag-update", args=[tag.pk]),
        reverse("settings"),
        reverse("tokens"),
        reverse("account_change_password"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert_no_inline_code(response.content.decode())


def test_anonymous_pages_carry_no_inline_code(client):
    for name in ("account_login", "account_signup", "account_reset_password"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert_no_inline_code(response.content.decode())


def test_frame_loads_htmx_from_django_htmx_without_inline_styles(alice):
    html = client_for(alice).get(reverse("tasks:project-list")).content.decode()
    assert "django_htmx/htmx-2.min.js" in html
    config = json.loads(re.search(r'name="htmx-config" content=\'([^\']+)\'', html)[1])
    assert config["includeIndicatorStyles"] is False
    # Settling would copy a style attribute (put on a field by the browser or an extension)
    # onto swapped-in content: an inline style, which the CSP refuses.
    assert "style" not in config["attributesToSettle"]
    assert re.search(r'hx-headers=\'\{"X-CSRFToken": "[A-Za-z0-9]+"\}\'', html)


def test_sidebar_lists_my_projects_with_open_counts_and_folds_archived_ones(alice, project):
    TaskFactory(project=project)
    TaskFactory(project=project, status="done")
    archived = ProjectFactory(name="Old times", is_archived=True)
    MembershipFactory(project=archived, user=alice, role=Role.VIEWER)
    ProjectFactory(name="Not mine")
    html = client_for(alice).get(reverse("settings")).content.decode()
    sidebar = html[html.index('id="sidebar"') : html.index("</nav>", html.index('id="sidebar"'))]
    assert "Alpha" in sidebar
    assert '1<span class="visually-hidden"> open</span>' in sidebar
    assert "<details" in sidebar and "Old times" in sidebar.split("<details")[1]
    assert "Not mine" not in html
    assert "New project" in sidebar


def test_new_task_links_to_the_current_project_for_editors(erin, project):
    html = client_for(erin).get(reverse("tasks:tag-list", args=[project.pk])).content.decode()
    assert f'href="{reverse("tasks:task-create", args=[project.pk])}" data-shortcut="n"' in html


def test_new_task_offers_only_projects_i_can_write_in(victor, project):
    mine = ProjectFactory(name="Mine")
    MembershipFactory(project=mine, user=victor, role=Role.EDITOR)
    html = client_for(victor).get(reverse("tasks:member-list", args=[project.pk])).content.decode()
    menu = html[html.index("new-task-menu") : html.index("</details>", html.index("new-task-menu"))]
    assert reverse("tasks:task-create", args=[mine.pk]) in menu
    assert reverse("tasks:task-create", args=[project.pk]) not in menu


def test_new_task_without_projects_leads_to_creating_one(oscar):
    html = client_for(oscar).get(reverse("settings")).content.decode()
    assert f'href="{reverse("tasks:project-create")}" data-shortcut="n"' in html


def test_user_menu_logs_out_with_a_post_and_shows_admin_to_staff_only(alice, staff):
    html = client_for(alice).get(reverse("settings")).content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/">', html)
    assert reverse("admin:index") not in html
    assert reverse("admin:index") in client_for(staff).get(reverse("settings")).content.decode()


def test_404_page_is_styled_and_reveals_nothing(oscar, project):
    response = client_for(oscar).get(reverse("tasks:member-list", args=[project.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html
    assert "Alpha" not in html


def test_403_page_says_which_role_is_needed(victor, project):
    response = client_for(victor).get(reverse("tasks:project-settings", args=[project.pk]))
    assert response.status_code == 403
    assert "This needs the owner role in “Alpha”." in response.content.decode()


def test_500_page_renders_without_any_context():
    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert_no_inline_code(html)


def test_anonymous_404_has_the_bare_frame(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html
    assert 'id="sidebar"' not in html
