"""
Keyset ("cursor") pagination for every list of the API.

DRF's ``CursorPagination`` keys on a single field and falls back to offsets among equal
values; lists sort by nullable dates and by computed ranks, so here the cursor
holds ``(sort key, id)`` and the next page is ``WHERE (key, id) > (k, i)``: a walk sees each
row exactly once however many rows are added or removed meanwhile, no page costs a COUNT,
and page 1,000 costs what page 1 costs. Nullable keys are coalesced to a sentinel that sorts
them last in either direction.

This module knows no app: a list's sort keys are ``SortKey``s that its view passes in by
subclassing ``KeysetPagination`` (the task orderings live with the task viewset).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Expression, F, Q, QuerySet
from django.db.models.functions import Lower
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

SORT_KEY = "_sort_key"


def parse_datetime(value: Any) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def parse_date(value: Any) -> datetime.date:
    return datetime.date.fromisoformat(value)


def parse_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not an integer")
    return value


def parse_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


@dataclass(frozen=True)
class SortKey:
    """How one ``ordering`` value sorts: a non-null expression per direction, and its type."""

    ascending: Callable[[], Expression]
    descending: Callable[[], Expression]
    parse: Callable[[Any], Any]

    @classmethod
    def column(cls, name: str, parse: Callable[[Any], Any]) -> SortKey:
        return cls(lambda: F(name), lambda: F(name), parse)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class KeysetPagination(BasePagination):
    """``?cursor=`` and ``?page_size=`` (default 50, larger than 200 is capped to 200)."""

    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    #: Set to a name to let clients choose among ``sort_keys`` (``-`` for descending).
    ordering_query_param: str | None = None
    sort_keys: dict[str, SortKey] = {"id": SortKey.column("id", parse_int)}
    default_ordering = "id"
    #: Said in the schema about ``ordering`` before "``id`` breaks ties".
    ordering_note = ""

    # -- request ----------------------------------------------------------------------
    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["Use a whole number from 1."]})
        return min(size, self.max_page_size)

    def get_ordering(self, request) -> tuple[str, bool]:
        value = self.default_ordering
        if self.ordering_query_param:
            value = request.query_params.get(self.ordering_query_param, "").strip() or value
        name = value.removeprefix("-")
        if name not in self.sort_keys:
            choices = ", ".join(self.sort_keys)
            raise ValidationError(
                {self.ordering_query_param or "ordering": [f"Order by one of: {choices}."]}
            )
        return value, value.startswith("-")

    def decode_cursor(self, request, ordering: str) -> tuple[Any, int, bool] | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            padded = encoded + "=" * (-len(encoded) % 4)
            raw_ordering, value, pk, reverse = json.loads(base64.urlsafe_b64decode(padded))
            if raw_ordering != ordering:
                raise ValueError("cursor made for another ordering")
            value = self.sort_keys[ordering.removeprefix("-")].parse(value)
            return value, parse_int(pk), bool(reverse)
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
            raise ValidationError(
                {self.cursor_query_param: ["Invalid cursor; follow the next/previous links."]}
            ) from None

    def encode_cursor(self, row: Any, reverse: bool) -> str:
        value = row[SORT_KEY] if isinstance(row, dict) else getattr(row, SORT_KEY)
        pk = row["id"] if isinstance(row, dict) else row.pk
        payload = json.dumps([self.ordering, _encode_value(value), pk, int(reverse)])
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    # -- the page ---------------------------------------------------------------------
    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        """One query: ``page_size + 1`` rows tell whether there is more, no COUNT needed."""
        self.request = request
        size = self.get_page_size(request)
        self.ordering, descending = self.get_ordering(request)
        key = self.sort_keys[self.ordering.removeprefix("-")]
        cursor = self.decode_cursor(request, self.ordering)
        reverse = bool(cursor and cursor[2])
        # A "previous" cursor reads backwards from the page's first row, then flips.
        backwards = descending != reverse
        expression = key.descending() if descending else key.ascending()
        queryset = queryset.annotate(**{SORT_KEY: expression})
        if cursor:
            value, pk, _ = cursor
            op = "lt" if backwards else "gt"
            queryset = queryset.filter(
                Q(**{f"{SORT_KEY}__{op}": value}) | Q(**{SORT_KEY: value, f"id__{op}": pk})
            )
        if backwards:
            queryset = queryset.order_by(F(SORT_KEY).desc(), F("id").desc())
        else:
            queryset = queryset.order_by(F(SORT_KEY).asc(), F("id").asc())
        rows = list(queryset[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            self.has_next, self.has_previous = bool(rows), more
        else:
            self.has_next, self.has_previous = more, cursor is not None and bool(rows)
        self.rows = rows
        return rows

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(
            url, self.cursor_query_param, self.encode_cursor(self.rows[-1], False)
        )

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        url = self.request.build_absolute_uri()
        first = self.encode_cursor(self.rows[0], True)
        return replace_query_param(url, self.cursor_query_param, first)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_first_link(self) -> str:
        return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)

    # -- OpenAPI ------------------------------------------------------------------------
    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last page."},
                "previous": {**link, "description": "The previous page, or null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position taken from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Rows per page, default {self.page_size}; "
                    f"larger values are capped to {self.max_page_size}."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
        if self.ordering_query_param:
            choices = [v for name in self.sort_keys for v in (name, f"-{name}")]
            parameters.append(
                {
                    "name": self.ordering_query_param,
                    "required": False,
                    "in": "query",
                    "description": (
                        f"Sort key, `-` for descending (default `{self.default_ordering}`); "
                        f"{self.ordering_note}`id` breaks ties. Any other value is a 400."
                    ),
                    "schema": {"type": "string", "enum": choices},
                }
            )
        return parameters


def lower(name: str) -> Callable[[], Expression]:
    """A case-insensitive sort key on ``name``."""
    return lambda: Lower(name)


class NamePagination(KeysetPagination):
    """Projects and tags, alphabetically ignoring case."""

    sort_keys = {"name": SortKey(lower("name"), lower("name"), parse_str)}
    default_ordering = "name"


class OldestFirstPagination(KeysetPagination):
    """Comments read top to bottom."""

    sort_keys = {"created": SortKey.column("created_at", parse_datetime)}
    default_ordering = "created"


class NewestFirstPagination(KeysetPagination):
    """Activity and tokens: the latest first."""

    sort_keys = {"created": SortKey.column("created_at", parse_datetime)}
    default_ordering = "-created"
