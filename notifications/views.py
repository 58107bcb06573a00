"""
The inbox (``/inbox/``), notification settings, following a task, reminders on a task, and the
``@mention`` suggestions. Every action is a POST form that works without JavaScript; htmx
swaps the changed part in place where it helps.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import ListView, UpdateView

from notifications import services
from notifications.forms import NotificationSettingsForm, ReminderForm
from notifications.models import Delivery, Notification, NotificationSettings, Reminder
from tasks.models import Membership, Project
from tasks.views.task_access import safe_next

MENTION_LIMIT = 8


def inbox_groups(notifications) -> list[dict]:
    """
    The page's entries grouped by what they are about (a task; a project for membership
    news; invitations together), groups in the order of their newest entry.
    """
    groups: dict[tuple, dict] = {}
    for notification in notifications:
        if notification.task_id is not None:
            key = ("task", notification.task_id)
            title, url = notification.task.title, notification.task.get_absolute_url()
        elif notification.kind == "invited":
            key = ("invitations",)
            title, url = "Invitations", reverse("tasks:invitation-list")
        elif notification.project_id is not None:
            key = ("project", notification.project_id)
            title, url = notification.project.name, notification.project.get_absolute_url()
        else:
            key, title, url = ("other",), "Other", ""
        group = groups.setdefault(
            key, {"key": "-".join(map(str, key)), "title": title, "url": url, "entries": []}
        )
        group["project"] = notification.project
        group["entries"].append(notification)
    return list(groups.values())


def target_url(notification: Notification) -> str:
    if notification.task_id is not None:
        return notification.task.get_absolute_url()
    if notification.kind == "invited":
        return reverse("tasks:invitation-list")
    if notification.project_id is not None:
        return notification.project.get_absolute_url()
    return reverse("notifications:inbox")


class InboxView(LoginRequiredMixin, ListView):
    template_name = "notifications/inbox.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        notifications = Notification.objects.visible_to(self.request.user).for_list()
        if self.showing_unread:
            notifications = notifications.unread()
        return notifications

    @property
    def showing_unread(self) -> bool:
        return self.request.GET.get("show") == "unread"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = inbox_groups(context["notifications"])
        context["showing_unread"] = self.showing_unread
        return context


class OwnNotificationMixin(LoginRequiredMixin):
    """POST-only actions on one of the signed-in user's own notifications (others: 404)."""

    http_method_names = ["post"]

    def get_notification(self) -> Notification:
        notifications = Notification.objects.visible_to(self.request.user).for_list()
        return get_object_or_404(notifications, pk=self.kwargs["pk"])


class NotificationOpenView(OwnNotificationMixin, View):
    """Follow an entry's link: mark it read and go to what it is about."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        notification = self.get_notification()
        services.mark_read(notification=notification, by=request.user)
        return redirect(target_url(notification))


class NotificationReadView(OwnNotificationMixin, View):
    """Mark one entry read (or unread again with ``read=0``)."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        notification = self.get_notification()
        read = request.POST.get("read", "1") != "0"
        services.mark_read(notification=notification, by=request.user, read=read)
        if request.htmx:
            return render(
                request,
                "notifications/_entry.html",
                {"entry": notification, "oob_badge": True, "next": safe_next(request, "")},
            )
        return redirect(safe_next(request, reverse("notifications:inbox")))


class MarkAllReadView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        count = services.mark_all_read(by=request.user)
        if count:
            messages.success(request, f"Marked {count} notification{'s' * (count != 1)} read.")
        return redirect(safe_next(request, reverse("notifications:inbox")))


class NotificationSettingsView(LoginRequiredMixin, UpdateView):
    template_name = "notifications/settings.html"
    form_class = NotificationSettingsForm
    success_url = reverse_lazy("notifications:settings")

    def get_object(self, queryset=None) -> NotificationSettings:
        return services.settings_for(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(deliveries=Delivery.choices, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.settings_update(
                user=self.request.user,
                email=form.email_choices(),
                digest_hour=data["digest_hour"],
                default_reminder_minutes=data["default_reminder_minutes"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, "Notification settings saved.")
        return redirect(self.success_url)


def visible_task_or_404(request: HttpRequest, pk: int):
    return services.visible_task(pk, request.user)


def task_panel(request: HttpRequest, task, *, status: int = 200, form=None) -> HttpResponse:
    """The follow/reminders panel of the task page, for htmx to swap in place."""
    from notifications.templatetags.notifications import panel_context

    context = {**panel_context(request, task), "htmx_swap": True}
    if form is not None:
        context["reminder_form"] = form
    return render(request, "notifications/_task_panel.html", context, status=status)


class TaskFollowView(LoginRequiredMixin, View):
    """Follow (``follow=1``) or unfollow (``follow=0``) a task one can see."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = visible_task_or_404(request, pk)
        if request.POST.get("follow", "1") == "0":
            services.unfollow(task=task, by=request.user)
            text = "You no longer follow this task."
        else:
            services.follow(task=task, by=request.user)
            text = "You follow this task: you hear about its comments and changes."
        if request.htmx:
            return task_panel(request, task)
        messages.success(request, text)
        return redirect(task.get_absolute_url())


class ReminderCreateView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = visible_task_or_404(request, pk)
        form = ReminderForm(request.POST)
        if form.is_valid():
            try:
                services.reminder_add(task=task, by=request.user, **form.reminder_arguments())
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
        if request.htmx:
            if form.errors:
                return task_panel(request, task, status=422, form=form)
            return task_panel(request, task)
        if form.errors:
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        else:
            messages.success(request, "Reminder added.")
        return redirect(f"{task.get_absolute_url()}#reminders")


class ReminderDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        reminder = get_object_or_404(Reminder.objects.filter(user=request.user), pk=pk)
        task = visible_task_or_404(request, reminder.task_id)
        services.reminder_remove(reminder=reminder, by=request.user)
        if request.htmx:
            return task_panel(request, task)
        messages.success(request, "Reminder removed.")
        return redirect(f"{task.get_absolute_url()}#reminders")


class MentionCandidatesView(LoginRequiredMixin, View):
    """
    ``@`` suggestions: members of a project the user can see whose username or display name
    starts with ``q`` (at most eight), as JSON.
    """

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
        prefix = request.GET.get("q", "").strip().lstrip("@")[:150]
        members = Membership.objects.filter(project=project).select_related("user")
        if prefix:
            members = members.filter(user__username__istartswith=prefix) | members.filter(
                user__display_name__istartswith=prefix
            )
        members = members.filter(user__is_active=True).order_by(Lower("user__username"))
        return JsonResponse(
            {
                "results": [
                    {"username": m.user.username, "name": m.user.name}
                    for m in members[:MENTION_LIMIT]
                ]
            }
        )
