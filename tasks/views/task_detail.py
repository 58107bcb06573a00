"""
One task: its page (description, comments, activity, side panel), edit with a version check,
delete after confirmation, the complete toggle, and its comments.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.http import urlencode
from django.views import View
from django_htmx.http import reswap, retarget

from tasks import services
from tasks.forms import (
    EDIT_FIELDS,
    CommentForm,
    TaskEditForm,
    TaskForm,
    apply_service_errors,
    task_values,
)
from tasks.models import Comment, Priority, Status, Task, require_writable
from tasks.views.task_access import (
    TaskPageMixin,
    render_row,
    safe_next,
    today,
    visible_task,
)
from tasks.views.task_list import counts_after_change, project_members

STALE_MESSAGE = (
    "Someone else saved this task while you were editing it, and you both changed {fields}. "
    "Nothing of yours is lost: choose which value to keep for each, then save."
)

RESAVED_MESSAGE = (
    "Someone else saved this task again while yours was being saved. Your changes are kept "
    "below, on top of their newer values: check them and save again."
)

#: Side-panel fields that can be changed one at a time, in place.
INLINE_FIELDS = ("status", "priority", "assignee", "due_date")


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def current_field_value(task: Task, name: str) -> Any:
    if name == "tags":
        return list(task.tags.all())
    return getattr(task, name)


def describe(name: str, value: Any) -> str:
    """One field's value in words, for the side-by-side choice of the conflict screen."""
    if name == "status":
        return Status(value).label
    if name == "priority":
        return Priority(value).label
    if name == "due_date":
        return date_format(value, "j F Y") if value else "No date"
    if name == "assignee":
        return value.name if value else "Unassigned"
    if name == "tags":
        return ", ".join(sorted((tag.name for tag in value), key=str.lower)) or "No tags"
    if name == "project":
        return value.name
    return value or "(empty)"


def task_page_context(request: HttpRequest, task: Task, comment_form=None) -> dict:
    """Everything the task page shows, in a fixed number of queries."""
    user = request.user
    project = task.project
    editable = project.can_write(user)
    context = {
        "task": task,
        "project": project,
        "tags": list(task.tags.all()),
        "can_edit": editable,
        "comments": list(task.comments.select_related("author")),
        "activities": list(task.activities.select_related("actor").order_by("created_at", "id")),
        "today": today(),
        "statuses": Status.choices,
        "priorities": Priority.choices,
    }
    # Asked only when there are subtasks, so a task without any costs no query more.
    count = getattr(task, "subtask_count", None)
    context["subtasks"] = list(task.subtasks.order_by("created_at", "pk")) if count != 0 else []
    depth = 1 + (task.parent_id is not None) + (getattr(task.parent, "parent_id", None) is not None)
    context["can_add_subtask"] = editable and depth < Task.MAX_DEPTH
    if editable:
        members = project_members(project)
        context["assignee_choices"] = [("", "Unassigned")] + [(m.pk, m.name) for m in members]
        context["comment_form"] = comment_form or CommentForm()
    return context


def find_task(request: HttpRequest, pk: int) -> Task:
    """A task the user can see (else 404), with their role in its project read once."""
    task = visible_task(request.user, pk)
    task.project.role_of(request.user)
    return task


class TaskDetailView(TaskPageMixin, View):
    template_name = "tasks/task_detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        return render(request, self.template_name, task_page_context(request, task))


class TaskUpdateView(TaskPageMixin, View):
    """
    The edit form, refused when the task changed since the form was loaded (``version``).
    The side panel of the task page posts single fields here too (``inline``).
    """

    template_name = "tasks/task_form.html"

    def build_form(self, task: Task, data=None, asking: bool = False) -> TaskEditForm:
        return TaskEditForm(
            data, instance=task, project=task.project, user=self.request.user, asking=asking
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        # Only the form is drawn here: ask the rule the service applies when it is sent.
        require_writable(task.project, request.user)
        return self.render_form(task, self.build_form(task))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        # A form that exists only to write: someone who may not write gets their 403 before
        # any field is judged (the service asks the same rule again when it writes).
        require_writable(task.project, request.user)
        if request.POST.get("inline") in INLINE_FIELDS:
            return self.post_inline(task, request.POST["inline"])
        form = self.build_form(task, request.POST)
        if "preview" in request.POST:
            # Show the description as it will read; nothing is saved.
            return self.render_form(task, form, preview=True)
        if not form.is_valid():
            return self.render_form(task, form)
        fields = form.task_fields()
        try:
            task = services.task_update(
                task=task,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **fields,
            )
        except services.StaleVersion as stale:
            return self.merge_or_ask(form, stale.current, fields)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.render_form(task, form)
        messages.success(request, f"Saved “{task.title}”.")
        return redirect(task)

    def merge_or_ask(self, form: TaskEditForm, current: Task, fields: dict) -> HttpResponse:
        """
        Someone saved the task since the form was loaded. When they changed other fields than
        this user did, write this user's fields on top of theirs; when both changed a field,
        ask which value to keep.
        """
        disputed = form.conflicts_with(current)
        if not disputed:
            try:
                task = services.task_update(
                    task=current, by=self.request.user, expected_version=current.version, **fields
                )
            except services.StaleVersion as again:
                # Saved yet again in between: compare with that newer version instead.
                current = again.current
                disputed = form.conflicts_with(current)
            except ValidationError as error:
                apply_service_errors(form, error)
                return self.render_form(current, form)
            else:
                messages.success(
                    self.request,
                    f"Saved “{task.title}”. Someone else changed this task meanwhile; "
                    "their changes to the fields you left alone are kept.",
                )
                return redirect(task)
        return self.render_conflict(form, current, disputed)

    def post_inline(self, task: Task, name: str) -> HttpResponse:
        """One field from the side panel, checked against the version the page showed."""
        form_field = TaskForm(project=task.project).fields[name]
        version = forms.IntegerField(min_value=1, required=False)
        try:
            value = form_field.clean(self.request.POST.get(name, ""))
            expected = version.clean(self.request.POST.get("version", ""))
            services.task_update(
                task=task, by=self.request.user, expected_version=expected, **{name: value}
            )
        except services.StaleVersion:
            messages.error(
                self.request,
                "This task changed while you were looking at it; here it is as it is now.",
            )
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
        return redirect(task)

    def render_conflict(
        self, form: TaskEditForm, current: Task, disputed: list[str]
    ) -> HttpResponse:
        """
        The form again, now based on ``current``: the user's changes kept, the fields only the
        other person changed showing their values, each disputed field side by side.
        """
        changed = form.changed_by_user()
        theirs = task_values(current)
        data = self.request.POST.copy()
        for name in EDIT_FIELDS:
            if name not in changed:
                value = theirs[name]
                data.setlist(name, value if isinstance(value, list) else [value])
        for name in list(data):
            if name.startswith("keep_"):
                del data[name]
        data["version"] = current.version
        data["original"] = json.dumps(theirs)
        data["disputed"] = ",".join(disputed)
        rebased = self.build_form(current, data, asking=True)
        rebased.is_valid()
        labels = [str(rebased.fields[name].label).lower() for name in disputed]
        rebased.add_error(
            None, STALE_MESSAGE.format(fields=_join(labels)) if labels else RESAVED_MESSAGE
        )
        return self.render_form(current, rebased)

    def render_form(self, task: Task, form: TaskEditForm, preview: bool = False) -> HttpResponse:
        context = {"task": task, "project": task.project, "form": form}
        if preview:
            context["preview"] = form.data.get("description", "")
            return render(self.request, self.template_name, context)
        disputed = form.disputed_fields()
        if disputed:
            # The side-by-side choice: the saved value (the task as it is now) and the user's.
            cleaned = getattr(form, "cleaned_data", {})
            context["current"] = task
            context["current_tags"] = list(task.tags.all())
            context["conflicts"] = [
                {
                    "name": name,
                    "label": form.fields[name].label,
                    "theirs": describe(name, current_field_value(task, name)),
                    "mine": describe(name, cleaned[name]) if name in cleaned else "(not valid)",
                    "keep": form.data.get(f"keep_{name}", ""),
                }
                for name in disputed
            ]
        return render(self.request, self.template_name, context)


class TaskDeleteView(TaskPageMixin, View):
    template_name = "tasks/task_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        require_writable(task.project, request.user)
        return render(request, self.template_name, {"task": task, "project": task.project})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        project = task.project
        services.task_delete(task=task, by=request.user)
        messages.success(request, f"Deleted “{task.title}”.")
        return redirect(project)


class TaskCompleteView(TaskPageMixin, View):
    """
    POST toggles done / open. htmx gets the task's row back; a form post is redirected.

    Completing a task with open subtasks asks first: without ``confirm`` the post goes to
    ``TaskCompleteConfirmView``, a page listing them with "Complete anyway" (htmx: by
    ``HX-Redirect``).
    The API completes without asking.
    """

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = visible_task(request.user, pk)
        has_open = (task.subtask_count or 0) > (task.subtasks_done or 0)
        if task.status != Status.DONE and has_open and not request.POST.get("confirm"):
            require_writable(task.project, request.user)
            url = reverse("tasks:task-complete-confirm", args=[task.pk])
            url += "?" + urlencode({"next": safe_next(request, task.get_absolute_url())})
            if request.htmx:
                return HttpResponse(status=204, headers={"HX-Redirect": url})
            return redirect(url)
        counts = {"subtask_count": task.subtask_count, "subtasks_done": task.subtasks_done}
        if task.status == Status.DONE:
            task = services.task_reopen(task=task, by=request.user)
            done = False
        else:
            task = services.task_complete(task=task, by=request.user)
            done = True
        for name, value in counts.items():
            setattr(task, name, value)
        if request.htmx:
            response = render_row(
                request,
                task,
                can_edit=True,
                show_project=bool(request.POST.get("show_project")),
                hide_assignee=bool(request.POST.get("hide_assignee")),
            )
            # The row, then the counts it changed (out of band).
            counts = counts_after_change(request, task.project)
            response.write(render_to_string("tasks/_counts_oob.html", counts, request=request))
            return response
        verb = "Completed" if done else "Reopened"
        messages.success(request, f"{verb} “{task.title}”.")
        return redirect(safe_next(request, task.project.get_absolute_url()))


class TaskCompleteConfirmView(TaskPageMixin, View):
    """The question before completing a task with open subtasks: they are listed."""

    template_name = "tasks/task_confirm_complete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        require_writable(task.project, request.user)
        open_subtasks = list(task.subtasks.exclude(status=Status.DONE).order_by("created_at", "pk"))
        context = {
            "task": task,
            "project": task.project,
            "open_subtasks": open_subtasks,
            "next": safe_next(request, task.get_absolute_url()),
        }
        return render(request, self.template_name, context)


class SubtaskCreateView(TaskPageMixin, View):
    """POST a title: a new subtask of this task, then back to its page."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = visible_task(request.user, pk)
        try:
            sub = services.task_create(
                project=task.project,
                by=request.user,
                title=request.POST.get("title", ""),
                parent=task,
            )
        except ValidationError as error:
            text = " ".join(m for messages_ in error.message_dict.values() for m in messages_)
            messages.error(request, text)
        else:
            messages.success(request, f"Added the subtask “{sub.title}”.")
        return redirect(task.get_absolute_url() + "#subtasks")


# ---------------------------------------------------------------------------
# Comments
# ---------------------------------------------------------------------------
class CommentCreateView(TaskPageMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        require_writable(task.project, request.user)
        form = CommentForm(request.POST)
        if "preview" in request.POST:
            return self.preview(task, form)
        comment = None
        if form.is_valid():
            try:
                comment = services.comment_add(
                    task=task, by=request.user, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                apply_service_errors(form, error)
        if request.htmx:
            if comment is None:
                response = render(
                    request, "tasks/_comment_form.html", {"task": task, "comment_form": form}
                )
                return retarget(response, "#comment-form")
            return render(
                request,
                "tasks/_comment_added.html",
                {
                    "task": task,
                    "comment": comment,
                    "comment_form": CommentForm(),
                    "can_edit": True,
                    "comment_count": task.comments.count(),
                },
            )
        if comment is None:
            context = task_page_context(request, task, comment_form=form)
            return render(request, TaskDetailView.template_name, context)
        messages.success(request, "Comment added.")
        return redirect(f"{task.get_absolute_url()}#comment-{comment.pk}")

    def preview(self, task: Task, form: CommentForm) -> HttpResponse:
        """The comment as it will read, under its form; nothing is saved."""
        preview = form.data.get("body", "")
        if self.request.htmx:
            context = {"task": task, "comment_form": form, "comment_preview": preview}
            response = render(self.request, "tasks/_comment_form.html", context)
            return reswap(retarget(response, "#comment-form"), "outerHTML")
        context = task_page_context(self.request, task, comment_form=form)
        context["comment_preview"] = preview
        return render(self.request, TaskDetailView.template_name, context)


class CommentAuthorMixin(TaskPageMixin):
    """
    One comment the user can see (else 404). Only its author edits or deletes it, while they
    can still write in the project: the services refuse anyone else, and the pages that only
    draw a form or ask for confirmation check the same (``check_author``).
    """

    def get_comment(self) -> Comment:
        return get_object_or_404(
            Comment.objects.visible_to(self.request.user).select_related("task__project", "author"),
            pk=self.kwargs["pk"],
        )

    def check_author(self, comment: Comment) -> None:
        comment.require_changeable_by(self.request.user)


class CommentUpdateView(CommentAuthorMixin, View):
    template_name = "tasks/comment_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        comment = self.get_comment()
        self.check_author(comment)
        form = CommentForm(initial={"body": comment.body})
        return render(request, self.template_name, {"comment": comment, "form": form})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        comment = self.get_comment()
        self.check_author(comment)
        form = CommentForm(request.POST)
        if "preview" in request.POST:
            context = {"comment": comment, "form": form, "preview": form.data.get("body", "")}
            return render(request, self.template_name, context)
        if form.is_valid():
            try:
                comment = services.comment_edit(
                    comment=comment, by=request.user, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                apply_service_errors(form, error)
        if request.htmx:
            context = {"comment": comment, "can_edit": True}
            if form.errors:
                context["edit_form"] = form
            return render(request, "tasks/_comment.html", context)
        if form.errors:
            return render(request, self.template_name, {"comment": comment, "form": form})
        messages.success(request, "Comment saved.")
        return redirect(f"{comment.task.get_absolute_url()}#comment-{comment.pk}")


class CommentDeleteView(CommentAuthorMixin, View):
    """GET asks first (the comment's Delete without JavaScript lands here); POST deletes."""

    template_name = "tasks/comment_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        comment = self.get_comment()
        self.check_author(comment)
        context = {"comment": comment, "task": comment.task, "project": comment.task.project}
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        comment = self.get_comment()
        task = comment.task
        services.comment_delete(comment=comment, by=request.user)
        if request.htmx:
            # Only the new count (out of band): htmx swaps the comment out of the page.
            return render(
                request,
                "tasks/_comment_count.html",
                {"count": task.comments.count(), "oob": True},
            )
        messages.success(request, "Comment deleted.")
        return redirect(f"{task.get_absolute_url()}#comments")
