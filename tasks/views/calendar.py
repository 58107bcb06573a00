"""
The calendars: a project's due tasks (/projects/<id>/calendar/) and mine across projects
(/calendar/), a month (the default) or a week (``?view=week``) at a time, and the reschedule
page every card links to (the way to move a task to another day without JavaScript; dragging
a card onto a day posts the same form).

Weeks start on Monday. Days are the viewer's: a timed task sits on the day its instant falls
on in the viewer's time zone, shown with its local time; an untimed one on its date. The tasks
of the visible range come in one query, however many there are.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views import View
from django.views.generic import TemplateView

from tasks import services
from tasks.models import Status, Task, require_writable
from tasks.views.pages import editable_project_ids
from tasks.views.task_access import TaskPageMixin, safe_next, today, visible_project, visible_task

RESCHEDULE_TEMPLATE = "tasks/task_reschedule.html"
ONE_DAY = datetime.timedelta(days=1)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass
class Day:
    date: datetime.date
    in_month: bool = True
    tasks: list[Task] = field(default_factory=list)

    @property
    def label(self) -> str:
        return date_format(self.date, "l j F Y")


@dataclass
class Calendar:
    view: str  # "month" or "week"
    first: datetime.date  # the first day shown (a Monday)
    last: datetime.date  # the last day shown (a Sunday)
    title: str
    previous: str  # query strings of the neighbouring ranges
    next: str
    weeks: list[list[Day]] = field(default_factory=list)


def sane(day: datetime.date) -> datetime.date:
    """A date whose neighbouring months exist (a far-off one is refused like a typo)."""
    if not 2 <= day.year <= 9998:
        raise ValueError(day)
    return day


def parse_month(value: str, fallback: datetime.date) -> datetime.date:
    """``2026-12`` → its first day; anything else → ``fallback``'s month."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return sane(datetime.date(year, month, 1))
    except (ValueError, TypeError):
        return fallback.replace(day=1)


def parse_day(value: str, fallback: datetime.date) -> datetime.date:
    try:
        return sane(datetime.date.fromisoformat(value))
    except (ValueError, TypeError):
        return fallback


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def build_calendar(query, now_day: datetime.date, done: bool) -> Calendar:
    """The range a request asks for (``view``, ``month``, ``week``), without its tasks."""
    extra = "&done=1" if done else ""
    if query.get("view") == "week":
        first = monday_of(parse_day(query.get("week", ""), now_day))
        last = first + datetime.timedelta(days=6)
        return Calendar(
            view="week",
            first=first,
            last=last,
            title=f"Week of {date_format(first, 'j F Y')}",
            previous=f"?view=week&week={(first - 7 * ONE_DAY).isoformat()}{extra}",
            next=f"?view=week&week={(first + 7 * ONE_DAY).isoformat()}{extra}",
        )
    month = parse_month(query.get("month", ""), now_day)
    next_month = (month + 32 * ONE_DAY).replace(day=1)
    previous_month = (month - ONE_DAY).replace(day=1)
    first = monday_of(month)
    last = monday_of(next_month - ONE_DAY) + 6 * ONE_DAY
    return Calendar(
        view="month",
        first=first,
        last=last,
        title=date_format(month, "F Y"),
        previous=f"?month={previous_month:%Y-%m}{extra}",
        next=f"?month={next_month:%Y-%m}{extra}",
    )


def in_range(tasks, first: datetime.date, last: datetime.date):
    """
    Tasks due from ``first`` to ``last`` as the viewer sees days: timed ones by their instant
    between the local midnights, untimed ones by their date.
    """
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time(), zone)
    end = datetime.datetime.combine(last + ONE_DAY, datetime.time(), zone)
    return tasks.filter(
        Q(due_at__isnull=True, due_date__gte=first, due_date__lte=last)
        | Q(due_at__gte=start, due_at__lt=end)
    )


def fill(calendar: Calendar, tasks: list[Task], month: int | None) -> None:
    days: dict[datetime.date, Day] = {}
    day = calendar.first
    week: list[Day] = []
    while day <= calendar.last:
        cell = Day(day, in_month=month is None or day.month == month)
        days[day] = cell
        week.append(cell)
        if len(week) == 7:
            calendar.weeks.append(week)
            week = []
        day += ONE_DAY
    for task in tasks:
        task.local_time = task.local_due_time()
        cell = days.get(task.due_day())
        if cell is not None:
            cell.tasks.append(task)
    for cell in days.values():
        # Untimed first (all day), then by local time.
        cell.tasks.sort(key=lambda t: (t.local_time is not None, t.local_time or 0, t.pk))


class CalendarMixin(TaskPageMixin):
    template_name = "tasks/calendar.html"

    def scoped_tasks(self):
        raise NotImplementedError

    def calendar_context(self, editable) -> dict:
        query = self.request.GET
        now_day = today()
        done = query.get("done") == "1"
        calendar = build_calendar(query, now_day, done)
        tasks = in_range(self.scoped_tasks(), calendar.first, calendar.last)
        if not done:
            tasks = tasks.exclude(status=Status.DONE)
        rows = list(tasks.select_related("project").order_by("due_at", "pk"))
        for task in rows:
            task.can_edit = editable(task)
        month = None
        if calendar.view == "month":
            month = parse_month(query.get("month", ""), now_day).month
        fill(calendar, rows, month)
        view_query = "view=week" if calendar.view == "week" else ""
        done_part = "done=1" if done else ""
        return {
            "calendar": calendar,
            "today": now_day,
            "done": done,
            "weekdays": WEEKDAYS,
            "today_query": "?" + "&".join(part for part in (view_query, done_part) if part),
            "done_query": self.toggle_done_query(query, done),
            "row_next": self.request.get_full_path(),
        }

    @staticmethod
    def toggle_done_query(query, done: bool) -> str:
        kept = query.copy()
        kept.pop("done", None)
        if not done:
            kept["done"] = "1"
        encoded = kept.urlencode()
        return f"?{encoded}" if encoded else "?"


class ProjectCalendarView(CalendarMixin, TemplateView):
    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        self.project = visible_project(self.request.user, self.kwargs["pk"])
        can_edit = self.project.can_write(self.request.user)
        context.update(self.calendar_context(lambda task: can_edit))
        context.update(project=self.project, can_edit=can_edit, show_project=False)
        return context

    def scoped_tasks(self):
        return Task.objects.filter(project=self.project)


class MyCalendarView(CalendarMixin, TemplateView):
    """Tasks assigned to me in my active projects (the "My tasks" scope), by due day."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        editable_ids = editable_project_ids(self.request.user)
        context.update(self.calendar_context(lambda task: task.project_id in editable_ids))
        context.update(project=None, can_edit=bool(editable_ids), show_project=True)
        return context

    def scoped_tasks(self):
        user = self.request.user
        return Task.objects.visible_to(user).filter(assignee=user, project__is_archived=False)


class RescheduleForm(forms.Form):
    due_date = forms.DateField(label="New due date")
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class TaskRescheduleView(TaskPageMixin, View):
    """
    GET: a small page to pick a task's new due date. POST ``due_date`` and ``version`` (the
    version the calendar showed): ``task_update`` moves it, keeping a timed task's local time;
    a task changed meanwhile is left alone with a message. Back to ``next`` (the calendar).
    """

    def fallback(self, task: Task) -> str:
        return reverse("tasks:project-calendar", args=[task.project_id])

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = visible_task(request.user, pk)
        require_writable(task.project, request.user)
        day = task.due_day()
        form = RescheduleForm(initial={"due_date": day, "version": task.version})
        return self.page(request, task, form)

    def page(self, request, task: Task, form: RescheduleForm, status: int = 200) -> HttpResponse:
        context = {
            "task": task,
            "project": task.project,
            "form": form,
            "next": safe_next(request, self.fallback(task)),
        }
        return render(request, RESCHEDULE_TEMPLATE, context, status=status)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = visible_task(request.user, pk)
        require_writable(task.project, request.user)
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            return self.page(request, task, form, status=400)
        target = safe_next(request, self.fallback(task))
        try:
            task = services.task_update(
                task=task,
                by=request.user,
                due_date=form.cleaned_data["due_date"],
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleVersion:
            messages.error(
                request,
                f"“{task.title}” changed while you were looking at it; it was not moved. "
                "Here is the calendar as it is now.",
            )
            return redirect(target)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(target)
        messages.success(
            request, f"Moved “{task.title}” to {date_format(task.due_day(), 'l j F')}."
        )
        return redirect(target)
