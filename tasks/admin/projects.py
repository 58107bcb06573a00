"""Admin for projects, their members and tags."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models.functions import Lower

from tasks import services
from tasks.admin.base import REFUSALS, ServiceAdmin, copy_state
from tasks.models import ROLE_RANK, Membership, Project, Role, Tag


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "role")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A membership belongs to one person: change the role, or remove it and add another.
        if self.instance.pk:
            self.fields["user"].disabled = True


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


def _fresh_membership(pk: int) -> Membership:
    """The row as stored: the admin form has already written its new values on the instance."""
    return Membership.objects.select_related("project", "user").get(pk=pk)


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
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = (MembershipInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_task_counts()
            .annotate(member_count=models.Count("memberships", distinct=True))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            # The creator becomes the first owner (project_create); members follow below.
            return ("name", "description", "colour")
        return ("name", "description", "colour", "is_archived", *self.readonly_fields)

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
        try:
            if change:
                fields = {
                    name: data[name]
                    for name in form.changed_data
                    if name in ("name", "description", "colour", "is_archived")
                }
                if fields:
                    services.project_update(project=obj, by=request.user, as_staff=True, **fields)
            else:
                project = services.project_create(
                    by=request.user,
                    as_staff=True,
                    name=data["name"],
                    description=data.get("description", ""),
                    colour=data.get("colour") or Project.DEFAULT_COLOUR,
                )
                copy_state(project, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        project, by = form.instance, request.user
        try:
            # New members and promotions first, removals last: handing ownership over in one
            # save never leaves the project without an owner on the way.
            for membership in formset.new_objects:
                services.member_add(
                    project=project,
                    user=membership.user,
                    role=membership.role,
                    by=by,
                    as_staff=True,
                )
            role_changes = sorted(
                (
                    (membership.pk, membership.role)
                    for membership, changed in formset.changed_objects
                    if "role" in changed
                ),
                key=lambda change: -ROLE_RANK[Role(change[1])],
            )
            for pk, role in role_changes:
                services.member_change_role(
                    membership=_fresh_membership(pk), role=role, by=by, as_staff=True
                )
            for membership in formset.deleted_objects:
                services.member_remove(
                    membership=_fresh_membership(membership.pk), by=by, as_staff=True
                )
        except REFUSALS as error:
            self.refuse(request, error)
        return None

    def delete_through_service(self, request, obj):
        services.project_delete(project=obj, by=request.user, as_staff=True)


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ("user", "project", "role", "created_at")
    list_select_related = ("user", "project")
    list_filter = ("role", "created_at")
    search_fields = ("user__username", "user__display_name", "user__email", "project__name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("project", "user")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("created_at",)
        return ("project", "user", "created_at")

    def get_fields(self, request, obj=None):
        return ("project", "user", "role", "created_at") if obj else ("project", "user", "role")

    def save_model(self, request, obj, form, change):
        try:
            if change:
                if "role" in form.changed_data:
                    services.member_change_role(
                        membership=_fresh_membership(obj.pk),
                        role=obj.role,
                        by=request.user,
                        as_staff=True,
                    )
            else:
                membership = services.member_add(
                    project=obj.project,
                    user=obj.user,
                    role=obj.role,
                    by=request.user,
                    as_staff=True,
                )
                copy_state(membership, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def delete_through_service(self, request, obj):
        services.member_remove(membership=_fresh_membership(obj.pk), by=request.user, as_staff=True)


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
        try:
            if change:
                fields = {n: getattr(obj, n) for n in form.changed_data if n in ("name", "colour")}
                if fields:
                    services.tag_update(tag=obj, by=request.user, as_staff=True, **fields)
            else:
                tag = services.tag_create(
                    project=obj.project,
                    name=obj.name,
                    colour=obj.colour,
                    by=request.user,
                    as_staff=True,
                )
                copy_state(tag, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def delete_through_service(self, request, obj):
        services.tag_delete(tag=obj, by=request.user, as_staff=True)
