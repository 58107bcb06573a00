"""
The page shell: sidebar, the top bar's "New task" button, the user menu's invitation count,
icons and the progress bar.

The sidebar and the "New task" button both need the signed-in user's projects; they share one
query per request (``nav_projects``), whatever the number of projects or tasks.
"""

from __future__ import annotations

import datetime
import functools

from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString

from tasks.models import Invitation, Project, Task
from tasks.templatetags.taskdesk import render_marker

register = template.Library()

# Stroke icons drawn on a 24×24 grid (paths written for Taskdesk, in the spirit of Feather).
ICONS = {
    "search": "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM21 21l-4.35-4.35",
    "plus": "M12 5v14M5 12h14",
    "sun": "M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM12 2v2M12 20v2M4.93 4.93l1.41 1.41"
    "M17.66 17.66l1.41 1.41M2 12h2M20 12h2M6.34 17.66l-1.41 1.41M19.07 4.93l-1.41 1.41",
    "moon": "M21 12.79A9 9 0 1 1 11.21 3 7 7 0 0 0 21 12.79z",
    "menu": "M4 6h16M4 12h16M4 18h16",
    "x": "M18 6 6 18M6 6l12 12",
    "home": "M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z",
    "check-circle": "M22 11.08V12a10 10 0 1 1-5.93-9.14M22 4 12 14.01l-3-3",
    "folder": "M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z",
    "archive": "M21 8v13H3V8M1 3h22v5H1zM10 12h4",
    "sliders": "M4 21v-7M4 10V3M12 21v-9M12 8V3M20 21v-5M20 12V3M1 14h6M9 8h6M17 16h6",
    "key": "M15.5 7.5 19 4l2 2-3.5 3.5M15.5 7.5l2 2M11.4 11.6a5 5 0 1 1-7.07 7.07 5 5 0 0 1 "
    "7.07-7.07zM11.4 11.6 15.5 7.5",
    "shield": "M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z",
    "logout": "M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9",
    "users": "M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z"
    "M23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75",
    "tag": "M20.59 13.41l-7.17 7.17a2 2 0 0 1-2.83 0L2 12V2h10l8.59 8.59a2 2 0 0 1 0 2.82zM7 7h.01",
    "keyboard": "M2 6h20v12H2zM6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10",
    "chevron-down": "m6 9 6 6 6-6",
    "mail": "M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"
    "M22 6l-10 7L2 6",
    "inbox": "M22 12h-6l-2 3h-4l-2-3H2M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6"
    "l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2 2 0 0 0-1.79 1.11z",
    "board": "M3 3h7v18H3zM14 3h7v11h-7z",
    "calendar": "M3 6a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"
    "M16 2v4M8 2v4M3 10h18",
    "list": "M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01",
    "trash": "M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6",
    "lock": "M5 11h14v10H5zM8 11V7a4 4 0 0 1 8 0v4",
    "copy": "M9 9h11v11H9zM5 15H4V4h11v1",
    "alert": "M12 9v4M12 17h.01M10.29 3.86 1.82 18a2 2 0 0 0 1.71 3h16.94a2 2 0 0 0 1.71-3"
    "L13.71 3.86a2 2 0 0 0-3.42 0z",
}


@register.simple_tag
@functools.cache
def icon(name: str, extra_class: str = "") -> SafeString:
    """An inline SVG stroke icon, hidden from screen readers (the control carries the words)."""
    return render_marker("icon", classes=f"icon {extra_class}".strip(), path=ICONS[name])


def nav_projects(request: HttpRequest) -> list[Project]:
    """
    The user's projects with ``my_role`` and open/done/total task counts, fetched once per
    request and shared by the sidebar and the "New task" button.
    """
    cached = getattr(request, "_nav_projects", None)
    if cached is None:
        cached = list(Project.objects.visible_to(request.user).with_task_counts())
        request._nav_projects = cached
    return cached


def pending_invitation_count(request: HttpRequest) -> int:
    """How many invitations wait for the signed-in user: once per request (menu, dashboard)."""
    cached = getattr(request, "_pending_invitations", None)
    if cached is None:
        cached = Invitation.objects.pending_for(request.user).current().count()
        request._pending_invitations = cached
    return cached


@register.simple_tag(takes_context=True)
def pending_invitations(context: template.Context) -> int:
    request = context.get("request")
    return pending_invitation_count(request) if request is not None else 0


def current_project_id(context: template.Context) -> int | None:
    """The project the page is about, if any: its ``project``, else its ``task``'s project."""
    project = context.get("project")
    if isinstance(project, Project):
        return project.pk
    task = context.get("task")
    if isinstance(task, Task):
        return task.project_id
    return None


@register.inclusion_tag("includes/sidebar.html", takes_context=True)
def sidebar(context: template.Context) -> dict:
    request = context["request"]
    projects = nav_projects(request)
    match = getattr(request, "resolver_match", None)
    return {
        "request": request,
        "view_name": match.view_name if match else "",
        "current_id": current_project_id(context),
        "active_projects": [p for p in projects if not p.is_archived],
        "archived_projects": [p for p in projects if p.is_archived],
    }


@register.inclusion_tag("includes/new_task_button.html", takes_context=True)
def new_task_button(context: template.Context) -> dict:
    """
    A link to the current project's new-task page when the user may add tasks there;
    otherwise a menu of the active projects where they may.
    """
    request = context["request"]
    writable = [p for p in nav_projects(request) if p.can_write(request.user)]
    current_id = current_project_id(context)
    current = next((p for p in writable if p.pk == current_id), None)
    return {"current": current, "writable": writable}


@register.inclusion_tag("includes/progress.html")
def progress(done: int, total: int, label: str = "") -> dict:
    """A progress bar with its numbers in words (``<progress>``: no inline style needed)."""
    done, total = int(done or 0), int(total or 0)
    percent = round(100 * done / total) if total else 0
    return {"done": done, "total": total, "percent": percent, "label": label}


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    """A length of time in words: "15 minutes", "1 hour 30 minutes", "2 days"."""
    if not isinstance(value, datetime.timedelta):
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{amount} {unit}{'' if amount == 1 else 's'}"
        for amount, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if amount
    ]
    return " ".join(parts)
