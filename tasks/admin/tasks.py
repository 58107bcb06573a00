"""Admin for tasks: read-only comments and history, actions for status and project moves."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db import models
from django.db.models.functions import Lower
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from tasks import services
from tasks.admin.base import BOTH_LOCATIONS, ReadOnlyInline, RefusableForm, ServiceAdmin, refusals
from tasks.admin.comments import summarise_changes
from tasks.models import Activity, Comment, Project, Status, Tag, Task


class CommentInline(ReadOnlyInline):
    """The task's comments, read-only here: each opens in the comment admin."""

    model = Comment
    fields = ("body", "author", "created_at", "edited_at")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class ActivityInline(ReadOnlyInline):
    """The task's history: written by the domain functions, never edited."""

    model = Activity
    fields = ("created_at", "actor", "verb", "summary")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="changes")
    def summary(self, activity: Activity) -> str:
        return summarise_changes(activity)


#: What the change form edits; status and project change by the actions.
EDITABLE_FIELDS = (
    "title",
    "description",
    "priority",
    "due_date",
    "due_time",
    "recurrence",
    "recurrence_mode",
    "assignee",
    "tags",
)


class TaskAdminForm(RefusableForm):
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
            "due_time",
            "recurrence",
            "recurrence_mode",
            "assignee",
            "tags",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        if "tags" not in self.fields:
            return  # a view-only page: every field is shown read-only
        tags, assignee = self.fields["tags"], self.fields["assignee"]
        if self.instance.pk:
            # A task's tags and assignee come from its own project: offer only those, so two
            # projects' tags of the same name cannot be confused (the domain refuses others).
            project = self.instance.project
            tags.queryset = project.tags.all()
            assignee.widget = forms.Select()
            assignee.queryset = project.members.order_by(Lower("username"), "pk")
            tags.help_text = assignee.help_text = "From this task's project."
        else:
            # The project is not chosen yet: every tag, labelled and ordered by its project.
            tags.queryset = Tag.objects.select_related("project").order_by(
                Lower("project__name"), "project_id", Lower("name"), "id"
            )
            tags.label_from_instance = tag_with_project
            tags.help_text = "Only tags of the chosen project are accepted."


def tag_with_project(tag: Tag) -> str:
    """A tag as the add form lists it: names repeat across projects, so say which."""
    return f"{tag.name} ({tag.project.name})"


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
        _csv_cell(", ".join(tag.name for tag in task.tag_list)),
        task.created_by.username if task.created_by else "",
        iso(task.created_at),
        iso(task.completed_at),
        iso(task.updated_at),
        task.version,
        _csv_cell(task.description),
    ]


class StatusChoiceForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices, label="Move to")


class ProjectChoiceForm(forms.Form):
    project = forms.ModelChoiceField(
        queryset=Project.objects.order_by(Lower("name"), "id"),
        label="Move to project",
        help_text="Tags with the same name there are kept; an assignee who is no member there "
        "is unassigned.",
    )


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
    # Tags: a filtered list (TaskAdminForm limits it to the task's project once there is one);
    # the assignee becomes a plain list of the project's members on the change form.
    autocomplete_fields = ("project", "assignee")
    filter_horizontal = ("tags",)
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "project",
                    "title",
                    "description",
                    ("status", "priority"),
                    ("due_date", "due_time", "assignee"),
                    ("recurrence", "recurrence_mode"),
                    "tags",
                )
            },
        ),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "expected_version",
                    ("project", "status"),
                    "title",
                    "description",
                    ("priority", "due_date", "due_time", "assignee"),
                    ("recurrence", "recurrence_mode"),
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
    actions = (
        "mark_done",
        "reopen",
        "move_to_status",
        "move_to_project",
        "export_csv",
        "delete_selected",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).for_list()

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Status and project change by the actions; the record is the domain's to keep.
        return ("project", "status", *flatten_fieldsets(self.fieldsets[1:]))

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()

    @admin.display(description="tags")
    def tag_names(self, task: Task) -> str:
        return ", ".join(tag.name for tag in task.tag_list)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with refusals():
            if change:
                fields = {name: data[name] for name in EDITABLE_FIELDS if name in form.changed_data}
                if "tags" in fields:
                    fields["tags"] = list(fields["tags"])
                if fields:
                    services.task_update(
                        task=obj,
                        by=request.user,
                        as_staff=True,
                        expected_version=data["expected_version"],
                        **fields,
                    )
            else:
                task = services.task_create(
                    project=data["project"],
                    by=request.user,
                    as_staff=True,
                    title=data["title"],
                    description=data["description"],
                    status=data["status"],
                    priority=data["priority"],
                    due_date=data["due_date"],
                    due_time=data["due_time"],
                    recurrence=data["recurrence"],
                    recurrence_mode=data["recurrence_mode"],
                    assignee=data["assignee"],
                    tags=list(data["tags"]),
                )
                obj.pk = task.pk

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the domain function saved the tags with the task. The inlines
        # are read-only, so their formsets save nothing (the admin's change message reads them).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_through_service(self, request, obj):
        services.task_delete(task=obj, by=request.user, as_staff=True)

    def _each_task(self, request, queryset, change, done) -> None:
        """One domain change per task; it counts when the task's version moved."""
        tasks = queryset.select_related(None).prefetch_related(None).order_by("pk")
        self.apply_each(request, tasks, lambda task: change(task).version != task.version, done)

    @admin.action(description="Mark done", permissions=["change"], location=BOTH_LOCATIONS)
    def mark_done(self, request: HttpRequest, queryset: models.QuerySet[Task]) -> None:
        self._each_task(
            request,
            queryset,
            lambda task: services.task_complete(task=task, by=request.user, as_staff=True),
            ("Marked %d task done.", "Marked %d tasks done."),
        )

    @admin.action(description="Reopen", permissions=["change"], location=BOTH_LOCATIONS)
    def reopen(self, request: HttpRequest, queryset: models.QuerySet[Task]) -> None:
        self._each_task(
            request,
            queryset,
            lambda task: services.task_reopen(task=task, by=request.user, as_staff=True),
            ("Reopened %d task.", "Reopened %d tasks."),
        )

    @admin.action(description="Move to status…", permissions=["change"], location=BOTH_LOCATIONS)
    def move_to_status(self, request: HttpRequest, queryset: models.QuerySet[Task]):
        def apply(chosen: dict) -> None:
            status = chosen["status"]

            def move(task: Task) -> Task:
                if task.status == status:
                    return task
                # To the bottom of the column, as a drop at the end of the board would.
                return services.task_move(task=task, by=request.user, as_staff=True, status=status)

            self._each_task(request, queryset, move, ("Moved %d task.", "Moved %d tasks."))

        return self.choose_then_apply(
            request,
            queryset,
            action="move_to_status",
            form_class=StatusChoiceForm,
            title="Move these tasks to another status",
            apply=apply,
        )

    @admin.action(description="Move to project…", permissions=["change"], location=BOTH_LOCATIONS)
    def move_to_project(self, request: HttpRequest, queryset: models.QuerySet[Task]):
        def apply(chosen: dict) -> None:
            project = chosen["project"]

            def move(task: Task) -> Task:
                return services.task_update(
                    task=task, by=request.user, as_staff=True, project=project
                )

            self._each_task(request, queryset, move, ("Moved %d task.", "Moved %d tasks."))

        return self.choose_then_apply(
            request,
            queryset,
            action="move_to_project",
            form_class=ProjectChoiceForm,
            title="Move these tasks to another project",
            apply=apply,
        )

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: models.QuerySet[Task]
    ) -> StreamingHttpResponse:
        rows = (
            queryset.prefetch_related(None)
            .for_list()
            .select_related("created_by")
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
