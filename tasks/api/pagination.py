"""The task and member orderings, on the API's generic keyset pagination."""

from __future__ import annotations

from project.api.pagination import (
    KeysetPagination,
    SortKey,
    lower,
    parse_date,
    parse_datetime,
    parse_int,
    parse_str,
)
from tasks.filters import TASK_ORDERINGS
from tasks.models import due_date_sort_key, priority_rank_expression


def task_sort_keys() -> dict[str, SortKey]:
    """The API's task orderings: the shared ``TASK_ORDERINGS`` keys, made non-null for keysets."""
    columns = {
        "created": parse_datetime,
        "updated": parse_datetime,
        "position": parse_int,
    }
    keys = {name: SortKey.column(TASK_ORDERINGS[name], parse) for name, parse in columns.items()}
    keys["priority"] = SortKey(priority_rank_expression, priority_rank_expression, parse_int)
    keys["due_date"] = SortKey(
        due_date_sort_key, lambda: due_date_sort_key(descending=True), parse_date
    )
    return keys


class TaskPagination(KeysetPagination):
    ordering_query_param = "ordering"
    sort_keys = task_sort_keys()
    default_ordering = "-created"
    ordering_note = "tasks without a due date come last either way, "


class MemberPagination(KeysetPagination):
    sort_keys = {"username": SortKey(lower("user__username"), lower("user__username"), parse_str)}
    default_ordering = "username"
