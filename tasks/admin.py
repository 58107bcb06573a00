"""
Staff admin for projects, members, tags, tasks, comments and activity.

Every change made here goes through ``tasks.services``, exactly like a page or the API, so
the activity log, task versions and the last-owner rule hold for staff too. Staff act without
a project role (``by=request.user``). A change the domain refuses rolls back as a whole and
comes back as an error message on the same page.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import ngettext

from tasks import services
from tasks.models import ROLE_RANK, Activity, Comment, Membership, Project, Role, Tag, Task

admin.site.site_header = "Taskdesk administration"
admin.site.site_title = "Taskdesk admin"
admin.site.index_title = "Run the installation"

#: What the domain functions raise when they refuse a change.
REFUSALS = (ValidationError, PermissionDenied, services.Conflict, services.StaleVersion)

BOTH_LOCATIONS = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _copy_state(source: models.Model, target: models.Model) -> None:
    """Make the admin's form instance the row a domain function saved (pk, version, …)."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


class ServiceAdmin(admin.ModelAdmin):
    """
    Base for admins whose writes go through domain functions.

    ``refuse()`` marks the admin's transaction for rollback (so an earlier write of the same
    save, say a project rename before a refused membership change, is undone too), skips the
    remaining saving and logging, and sends the user back to the form with the reason.
    """

    def refuse(self, request: HttpRequest, error: Exception, *, rollback: bool = True) -> None:
        if rollback:
            transaction.set_rollback(True)
            request._admin_refused = True
        self.message_user(request, _reason(error), messages.ERROR)

    @staticmethod
    def refused(request: HttpRequest) -> bool:
        return getattr(request, "_admin_refused", False)

    def save_related(self, request, form, formsets, change):
        if not self.refused(request):
            super().save_related(request, form, formsets, change)

    def construct_change_message(self, request, form, formsets, add=False):
        if self.refused(request):
            return []
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message):
        if not self.refused(request):
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not self.refused(request):
            return super().log_change(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if self.refused(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self.refused(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        if self.refused(request):
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_id])
            )
        return super().response_delete(request, obj_display, obj_id)

    def delete_model(self, request, obj):
        try:
            self.delete_through_service(request, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def delete_queryset(self, request, queryset):
        # One domain call per row, so each deletion writes its own activity; a refused row
        # (the last owner of a project) is reported and the others still go.
        for obj in queryset:
            try:
                with transaction.atomic():
                    self.delete_through_service(request, obj)
            except REFUSALS as error:
                self.refuse(request, error, rollback=False)

    def delete_through_service(self, request: HttpRequest, obj: models.Model) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------------------
# Projects and members
# ---------------------------------------------------------------------------
class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "role")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A membership belongs to one person: change the role, or remove it and add another.
        if self.instance.pk:
            self.fields["user"].disabled = True


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


def _fresh_membership(pk: int) -> Membership:
    """The row as stored: the admin form has already written its new values on the instance."""
    return Membership.objects.select_related("project", "user").get(pk=pk)


@admin.register(Project)
class ProjectAdmin(ServiceAdmin):
    list_display = (
        "name",
        "colour",
        "is_archived",
        "created_by",
        "member_count",
        "task_count",
        "open_count",
        "created_at",
    )
    list_select_related = ("created_by",)
    list_filter = ("is_archived", "created_at")
    search_fields = ("name", "description")
    date_hierarchy = "created_at"
    # Explicit: the count annotations group the rows, and grouped queries drop Meta.ordering.
    ordering = (Lower("name"), "id")
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = (MembershipInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_task_counts()
            .annotate(member_count=models.Count("memberships", distinct=True))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            # The creator becomes the first owner (project_create); members follow below.
            return ("name", "description", "colour")
        return ("name", "description", "colour", "is_archived", *self.readonly_fields)

    @admin.display(description="members", ordering="member_count")
    def member_count(self, project: Project) -> int:
        return project.member_count

    @admin.display(description="tasks", ordering="task_count")
    def task_count(self, project: Project) -> int:
        return project.task_count

    @admin.display(description="open", ordering="open_count")
    def open_count(self, project: Project) -> int:
        return project.open_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                fields = {
                    name: data[name]
                    for name in form.changed_data
                    if name in ("name", "description", "colour", "is_archived")
                }
                if fields:
                    services.project_update(project=obj, by=request.user, **fields)
            else:
                project = services.project_create(
                    by=request.user,
                    name=data["name"],
                    description=data.get("description", ""),
                    colour=data.get("colour") or Project.DEFAULT_COLOUR,
                )
                _copy_state(project, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        project, by = form.instance, request.user
        try:
            # New members and promotions first, removals last: handing ownership over in one
            # save never leaves the project without an owner on the way.
            for membership in formset.new_objects:
                services.member_add(
                    project=project, user=membership.user, role=membership.role, by=by
                )
            role_changes = sorted(
                (
                    (membership.pk, membership.role)
                    for membership, changed in formset.changed_objects
                    if "role" in changed
                ),
                key=lambda change: -ROLE_RANK[Role(change[1])],
            )
            for pk, role in role_changes:
                services.member_change_role(membership=_fresh_membership(pk), role=role, by=by)
            for membership in formset.deleted_objects:
                services.member_remove(membership=_fresh_membership(membership.pk), by=by)
        except REFUSALS as error:
            self.refuse(request, error)
        return None

    def delete_through_service(self, request, obj):
        services.project_delete(project=obj, by=request.user)


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ("user", "project", "role", "created_at")
    list_select_related = ("user", "project")
    list_filter = ("role", "created_at")
    search_fields = ("user__username", "user__display_name", "user__email", "project__name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("project", "user")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("created_at",)
        return ("project", "user", "created_at")

    def get_fields(self, request, obj=None):
        return ("project", "user", "role", "created_at") if obj else ("project", "user", "role")

    def save_model(self, request, obj, form, change):
        try:
            if change:
                if "role" in form.changed_data:
                    services.member_change_role(
                        membership=_fresh_membership(obj.pk), role=obj.role, by=request.user
                    )
            else:
                membership = services.member_add(
                    project=obj.project, user=obj.user, role=obj.role, by=request.user
                )
                _copy_state(membership, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def delete_through_service(self, request, obj):
        services.member_remove(membership=_fresh_membership(obj.pk), by=request.user)


@admin.register(Tag)
class TagAdmin(ServiceAdmin):
    list_display = ("name", "project", "colour", "task_count")
    list_select_related = ("project",)
    list_filter = ("project",)
    search_fields = ("name", "project__name")
    autocomplete_fields = ("project",)
    ordering = (Lower("name"), "id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(task_count=models.Count("tasks"))

    def get_readonly_fields(self, request, obj=None):
        return ("project",) if obj else ()

    @admin.display(description="tasks", ordering="task_count")
    def task_count(self, tag: Tag) -> int:
        return tag.task_count

    def save_model(self, request, obj, form, change):
        try:
            if change:
                fields = {n: getattr(obj, n) for n in form.changed_data if n in ("name", "colour")}
                if fields:
                    services.tag_update(tag=obj, by=request.user, **fields)
            else:
                tag = services.tag_create(
                    project=obj.project, name=obj.name, colour=obj.colour, by=request.user
                )
                _copy_state(tag, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def delete_through_service(self, request, obj):
        services.tag_delete(tag=obj, by=request.user)


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------
class CommentInline(admin.TabularInline):
    model = Comment
    fields = ("body", "author", "created_at", "edited_at")
    readonly_fields = ("author", "created_at", "edited_at")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class ActivityInline(admin.TabularInline):
    """The task's history: written by the domain functions, never edited."""

    model = Activity
    fields = ("created_at", "actor", "verb", "summary")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="changes")
    def summary(self, activity: Activity) -> str:
        return summarise_changes(activity)


class TaskAdminForm(forms.ModelForm):
    # Carried through the form so that a save based on an old read is refused, not merged.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Task
        fields = (
            "project",
            "title",
            "description",
            "status",
            "priority",
            "due_date",
            "assignee",
            "tags",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version


def _csv_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (titles are typed by users)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = (
    "id",
    "project",
    "title",
    "status",
    "priority",
    "due_date",
    "assignee",
    "tags",
    "created_by",
    "created_at",
    "completed_at",
    "updated_at",
    "version",
    "description",
)


def _csv_row(task: Task) -> list[Any]:
    def iso(value: Any) -> str:
        return value.isoformat() if value else ""

    return [
        task.pk,
        _csv_cell(task.project.name),
        _csv_cell(task.title),
        task.status,
        task.priority,
        iso(task.due_date),
        task.assignee.username if task.assignee else "",
        _csv_cell(", ".join(tag.name for tag in task.tags.all())),
        task.created_by.username if task.created_by else "",
        iso(task.created_at),
        iso(task.completed_at),
        iso(task.updated_at),
        task.version,
        _csv_cell(task.description),
    ]


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    form = TaskAdminForm
    list_display = (
        "title",
        "project",
        "status",
        "priority",
        "due_date",
        "assignee",
        "tag_names",
        "version",
        "updated_at",
    )
    list_select_related = ("project", "assignee")
    list_filter = ("status", "priority", "project", "due_date", "created_at")
    search_fields = ("title", "description", "project__name", "assignee__username")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    autocomplete_fields = ("project", "assignee", "tags")
    readonly_fields = (
        "version",
        "position",
        "created_by",
        "created_at",
        "updated_at",
        "completed_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "expected_version",
                    "project",
                    "title",
                    "description",
                    ("status", "priority"),
                    ("due_date", "assignee"),
                    "tags",
                )
            },
        ),
        (
            "Record",
            {
                "fields": (
                    ("version", "position"),
                    "created_by",
                    ("created_at", "updated_at", "completed_at"),
                )
            },
        ),
    )
    inlines = (CommentInline, ActivityInline)
    actions = ("mark_done", "reopen", "export_csv")

    def get_queryset(self, request):
        return super().get_queryset(request).for_list()

    def get_fieldsets(self, request, obj=None):
        # The record (version, timestamps) only exists once the task does.
        return self.fieldsets if obj else self.fieldsets[:1]

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()

    @admin.display(description="tags")
    def tag_names(self, task: Task) -> str:
        return ", ".join(tag.name for tag in task.tags.all())

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                fields = {
                    name: data[name] for name in form.changed_data if name in services.TASK_FIELDS
                }
                if "tags" in fields:
                    fields["tags"] = list(fields["tags"])
                task = services.task_update(
                    task=obj,
                    by=request.user,
                    expected_version=data.get("expected_version"),
                    **fields,
                )
            else:
                task = services.task_create(
                    project=data["project"],
                    by=request.user,
                    title=data["title"],
                    description=data.get("description", ""),
                    status=data["status"],
                    priority=data["priority"],
                    due_date=data.get("due_date"),
                    assignee=data.get("assignee"),
                    tags=list(data.get("tags") or ()),
                )
        except REFUSALS as error:
            self.refuse(request, error)
            return
        _copy_state(task, obj)

    def save_related(self, request, form, formsets, change):
        # Tags were saved by the domain function with the task; only the comments remain.
        if self.refused(request):
            return
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
            if self.refused(request):
                return

    def save_formset(self, request, form, formset, change):
        if formset.model is not Comment:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        by = request.user
        try:
            for comment in formset.deleted_objects:
                services.comment_delete(comment=_fresh_comment(comment.pk), by=by)
            for comment, _changed in formset.changed_objects:
                services.comment_edit(comment=_fresh_comment(comment.pk), by=by, body=comment.body)
            for comment in formset.new_objects:
                services.comment_add(task=form.instance, by=by, body=comment.body)
        except REFUSALS as error:
            self.refuse(request, error)
        return None

    def delete_through_service(self, request, obj):
        services.task_delete(task=obj, by=request.user)

    def _apply(
        self,
        request: HttpRequest,
        queryset: models.QuerySet[Task],
        change: Callable[..., Task],
        done: Callable[[int], str],
    ) -> None:
        """Run one domain function per task; count the tasks it actually changed."""
        changed = 0
        for task in queryset.select_related(None).prefetch_related(None).order_by("pk"):
            try:
                after = change(task=task, by=request.user)
            except REFUSALS as error:
                self.message_user(request, f"“{task}”: {_reason(error)}", messages.ERROR)
                continue
            changed += after.version != task.version
        self.message_user(request, done(changed), messages.SUCCESS)

    @admin.action(description="Mark done", permissions=["change"], location=BOTH_LOCATIONS)
    def mark_done(self, request: HttpRequest, queryset: models.QuerySet[Task]) -> None:
        self._apply(
            request,
            queryset,
            services.task_complete,
            lambda n: ngettext("Marked %d task done.", "Marked %d tasks done.", n) % n,
        )

    @admin.action(description="Reopen", permissions=["change"], location=BOTH_LOCATIONS)
    def reopen(self, request: HttpRequest, queryset: models.QuerySet[Task]) -> None:
        self._apply(
            request,
            queryset,
            services.task_reopen,
            lambda n: ngettext("Reopened %d task.", "Reopened %d tasks.", n) % n,
        )

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: models.QuerySet[Task]
    ) -> StreamingHttpResponse:
        rows = (
            queryset.select_related("project", "assignee", "created_by")
            .prefetch_related(None)
            .prefetch_related(
                models.Prefetch("tags", queryset=Tag.objects.order_by(Lower("name"), "id"))
            )
            .order_by(Lower("project__name"), "project_id", "position", "id")
        )
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(CSV_COLUMNS)
            for task in rows.iterator(chunk_size=500):
                yield writer.writerow(_csv_row(task))

        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="tasks-{stamp}.csv"'
        return response


# ---------------------------------------------------------------------------
# Comments and activity
# ---------------------------------------------------------------------------
def _fresh_comment(pk: int) -> Comment:
    return Comment.objects.select_related("task").get(pk=pk)


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
        try:
            if change:
                if "body" in form.changed_data:
                    services.comment_edit(
                        comment=_fresh_comment(obj.pk), by=request.user, body=obj.body
                    )
            else:
                comment = services.comment_add(task=obj.task, by=request.user, body=obj.body)
                _copy_state(comment, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def delete_through_service(self, request, obj):
        services.comment_delete(comment=_fresh_comment(obj.pk), by=request.user)


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
