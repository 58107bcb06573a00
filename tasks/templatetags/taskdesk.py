"""
Small display helpers shared by every page: avatars, colour dots, tag chips, priority and
status markers, relative dates.

The markup of each marker is a partial of ``includes/markers.html``; the tags here only work
out what it shows. The markers a list draws once per row are rendered once per distinct value
(a tag's name and colour, a person's name, a date and today's date) and cached: a page of 50
rows repeats few distinct values, and rendering them was most of a row's render time. (After
editing ``markers.html``, restart the process to see the change.)
"""

from __future__ import annotations

import datetime
import functools
import zlib

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from tasks import markdown
from tasks import recurrence as rrules
from tasks.models import Priority, Role, Status

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


def render_marker(partial: str, **data) -> SafeString:
    """One partial of ``includes/markers.html`` rendered with ``data`` (escaped as usual)."""
    return get_template(f"includes/markers.html#{partial}").render(data)


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
@functools.lru_cache(maxsize=1024)
def colour_dot(colour: str, size: int = 10) -> SafeString:
    """A filled circle in a user-chosen colour (validated ``#rrggbb``), hidden from readers."""
    return render_marker("colour_dot", colour=colour, size=size)


@register.simple_tag
def avatar(user, size: str = "") -> SafeString:
    """Initials in a coloured circle; the colour is stable per user. ``None``: unassigned."""
    if user is None:
        return render_marker("avatar", person=None)
    return _avatar_html(user.username, user.name, user.initials, size)


@functools.lru_cache(maxsize=2048)
def _avatar_html(username: str, name: str, initials: str, size: str) -> SafeString:
    shade = zlib.crc32(username.encode()) % AVATAR_PALETTE_SIZE
    person = {"name": name, "initials": initials}
    return render_marker("avatar", person=person, shade=shade, size=size)


@register.simple_tag
def tag_chip(tag) -> SafeString:
    return _tag_chip_html(tag.colour, tag.name)


@functools.lru_cache(maxsize=4096)
def _tag_chip_html(colour: str, name: str) -> SafeString:
    return render_marker("tag_chip", tag={"colour": colour, "name": name})


@register.simple_tag
def tag_chips(tags) -> SafeString:
    # Each chip is a rendered, escaped partial: joining them adds no markup.
    return mark_safe("".join(tag_chip(tag) for tag in tags))


@register.simple_tag
@functools.cache
def priority_marker(priority: str) -> SafeString:
    """Priority as a symbol plus words: never colour alone. Nothing for no priority."""
    priority = Priority(priority)
    if priority == Priority.NONE:
        return SafeString("")
    marker = {"value": priority.value, "label": priority.label}
    return render_marker("priority", marker=marker, symbol=PRIORITY_SYMBOLS[priority])


@register.simple_tag
@functools.cache
def status_badge(status: str) -> SafeString:
    status = Status(status)
    marker = {"modifier": status.value.replace("_", "-"), "label": status.label}
    return render_marker("status", marker=marker, symbol=STATUS_SYMBOLS[status])


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
def due_date(task, today: datetime.date | None = None) -> SafeString:
    """
    A task's due date in words, red when overdue, bold when today; exact date on hover.
    A timed task shows its instant in the viewer's time zone (the active one): its date
    there and its time ("tomorrow 14:30"), overdue once the instant has passed.
    """
    if task.due_date is None:
        return SafeString("")
    today = today or timezone.localdate()
    done = task.status == Status.DONE
    if task.due_at is None:
        html = _due_html(task.due_date, today, done)
    else:
        local = timezone.localtime(task.due_at)
        passed = not done and task.due_at < timezone.now()
        html = _timed_due_html(local.date(), local.strftime("%H:%M"), today, done, passed)
    if getattr(task, "recurrence", ""):
        html = html + _repeat_html(task.recurrence)
    return html


@functools.lru_cache(maxsize=1024)
def _repeat_html(rule: str) -> SafeString:
    """A small "repeats" mark after a due date, the rule in words on hover and for readers."""
    words = rrules.describe(rule)
    return format_html(
        ' <span class="due-repeat" title="{}"><span aria-hidden="true">↻</span>'
        '<span class="visually-hidden">{}</span></span>',
        words,
        f"Repeats: {words}",
    )


@functools.lru_cache(maxsize=4096)
def _due_html(due: datetime.date, today: datetime.date, done: bool) -> SafeString:
    delta = (due - today).days
    if delta < 0 and not done:
        state, words = "overdue", ("1 day overdue" if delta == -1 else f"{-delta} days overdue")
    elif delta == 0:
        state, words = "today", "today"
    else:
        state, words = "upcoming", relative_day(due, today)
    return render_marker(
        "due",
        state="done" if done else state,
        iso=due.isoformat(),
        long=date_format(due, "l j F Y"),
        words=words,
    )


@functools.lru_cache(maxsize=4096)
def _timed_due_html(
    due: datetime.date, time: str, today: datetime.date, done: bool, passed: bool
) -> SafeString:
    delta = (due - today).days
    if passed and delta < 0:
        state = "overdue"
        words = "1 day overdue" if delta == -1 else f"{-delta} days overdue"
    elif passed:
        state, words = "overdue", f"overdue since {time}"
    elif delta == 0:
        state, words = "today", f"today {time}"
    else:
        state, words = "upcoming", f"{relative_day(due, today)} {time}"
    return render_marker(
        "due",
        state="done" if done else state,
        iso=f"{due.isoformat()}T{time}",
        long=f"{date_format(due, 'l j F Y')}, {time}",
        words=words,
    )


@register.simple_tag
def due_moment(task) -> str:
    """The full due date (and time, in the viewer's zone) of a task, for its page."""
    if task.due_date is None:
        return ""
    if task.due_at is None:
        return date_format(task.due_date, "l j F Y")
    local = timezone.localtime(task.due_at)
    return date_format(local, "l j F Y, H:i T")


@register.simple_tag
def when(moment: datetime.datetime | None) -> SafeString:
    """A past moment relative to now ("3 hours ago"), the exact time on hover."""
    if moment is None:
        return SafeString("")
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
    return render_marker(
        "when", iso=local.isoformat(), long=date_format(local, "j F Y, H:i T"), words=words
    )


def _day(value: str | None) -> str:
    """An ISO date kept in ``Activity.changes`` as "3 Dec" (with the year when not this one)."""
    if not value:
        return ""
    try:
        day = datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return date_format(day, "j M" if day.year == timezone.localdate().year else "j M Y")


def _label(choices: type[Status] | type[Priority] | type[Role], value: str | None) -> str:
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
    if "due_time" in changes:
        old, new = changes["due_time"]
        if not old:
            clauses.append(f"set the due time to {new}")
        elif not new:
            clauses.append(f"removed the due time (was {old})")
        else:
            clauses.append(f"changed the due time from {old} to {new}")
    if "due_time_zone" in changes and "due_time" not in changes:
        old, new = changes["due_time_zone"]
        clauses.append(f"moved the due time from {old or 'UTC'} time to {new or 'UTC'} time")
    if "recurrence" in changes:
        old, new = changes["recurrence"]
        if not old:
            clauses.append(f"made this repeat: {rrules.describe(new)}")
        elif not new:
            clauses.append("stopped this repeating")
        else:
            clauses.append(f"changed the repeat to {rrules.describe(new)}")
    if "recurrence_mode" in changes:
        _, new = changes["recurrence_mode"]
        basis = "completion" if new == rrules.Mode.FROM_COMPLETION else "due date"
        clauses.append(f"made it repeat from its {basis}")
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
    if "parent" in changes:
        old, new = changes["parent"]
        if new:
            clauses.append(f"made this a subtask of “{new.get('title', '')}”")
        elif old:
            clauses.append(
                f"made this a task of its own (was a subtask of “{old.get('title', '')}”)"
            )
    return clauses


def activity_words(activity) -> str:
    """What an activity row did, as plain words after the actor's name."""
    verb = activity.verb
    previous = (activity.changes or {}).get("previous_occurrence") if verb == "created" else None
    if isinstance(previous, dict):
        reopened = (activity.changes or {}).get("subtasks_reopened")
        if reopened:
            return (
                "created this task as the next occurrence of a repeating task, with its "
                f"{reopened} subtask{'s' if reopened != 1 else ''} reopened"
            )
        return "created this task as the next occurrence of a repeating task"
    fixed = {
        "created": "created this task",
        "deleted": "deleted this task",
        "commented": "commented",
        "comment_edited": "edited a comment",
        "comment_deleted": "deleted a comment",
    }
    if verb in fixed:
        return fixed[verb]
    if verb == "invited":
        role = (activity.changes or {}).get("role")
        return f"invited someone as {_label(Role, role).lower()}" if role else "invited someone"
    clauses = _field_clauses(activity.changes or {})
    following = (activity.changes or {}).get("next_occurrence")
    if clauses and isinstance(following, dict) and following.get("due_date"):
        return f"{_join(clauses)}, next occurrence on {_day(following['due_date'])}"
    if clauses:
        return _join(clauses)
    return activity.get_verb_display() + " this"


@register.simple_tag
def activity_sentence(activity) -> SafeString:
    """ "Erin moved this from To do to In progress" — the actor in bold, the rest escaped."""
    actor = activity.actor.name if activity.actor else "Someone"
    return render_marker("activity", actor=actor, words=activity_words(activity))


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """A description or comment rendered from Markdown and sanitised (``tasks.markdown``)."""
    return markdown.render(text or "")
