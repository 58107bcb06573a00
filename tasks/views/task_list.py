"""
A project's task list (filters, sort, pages, quick add) and the new-task form.

Default order, when no sort is chosen: open tasks before done ones, then by due date (undated
last), then most urgent first, then oldest first — what needs doing next is at the top.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import retarget

from accounts.models import User
from tasks import services
from tasks.filters import DueBucket, TaskFilter, order_tasks
from tasks.forms import TaskForm, apply_service_errors
from tasks.models import Priority, Project, Status, Task, TaskQuerySet, require_writable
from tasks.views.task_access import (
    TaskPageMixin,
    safe_next,
    today,
    visible_project,
)

PAGE_SIZE = 50

#: The sort menu: query-string value → label ("" is the default order described above).
SORTS = [
    ("", "Next up"),
    ("due_date", "Due date"),
    ("-priority", "Priority"),
    ("-created", "Newest"),
    ("created", "Oldest"),
    ("-updated", "Recently updated"),
    ("title", "Title"),
]
SORT_VALUES = {value for value, _ in SORTS if value}

#: Query-string keys the list reads as filters (the same names as the API's).
FILTER_KEYS = ["search", "status", "priority", "assignee", "tag", "due"]


def next_up_order(queryset: TaskQuerySet) -> TaskQuerySet:
    """Open before done, then due date (undated last), then priority, then oldest."""
    return queryset.with_priority_rank().order_by(
        Case(
            When(status=Status.DONE, then=Value(1)), default=Value(0), output_field=IntegerField()
        ),
        F("due_date").asc(nulls_last=True),
        F("priority_rank").desc(),
        "id",
    )


def sort_tasks(queryset: TaskQuerySet, sort: str) -> TaskQuerySet:
    if sort in SORT_VALUES:
        return order_tasks(queryset, sort)
    return next_up_order(queryset)


@dataclass(frozen=True)
class Chip:
    """One active filter, shown as a chip whose link removes it."""

    label: str
    remove_url: str


def without(query: QueryDict, key: str, value: str | None = None) -> str:
    """The query string minus one filter value (or the whole key), back on page one."""
    remaining = query.copy()
    remaining.pop("page", None)
    if value is None:
        remaining.pop(key, None)
    else:
        remaining.setlist(key, [v for v in remaining.getlist(key) if v != value])
    encoded = remaining.urlencode()
    return f"?{encoded}" if encoded else "?"


def filter_chips(query: QueryDict, *, members: list[User], tags: list, user) -> list[Chip]:
    """Chips for the filters in ``query``, labelled in words rather than ids."""
    status_labels = dict(Status.choices)
    priority_labels = dict(Priority.choices)
    due_labels = dict(DueBucket.CHOICES)
    people = {str(member.pk): member.name for member in members}
    people.update({"me": "me", "none": "nobody", str(user.pk): "me"})
    tag_names = {str(tag.pk): tag.name for tag in tags}
    chips = []
    for key in FILTER_KEYS:
        for value in query.getlist(key):
            if not value.strip():
                continue
            if key == "search":
                label = f"Text: “{value}”"
            elif key == "status":
                label = f"Status: {status_labels.get(value, value)}"
            elif key == "priority":
                label = f"Priority: {priority_labels.get(value, value)}"
            elif key == "assignee":
                label = f"Assignee: {people.get(value.lower(), value)}"
            elif key == "tag":
                label = f"Tag: {tag_names.get(value, value)}"
            else:
                label = f"Due: {due_labels.get(value, value)}"
            chips.append(Chip(label, without(query, key, value)))
    return chips


def project_members(project: Project) -> list[User]:
    """The project's members: the assignee choices of every form on these pages."""
    return list(
        User.objects.filter(memberships__project=project).order_by("display_name", "username")
    )


class ProjectDetailView(TaskPageMixin, TemplateView):
    """The task list of one project."""

    template_name = "tasks/task_list.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        request, user = self.request, self.request.user
        project = visible_project(user, self.kwargs["pk"])
        editable = project.can_write(user)
        members = project_members(project)
        tags = list(project.tags.all())

        query = request.GET.copy()
        query.pop("project", None)  # the page is the project
        # The page's project is known: rows share it instead of each joining a copy of it.
        tasks = (
            Task.objects.visible_to(user)
            .filter(project=project)
            .for_list()
            .select_related(None)
            .select_related("assignee")
            .defer("description")
        )
        filter_errors = {}
        if any(value.strip() for key in FILTER_KEYS for value in query.getlist(key)):
            # Built only when filtering: an unfiltered page (the usual first view) skips
            # the FilterSet's form, which costs about a tenth of the page.
            task_filter = TaskFilter(query, queryset=tasks, request=request)
            tasks, filter_errors = task_filter.qs, task_filter.errors
        sort = query.get("sort", "")
        tasks = sort_tasks(tasks, sort)
        page = Paginator(tasks, PAGE_SIZE).get_page(query.get("page"))
        rows = list(page.object_list)
        for task in rows:
            task.project = project
            # Computed once for the page: no per-row permission query.
            task.can_edit = editable

        chips = filter_chips(query, members=members, tags=tags, user=user)
        context.update(
            project=project,
            can_edit=editable,
            members=members,
            tags=tags,
            page_obj=page,
            tasks=rows,
            chips=chips,
            filter_errors=filter_errors,
            values={key: query.get(key, "") for key in [*FILTER_KEYS, "sort"]},
            statuses=Status.choices,
            priorities=Priority.choices,
            due_buckets=DueBucket.CHOICES,
            sorts=SORTS,
            clear_url=f"?sort={sort}" if sort else "?",
            today=today(),
            list_url=request.get_full_path(),
            row_next=request.get_full_path(),
        )
        return context


class TaskCreateView(TaskPageMixin, View):
    """The new-task form; the list's quick add posts here too (``title`` alone is enough)."""

    template_name = "tasks/task_form.html"

    def get_project(self) -> Project:
        return visible_project(self.request.user, self.kwargs["pk"])

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = self.get_project()
        # Only the form is drawn here: ask the rule the service applies when it is sent.
        require_writable(project, request.user)
        initial = {
            key: request.GET[key] for key in ("status", "due_date", "title") if key in request.GET
        }
        form = TaskForm(project=project, initial=initial)
        return self.render_form(project, form)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = self.get_project()
        form = TaskForm(request.POST, project=project)
        task = None
        if form.is_valid():
            try:
                task = services.task_create(project=project, by=request.user, **form.task_fields())
            except ValidationError as error:
                apply_service_errors(form, error)
        if task is None:
            if request.htmx and request.POST.get("quick"):
                return retarget(self.quick_add(project, form), "#quick-add")
            return self.render_form(project, form)
        if request.htmx and request.POST.get("quick"):
            task.can_edit = True
            task.tag_list = list(task.tags.all())
            return render(
                request,
                "tasks/_quick_add_result.html",
                {
                    "task": task,
                    "today": today(),
                    "project": project,
                    "members": project_members(project),
                    "quick_form": TaskForm(project=project),
                    "list_url": safe_next(request, project.get_absolute_url()),
                    "row_next": request.htmx.current_url_abs_path or "",
                },
            )
        messages.success(request, f"Added “{task.title}”.")
        return redirect(safe_next(request, project.get_absolute_url()))

    def quick_add(self, project: Project, form: TaskForm) -> HttpResponse:
        return render(
            self.request,
            "tasks/_quick_add.html",
            {
                "project": project,
                "members": project_members(project),
                "quick_form": form,
                "list_url": safe_next(self.request, project.get_absolute_url()),
            },
        )

    def render_form(self, project: Project, form: TaskForm) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {"project": project, "form": form, "next": safe_next(self.request, "")},
        )
