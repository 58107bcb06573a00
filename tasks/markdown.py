"""
Markdown in task descriptions and comments, rendered on the server.

CommonMark with tables, strikethrough, task lists and autolinks. Raw HTML is off in the parser
and the output goes through an allow-list sanitiser (nh3) as well, so that neither a parser
quirk nor a plugin can let markup through: only the tags these features produce survive, links
keep only ``http``, ``https`` and ``mailto`` targets and carry ``rel="noopener nofollow ugc"``.
Single newlines are line breaks, so plain text written before Markdown reads as it did.
"""

from __future__ import annotations

import functools
import threading

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin

#: Text past this is not rendered (the forms and the API refuse far less than this).
RENDER_MAX_LENGTH = 100_000


def _build_parser() -> MarkdownIt:
    parser = (
        MarkdownIt(
            "commonmark", {"html": False, "breaks": True, "linkify": True, "typographer": False}
        )
        .enable(["table", "strikethrough", "linkify"])
        .use(tasklists_plugin, enabled=False)
    )
    # Autolinks only for web addresses and e-mail addresses written out in full.
    parser.linkify.set({"fuzzy_link": False, "fuzzy_email": True})
    return parser


# One parser per thread: the linkify matcher keeps the text it last scanned on itself.
_local = threading.local()


def _parser() -> MarkdownIt:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _build_parser()
    return parser


_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "input", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "li": {"class"},
    "ul": {"class"},
    "input": {"type", "class", "disabled", "checked"},
    "code": {"class"},
}
_ATTRIBUTE_VALUES = {
    "input": {"type": {"checkbox"}, "class": {"task-list-item-checkbox"}},
    "li": {"class": {"task-list-item"}},
    "ul": {"class": {"contains-task-list"}},
}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    allowed = _ATTRIBUTE_VALUES.get(tag, {}).get(attribute)
    if allowed is not None and value not in allowed:
        return None
    if tag == "code" and attribute == "class" and not value.startswith("language-"):
        return None
    return value


def render(text: str) -> SafeString:
    """The sanitised HTML for ``text`` (Markdown); empty text renders as nothing."""
    if not text:
        return mark_safe("")
    return mark_safe(_render(text[:RENDER_MAX_LENGTH]))  # noqa: S308 - sanitised by nh3


@functools.lru_cache(maxsize=256)
def _render(text: str) -> str:
    """
    Kept for the texts rendered most recently (a list of tasks is asked for again and again,
    and a long description takes a tenth of a second); ``lru_cache`` is safe across threads.
    """
    return nh3.clean(
        _parser().render(text),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow ugc",
        strip_comments=True,
    )
