"""
Project pages: the list, create, settings, delete; members, roles and invitations; tags.

Every page about one project goes through ``ProjectScopedMixin``: the project is looked up in
``Project.objects.visible_to(user)`` (an outsider gets 404), and the role needed to see the page
is checked with ``require_role`` (too low a role gets 403). The changes themselves are the
functions of ``tasks.services``, which decide who may make them (403 otherwise).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from tasks import services
from tasks.forms import (
    InviteForm,
    MemberRoleForm,
    ProjectDeleteForm,
    ProjectForm,
    TagForm,
    apply_service_errors,
)
from tasks.models import (
    Invitation,
    Membership,
    Project,
    Role,
    Tag,
    require_role,
    require_writable,
)
from tasks.templatetags.shell import nav_projects

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def service_error_text(error: ValidationError) -> str:
    """A service's ValidationError as one sentence for a flash message."""
    return " ".join(error.messages)


class ProjectScopedMixin(LoginRequiredMixin):
    """
    For views about one project, named by ``pk`` in the URL (``project_url_kwarg``).

    ``get_queryset()`` is ``Project.objects.visible_to(user)``, so a project the user is not a
    member of is a 404 whatever the view does next. ``read_role`` is the role needed to see the
    page (GET, HEAD), checked with ``require_role`` (403). Other methods go to a service, which
    checks the role (and the archived rule) itself. The project is ``self.project`` and
    ``project`` in the context, with ``my_role`` annotated.
    """

    read_role: Role = Role.VIEWER
    project_url_kwarg = "pk"

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user)

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.project = get_object_or_404(self.get_queryset(), pk=kwargs[self.project_url_kwarg])
        if request.method in SAFE_METHODS:
            self.role = require_role(self.project, request.user, self.read_role)
        else:
            self.role = self.project.role_of(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["project"] = self.project
        context["my_role"] = self.role
        return context


# ---------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------
class ProjectListView(LoginRequiredMixin, TemplateView):
    """My projects with progress; the same (one) query the sidebar uses, so it runs once."""

    template_name = "tasks/project_list.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        projects = nav_projects(self.request)
        context["active_projects"] = [p for p in projects if not p.is_archived]
        context["archived_projects"] = [p for p in projects if p.is_archived]
        return context


class ProjectCreateView(LoginRequiredMixin, FormView):
    form_class = ProjectForm
    template_name = "tasks/project_form.html"

    def form_valid(self, form: ProjectForm) -> HttpResponse:
        try:
            project = services.project_create(by=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Project “{project.name}” created. Add its first task.")
        return redirect(project.get_absolute_url())


class ProjectSettingsView(ProjectScopedMixin, FormView):
    """Rename, describe and recolour; archive or unarchive (``action`` in the POST)."""

    read_role = Role.OWNER
    form_class = ProjectForm
    template_name = "tasks/project_settings.html"

    def get_initial(self) -> dict:
        return {
            "name": self.project.name,
            "description": self.project.description,
            "colour": self.project.colour,
        }

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        action = request.POST.get("action")
        if action in ("archive", "unarchive"):
            archive = action == "archive"
            services.project_update(project=self.project, by=request.user, is_archived=archive)
            name = self.project.name
            if archive:
                messages.success(request, f"“{name}” was archived; unarchive it here at any time.")
            else:
                messages.success(request, f"“{name}” is active again.")
            return redirect("tasks:project-settings", self.project.pk)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: ProjectForm) -> HttpResponse:
        try:
            services.project_update(project=self.project, by=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
            self.project.refresh_from_db()
            return self.form_invalid(form)
        messages.success(self.request, "Project settings saved.")
        return redirect("tasks:project-settings", self.project.pk)


class ProjectDeleteView(ProjectScopedMixin, FormView):
    read_role = Role.OWNER
    form_class = ProjectDeleteForm
    template_name = "tasks/project_confirm_delete.html"

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "project": self.project}

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        counts = self.project.tasks.aggregate(tasks=Count("id"))
        context["task_count"] = counts["tasks"]
        return context

    def form_valid(self, form: ProjectDeleteForm) -> HttpResponse:
        name = self.project.name
        services.project_delete(project=self.project, by=self.request.user)
        messages.success(self.request, f"Project “{name}” and everything in it were deleted.")
        return redirect("tasks:project-list")


# ---------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------
def member_rows(project: Project) -> list[Membership]:
    """The project's members with their accounts: one query."""
    return list(
        project.memberships.select_related("user").order_by("user__display_name", "user__username")
    )


class MemberListView(ProjectScopedMixin, FormView):
    """
    Owners: the members with their names and roles, role changes, removal, the open
    invitations (cancel) and the form that invites someone (POST).
    """

    read_role = Role.OWNER
    form_class = InviteForm
    template_name = "tasks/member_list.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        memberships = member_rows(self.project)
        context["memberships"] = memberships
        context["invitations"] = list(Invitation.objects.open().filter(project=self.project))
        context["can_manage"] = True
        context["owner_count"] = sum(m.role == Role.OWNER for m in memberships)
        context["roles"] = Role.choices
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The form exists only to invite: a 403 before any field is judged, so that a refused
        # POST never renders the owners' page (with its pending invitations) to anyone else.
        require_writable(self.project, request.user, Role.OWNER)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: InviteForm) -> HttpResponse:
        try:
            invitation = services.member_invite(
                project=self.project,
                by=self.request.user,
                role=form.cleaned_data["role"],
                **form.invitee(),
            )
        except services.Conflict as error:
            form.add_error("person", str(error))
            return self.form_invalid(form)
        except ValidationError as error:
            form.add_error("person", service_error_text(error))
            return self.form_invalid(form)
        # The same words whether or not the name belongs to an account.
        role = Role(invitation.role).label.lower()
        messages.success(
            self.request,
            f"Invitation to join as {role} sent to “{invitation.address}”. "
            "They become a member once they accept it.",
        )
        return redirect("tasks:member-list", self.project.pk)


class InvitationCancelView(ProjectScopedMixin, View):
    """Withdraw an open invitation (owners; the service decides)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        invitation = get_object_or_404(
            Invitation.objects.open().filter(project=self.project), pk=kwargs["invitation_pk"]
        )
        services.invitation_cancel(invitation=invitation, by=request.user)
        messages.success(request, f"The invitation to “{invitation.address}” was cancelled.")
        return redirect("tasks:member-list", self.project.pk)


class MemberActionMixin(ProjectScopedMixin):
    """
    POST-only actions on one member, named by their user id (``member_pk``): owners change
    roles and remove people, anyone may remove themselves (the services decide).
    """

    http_method_names = ["post"]

    def get_membership(self) -> Membership:
        return get_object_or_404(
            self.project.memberships.select_related("user", "project"),
            user_id=self.kwargs["member_pk"],
        )

    def back(self) -> HttpResponseRedirect:
        return redirect("tasks:member-list", self.project.pk)


class MemberRoleView(MemberActionMixin, View):
    """
    Change a member's role. htmx gets the member's row back, swapped in place (with the
    service's explanation when the change is refused); without JS it is POST + redirect.
    """

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = self.get_membership()
        form = MemberRoleForm(request.POST)
        error = ""
        if not form.is_valid():
            error = "Choose a role: owner, editor or viewer."
        else:
            try:
                services.member_change_role(
                    membership=membership, role=form.cleaned_data["role"], by=request.user
                )
            except ValidationError as problem:
                error = service_error_text(problem)
                membership.refresh_from_db()

        changed_own_role = membership.user_id == request.user.pk and not error
        if request.htmx:
            if changed_own_role:
                # The page's owner controls no longer apply to this user: reload it.
                return HttpResponseClientRefresh()
            memberships = member_rows(self.project)
            context = {
                "project": self.project,
                "membership": membership,
                "can_manage": True,
                "owner_count": sum(m.role == Role.OWNER for m in memberships),
                "roles": Role.choices,
                "row_error": error,
                "row_saved": not error,
            }
            return render(request, "tasks/member_list.html#member-row", context)

        if error:
            messages.error(request, error)
        else:
            role = Role(membership.role).label.lower()
            messages.success(request, f"{membership.user.name} is now {role}.")
        return self.back()


class MemberRemoveView(MemberActionMixin, View):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = self.get_membership()
        try:
            services.member_remove(membership=membership, by=request.user)
        except ValidationError as error:
            messages.error(request, service_error_text(error))
            return self.back()
        if membership.user_id == request.user.pk:
            messages.success(request, f"You left “{self.project.name}”.")
            return redirect("tasks:project-list")
        messages.success(request, f"{membership.user.name} was removed from “{self.project.name}”.")
        return self.back()


class ProjectLeaveView(ProjectScopedMixin, View):
    """Any member may leave, except the last owner (the service says why)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = get_object_or_404(
            self.project.memberships.select_related("user"), user=request.user
        )
        try:
            services.member_remove(membership=membership, by=request.user)
        except ValidationError as error:
            messages.error(request, service_error_text(error))
            return redirect("tasks:member-list", self.project.pk)
        messages.success(request, f"You left “{self.project.name}”.")
        return redirect("tasks:project-list")


# ---------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------
class TagListView(ProjectScopedMixin, FormView):
    """Every member sees the tags; editors and owners create them here (POST)."""

    read_role = Role.VIEWER
    form_class = TagForm
    template_name = "tasks/tag_list.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        # Meta.ordering does not apply to GROUP BY queries: order explicitly.
        context["tags"] = self.project.tags.annotate(task_count=Count("tasks")).order_by(
            Lower("name"), "id"
        )
        context["can_edit"] = self.project.can_write(self.request.user)
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The form exists only to write: a 403 before any field is judged.
        require_writable(self.project, request.user)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: TagForm) -> HttpResponse:
        try:
            tag = services.tag_create(
                project=self.project, by=self.request.user, **form.cleaned_data
            )
        except services.Conflict as error:
            form.add_error("name", str(error))
            return self.form_invalid(form)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Tag “{tag.name}” created.")
        return redirect("tasks:tag-list", self.project.pk)


class TagScopedMixin(LoginRequiredMixin):
    """
    One tag, found through ``Tag.objects.visible_to`` (404). Its pages (a form, a question)
    are for those who may change it (``require_writable``, 403); the services decide the rest.
    """

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.tag = get_object_or_404(
            Tag.objects.visible_to(request.user).select_related("project"), pk=kwargs["pk"]
        )
        self.project = self.tag.project
        require_writable(self.project, request.user)
        return super().dispatch(request, *args, **kwargs)


class TagUpdateView(TagScopedMixin, FormView):
    """Rename or recolour a tag (the tag list posts its inline row forms here)."""

    form_class = TagForm
    template_name = "tasks/tag_form.html"

    def get_initial(self) -> dict:
        return {"name": self.tag.name, "colour": self.tag.colour}

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context.update(tag=self.tag, project=self.project)
        return context

    def form_valid(self, form: TagForm) -> HttpResponse:
        try:
            services.tag_update(tag=self.tag, by=self.request.user, **form.cleaned_data)
        except services.Conflict as error:
            form.add_error("name", str(error))
        except ValidationError as error:
            apply_service_errors(form, error)
        if form.errors:
            self.tag.refresh_from_db()
            return self.form_invalid(form)
        messages.success(self.request, f"Tag “{self.tag.name}” saved.")
        return redirect("tasks:tag-list", self.project.pk)


class TagDeleteView(TagScopedMixin, View):
    """
    GET asks first (the tag list's Delete without JavaScript lands here); POST deletes. With
    htmx the list asked already (hx-confirm), and the answer reloads it with the message.
    """

    http_method_names = ["get", "post"]
    template_name = "tasks/tag_confirm_delete.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        context = {
            "tag": self.tag,
            "project": self.project,
            "task_count": self.tag.tasks.count(),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        name = self.tag.name
        services.tag_delete(tag=self.tag, by=request.user)
        messages.success(request, f"Tag “{name}” deleted; tasks that had it keep their other tags.")
        tags_url = reverse("tasks:tag-list", args=[self.project.pk])
        if request.htmx:
            return HttpResponseClientRedirect(tags_url)
        return redirect(tags_url)
