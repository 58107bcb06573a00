"""What every admin of the domain shares: saving and deleting through ``tasks.services``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import ngettext

from tasks import services

#: What the domain functions raise when they refuse a change.
REFUSALS = (ValidationError, PermissionDenied, services.Conflict, services.StaleVersion)

BOTH_LOCATIONS = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


class Refused(Exception):
    """
    The domain refused a save or delete made from the admin.

    Raised instead of the domain's own ``PermissionDenied`` so that it cannot be mistaken for
    Django's admin permission check (which must stay a 403).
    """

    def __init__(self, error: Exception):
        super().__init__(refusal_reason(error))
        self.error = error


def refusal_reason(error: Exception) -> str:
    if isinstance(error, Refused):
        error = error.error
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a domain refusal inside the block into ``Refused``."""
    try:
        yield
    except REFUSALS as error:
        raise Refused(error) from error


class RefusableForm(forms.ModelForm):
    """
    A model form the domain may still refuse after it validated.

    ``refusal`` is set (on a subclass made per request) when the same input was just refused:
    the form then fails validation with the domain's reason, so the admin shows the form again
    with everything that was typed.
    """

    refusal: Exception | None = None

    def full_clean(self) -> None:
        super().full_clean()
        if self.refusal is None or not self.is_bound:
            return
        error = self.refusal
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                if field in self.fields and field != NON_FIELD_ERRORS:
                    self.add_error(field, errors)
                else:
                    self.add_error(None, errors)
        else:
            self.add_error(None, refusal_reason(error))


class ReadOnlyInline(admin.TabularInline):
    """
    Rows shown beside their parent but changed elsewhere (through their own admin or the
    domain functions): nothing is added, changed or deleted in the inline.
    """

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdmin(admin.ModelAdmin):
    """
    Base for admins whose writes go through the domain functions, as staff (``as_staff=True``).

    Subclasses implement ``save_model`` (the domain function for an add or a change, called
    inside ``refusals()``; an add gives the form's instance the new row's pk, for the admin's
    log and redirect) and ``delete_through_service``. A refusal undoes the whole request (both
    views are atomic) and comes back as the form's errors with the input kept, or as a message
    on the page the deletion started from. ``delete_selected`` is replaced by an action that
    deletes row by row through the same ``delete_model`` and counts only what went.
    """

    form = RefusableForm
    actions = ("delete_selected",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "domain_refusal", None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"refusal": refusal})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            # Nothing of the refused save was kept (the view is atomic). Validate the same
            # input again, this time with the domain's reason: the form comes back as typed.
            request.domain_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # What a deletion takes with it (a project's members, tags, tasks) is the domain's
        # call: the permission that counts is the one to delete this model, not one for each
        # kind of row it cascades to (memberships cannot be deleted here on their own). Each
        # selected row still needs it (``has_delete_permission(request, obj)``: a superuser's
        # account, say): one that may not go stops the whole deletion.
        if self.has_delete_permission(request):
            perms_needed = {
                self.opts.verbose_name
                for obj in objs
                if not self.has_delete_permission(request, obj)
            }
        return to_delete, model_count, perms_needed, protected

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as refused:
            if isinstance(refused.error, PermissionDenied):
                # The archived rule and its kin: a 403 here as on the pages and in the API.
                raise PermissionDenied(str(refused)) from refused
            self.message_user(request, str(refused), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def delete_model(self, request, obj):
        with refusals():
            self.delete_through_service(request, obj)

    def delete_through_service(self, request: HttpRequest, obj: models.Model) -> None:
        raise NotImplementedError

    @admin.action(description="Delete selected %(verbose_name_plural)s", permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: models.QuerySet) -> Any:
        """Django's confirmation page, then one domain deletion per row: report what went."""
        _, _, perms_needed, protected = self.get_deleted_objects(queryset, request)
        if not request.POST.get("post") or protected:
            return django_delete_selected(self, request, queryset)
        if perms_needed:
            raise PermissionDenied
        deleted = 0
        for obj in queryset:
            try:
                with transaction.atomic():
                    self.log_deletions(request, [obj])
                    self.delete_model(request, obj)
            except Refused as refused:
                self.message_user(request, f"“{obj}” was not deleted: {refused}", messages.ERROR)
            else:
                deleted += 1
        if deleted:
            opts = self.opts
            name = opts.verbose_name if deleted == 1 else opts.verbose_name_plural
            self.message_user(request, f"Deleted {deleted} {name}.", messages.SUCCESS)
        return None

    def apply_each(
        self,
        request: HttpRequest,
        queryset: models.QuerySet,
        change: Callable[[Any], bool],
        done: tuple[str, str],
    ) -> None:
        """
        Run one domain change per selected row, each in its own transaction; ``change`` says
        whether the row really changed. Refusals are listed by row, the rest still go.
        """
        changed = 0
        for obj in queryset:
            try:
                with transaction.atomic(), refusals():
                    changed += bool(change(obj))
            except Refused as refused:
                self.message_user(request, f"“{obj}”: {refused}", messages.ERROR)
        singular, plural = done
        self.message_user(request, ngettext(singular, plural, changed) % changed, messages.SUCCESS)

    def choose_then_apply(
        self,
        request: HttpRequest,
        queryset: models.QuerySet,
        *,
        action: str,
        form_class: type[forms.Form],
        title: str,
        apply: Callable[[dict[str, Any]], None],
    ) -> HttpResponse | None:
        """
        An action that needs a value (the new role, the target status) first shows a page to
        choose it; that page posts the same action and selection back with ``apply``.
        """
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            apply(form.cleaned_data)
            return None
        on_form = f"{admin.ActionLocation.CHANGE_FORM.value}-action"
        action_field = on_form if on_form in request.POST else "action"
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "objects": list(queryset),
            # Posted back where it came from: the change list, or the change form's actions.
            "action_field": action_field,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/choose_for_action.html", context)
