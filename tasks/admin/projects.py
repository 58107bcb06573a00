"""Admin for projects, their members and tags."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models.functions import Lower
from django.http import HttpRequest

from tasks import services
from tasks.admin.base import BOTH_LOCATIONS, ReadOnlyInline, ServiceAdmin, refusals
from tasks.models import Invitation, Membership, Project, Role, Tag


class MembershipInline(ReadOnlyInline):
    """Who is in the project, read-only: members are added, changed and removed as such."""

    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Project)
class ProjectAdmin(ServiceAdmin):
    list_display = (
        "name",
        "colour",
        "is_archived",
        "created_by",
        "member_count",
        "task_count",
        "open_count",
        "created_at",
    )
    list_select_related = ("created_by",)
    list_filter = ("is_archived", "created_at")
    search_fields = ("name", "description")
    date_hierarchy = "created_at"
    # Explicit: the count annotations group the rows, and grouped queries drop Meta.ordering.
    ordering = (Lower("name"), "id")
    readonly_fields = ("is_archived", "created_by", "created_at", "updated_at")
    inlines = (MembershipInline,)
    actions = ("archive", "unarchive", "delete_selected")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_task_counts()
            .annotate(member_count=models.Count("memberships", distinct=True))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            # The creator becomes the first owner (project_create); members are added after.
            return ("name", "description", "colour")
        return ("name", "description", "colour", *self.readonly_fields)

    @admin.display(description="members", ordering="member_count")
    def member_count(self, project: Project) -> int:
        return project.member_count

    @admin.display(description="tasks", ordering="task_count")
    def task_count(self, project: Project) -> int:
        return project.task_count

    @admin.display(description="open", ordering="open_count")
    def open_count(self, project: Project) -> int:
        return project.open_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with refusals():
            if change:
                fields = {
                    name: data[name]
                    for name in ("name", "description", "colour")
                    if name in form.changed_data
                }
                if fields:
                    services.project_update(
                        project=Project.objects.get(pk=obj.pk),
                        by=request.user,
                        as_staff=True,
                        **fields,
                    )
            else:
                project = services.project_create(
                    by=request.user,
                    as_staff=True,
                    name=data["name"],
                    description=data["description"],
                    colour=data["colour"],
                )
                obj.pk = project.pk

    def delete_through_service(self, request, obj):
        services.project_delete(project=obj, by=request.user, as_staff=True)

    def _set_archived(self, request: HttpRequest, queryset, archived: bool, done) -> None:
        def change(project: Project) -> bool:
            if project.is_archived == archived:
                return False
            services.project_update(
                project=project, by=request.user, as_staff=True, is_archived=archived
            )
            return True

        self.apply_each(request, queryset.order_by("pk"), change, done)

    @admin.action(
        description="Archive (read-only for everyone)",
        permissions=["change"],
        location=BOTH_LOCATIONS,
    )
    def archive(self, request: HttpRequest, queryset: models.QuerySet[Project]) -> None:
        self._set_archived(
            request, queryset, True, ("Archived %d project.", "Archived %d projects.")
        )

    @admin.action(description="Unarchive", permissions=["change"], location=BOTH_LOCATIONS)
    def unarchive(self, request: HttpRequest, queryset: models.QuerySet[Project]) -> None:
        self._set_archived(
            request, queryset, False, ("Unarchived %d project.", "Unarchived %d projects.")
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label="New role")


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ("user", "project", "role", "created_at")
    list_select_related = ("user", "project")
    list_filter = ("role", "created_at")
    search_fields = ("user__username", "user__display_name", "user__email", "project__name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("project", "user")
    actions = ("change_role", "delete_selected")

    def get_fields(self, request, obj=None):
        return ("project", "user", "role", "created_at") if obj else ("project", "user", "role")

    def get_readonly_fields(self, request, obj=None):
        # A membership belongs to one person in one project; its role changes by the action.
        return ("project", "user", "role", "created_at") if obj else ()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing is edited in place here (the role changes by an action): no save buttons.
        no_saving = dict.fromkeys(
            ("show_save", "show_save_and_continue", "show_save_and_add_another"), False
        )
        return super().change_view(
            request, object_id, form_url, {**no_saving, **(extra_context or {})}
        )

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on the change form is editable
        data = form.cleaned_data
        with refusals():
            membership = services.member_add(
                project=data["project"],
                user=data["user"],
                role=data["role"],
                by=request.user,
                as_staff=True,
            )
        obj.pk = membership.pk

    def delete_through_service(self, request, obj):
        membership = Membership.objects.select_related("project", "user").get(pk=obj.pk)
        services.member_remove(membership=membership, by=request.user, as_staff=True)

    @admin.action(description="Change role…", permissions=["change"], location=BOTH_LOCATIONS)
    def change_role(self, request: HttpRequest, queryset: models.QuerySet[Membership]):
        memberships = queryset.select_related("project", "user").order_by("pk")

        def apply(chosen: dict) -> None:
            role = chosen["role"]

            def change(membership: Membership) -> bool:
                if membership.role == role:
                    return False
                services.member_change_role(
                    membership=membership, role=role, by=request.user, as_staff=True
                )
                return True

            self.apply_each(request, memberships, change, ("Changed %d role.", "Changed %d roles."))

        return self.choose_then_apply(
            request,
            memberships,
            action="change_role",
            form_class=RoleForm,
            title="Change the role of these members",
            apply=apply,
        )


@admin.register(Invitation)
class InvitationAdmin(ServiceAdmin):
    """
    Read-only: invitations are made by owners and answered by the people invited. Staff with
    the change permission may cancel open ones (an action, through the domain).
    """

    list_display = ("address", "invitee", "project", "role", "status", "invited_by", "expires_at")
    list_select_related = ("invitee", "project", "invited_by")
    list_filter = ("status", "role", "created_at")
    search_fields = ("address", "invitee__username", "invitee__email", "project__name")
    date_hierarchy = "created_at"
    fields = (
        "project",
        "address",
        "invitee",
        "role",
        "invited_by",
        "status",
        "created_at",
        "expires_at",
        "responded_at",
    )
    actions = ("cancel",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_cancel_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Cancel the selected invitations", permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: models.QuerySet[Invitation]):
        def change(invitation: Invitation) -> bool:
            if invitation.status != Invitation.Status.PENDING:
                return False
            services.invitation_cancel(invitation=invitation, by=request.user, as_staff=True)
            return True

        invitations = queryset.select_related("project").order_by("pk")
        self.apply_each(
            request, invitations, change, ("Cancelled %d invitation.", "Cancelled %d invitations.")
        )


@admin.register(Tag)
class TagAdmin(ServiceAdmin):
    list_display = ("name", "project", "colour", "task_count")
    list_select_related = ("project",)
    list_filter = ("project",)
    search_fields = ("name", "project__name")
    autocomplete_fields = ("project",)
    ordering = (Lower("name"), "id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(task_count=models.Count("tasks"))

    def get_readonly_fields(self, request, obj=None):
        return ("project",) if obj else ()

    @admin.display(description="tasks", ordering="task_count")
    def task_count(self, tag: Tag) -> int:
        return tag.task_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with refusals():
            if change:
                fields = {n: data[n] for n in ("name", "colour") if n in form.changed_data}
                if fields:
                    tag = Tag.objects.select_related("project").get(pk=obj.pk)
                    services.tag_update(tag=tag, by=request.user, as_staff=True, **fields)
            else:
                tag = services.tag_create(
                    project=data["project"],
                    name=data["name"],
                    colour=data["colour"],
                    by=request.user,
                    as_staff=True,
                )
                obj.pk = tag.pk

    def delete_through_service(self, request, obj):
        tag = Tag.objects.select_related("project").get(pk=obj.pk)
        services.tag_delete(tag=tag, by=request.user, as_staff=True)
