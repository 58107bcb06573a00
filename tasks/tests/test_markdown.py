"""Markdown in descriptions and comments: what it renders, what it refuses, where it shows."""

import threading
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tasks.markdown import render
from tasks.models import Comment, Task
from tasks.tests.factories import CommentFactory

TASKS = "/api/v1/tasks/"
REL = 'rel="noopener nofollow ugc"'


def parse(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element of ``html`` as a browser would read it: (tag, attributes)."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(str(html))
    return found


# ---------------------------------------------------------------------------
# What renders
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Plan", "<h1>Plan</h1>"),
        ("### Step", "<h3>Step</h3>"),
        ("**bold** and _soft_", "<p><strong>bold</strong> and <em>soft</em></p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("~~gone~~", "<p><s>gone</s></p>"),
        ("Say `<b>`", "<p>Say <code>&lt;b&gt;</code></p>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        (
            "```\n<script>alert(1)</script>\n```",
            "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>",
        ),
        (
            "```python\nprint(1 < 2)\n```",
            '<pre><code class="language-python">print(1 &lt; 2)\n</code></pre>',
        ),
        (
            "See https://example.com/a?b=1",
            f'<p>See <a href="https://example.com/a?b=1" {REL}>https://example.com/a?b=1</a></p>',
        ),
        (
            "Mail ann@example.com",
            f'<p>Mail <a href="mailto:ann@example.com" {REL}>ann@example.com</a></p>',
        ),
        ("[docs](https://example.com)", f'<p><a href="https://example.com" {REL}>docs</a></p>'),
        ("", ""),
    ],
)
def test_rendering(text, expected):
    assert render(text).strip() == expected


def test_task_lists_render_as_disabled_checkboxes():
    html = render("- [ ] buy milk\n- [x] pay rent")
    assert '<ul class="contains-task-list">' in html
    boxes = html.count('<input class="task-list-item-checkbox"')
    assert boxes == 2
    assert html.count('disabled="disabled"') == 2
    assert html.count('checked="checked"') == 1
    assert "buy milk" in html and "pay rent" in html


def test_tables():
    html = render("| Item | Cost |\n|:-----|-----:|\n| Tea | 3 |")
    assert "<table>" in html
    assert "<th>Item</th>" in html and "<th>Cost</th>" in html
    assert "<td>Tea</td>" in html and "<td>3</td>" in html
    # Alignment would be an inline style, which the content security policy refuses.
    assert "style" not in html


def test_plain_text_with_newlines_reads_as_before():
    html = render("First line\nsecond line\n\nNew paragraph")
    assert html.strip() == "<p>First line<br>\nsecond line</p>\n<p>New paragraph</p>"


def test_every_link_gets_rel():
    html = render("[a](https://a.example) https://b.example <https://c.example> [m](mailto:x@y.z)")
    assert html.count("<a ") == 4
    assert html.count(REL) == 4
    assert "target=" not in html


# ---------------------------------------------------------------------------
# What is refused
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](data:image/svg+xml,<svg onload=alert(1)>)",
        "![x](javascript:alert(1))",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "[x](vbscript:msgbox(1))",
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<div style="position:fixed">x</div>',
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
        "<!-- comment --><svg/onload=alert(1)>",
    ],
)
def test_xss(text):
    elements = parse(render(text))
    for tag, attributes in elements:
        assert tag in {"p", "a", "br", "code", "pre", "em", "strong"}, tag
        for name, value in attributes:
            assert not name.startswith("on")
            assert name not in {"src", "style", "srcdoc"}
            if name == "href":
                assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"}


def test_a_markdown_link_to_javascript_has_no_href():
    html = render("[click](javascript:alert(1)) and [ok](https://example.com)")
    assert html.count("href=") == 1
    assert 'href="https://example.com"' in html


def test_an_attribute_breakout_stays_inside_the_title():
    html = render('[x](https://example.com "a\\" onmouseover=\\"alert(1)")')
    assert 'title="a&quot; onmouseover=&quot;alert(1)"' in html


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------
def test_the_task_page_shows_rendered_description_and_comments(client, erin, task):
    task.description = "## Steps\n- [x] plan\n<script>alert(1)</script>"
    task.save()
    CommentFactory(task=task, author=erin, body="**Done** see https://example.com")
    client.force_login(erin)
    html = client.get(task.get_absolute_url()).content.decode()
    assert "<h2>Steps</h2>" in html
    assert 'class="task-list-item-checkbox"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "<strong>Done</strong>" in html
    assert f'<a href="https://example.com" {REL}>' in html


def test_markdown_costs_the_task_page_no_query(client, erin, task, django_assert_num_queries):
    task.description = "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [ ] x"
    task.save()
    CommentFactory(task=task, author=erin, body="*one*")
    CommentFactory(task=task, author=erin, body="*two*")
    client.force_login(erin)
    client.get(task.get_absolute_url())
    # As many as test_pages_task_detail.test_task_page_query_count_is_constant pins.
    with django_assert_num_queries(13):
        response = client.get(task.get_absolute_url())
    assert "<em>two</em>" in response.content.decode()


def test_task_preview_renders_and_saves_nothing(client, erin, task):
    client.force_login(erin)
    url = reverse("tasks:task-update", args=[task.pk])
    form = client.get(url).content.decode()
    assert 'name="preview"' in form
    before = (task.title, task.description, task.version)
    response = client.post(
        url,
        {
            "title": "Renamed",
            "description": "**bold** plan",
            "status": task.status,
            "priority": task.priority,
            "version": task.version,
            "recurrence_mode": "from_due",
            "preview": "1",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>bold</strong> plan" in html
    assert "**bold** plan" in html  # still in the textarea, to go on editing
    task.refresh_from_db()
    assert (task.title, task.description, task.version) == before


def test_new_task_preview_saves_nothing(client, erin, project):
    client.force_login(erin)
    url = reverse("tasks:task-create", args=[project.pk])
    response = client.post(url, {"title": "New", "description": "~~old~~", "preview": "1"})
    assert response.status_code == 200
    assert "<s>old</s>" in response.content.decode()
    assert not Task.objects.filter(title="New").exists()


def test_comment_preview_renders_and_saves_nothing(client, erin, task):
    client.force_login(erin)
    url = reverse("tasks:comment-create", args=[task.pk])
    page = client.get(task.get_absolute_url()).content.decode()
    assert 'name="preview"' in page
    response = client.post(url, {"body": "_maybe_ later", "preview": "1"})
    assert response.status_code == 200
    assert "<em>maybe</em> later" in response.content.decode()
    response = client.post(url, {"body": "_maybe_ later", "preview": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#comment-form"
    assert response["HX-Reswap"] == "outerHTML"
    assert "<em>maybe</em> later" in response.content.decode()
    assert not Comment.objects.exists()


def test_the_pages_refuse_an_overlong_description_or_comment(client, erin, task):
    client.force_login(erin)
    response = client.post(
        reverse("tasks:task-update", args=[task.pk]),
        {
            "title": task.title,
            "description": "a" * (Task.DESCRIPTION_MAX_LENGTH + 1),
            "status": task.status,
            "priority": task.priority,
            "version": task.version,
            "recurrence_mode": "from_due",
        },
    )
    assert response.status_code == 200
    assert "at most 20000 characters" in response.content.decode()
    response = client.post(
        reverse("tasks:comment-create", args=[task.pk]),
        {"body": "a" * (Comment.BODY_MAX_LENGTH + 1)},
    )
    assert response.status_code == 200
    assert "at most 10000 characters" in response.content.decode()
    task.refresh_from_db()
    assert task.description == ""
    assert not Comment.objects.exists()


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------
@pytest.fixture
def api(erin, token_client):
    return token_client(erin)


def test_api_description_html(api, project):
    response = api.post(
        TASKS,
        {"project": project.pk, "title": "x", "description": "- [ ] a\n<img src=x onerror=1>"},
        format="json",
    )
    assert response.status_code == 201
    html = response.json()["description_html"]
    assert 'class="task-list-item-checkbox"' in html
    assert "<img" not in html
    # Read-only: sending it changes nothing.
    url = response.json()["url"]
    response = api.patch(url, {"description_html": "<b>x</b>"}, format="json")
    assert response.status_code == 200
    assert "<b>" not in response.json()["description_html"]


def test_api_body_html(api, task):
    response = api.post(f"{TASKS}{task.pk}/comments/", {"body": "**yes**"}, format="json")
    assert response.status_code == 201
    assert response.json()["body_html"].strip() == "<p><strong>yes</strong></p>"


def test_api_schema_states_the_rendered_fields(api):
    schema = api.get("/api/v1/schema/?format=json").json()["components"]["schemas"]
    assert schema["Task"]["properties"]["description_html"]["readOnly"] is True
    assert schema["Comment"]["properties"]["body_html"]["readOnly"] is True
    assert "description_html" not in schema.get("PatchedTaskRequest", {}).get("properties", {})


def test_api_refuses_overlong_text_and_saves_nothing(api, project, task):
    response = api.post(
        TASKS,
        {"project": project.pk, "title": "x", "description": "a" * 20_001},
        format="json",
    )
    assert response.status_code == 400
    assert "description" in response.json()["errors"]
    response = api.post(f"{TASKS}{task.pk}/comments/", {"body": "a" * 10_001}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    # Ten megabytes are refused before they are read.
    response = api.post(f"{TASKS}{task.pk}/comments/", {"body": "a" * 10_000_000}, format="json")
    assert response.status_code == 413
    assert not Comment.objects.exists()
    assert not project.tasks.filter(title="x").exists()


def test_comment_edit_preview_saves_nothing(client, erin, task):
    comment = CommentFactory(task=task, author=erin, body="first")
    client.force_login(erin)
    url = reverse("tasks:comment-update", args=[comment.pk])
    assert 'name="preview"' in client.get(url).content.decode()
    response = client.post(url, {"body": "# changed", "preview": "1"})
    assert response.status_code == 200
    assert "<h1>changed</h1>" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "first"
    assert comment.edited_at is None


def test_threads_rendering_at_once_get_their_own_links():
    texts = [f"see https://ex{i}.example.com/p and u{i}@x{i}.com " * 10 for i in range(200)]
    wrong = []

    def work(start):
        for i in range(start, len(texts), 4):
            html = render(texts[i])
            if html.count(f'href="https://ex{i}.example.com/p"') != 10:
                wrong.append(i)
            if html.count(f'href="mailto:u{i}@x{i}.com"') != 10:
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(start,)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
