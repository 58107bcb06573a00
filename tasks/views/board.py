"""
The board: one column per status, cards in ``position`` order, and the move endpoint that
drag and drop, the keyboard controls and the no-JavaScript move form all post to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from tasks import services
from tasks.forms import TaskMoveForm
from tasks.models import Project, Status, Task
from tasks.views.task_access import (
    TaskPageMixin,
    safe_next,
    today,
    visible_project,
    visible_task,
)

#: Cards shown per column until "show more" asks for the whole column.
COLUMN_LIMIT = 50

BOARD_PARTIAL = "tasks/_board.html"


@dataclass
class Column:
    status: str
    label: str
    count: int
    tasks: list[Task] = field(default_factory=list)
    #: The neighbouring columns, for the ← and → move controls.
    previous: str | None = None
    next: str | None = None

    @property
    def hidden(self) -> int:
        return self.count - len(self.tasks)


def board_columns(project: Project, user, show: str = "") -> list[Column]:
    """
    The columns in two queries plus the tags prefetch, however many tasks there are: one
    count per status, and the first ``COLUMN_LIMIT`` cards of each column (all of ``show``)
    picked with a window function.
    """
    scoped = Task.objects.visible_to(user).filter(project=project)
    counts = dict(
        scoped.order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    limit = Q(column_rank__lte=COLUMN_LIMIT)
    if show in Status.values:
        limit |= Q(status=show)
    cards = (
        scoped.for_list()
        .annotate(
            column_rank=Window(
                RowNumber(), partition_by=[F("status")], order_by=[F("position"), F("id")]
            )
        )
        .filter(limit)
        .order_by("position", "id")
    )
    columns = {value: Column(value, label, counts.get(value, 0)) for value, label in Status.choices}
    for task in cards:
        columns[task.status].tasks.append(task)
    ordered = list(columns.values())
    for left, right in zip(ordered, ordered[1:], strict=False):
        left.next, right.previous = right.status, left.status
    return ordered


def board_context(project: Project, user, show: str = "") -> dict:
    columns = board_columns(project, user, show)
    statuses = [column.status for column in columns]
    return {
        "project": project,
        "columns": columns,
        "status_choices": Status.choices,
        "can_edit": project.can_write(user),
        "show": show if show in statuses else "",
        "today": today(),
    }


class BoardView(TaskPageMixin, TemplateView):
    template_name = "tasks/board.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        project = visible_project(self.request.user, self.kwargs["pk"])
        context.update(board_context(project, self.request.user, self.request.GET.get("show", "")))
        return context


class TaskMoveView(TaskPageMixin, View):
    """
    POST ``status`` and ``index`` (0 = top of the column, empty = bottom). htmx and the
    board script get the re-drawn board back; a plain form post is redirected.
    """

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = visible_task(request.user, pk)
        form = TaskMoveForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(
                "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
                content_type="text/plain; charset=utf-8",
            )
        try:
            task = services.task_move(
                task=task,
                by=request.user,
                status=form.cleaned_data["status"],
                index=form.cleaned_data["index"],
            )
        except ValidationError as error:
            return HttpResponseBadRequest(
                " ".join(error.messages), content_type="text/plain; charset=utf-8"
            )
        project = task.project
        show = request.POST.get("show", "")
        if request.htmx:
            context = board_context(project, request.user, show)
            context["moved"] = task.pk
            return render(request, BOARD_PARTIAL, context)
        messages.success(request, f"Moved “{task.title}” to {task.get_status_display()}.")
        board = reverse("tasks:project-board", args=[project.pk])
        if show in Status.values:
            board += f"?show={show}"
        return redirect(safe_next(request, board))
