"""Helpers for the admin tests: its URLs, its forms as a browser posts them, its actions."""

from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from tasks.tests.factories import UserFactory

CHANGE_FORM_ACTION = "CHANGE_FORM-action"


def admin_url(model, view="changelist", *args):
    app_label, model_name = model.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def form_data(response, **changes):
    """The form of an admin add/change page as the browser would post it, with ``changes``."""
    data = {}

    def put(bound):
        if bound.field.disabled:
            return
        value = bound.value()
        if value is None or value is False:
            return
        if isinstance(bound.field.widget, forms.MultiWidget):
            parts = bound.field.widget.decompress(value)
            for suffix, part in zip(bound.field.widget.widgets_names, parts, strict=True):
                data[bound.html_name + suffix] = str(part)
        elif value is True:
            data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = str(value)

    for bound in response.context["adminform"].form:
        put(bound)
    for inline in response.context["inline_admin_formsets"]:
        for bound in inline.formset.management_form:
            put(bound)
        for form in inline.formset.forms:
            for bound in form:
                put(bound)
    data.update({key: "" if value is None else value for key, value in changes.items()})
    data["_save"] = "Save"
    return data


def form_errors(response):
    """The errors of the add/change form shown again: ``{field or "__all__": [messages]}``."""
    return {
        field: list(errors) for field, errors in response.context["adminform"].form.errors.items()
    }


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def run_action(client, model, action, objects, **extra):
    """Run a change list action on ``objects``; ``extra`` is the choice page's answer."""
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects]}
    if extra:
        data.update(apply="yes", **extra)
    return client.post(admin_url(model), data)


def run_form_action(client, model, action, obj, **extra):
    """Run an action from the change form of ``obj``, as its action bar posts it."""
    data = {CHANGE_FORM_ACTION: action, ACTION_CHECKBOX_NAME: [str(obj.pk)]}
    if extra:
        data.update(apply="yes", **extra)
    return client.post(admin_url(model, "change", obj.pk), data)


def confirm_bulk_delete(client, model, objects):
    return client.post(
        admin_url(model),
        {
            "action": "delete_selected",
            "post": "yes",
            ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects],
        },
    )


def make_clerk(*codenames):
    """A staff user who is no superuser: only the given model permissions (``change_task``)."""
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return clerk
