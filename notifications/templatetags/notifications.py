"""The task page's follow and reminders panel, drawn from a tasks template by name only."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from notifications.forms import ReminderForm
from notifications.models import Follow, Reminder

register = template.Library()


def panel_context(request: HttpRequest, task) -> dict:
    """Whether the user follows ``task`` and their reminders on it: two queries."""
    user = request.user
    return {
        "request": request,
        "task": task,
        "following": Follow.objects.filter(task=task, user=user).exists(),
        "reminders": list(Reminder.objects.filter(task=task, user=user).order_by("created_at")),
        "reminder_form": ReminderForm(),
    }


@register.inclusion_tag("notifications/_task_panel.html", takes_context=True)
def task_notifications_panel(context, task) -> dict:
    request = context["request"]
    return {**panel_context(request, task), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("notifications/_mention_source.html")
def mention_source(project) -> dict:
    """Where the ``@`` suggestions of this page's text fields come from (and their script)."""
    return {"project": project}
