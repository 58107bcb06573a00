"""Comments on the task page: add, edit and delete your own."""

import pytest
from django.urls import reverse

from tasks.models import Activity, Comment
from tasks.tests.factories import CommentFactory


def add_url(task):
    return reverse("tasks:comment-create", args=[task.pk])


def edit_url(comment):
    return reverse("tasks:comment-update", args=[comment.pk])


def delete_url(comment):
    return reverse("tasks:comment-delete", args=[comment.pk])


@pytest.fixture
def erins_comment(task, erin):
    return CommentFactory(task=task, author=erin, body="Erin's first thought")


def test_anonymous_is_sent_to_login(client, task, erins_comment):
    for response in [
        client.post(add_url(task), {"body": "hi"}),
        client.post(edit_url(erins_comment), {"body": "hi"}),
        client.post(delete_url(erins_comment)),
    ]:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert Comment.objects.count() == 1


def test_outsider_gets_404(client, oscar, task, erins_comment):
    client.force_login(oscar)
    assert client.post(add_url(task), {"body": "hi"}).status_code == 404
    assert client.get(edit_url(erins_comment)).status_code == 404
    assert client.post(edit_url(erins_comment), {"body": "hi"}).status_code == 404
    assert client.post(delete_url(erins_comment)).status_code == 404
    assert Comment.objects.get().body == "Erin's first thought"


def test_viewer_reads_comments_but_cannot_comment(client, victor, task, erins_comment):
    client.force_login(victor)
    html = client.get(task.get_absolute_url()).content.decode()
    assert "Erin's first thought" in html
    assert 'id="comment-form"' not in html
    assert client.post(add_url(task), {"body": "me too"}).status_code == 403
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_writers_comment_and_return_to_the_comment(client, cast, task, role):
    client.force_login(cast[role])
    response = client.post(add_url(task), {"body": "  Looks good  "})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{task.get_absolute_url()}#comment-{comment.pk}"
    assert (comment.body, comment.author) == ("Looks good", cast[role])
    assert Activity.objects.filter(verb="commented", task=task).exists()


def test_comment_by_htmx_returns_the_comment_and_a_fresh_form(client, erin, task):
    client.force_login(erin)
    response = client.post(add_url(task), {"body": "Quick one"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    comment = Comment.objects.get()
    assert f'id="comment-{comment.pk}"' in html
    assert 'id="comment-form"' in html and 'hx-swap-oob="true"' in html
    assert "<html" not in html


def test_comment_by_htmx_updates_the_comment_count(client, erin, task, erins_comment):
    client.force_login(erin)
    page = client.get(reverse("tasks:task-detail", args=[task.pk])).content.decode()
    assert '<span class="count" id="comment-count">1</span>' in page
    response = client.post(add_url(task), {"body": "Second"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert '<span class="count" id="comment-count" hx-swap-oob="true">2</span>' in html


def test_empty_comment_shows_an_error_and_keeps_the_page(client, erin, task):
    client.force_login(erin)
    response = client.post(add_url(task), {"body": "   "})
    assert response.status_code == 200
    assert "Write something first." in response.content.decode()
    assert task.title in response.content.decode()
    assert not Comment.objects.exists()


def test_empty_comment_by_htmx_retargets_the_form(client, erin, task):
    client.force_login(erin)
    response = client.post(add_url(task), {"body": ""}, HTTP_HX_REQUEST="true")
    assert response["HX-Retarget"] == "#comment-form"
    assert "Write something first." in response.content.decode()


def test_comment_is_escaped_with_links(client, erin, task):
    client.force_login(erin)
    client.post(add_url(task), {"body": "<img src=x onerror=alert(1)>\nhttps://example.com"})
    html = client.get(task.get_absolute_url()).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;<br>" in html
    assert '<a href="https://example.com" rel="noopener nofollow ugc">' in html


def test_author_gets_controls_for_own_comments_only(client, alice, erin, task, erins_comment):
    alices = CommentFactory(task=task, author=alice, body="Alice's")
    client.force_login(erin)
    html = client.get(task.get_absolute_url()).content.decode()
    assert edit_url(erins_comment) in html
    assert delete_url(erins_comment) in html
    assert edit_url(alices) not in html
    assert delete_url(alices) not in html


def test_author_edits_own_comment(client, erin, task, erins_comment):
    client.force_login(erin)
    page = client.get(edit_url(erins_comment))
    assert page.status_code == 200
    assert "Erin&#x27;s first thought" in page.content.decode()
    response = client.post(edit_url(erins_comment), {"body": "Second thought"})
    assert response.status_code == 302
    erins_comment.refresh_from_db()
    assert erins_comment.body == "Second thought"
    assert erins_comment.edited_at is not None


def test_edit_by_htmx_returns_the_comment(client, erin, task, erins_comment):
    client.force_login(erin)
    response = client.post(edit_url(erins_comment), {"body": "Changed"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<li class="comment"')
    assert "Changed" in html and "edited" in html


def test_empty_edit_shows_the_error_and_changes_nothing(client, erin, task, erins_comment):
    client.force_login(erin)
    response = client.post(edit_url(erins_comment), {"body": ""})
    assert response.status_code == 200
    assert "Write something first." in response.content.decode()
    erins_comment.refresh_from_db()
    assert erins_comment.body == "Erin's first thought"


def test_others_comments_cannot_be_edited_or_deleted(client, alice, task, erins_comment):
    client.force_login(alice)  # owner of the project, but not the author
    assert client.get(edit_url(erins_comment)).status_code == 403
    assert client.post(edit_url(erins_comment), {"body": "mine now"}).status_code == 403
    assert client.post(delete_url(erins_comment)).status_code == 403
    erins_comment.refresh_from_db()
    assert erins_comment.body == "Erin's first thought"


def test_viewer_cannot_change_even_an_old_own_comment(client, victor, task):
    old = CommentFactory(task=task, author=victor, body="From when I was an editor")
    client.force_login(victor)
    assert client.post(edit_url(old), {"body": "x"}).status_code == 403
    assert client.post(delete_url(old)).status_code == 403
    assert Comment.objects.filter(pk=old.pk).exists()


def test_author_deletes_own_comment(client, erin, task, erins_comment):
    client.force_login(erin)
    response = client.post(delete_url(erins_comment))
    assert response.status_code == 302
    assert response["Location"] == f"{task.get_absolute_url()}#comments"
    assert not Comment.objects.exists()
    assert Activity.objects.filter(verb="comment_deleted").exists()


def test_delete_by_htmx_answers_only_the_new_count(client, erin, task, erins_comment):
    CommentFactory(task=task, author=erin)
    client.force_login(erin)
    response = client.post(delete_url(erins_comment), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    # Nothing in place of the comment (htmx removes it), and the heading's count, out of band.
    html = response.content.decode().strip()
    assert html.startswith('<span class="count" id="comment-count" hx-swap-oob="true">1</span>')
    assert html.count("<") == 2
    assert not Comment.objects.filter(pk=erins_comment.pk).exists()


# ---------------------------------------------------------------------------
# Deleting asks first: without JavaScript the Delete button GETs a confirmation page
# ---------------------------------------------------------------------------
def test_delete_control_asks_for_the_confirmation_page_without_javascript(
    client, erin, task, erins_comment
):
    client.force_login(erin)
    html = client.get(task.get_absolute_url()).content.decode()
    form = html.split(f'action="{delete_url(erins_comment)}"', 1)[0].rsplit("<form", 1)[1]
    assert 'method="get"' in form


def test_anonymous_confirmation_goes_to_login(client, erins_comment):
    response = client.get(delete_url(erins_comment))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_outsider_gets_404_for_the_confirmation(client, oscar, erins_comment):
    client.force_login(oscar)
    assert client.get(delete_url(erins_comment)).status_code == 404


def test_viewer_gets_403_for_the_confirmation_even_of_an_old_own_comment(client, victor, task):
    old = CommentFactory(task=task, author=victor, body="From when I was an editor")
    client.force_login(victor)
    assert client.get(delete_url(old)).status_code == 403


def test_someone_elses_comment_gets_403_for_the_confirmation(client, alice, erins_comment):
    client.force_login(alice)  # owner of the project, but not the author
    assert client.get(delete_url(erins_comment)).status_code == 403


def test_author_sees_the_confirmation_and_nothing_is_deleted_yet(client, erin, erins_comment):
    client.force_login(erin)
    response = client.get(delete_url(erins_comment))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Delete this comment?" in html
    assert "Erin's first thought" in html
    assert f'method="post" action="{delete_url(erins_comment)}"' in html
    assert Comment.objects.filter(pk=erins_comment.pk).exists()
    # The confirmation's form posts back to the same URL, which deletes.
    assert client.post(delete_url(erins_comment)).status_code == 302
    assert not Comment.objects.exists()
