"""
Tasks, their comments and their activity.

The task list is the API's busiest endpoint, so it skips per-row serializer objects: one query
selects the columns a row shows (``.values()``) with, on PostgreSQL, the tag ids as an array
(elsewhere one more query fetches the tag ids of the page), and
``task_rows`` builds plain dicts shaped exactly like ``TaskSerializer`` (a test holds them
equal). Single tasks use the serializer and carry their version as ``ETag``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from project.api.idempotency import idempotent_create
from project.api.pagination import NewestFirstPagination, OldestFirstPagination
from project.api.responses import created
from tasks import markdown, quickadd, services
from tasks.api.pagination import TaskPagination
from tasks.api.serializers import (
    ActivitySerializer,
    CommentSerializer,
    TaskSerializer,
    utc_iso,
)
from tasks.filters import TaskFilter
from tasks.models import Activity, Comment, Tag, Task
from tasks.recurrence import describe

#: The columns a task row shows, in the order of ``TaskSerializer``.
ROW_COLUMNS = (
    "id",
    "project_id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "due_time",
    "due_at",
    "recurrence",
    "recurrence_mode",
    "assignee_id",
    "parent_id",
    "position",
    "version",
    "created_by_id",
    "created_at",
    "updated_at",
    "completed_at",
)


def task_rows(rows: list[dict], request: Request) -> list[dict]:
    """
    ``TaskSerializer`` output for ``.values(*ROW_COLUMNS)`` rows: their ``tag_ids`` when the
    rows carry them (PostgreSQL), else one query for the tags of the whole page.
    """
    tag_ids: dict[int, list[int]] = defaultdict(list)
    if rows and "tag_ids" in rows[0]:
        tag_ids.update((row["id"], row["tag_ids"]) for row in rows)
    elif rows:
        links = Task.tags.through.objects.filter(task_id__in=[row["id"] for row in rows])
        for task_id, tag_id in links.order_by("tag_id").values_list("task_id", "tag_id"):
            tag_ids[task_id].append(tag_id)
    prefix = request.build_absolute_uri(reverse("api:task-list"))
    zone = timezone.get_current_timezone()

    def moment(value: datetime.datetime) -> str:
        # What DRF's DateTimeField renders (the caller's zone, "Z" for UTC), without its
        # per-call overhead: the list renders three of these per row.
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return [
        {
            "id": row["id"],
            "url": f"{prefix}{row['id']}/",
            "project": row["project_id"],
            "title": row["title"],
            "description": row["description"],
            "description_html": markdown.render(row["description"]),
            "status": row["status"],
            "priority": row["priority"],
            "due_date": row["due_date"].isoformat() if row["due_date"] else None,
            "due_time": row["due_time"].strftime("%H:%M") if row["due_time"] else None,
            "due_at": utc_iso(row["due_at"]),
            "recurrence": row["recurrence"],
            "recurrence_mode": row["recurrence_mode"],
            "recurrence_text": describe(row["recurrence"]),
            "assignee": row["assignee_id"],
            "tags": tag_ids.get(row["id"], []),
            "parent": row["parent_id"],
            "position": row["position"],
            "version": row["version"],
            "created_by": row["created_by_id"],
            "created_at": moment(row["created_at"]),
            "updated_at": moment(row["updated_at"]),
            "completed_at": moment(row["completed_at"]) if row["completed_at"] else None,
        }
        for row in rows
    ]


def _etag_versions(header: str) -> set[int] | None:
    """The versions an ``If-Match``/``If-None-Match`` header names; None for ``*``."""
    versions = set()
    for value in header.split(","):
        value = value.strip().removeprefix("W/").strip('"')
        if value == "*":
            return None
        if value.isdigit() and len(value) < 12:
            versions.add(int(value))
    return versions


@extend_schema_view(
    list=extend_schema(
        description=(
            "Tasks of every project you can see, newest first by default. Cursor-paginated: "
            "follow `next`/`previous`; no total count is computed."
        )
    ),
    create=extend_schema(
        description=(
            "Create a task in a project where you are an editor or owner (viewer: 403; a "
            "project you cannot see: 400, as for any unknown id). `position` is ignored: a new "
            "task goes to the bottom of its column."
        )
    ),
)
class TaskViewSet(viewsets.ModelViewSet):
    """Tasks. Unknown body fields are ignored; read-only fields in a body are ignored too."""

    serializer_class = TaskSerializer
    pagination_class = TaskPagination
    filterset_class = TaskFilter
    lookup_value_regex = r"\d+"
    conditional = True

    def get_queryset(self):
        tasks = Task.objects.visible_to(self.request.user)
        if self.action == "list":
            return tasks
        return tasks.select_related("project").prefetch_related(
            Prefetch("tags", queryset=Tag.objects.only("id"))
        )

    def list(self, request, *args, **kwargs):
        tasks = self.get_queryset()
        # Building the FilterSet costs more than the rest of the view; skip it when no
        # filter is asked for (the most common request by far).
        if request.query_params.keys() & TaskFilter.base_filters.keys():
            tasks = self.filter_queryset(tasks)
        tasks = tasks.values(*ROW_COLUMNS)
        if connection.vendor == "postgresql":
            # The tag ids ride along as an array: one query less. PostgreSQL evaluates the
            # subquery after sorting and limiting, so only for the page's rows.
            links = Task.tags.through.objects.filter(task_id=OuterRef("id"))
            tasks = tasks.annotate(tag_ids=ArraySubquery(links.order_by("tag_id").values("tag_id")))
        rows = self.paginator.paginate_queryset(tasks, request, view=self)
        return self.paginator.get_paginated_response(task_rows(rows, request))

    def _respond(self, task: Task, code: int = status.HTTP_200_OK) -> Response:
        data = self.get_serializer(task).data
        headers = {"ETag": task.etag}
        if code == status.HTTP_201_CREATED:
            headers["Location"] = str(data["url"])  # a plain str, see project.api.responses
        return Response(data, status=code, headers=headers)

    def _expected_version(self, task: Task) -> int | None:
        """``If-Match`` as the version the write is conditional on; 412 if it is not current."""
        header = self.request.headers.get("If-Match")
        if header is None:
            return None
        versions = _etag_versions(header)
        if versions is None:
            return None
        if task.version not in versions:
            raise services.StaleVersion(task)
        return task.version

    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        header = request.headers.get("If-None-Match")
        if header is not None:
            versions = _etag_versions(header)
            if versions is None or task.version in versions:
                return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": task.etag})
        return self._respond(task)

    @idempotent_create
    def create(self, request, *args, **kwargs):
        data = request.data
        # A body that is not an object (``null``, a list) is the serializer's 400 to give.
        if isinstance(data, dict) and "parse" in data:
            data = self._parsed(data)
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("position", None)
        project = fields.pop("project")
        task = services.task_create(project=project, by=request.user, **fields)
        return self._respond(task, status.HTTP_201_CREATED)

    def _parsed(self, data) -> dict:
        """
        ``"parse": true`` reads the title as the quick add does ("Pay rent tomorrow 5pm p1
        #finance @ben every month"); fields sent explicitly win over what the title says.
        """
        data = dict(data.items())
        parse = data.pop("parse")
        if not isinstance(parse, bool):
            raise ValidationError({"parse": ["Must be true or false."]})
        if not parse:
            return data
        # The project first: its members and tags are the ones the title may name.
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        project = serializer.validated_data["project"]
        quickadd.merge_into(
            data, quickadd.parse_for(project, self.request.user, serializer.validated_data["title"])
        )
        return data

    def update(self, request, *args, **kwargs):
        task = self.get_object()
        expected = self._expected_version(task)
        partial = kwargs.get("partial", False)
        serializer = self.get_serializer(task, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        task = services.task_update(task=task, by=request.user, expected_version=expected, **fields)
        return self._respond(task)

    def destroy(self, request, *args, **kwargs):
        task = self.get_object()
        expected = self._expected_version(task)
        services.task_delete(task=task, by=request.user, expected_version=expected)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskScopedMixin:
    """Views under ``/tasks/{task_pk}/``: the task is found through the caller's scope first."""

    def get_task(self) -> Task:
        if not hasattr(self, "_task"):
            tasks = Task.objects.visible_to(self.request.user).select_related("project")
            self._task = get_object_or_404(tasks, pk=self.kwargs["task_pk"])
        return self._task


@extend_schema_view(
    list=extend_schema(summary="List a task's comments"),
    create=extend_schema(summary="Comment on a task"),
)
class TaskCommentViewSet(
    TaskScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """A task's comments, oldest first. Editors and owners comment."""

    serializer_class = CommentSerializer
    pagination_class = OldestFirstPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        return (
            Comment.objects.visible_to(self.request.user)
            .filter(task=self.get_task())
            .select_related("author")
        )

    @idempotent_create
    def create(self, request, *args, **kwargs):
        task = self.get_task()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_add(
            task=task, by=request.user, body=serializer.validated_data["body"]
        )
        data = self.get_serializer(comment).data
        return created(data)


class CommentViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One comment. Only its author edits or deletes it, and only while an editor or owner."""

    serializer_class = CommentSerializer
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Comment.objects.visible_to(self.request.user).select_related(
            "author", "task__project"
        )

    def update(self, request, *args, **kwargs):
        comment = self.get_object()
        serializer = self.get_serializer(comment, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_edit(
            comment=comment,
            by=request.user,
            body=serializer.validated_data.get("body", comment.body),
        )
        return Response(self.get_serializer(comment).data)

    def destroy(self, request, *args, **kwargs):
        comment = self.get_object()
        services.comment_delete(comment=comment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(list=extend_schema(summary="List a task's activity"))
class TaskActivityViewSet(TaskScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """What happened to a task, newest first."""

    serializer_class = ActivitySerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        return (
            Activity.objects.visible_to(self.request.user)
            .filter(task=self.get_task())
            .select_related("actor")
        )
