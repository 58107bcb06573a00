"""The pages that span projects: the dashboard, my tasks and search."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.generic import TemplateView

from tasks.filters import search_tasks
from tasks.models import Project, Task, due_sort_key
from tasks.views.task_access import TaskPageMixin, today
from tasks.views.task_list import SORTS, done_last, sort_tasks

PAGE_SIZE = 50
#: The dashboard lists at most this many of my open tasks (the rest are on "My tasks").
DASHBOARD_LIMIT = 200
CHART_DAYS = 30
CHART_WIDTH = 600
CHART_HEIGHT = 120


@dataclass
class Section:
    key: str
    title: str
    tasks: list[Task] = field(default_factory=list)


@dataclass(frozen=True)
class Bar:
    day: datetime.date
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self) -> str:
        noun = "task" if self.count == 1 else "tasks"
        return f"{date_format(self.day, 'D j M')}: {self.count} {noun} completed"


def group_by_due(
    tasks: list[Task], today: datetime.date, now: datetime.datetime | None = None
) -> list[Section]:
    """
    Overdue / Today / Next 7 days / Later / No date, in that order, for a viewer whose
    ``today`` it is (in the active time zone): a timed task falls on the local date of its
    instant and is overdue once that has passed.
    """
    now = now or timezone.now()
    sections = {
        "overdue": Section("overdue", "Overdue"),
        "today": Section("today", "Today"),
        "week": Section("week", "Next 7 days"),
        "later": Section("later", "Later"),
        "none": Section("none", "No date"),
    }
    week_end = today + datetime.timedelta(days=7)
    for task in tasks:
        day = task.due_day()
        if day is None:
            key = "none"
        elif task.is_overdue(today, now):
            key = "overdue"
        elif day <= today:
            key = "today"
        elif day <= week_end:
            key = "week"
        else:
            key = "later"
        sections[key].tasks.append(task)
    return list(sections.values())


def completion_chart(user, today: datetime.date) -> dict:
    """Tasks completed per day over the last ``CHART_DAYS`` days, in the user's time zone."""
    zone = timezone.get_current_timezone()
    first = today - datetime.timedelta(days=CHART_DAYS - 1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    per_day = dict(
        Task.objects.visible_to(user)
        .filter(completed_at__gte=start)
        .annotate(day=TruncDate("completed_at", tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    days = [first + datetime.timedelta(days=i) for i in range(CHART_DAYS)]
    counts = [(day, per_day.get(day, 0)) for day in days]
    peak = max((n for _, n in counts), default=0)
    slot = CHART_WIDTH / CHART_DAYS
    bars = []
    for i, (day, n) in enumerate(counts):
        height = (n / peak) * (CHART_HEIGHT - 4) if peak else 0
        # An empty day still gets a hairline, so the time axis reads as continuous.
        height = max(height, 1.5)
        bars.append(
            Bar(day, n, round(i * slot + 2, 2), round(CHART_HEIGHT - height, 2), slot - 4, height)
        )
    return {
        "bars": bars,
        "total": sum(n for _, n in counts),
        "peak": peak,
        "first": first,
        "last": today,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }


def mark_editable(tasks: list[Task], editable_ids: set[int]) -> None:
    """Each row's complete control, decided from one list of projects for the whole page."""
    for task in tasks:
        task.can_edit = task.project_id in editable_ids


def editable_project_ids(user) -> set[int]:
    return set(Project.objects.writable_by(user).values_list("pk", flat=True))


class DashboardView(TaskPageMixin, TemplateView):
    template_name = "tasks/dashboard.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        now = today()
        mine = list(
            Task.objects.visible_to(user)
            .open()
            .filter(assignee=user, project__is_archived=False)
            .for_list()
            .alias(due_key=due_sort_key())
            .order_by(F("due_key").asc(nulls_last=True), "id")[:DASHBOARD_LIMIT]
        )
        projects = list(Project.objects.visible_to(user).active().with_task_counts())
        editable = {p.pk for p in projects if p.can_write(user)}
        mark_editable(mine, editable)
        for project in projects:
            project.percent_done = (
                round(100 * project.done_count / project.task_count) if project.task_count else 0
            )
        context.update(
            sections=group_by_due(mine, now),
            open_count=len(mine),
            truncated=len(mine) == DASHBOARD_LIMIT,
            projects=projects,
            chart=completion_chart(user, now),
            today=now,
            row_next=self.request.get_full_path(),
            hide_assignee=True,
        )
        return context


class MyTasksView(TaskPageMixin, TemplateView):
    """Open tasks assigned to me in every active project, sortable, 50 a page."""

    template_name = "tasks/my_tasks.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        user, query = self.request.user, self.request.GET
        sort = query.get("sort", "")
        tasks = sort_tasks(
            Task.objects.visible_to(user)
            .open()
            .filter(assignee=user, project__is_archived=False)
            .for_list(),
            sort,
        )
        page = Paginator(tasks, PAGE_SIZE).get_page(query.get("page"))
        rows = list(page.object_list)
        mark_editable(rows, editable_project_ids(user))
        context.update(
            page_obj=page,
            tasks=rows,
            sort=sort,
            sorts=SORTS,
            today=today(),
            show_project=True,
            hide_assignee=True,
            row_next=self.request.get_full_path(),
        )
        return context


class SearchView(TaskPageMixin, TemplateView):
    """
    Tasks in all my projects whose title or description match ``q``: open ones first (what
    is still to do), then best match first.
    """

    template_name = "tasks/search.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        q = self.request.GET.get("q", "").strip()
        context.update(
            q=q,
            today=today(),
            show_project=True,
            tasks=[],
            page_obj=None,
            row_next=self.request.get_full_path(),
        )
        if q:
            results = search_tasks(Task.objects.visible_to(user).for_list(), q).order_by(
                done_last(), "-search_rank", "-updated_at", "-id"
            )
            page = Paginator(results, PAGE_SIZE).get_page(self.request.GET.get("page"))
            rows = list(page.object_list)
            mark_editable(rows, editable_project_ids(user))
            context.update(page_obj=page, tasks=rows)
        return context
