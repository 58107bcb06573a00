"""
Small display helpers shared by every page: avatars, colour dots, tag chips, priority and
status markers, relative dates.

The site's Content-Security-Policy forbids inline styles, so colours chosen by users are drawn
as SVG ``fill`` attributes (allowed) and everything else uses CSS classes.

The markers a list draws once per row are built by small functions cached on the plain values
they show (a tag's name and colour, a person's name, a date and today's date): a page of 50
rows repeats few distinct values, and building HTML was most of a row's render time.
"""

from __future__ import annotations

import datetime
import functools
import zlib

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join

from tasks.models import Priority, Status

register = template.Library()

AVATAR_PALETTE_SIZE = 8

PRIORITY_SYMBOLS = {
    Priority.URGENT: "‼",
    Priority.HIGH: "↑",
    Priority.MEDIUM: "=",
    Priority.LOW: "↓",
    Priority.NONE: "·",
}
STATUS_SYMBOLS = {Status.TODO: "○", Status.IN_PROGRESS: "◐", Status.DONE: "●"}


#: Stands in for an object id while a URL is reversed once per list (digits, so that the
#: ``<int:pk>`` converters accept it; long, so that it is never a real id or part of a path).
_ID_PLACEHOLDER = "918273645546372819"


@register.simple_tag
def row_url(name: str, pk: int) -> str:
    """
    ``{% url name pk %}`` for links repeated on every row of a long list: the URL is reversed
    once (per name and script prefix) and the id put in. A reverse per row was a third of a
    task row's render time.
    """
    return _url_with_placeholder(name, get_script_prefix()).replace(_ID_PLACEHOLDER, str(pk))


@functools.lru_cache(maxsize=64)
def _url_with_placeholder(name: str, script_prefix: str) -> str:
    return reverse(name, args=[_ID_PLACEHOLDER])


@register.simple_tag
def colour_dot(colour: str, size: int = 10):
    """A filled circle in a user-chosen colour (validated ``#rrggbb``), hidden from readers."""
    return format_html(
        '<svg class="dot" width="{0}" height="{0}" viewBox="0 0 10 10" aria-hidden="true" '
        'focusable="false"><circle cx="5" cy="5" r="5" fill="{1}"/></svg>',
        size,
        colour,
    )


@register.simple_tag
def avatar(user, size: str = ""):
    """Initials in a coloured circle; the colour is stable per user."""
    if user is None:
        return format_html('<span class="avatar avatar--empty" title="Unassigned">–</span>')
    return _avatar_html(user.username, user.name, user.initials, size)


@functools.lru_cache(maxsize=2048)
def _avatar_html(username: str, name: str, initials: str, size: str):
    shade = zlib.crc32(username.encode()) % AVATAR_PALETTE_SIZE
    size_class = f" avatar--{size}" if size else ""
    return format_html(
        '<span class="avatar avatar--c{}{}" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></span>',
        shade,
        size_class,
        name,
        initials,
        name,
    )


@register.simple_tag
def tag_chip(tag):
    return _tag_chip_html(tag.colour, tag.name)


@functools.lru_cache(maxsize=4096)
def _tag_chip_html(colour: str, name: str):
    return format_html('<span class="chip">{}{}</span>', colour_dot(colour, 8), name)


@register.simple_tag
def tag_chips(tags):
    return format_html_join("", "{}", ((tag_chip(tag),) for tag in tags))


@register.simple_tag
def priority_marker(priority: str):
    """Priority as a symbol plus words: never colour alone."""
    return _priority_html(priority)


@functools.cache
def _priority_html(priority: str):
    priority = Priority(priority)
    if priority == Priority.NONE:
        return ""
    return format_html(
        '<span class="priority priority--{}" title="Priority: {}">'
        '<span aria-hidden="true">{}</span> {}</span>',
        priority.value,
        priority.label,
        PRIORITY_SYMBOLS[priority],
        priority.label,
    )


@register.simple_tag
def status_badge(status: str):
    return _status_html(status)


@functools.cache
def _status_html(status: str):
    status = Status(status)
    return format_html(
        '<span class="status status--{}"><span aria-hidden="true">{}</span> {}</span>',
        status.value.replace("_", "-"),
        STATUS_SYMBOLS[status],
        status.label,
    )


def relative_day(day: datetime.date, today: datetime.date | None = None) -> str:
    """'today', 'tomorrow', 'in 3 days', 'yesterday', '2 days ago'; a date beyond two weeks."""
    today = today or timezone.localdate()
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if 1 < delta <= 14:
        return f"in {delta} days"
    if -14 <= delta < -1:
        return f"{-delta} days ago"
    if day.year == today.year:
        return date_format(day, "j M")
    return date_format(day, "j M Y")


@register.simple_tag
def due_date(task, today: datetime.date | None = None):
    """A task's due date in words, red when overdue, bold when today; exact date on hover."""
    if task.due_date is None:
        return ""
    return _due_html(task.due_date, today or timezone.localdate(), task.status == Status.DONE)


@functools.lru_cache(maxsize=4096)
def _due_html(due: datetime.date, today: datetime.date, done: bool):
    delta = (due - today).days
    if delta < 0 and not done:
        state, words = "overdue", ("1 day overdue" if delta == -1 else f"{-delta} days overdue")
    elif delta == 0:
        state, words = "today", "today"
    else:
        state, words = "upcoming", relative_day(due, today)
    return format_html(
        '<time class="due due--{}" datetime="{}" title="Due {}">{}</time>',
        "done" if done else state,
        due.isoformat(),
        date_format(due, "l j F Y"),
        words,
    )


@register.simple_tag
def when(moment: datetime.datetime | None):
    """A past moment relative to now ("3 hours ago"), the exact time on hover."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < 60:
        words = "just now"
    elif seconds < 3600:
        words = f"{int(seconds // 60)} min ago"
    elif seconds < 86400:
        hours = int(seconds // 3600)
        words = "1 hour ago" if hours == 1 else f"{hours} hours ago"
    else:
        words = relative_day(local.date())
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        date_format(local, "j F Y, H:i T"),
        words,
    )


# ---------------------------------------------------------------------------
# Activity in words
# ---------------------------------------------------------------------------
def _day(value: str | None) -> str:
    """An ISO date kept in ``Activity.changes`` as "3 Dec" (with the year when not this one)."""
    if not value:
        return ""
    try:
        day = datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return date_format(day, "j M" if day.year == timezone.localdate().year else "j M Y")


def _label(choices: type[Status] | type[Priority], value: str | None) -> str:
    try:
        return choices(value).label
    except ValueError:
        return str(value)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _tag_clause(verb: str, names: list[str]) -> str:
    noun = "tag" if len(names) == 1 else "tags"
    return f"{verb} {noun} {', '.join(names)}"


def _field_clauses(changes: dict) -> list[str]:
    """One clause per changed field, in a fixed order, from ``{"field": [old, new]}``."""
    clauses = []
    if "status" in changes:
        old, new = changes["status"]
        if new == Status.DONE:
            clauses.append("completed this")
        elif old == Status.DONE:
            clauses.append(f"reopened this as {_label(Status, new)}")
        else:
            clauses.append(f"moved this from {_label(Status, old)} to {_label(Status, new)}")
    elif "position" in changes and "project" not in changes:
        clauses.append("reordered this in its column")
    if "project" in changes:
        old, new = changes["project"]
        clauses.append(f"moved this from project {old} to {new}")
    if "title" in changes:
        old, new = changes["title"]
        clauses.append(f"renamed this from “{old}” to “{new}”")
    if "description" in changes:
        old, new = changes["description"]
        if not old:
            clauses.append("added a description")
        elif not new:
            clauses.append("removed the description")
        else:
            clauses.append("edited the description")
    if "priority" in changes:
        old, new = changes["priority"]
        if not old or old == Priority.NONE:
            clauses.append(f"set the priority to {_label(Priority, new)}")
        elif new == Priority.NONE:
            clauses.append(f"removed the priority (was {_label(Priority, old)})")
        else:
            clauses.append(
                f"changed the priority from {_label(Priority, old)} to {_label(Priority, new)}"
            )
    if "due_date" in changes:
        old, new = changes["due_date"]
        if not old:
            clauses.append(f"set the due date to {_day(new)}")
        elif not new:
            clauses.append(f"removed the due date (was {_day(old)})")
        else:
            clauses.append(f"changed the due date from {_day(old)} to {_day(new)}")
    if "assignee" in changes:
        old, new = changes["assignee"]
        if not old:
            clauses.append(f"assigned this to {new}")
        elif not new:
            clauses.append(f"unassigned {old}")
        else:
            clauses.append(f"reassigned this from {old} to {new}")
    if "tags" in changes:
        old, new = (set(names or []) for names in changes["tags"])
        added = sorted(new - old, key=str.lower)
        removed = sorted(old - new, key=str.lower)
        if added:
            clauses.append(_tag_clause("added", added))
        if removed:
            clauses.append(_tag_clause("removed", removed))
    return clauses


def activity_words(activity) -> str:
    """What an activity row did, as plain words after the actor's name."""
    verb = activity.verb
    fixed = {
        "created": "created this task",
        "deleted": "deleted this task",
        "commented": "commented",
        "comment_edited": "edited a comment",
        "comment_deleted": "deleted a comment",
    }
    if verb in fixed:
        return fixed[verb]
    clauses = _field_clauses(activity.changes or {})
    if clauses:
        return _join(clauses)
    return activity.get_verb_display() + " this"


@register.simple_tag
def activity_sentence(activity):
    """ "Erin moved this from To do to In progress" — the actor in bold, the rest escaped."""
    actor = activity.actor.name if activity.actor else "Someone"
    return format_html("<strong>{}</strong> {}", actor, activity_words(activity))
