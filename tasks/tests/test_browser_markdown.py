"""
Markdown in a real Chromium: a description and a comment read as formatted text under the
strict content security policy, and the comment preview shows the text before it is posted.

Run: ``.venv/bin/pytest tasks/tests/test_browser_markdown.py -m browser -v``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tasks.models import Comment
from tasks.tests import browser_support
from tasks.tests.browser_support import ConsoleWatcher, build_showcase, sign_in

pytestmark = pytest.mark.browser

browser = browser_support.browser
contexts = browser_support.contexts


def test_markdown_reads_formatted_and_the_comment_preview_posts_nothing(live_server, contexts, db):
    showcase = build_showcase()
    task = showcase.open_task
    task.description = (
        "## Checklist\n- [x] venue\n- [ ] catering\n\n| Item | Cost |\n|:--|--:|\n| Tea | 3 |"
    )
    task.save()
    context = contexts()
    sign_in(context, live_server.url, showcase.owner)
    page = context.new_page()
    console = ConsoleWatcher(page)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")

    description = page.get_by_role("region", name="Description")
    expect(description.get_by_role("heading", name="Checklist")).to_be_visible()
    boxes = description.get_by_role("checkbox")
    expect(boxes).to_have_count(2)
    expect(boxes.first).to_be_checked()
    expect(boxes.first).to_be_disabled()
    expect(description.get_by_role("cell", name="Tea")).to_be_visible()

    before = Comment.objects.count()
    page.get_by_label("Comment", exact=True).fill("**Bold** idea, see https://example.com")
    page.get_by_role("button", name="Preview", exact=True).click()
    preview = page.get_by_role("region", name="Preview of your comment")
    expect(preview.locator("strong")).to_have_text("Bold")
    expect(preview.get_by_role("link", name="https://example.com")).to_have_attribute(
        "rel", "noopener nofollow ugc"
    )
    assert Comment.objects.count() == before
    # The text stays in the box, ready to post.
    expect(page.get_by_label("Comment", exact=True)).to_have_value(
        "**Bold** idea, see https://example.com"
    )
    page.get_by_role("button", name="Comment", exact=True).click()
    comments = page.get_by_role("region", name=re.compile("^Comments")).get_by_role("listitem")
    expect(comments.filter(has_text="idea").locator(".comment-body strong")).to_have_text("Bold")
    assert Comment.objects.count() == before + 1
    console.check("markdown")
