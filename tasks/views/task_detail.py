"""
One task: its page (description, comments, activity, side panel), edit with a version check,
delete after confirmation, the complete toggle, and its comments.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django_htmx.http import retarget

from tasks import services
from tasks.forms import CommentForm, TaskEditForm, TaskForm, apply_service_errors
from tasks.models import Comment, Priority, Status, Task, require_writable
from tasks.views.task_access import (
    TaskPageMixin,
    render_row,
    safe_next,
    today,
    visible_task,
)
from tasks.views.task_list import project_members

STALE_MESSAGE = (
    "Someone else saved this task while you were editing it. Your changes are below and "
    "have not been saved; the newer values are shown beside the form. Save again to "
    "replace them with yours."
)

#: Side-panel fields that can be changed one at a time, in place.
INLINE_FIELDS = ("status", "priority", "assignee", "due_date")


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

    def build_form(self, task: Task, data=None) -> TaskEditForm:
        return TaskEditForm(data, instance=task, project=task.project, user=self.request.user)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        # Only the form is drawn here: ask the rule the service applies when it is sent.
        require_writable(task.project, request.user)
        return self.render_form(task, self.build_form(task))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        if request.POST.get("inline") in INLINE_FIELDS:
            return self.post_inline(task, request.POST["inline"])
        form = self.build_form(task, request.POST)
        if not form.is_valid():
            return self.render_form(task, form)
        try:
            task = services.task_update(
                task=task,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **form.task_fields(),
            )
        except services.StaleVersion as stale:
            return self.render_stale(task, stale.current)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.render_form(task, form)
        messages.success(request, f"Saved “{task.title}”.")
        return redirect(task)

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

    def render_stale(self, task: Task, current: Task) -> HttpResponse:
        data = self.request.POST.copy()
        data["version"] = current.version
        form = self.build_form(current, data)
        form.is_valid()
        form.add_error(None, STALE_MESSAGE)
        return self.render_form(
            current, form, current=current, current_tags=list(current.tags.all())
        )

    def render_form(self, task: Task, form: TaskEditForm, **extra) -> HttpResponse:
        context = {"task": task, "project": task.project, "form": form, **extra}
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
    """POST toggles done / open. htmx gets the task's row back; a form post is redirected."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = visible_task(request.user, pk)
        if task.status == Status.DONE:
            task = services.task_reopen(task=task, by=request.user)
            done = False
        else:
            task = services.task_complete(task=task, by=request.user)
            done = True
        if request.htmx:
            return render_row(
                request,
                task,
                can_edit=True,
                show_project=bool(request.POST.get("show_project")),
                hide_assignee=bool(request.POST.get("hide_assignee")),
            )
        verb = "Completed" if done else "Reopened"
        messages.success(request, f"{verb} “{task.title}”.")
        return redirect(safe_next(request, task.project.get_absolute_url()))


# ---------------------------------------------------------------------------
# Comments
# ---------------------------------------------------------------------------
class CommentCreateView(TaskPageMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = find_task(request, pk)
        form = CommentForm(request.POST)
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
                {"task": task, "comment": comment, "comment_form": CommentForm(), "can_edit": True},
            )
        if comment is None:
            context = task_page_context(request, task, comment_form=form)
            return render(request, TaskDetailView.template_name, context)
        messages.success(request, "Comment added.")
        return redirect(f"{task.get_absolute_url()}#comment-{comment.pk}")


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
        if comment.author_id != self.request.user.pk:
            raise PermissionDenied("Only its author can change a comment.")
        require_writable(comment.task.project, self.request.user)


class CommentUpdateView(CommentAuthorMixin, View):
    template_name = "tasks/comment_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        comment = self.get_comment()
        self.check_author(comment)
        form = CommentForm(initial={"body": comment.body})
        return render(request, self.template_name, {"comment": comment, "form": form})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        comment = self.get_comment()
        form = CommentForm(request.POST)
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
            # An empty answer: htmx swaps the comment out of the page.
            return HttpResponse("")
        messages.success(request, "Comment deleted.")
        return redirect(f"{task.get_absolute_url()}#comments")
