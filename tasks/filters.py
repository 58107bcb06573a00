"""
Task filtering and search, shared by the task-list page and the API so that both read the
same query string the same way.

Every choice a filter offers (projects, tags) comes from the caller's own scope, so a
foreign id is "not a valid choice" rather than a way to probe other projects.
"""

from __future__ import annotations

import datetime
import re

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.validators import RegexValidator
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from tasks.models import Priority, Project, Status, Tag, TaskQuerySet, due_sort_key

SEARCH_CONFIG = "english"


def search_vector() -> SearchVector:
    """The document searched on PostgreSQL; the GIN index ``task_search`` is built on it."""
    return SearchVector("title", "description", config=SEARCH_CONFIG)


def search_tasks(queryset: TaskQuerySet, text: str) -> TaskQuerySet:
    """
    Tasks whose title or description matches ``text``, annotated with ``search_rank``.

    PostgreSQL: full-text search (web-search syntax, stemming, ranked, GIN-indexed).
    Elsewhere: a case-insensitive substring match, every match ranked equally.
    """
    text = (text or "").strip()
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        # Match with ``@@`` on the indexed expression (the GIN index serves it), then rank.
        return (
            queryset.annotate(search_document=search_vector())
            .filter(search_document=query)
            .annotate(search_rank=SearchRank(search_vector(), query))
        )
    matches = Q(title__icontains=text) | Q(description__icontains=text)
    return queryset.filter(matches).annotate(search_rank=Value(1.0))


#: Sort keys offered by the list page and the API (``-`` prefix for descending), mapped to
#: the column or annotation behind them. Priority sorts by rank, not alphabetically.
TASK_ORDERINGS = {
    "due_date": "due_date",
    "priority": "priority_rank",
    "created": "created_at",
    "updated": "updated_at",
    "position": "position",
    "title": "title",
}


def order_tasks(queryset: TaskQuerySet, ordering: str) -> TaskQuerySet:
    """Sort by one whitelisted key; undated tasks always come last; ``id`` breaks ties."""
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    field = TASK_ORDERINGS.get(key)
    if field is None:
        return queryset
    if field == "priority_rank":
        queryset = queryset.with_priority_rank()
    if field == "due_date":
        # By instant in the viewer's zone (untimed tasks at the end of their day).
        queryset, field = queryset.alias(due_key=due_sort_key()), "due_key"
    expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return queryset.order_by(expression, "-id" if descending else "id")


def start_of_day(day: datetime.date) -> datetime.datetime:
    """The first instant of ``day`` in the active time zone (the viewer's)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def due_on_or_before(day: datetime.date) -> Q:
    """Due on ``day`` or earlier for the viewer: untimed by date, timed by instant."""
    following = start_of_day(day + datetime.timedelta(days=1))
    return Q(due_at__isnull=True, due_date__lte=day) | Q(due_at__lt=following)


def due_on_or_after(day: datetime.date) -> Q:
    """Due on ``day`` or later for the viewer: untimed by date, timed by instant."""
    return Q(due_at__isnull=True, due_date__gte=day) | Q(due_at__gte=start_of_day(day))


def overdue_q(today: datetime.date) -> Q:
    """
    Open tasks past due: a timed one once its instant has passed, an untimed one once its
    date is before the viewer's ``today``.
    """
    passed = Q(due_at__isnull=True, due_date__lt=today) | Q(due_at__lt=timezone.now())
    return passed & ~Q(status=Status.DONE)


class DueBucket:
    """The due-date shortcuts of the list page."""

    OVERDUE = "overdue"
    TODAY = "today"
    WEEK = "week"
    LATER = "later"
    NONE = "none"
    CHOICES = [
        (OVERDUE, "Overdue"),
        (TODAY, "Today"),
        (WEEK, "Next 7 days"),
        (LATER, "Later"),
        (NONE, "No date"),
    ]


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``); anything else is an error, not "no filter"."""

    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def to_python(self, value):
        text = str(value or "").strip().lower()
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


ASSIGNEE_VALUE = r"^(\d{1,18}|me|none)$"


class AssigneeField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(
                ASSIGNEE_VALUE,
                flags=re.IGNORECASE,
                message="Use a user id, me or none.",
            )
        )


@extend_schema_field(
    {
        "type": "string",
        "pattern": ASSIGNEE_VALUE,
        "description": "An id, `me` or `none`: a user's tasks, yours, or unassigned ones.",
    }
)
class AssigneeFilter(django_filters.CharFilter):
    field_class = AssigneeField


PARENT_VALUE = r"^(\d{1,18}|none)$"


class ParentField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(PARENT_VALUE, flags=re.IGNORECASE, message="Use a task id or none.")
        )


@extend_schema_field(
    {
        "type": "string",
        "pattern": PARENT_VALUE,
        "description": "A task id or `none`: that task's direct subtasks, or top-level tasks.",
    }
)
class ParentFilter(django_filters.CharFilter):
    field_class = ParentField


def _visible_projects(request):
    user = getattr(request, "user", None)
    return Project.objects.visible_to(user) if user else Project.objects.none()


def _visible_tags(request):
    user = getattr(request, "user", None)
    return Tag.objects.visible_to(user) if user else Tag.objects.none()


class TaskFilter(django_filters.FilterSet):
    project = django_filters.ModelChoiceFilter(
        queryset=_visible_projects, help_text="A project id."
    )
    # distinct=False: both are plain columns, so no row can repeat, and a DISTINCT over every
    # selected column would make PostgreSQL sort the whole match before applying LIMIT.
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, distinct=False, help_text="Any of these statuses (repeatable)."
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, distinct=False, help_text="Any of these priorities (repeatable)."
    )
    assignee = AssigneeFilter(
        method="filter_assignee",
        help_text="An id, `me` or `none`: a user's tasks, yours, or unassigned ones.",
    )
    tag = django_filters.ModelChoiceFilter(
        queryset=_visible_tags, field_name="tags", help_text="A tag id."
    )
    due_before = django_filters.DateFilter(
        method="filter_due_before",
        help_text=(
            "Due on or before this date (a timed task: its instant falls on or before this "
            "day in your time zone)."
        ),
    )
    due_after = django_filters.DateFilter(
        method="filter_due_after",
        help_text=(
            "Due on or after this date (a timed task: its instant falls on or after this "
            "day in your time zone)."
        ),
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        help_text="`true`: open tasks whose due date has passed; `false`: all others.",
    )
    due = django_filters.ChoiceFilter(
        choices=DueBucket.CHOICES,
        method="filter_due",
        label="Due",
        help_text="A due-date bucket, counted from today in your time zone.",
    )
    search = django_filters.CharFilter(
        method="filter_search", help_text="Words in the title or description."
    )
    parent = ParentFilter(
        method="filter_parent",
        help_text="A task id or `none`: that task's direct subtasks, or top-level tasks.",
    )

    def filter_parent(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip().lower()
        if value == "none":
            return queryset.filter(parent__isnull=True)
        return queryset.filter(parent_id=int(value))

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip().lower()
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_due_before(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(due_on_or_before(value)) if value else queryset

    def filter_due_after(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(due_on_or_after(value)) if value else queryset

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if value is None:
            return queryset
        overdue = overdue_q(self.today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_due(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        today = self.today()
        week_end = today + datetime.timedelta(days=7)
        if value == DueBucket.OVERDUE:
            return queryset.filter(overdue_q(today))
        if value == DueBucket.TODAY:
            return queryset.filter(due_on_or_after(today) & due_on_or_before(today))
        if value == DueBucket.WEEK:
            return queryset.filter(due_on_or_after(today) & due_on_or_before(week_end))
        if value == DueBucket.LATER:
            return queryset.filter(due_on_or_after(week_end + datetime.timedelta(days=1)))
        if value == DueBucket.NONE:
            return queryset.filter(due_date__isnull=True)
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_tasks(queryset, value)

    def today(self) -> datetime.date:
        """Today in the caller's time zone (the active one, set per request)."""
        return timezone.localdate()


#: The list page's extra status choice: every status but Done.
OPEN = "open"


class TaskListFilter(TaskFilter):
    """The task-list page's filters: the API's, with "Open" among the statuses."""

    status = django_filters.MultipleChoiceFilter(
        choices=[(OPEN, "Open"), *Status.choices], method="filter_status"
    )

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        statuses = set(value)
        if OPEN in statuses:
            statuses.discard(OPEN)
            statuses.update(status for status in Status.values if status != Status.DONE)
        return queryset.filter(status__in=statuses)
