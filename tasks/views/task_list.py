"""
A project's task list (filters, sort, pages, quick add) and the new-task form.

Done tasks are left out unless asked for ("Show completed", or Done among the statuses chosen).
Default order, when no sort is chosen: open tasks before done ones, then (when searching) the
best matches, then by when it is due (by instant in the viewer's time zone; untimed tasks
after the timed ones of their date; undated last), then most urgent first, then oldest
first — what needs doing next is at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import retarget

from accounts.models import User
from tasks import quickadd, services
from tasks.filters import OPEN, DueBucket, TaskListFilter, order_tasks
from tasks.forms import TaskForm, apply_service_errors
from tasks.models import (
    Priority,
    Project,
    Status,
    Task,
    TaskQuerySet,
    due_sort_key,
    require_writable,
)
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
#: ``?completed=show`` lists done tasks too; without it (and without a status chosen) they are
#: left out, so the list is what is still to do.
SHOW_COMPLETED = ("completed", "show")
STATUS_CHOICES = [(OPEN, "Open"), *Status.choices]


def done_last() -> Case:
    return Case(
        When(status=Status.DONE, then=Value(1)), default=Value(0), output_field=IntegerField()
    )


def next_up_order(queryset: TaskQuerySet, *, ranked: bool = False) -> TaskQuerySet:
    """
    Open before done, then (``ranked``: after a text search) best match first, then due date
    (undated last), then priority, then oldest.
    """
    rank = [F("search_rank").desc()] if ranked else []
    return (
        queryset.with_priority_rank()
        .alias(due_key=due_sort_key())
        .order_by(
            done_last(),
            *rank,
            F("due_key").asc(nulls_last=True),
            F("priority_rank").desc(),
            "id",
        )
    )


def sort_tasks(queryset: TaskQuerySet, sort: str, *, ranked: bool = False) -> TaskQuerySet:
    if sort in SORT_VALUES:
        return order_tasks(queryset, sort)
    return next_up_order(queryset, ranked=ranked)


def filled(query: QueryDict, key: str) -> list[str]:
    return [value for value in query.getlist(key) if value.strip()]


def shows_completed(query: QueryDict) -> bool:
    """Done tasks are listed when asked for, or when the statuses chosen say which to list."""
    key, value = SHOW_COMPLETED
    return query.get(key) == value or bool(filled(query, "status"))


def list_tasks(request: HttpRequest, project: Project, query: QueryDict):
    """
    The project's tasks as the list shows them for ``query`` (filters, completed or not, sort),
    and the filter errors. The page and the counts sent after an htmx action share it.
    """
    # The page's project is known: rows share it instead of each joining a copy of it.
    tasks = (
        Task.objects.visible_to(request.user)
        .filter(project=project)
        .for_list()
        .select_related(None)
        .select_related("assignee")
        .defer("description")
    )
    if not shows_completed(query):
        tasks = tasks.open()
    filter_errors = {}
    if any(filled(query, key) for key in FILTER_KEYS):
        # Built only when filtering: an unfiltered page (the usual first view) skips
        # the FilterSet's form, which costs about a tenth of the page.
        task_filter = TaskListFilter(query, queryset=tasks, request=request)
        tasks, filter_errors = task_filter.qs, task_filter.errors
    ranked = bool(query.get("search", "").strip()) and "search" not in filter_errors
    return sort_tasks(tasks, query.get("sort", ""), ranked=ranked), filter_errors


def counts_after_change(request: HttpRequest, project: Project) -> dict:
    """
    Context for ``tasks/_counts_oob.html``: the counts an htmx change to one of ``project``'s
    tasks alters. The list's "N tasks" is counted again only when the change came from that
    project's list, with the filters of the page the person is looking at.
    """
    project.open_count = project.tasks.open().count()
    context = {"counted_project": project, "list_count": None, "list_filtered": False}
    page = urlsplit(request.htmx.current_url_abs_path or "")
    try:
        match = resolve(page.path)
    except Resolver404:
        return context
    if match.view_name != "tasks:project-detail" or match.kwargs.get("pk") != project.pk:
        return context
    query = QueryDict(page.query, mutable=True)
    query.pop("project", None)
    tasks, _ = list_tasks(request, project, query)
    key, value = SHOW_COMPLETED
    context["list_count"] = tasks.count()
    context["list_filtered"] = query.get(key) == value or any(
        filled(query, name) for name in FILTER_KEYS
    )
    return context


def choice_summary(chosen: list[str], choices: list[tuple[str, str]], anything: str) -> str:
    """ "To do, In progress" for the chosen values of a multiple-choice filter."""
    labels = [label for value, label in choices if value in chosen]
    return ", ".join(labels) if labels else anything


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
    status_labels = dict(STATUS_CHOICES)
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
    key, value = SHOW_COMPLETED
    if query.get(key) == value:
        chips.append(Chip("Completed shown", without(query, key)))
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
        tasks, filter_errors = list_tasks(request, project, query)
        sort = query.get("sort", "")
        page = Paginator(tasks, PAGE_SIZE).get_page(query.get("page"))
        rows = list(page.object_list)
        for task in rows:
            task.project = project
            # Computed once for the page: no per-row permission query.
            task.can_edit = editable

        chips = filter_chips(query, members=members, tags=tags, user=user)
        # An empty list that only looks empty because everything is done says so.
        all_done = (
            not rows
            and not chips
            and not shows_completed(query)
            and project.tasks.filter(status=Status.DONE).exists()
        )
        context.update(
            all_done=all_done,
            show_completed_url=f"?{query.urlencode()}&completed=show".replace("?&", "?"),
            project=project,
            can_edit=editable,
            members=members,
            tags=tags,
            page_obj=page,
            tasks=rows,
            chips=chips,
            filter_errors=filter_errors,
            values={
                **{key: query.get(key, "") for key in [*FILTER_KEYS, "sort"]},
                "status": filled(query, "status"),
                "priority": filled(query, "priority"),
            },
            status_summary=choice_summary(filled(query, "status"), STATUS_CHOICES, "Any"),
            priority_summary=choice_summary(filled(query, "priority"), Priority.choices, "Any"),
            show_completed=shows_completed(query),
            completed_chosen=query.get(SHOW_COMPLETED[0]) == SHOW_COMPLETED[1],
            statuses=STATUS_CHOICES,
            priorities=Priority.choices,
            due_buckets=DueBucket.CHOICES,
            sorts=SORTS,
            clear_url=f"?sort={sort}" if sort else "?",
            today=today(),
            list_url=request.get_full_path(),
            row_next=request.get_full_path(),
        )
        return context


class QuickAddPreviewView(TaskPageMixin, View):
    """What the quick add understands of its line so far, as chips (htmx, while typing)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = visible_project(request.user, pk)
        require_writable(project, request.user)
        text = request.GET.get("title", "")[:500]
        parsed = quickadd.parse_for(project, request.user, text) if text.strip() else None
        return render(request, "tasks/_quick_add_chips.html", {"parsed": parsed})

    def handle_no_permission(self) -> HttpResponse:
        if getattr(self.request, "htmx", False) and not self.request.user.is_authenticated:
            # The session ended while typing: no chips, and the page (with what was typed)
            # stays; sending the line says the session expired.
            return render(self.request, "tasks/_quick_add_chips.html", {"parsed": None})
        return super().handle_no_permission()


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
        require_writable(project, request.user)
        data = request.POST
        if data.get("quick"):
            # The quick add reads its line: "Pay rent tomorrow 5pm p1 #finance @ben".
            data = data.copy()
            quickadd.merge_into(
                data, quickadd.parse_for(project, request.user, data.get("title", ""))
            )
        form = TaskForm(data, project=project)
        if "preview" in request.POST:
            # Show the description as it will read; nothing is saved.
            return self.render_form(project, form, preview=form.data.get("description", ""))
        task = None
        if form.is_valid():
            try:
                task = services.task_create(project=project, by=request.user, **form.task_fields())
            except ValidationError as error:
                apply_service_errors(form, error)
        if task is None:
            if request.htmx and request.POST.get("quick"):
                # The line comes back as typed: sent again, it reads the same.
                form.data["title"] = request.POST.get("title", "")
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
                    **counts_after_change(request, project),
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

    def render_form(
        self, project: Project, form: TaskForm, preview: str | None = None
    ) -> HttpResponse:
        # The title is where a new task starts: focused on arrival, and "n" comes back to it.
        form.fields["title"].widget.attrs.update({"autofocus": True, "data-shortcut": "n"})
        context = {"project": project, "form": form, "next": safe_next(self.request, "")}
        if preview is not None:
            context["preview"] = preview
        return render(self.request, self.template_name, context)
