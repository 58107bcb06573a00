"""
What every task page shares: login, the scoped lookups (outsider → 404), the user's time zone,
the task-row fragment, and the answer to a change that a concurrent one made moot (409).

Who may change what is the domain's call: the services refuse (viewer or archived project →
``PermissionDenied``, a 403 page), and pages that only show a form ask the same rule,
``tasks.models.require_writable``, before drawing it.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from tasks import services
from tasks.models import Project, Task

ROW_TEMPLATE = "tasks/_task_row.html"


class TaskPageMixin(LoginRequiredMixin):
    """
    Signed-in users only (others go to the login page). Dates are shown in the user's own
    time zone: ``accounts.middleware.TimeZoneMiddleware`` activates it for the request.
    """

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().dispatch(request, *args, **kwargs)
        except services.Conflict as error:
            # A change made moot by a concurrent one (the task moved to another project,
            # a chosen tag was deleted): say so instead of failing.
            return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")

    def handle_no_permission(self) -> HttpResponse:
        response = super().handle_no_permission()
        htmx = getattr(self.request, "htmx", False)
        if htmx and not self.request.user.is_authenticated:
            if self.request.method == "POST":
                return session_expired(self.request)
            # An expired session during an htmx swap: load the login page as a whole page,
            # instead of swapping it into a task row.
            return HttpResponseClientRedirect(response["Location"])
        return response


def session_expired(request: HttpRequest) -> HttpResponse:
    """
    An htmx change (a quick add, a comment) sent after the session ended: a 401 that says so
    above the page (``#session-expired``) and leaves the form alone, so what was typed stays
    in it. Sending the person to the login page instead would throw their text away.
    """
    back = request.htmx.current_url_abs_path or "/"
    login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
    response = render(
        request, "includes/session_expired.html", {"login_url": login_url}, status=401
    )
    response["HX-Retarget"] = "#session-expired"
    response["HX-Reswap"] = "outerHTML"
    return response


def visible_project(user, pk: int) -> Project:
    """A project the user can see (annotated with ``my_role``), else 404."""
    return get_object_or_404(Project.objects.visible_to(user), pk=pk)


def visible_task(user, pk: int) -> Task:
    """
    A task the user can see, with its project, assignee, creator, parent and subtask counts,
    else 404.
    """
    return get_object_or_404(
        Task.objects.visible_to(user)
        .select_related("project", "assignee", "created_by", "parent")
        .with_subtask_counts(),
        pk=pk,
    )


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` field of a form when it points into this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def render_row(
    request: HttpRequest,
    task: Task,
    *,
    can_edit: bool,
    show_project: bool = False,
    hide_assignee: bool = False,
) -> HttpResponse:
    """One task row, as the list pages draw it (htmx swaps it in place)."""
    task.can_edit = can_edit
    task.tag_list = list(task.tags.all())
    return render(
        request,
        ROW_TEMPLATE,
        {
            "task": task,
            "today": today(),
            "show_project": show_project,
            "hide_assignee": hide_assignee,
            "row_next": request.htmx.current_url_abs_path or "",
        },
    )


def today() -> datetime.date:
    return timezone.localdate()
