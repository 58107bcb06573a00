"""Admin for comments and the read-only activity log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.text import Truncator

from tasks import services
from tasks.admin.base import ServiceAdmin, refusals
from tasks.models import Activity, Comment, Project


def fresh_comment(pk: int) -> Comment:
    """The comment as stored: the admin form has already put the new body on its instance."""
    return Comment.objects.select_related("task__project").get(pk=pk)


@admin.register(Comment)
class CommentAdmin(ServiceAdmin):
    list_display = ("excerpt", "task", "project", "author", "created_at", "edited_at")
    list_select_related = ("task__project", "author")
    list_filter = (("edited_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("body", "task__title", "author__username")
    date_hierarchy = "created_at"
    autocomplete_fields = ("task",)

    def get_fields(self, request, obj=None):
        return ("task", "author", "body", "created_at", "edited_at") if obj else ("task", "body")

    def get_readonly_fields(self, request, obj=None):
        return ("task", "author", "created_at", "edited_at") if obj else ()

    @admin.display(description="comment")
    def excerpt(self, comment: Comment) -> str:
        return Truncator(comment.body).chars(80)

    @admin.display(description="project", ordering="task__project__name")
    def project(self, comment: Comment) -> Project:
        return comment.task.project

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with refusals():
            if change:
                if "body" in form.changed_data:
                    services.comment_edit(
                        comment=fresh_comment(obj.pk),
                        by=request.user,
                        as_staff=True,
                        body=data["body"],
                    )
            else:
                comment = services.comment_add(
                    task=data["task"], by=request.user, as_staff=True, body=data["body"]
                )
                obj.pk = comment.pk

    def delete_through_service(self, request, obj):
        services.comment_delete(comment=fresh_comment(obj.pk), by=request.user, as_staff=True)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """Read-only: history is written by the domain functions in the same transaction."""

    list_display = ("created_at", "project", "task_title", "actor", "verb", "summary")
    list_select_related = ("project", "actor")
    list_filter = ("verb", "created_at")
    search_fields = ("task_title", "actor__username", "project__name")
    date_hierarchy = "created_at"
    fields = ("created_at", "project", "task", "task_title", "actor", "verb", "changes")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="changes")
    def summary(self, activity: Activity) -> str:
        return Truncator(summarise_changes(activity)).chars(120)


def summarise_changes(activity: Activity) -> str:
    """``{"title": ["a", "b"]}`` as ``title: a → b``, for people rather than parsers."""
    parts = []
    for field, value in (activity.changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            parts.append(f"{field}: {_plain(old)} → {_plain(new)}")
        else:
            parts.append(f"{field}: {_plain(value)}")
    return "; ".join(parts)


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)
