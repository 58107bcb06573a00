"""What every admin of the domain shares: saving through the domain functions, refusals."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from tasks import services

REFUSALS = (ValidationError, PermissionDenied, services.Conflict, services.StaleVersion)

BOTH_LOCATIONS = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


def refusal_reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def copy_state(source: models.Model, target: models.Model) -> None:
    """Make the admin's form instance the row a domain function saved (pk, version, …)."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


class ServiceAdmin(admin.ModelAdmin):
    """
    Base for admins whose writes go through domain functions.

    ``refuse()`` marks the admin's transaction for rollback (so an earlier write of the same
    save, say a project rename before a refused membership change, is undone too), skips the
    remaining saving and logging, and sends the user back to the form with the reason.
    """

    def refuse(self, request: HttpRequest, error: Exception, *, rollback: bool = True) -> None:
        if rollback:
            transaction.set_rollback(True)
            request._admin_refused = True
        self.message_user(request, refusal_reason(error), messages.ERROR)

    @staticmethod
    def refused(request: HttpRequest) -> bool:
        return getattr(request, "_admin_refused", False)

    def save_related(self, request, form, formsets, change):
        if not self.refused(request):
            super().save_related(request, form, formsets, change)

    def construct_change_message(self, request, form, formsets, add=False):
        if self.refused(request):
            return []
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message):
        if not self.refused(request):
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not self.refused(request):
            return super().log_change(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if self.refused(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self.refused(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        if self.refused(request):
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_id])
            )
        return super().response_delete(request, obj_display, obj_id)

    def delete_model(self, request, obj):
        try:
            self.delete_through_service(request, obj)
        except REFUSALS as error:
            self.refuse(request, error)

    def delete_queryset(self, request, queryset):
        # One domain call per row, so each deletion writes its own activity; a refused row
        # (the last owner of a project) is reported and the others still go.
        for obj in queryset:
            try:
                with transaction.atomic():
                    self.delete_through_service(request, obj)
            except REFUSALS as error:
                self.refuse(request, error, rollback=False)

    def delete_through_service(self, request: HttpRequest, obj: models.Model) -> None:
        raise NotImplementedError
