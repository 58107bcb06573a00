"""Forms of the pages. They validate shape; the rules live in ``tasks.services``."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, MaxLengthValidator
from django.db import models
from django.utils import timezone

from accounts.models import User
from tasks import recurrence as rrules
from tasks.models import Comment, Priority, Project, Role, Status, Tag, Task, colour_validator


# ---------------------------------------------------------------------------
# Projects, members and tags
# ---------------------------------------------------------------------------
class ColourInput(forms.TextInput):
    """The browser's colour picker; it always sends ``#rrggbb``."""

    input_type = "color"


def colour_field(default: str) -> forms.CharField:
    return forms.CharField(
        max_length=7, initial=default, validators=[colour_validator], widget=ColourInput
    )


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the project is for, in a sentence or two.",
    )
    colour = colour_field(Project.DEFAULT_COLOUR)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the project a name.")
        return name


class ProjectDeleteForm(forms.Form):
    """Deleting needs the project's name typed out, so it is never a slip of the mouse."""

    confirm_name = forms.CharField(label="Project name", max_length=100)

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["confirm_name"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false"}
        )

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data["confirm_name"].strip()
        if typed != self.project.name:
            raise ValidationError(
                f"That is not the project’s name. Type “{self.project.name}” to delete it."
            )
        return typed


class InviteForm(forms.Form):
    """
    Invite someone by username or e-mail address. Whether it names an account is not this
    form's business (nor the owner's): ``services.member_invite`` answers the same either way.
    """

    person = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)

    def clean_person(self) -> str:
        typed = self.cleaned_data["person"].strip()
        if "@" in typed:
            EmailValidator("Enter a valid e-mail address, or a username.")(typed)
        return typed

    def invitee(self) -> dict[str, str]:
        """The keyword ``member_invite`` takes for what was typed."""
        typed = self.cleaned_data["person"]
        return {"email": typed} if "@" in typed else {"username": typed}


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TagForm(forms.Form):
    name = forms.CharField(max_length=50, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    colour = colour_field(Tag.DEFAULT_COLOUR)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the tag a name.")
        return name


# ---------------------------------------------------------------------------
# Tasks and comments
# ---------------------------------------------------------------------------
def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` next to the fields it names (else above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class TaskForm(forms.ModelForm):
    """
    The new-task and edit form. Choices come from the task's project: its members as
    assignees, its tags as tags. ``title`` alone is enough (the quick add sends little else).
    """

    repeat = forms.ChoiceField(
        label="How often",
        choices=rrules.PRESETS,
        required=False,
        help_text="Completing a repeating task adds its next occurrence.",
        widget=forms.Select(attrs={"data-repeat-preset": ""}),
    )

    class Meta:
        model = Task
        fields = [
            "title",
            "description",
            "status",
            "priority",
            "due_date",
            "due_time",
            "recurrence",
            "recurrence_mode",
            "assignee",
            "tags",
        ]
        widgets = {
            "title": forms.TextInput(attrs={"autocomplete": "off"}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "due_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "recurrence": forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "placeholder": "FREQ=WEEKLY;BYDAY=MO,TH",
                    "data-repeat-custom": "",
                }
            ),
            "recurrence_mode": forms.RadioSelect,
            "tags": forms.CheckboxSelectMultiple,
        }
        labels = {
            "due_date": "Due date",
            "due_time": "Due time",
            "recurrence": "Custom rule",
            "recurrence_mode": "Next occurrence counted from",
        }
        help_texts = {
            "recurrence": (
                "With “Custom rule…”: an RFC 5545 RRULE such as FREQ=MONTHLY;BYDAY=1MO or "
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;COUNT=10 (at most daily)."
            ),
            "due_time": "In your time zone.",
        }

    field_order = [
        "title",
        "description",
        "status",
        "priority",
        "due_date",
        "due_time",
        "assignee",
        "tags",
        "repeat",
        "recurrence",
        "recurrence_mode",
    ]

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        description = self.fields["description"]
        description.max_length = Task.DESCRIPTION_MAX_LENGTH
        description.validators.append(MaxLengthValidator(Task.DESCRIPTION_MAX_LENGTH))
        # The model field's validator runs in ``clean``, for the custom rule only.
        self.fields["recurrence"].validators = []
        self.fields["recurrence"].required = False
        self.fields["recurrence_mode"].required = False
        self.fields["recurrence_mode"].choices = rrules.Mode.CHOICES
        if not self.is_bound:
            self.initial.setdefault("recurrence_mode", rrules.Mode.FROM_DUE)
            instance = self.instance if self.instance.pk else None
            if instance is not None and instance.due_at is not None:
                # A timed task is shown where the viewer is.
                local = timezone.localtime(instance.due_at)
                self.initial["due_date"], self.initial["due_time"] = local.date(), local.time()
            due = self.initial.get("due_date")
            if instance is not None:
                self.initial["repeat"] = rrules.preset_of(instance.recurrence, due)
            if isinstance(due, str):
                try:
                    due = datetime.date.fromisoformat(due)
                except ValueError:
                    due = None
            self.fields["repeat"].choices = rrules.preset_labels(due)
        if self.is_bound and not all(name in self.data for name in ("status", "priority")):
            # The quick add sends a title (and maybe a date and an assignee) only.
            self.data = self.data.copy()
            self.data.setdefault("status", Status.TODO)
            self.data.setdefault("priority", Priority.NONE)
        assignee = self.fields["assignee"]
        assignee.queryset = User.objects.filter(memberships__project=project).order_by(
            "display_name", "username"
        )
        assignee.empty_label = "Unassigned"
        assignee.label_from_instance = lambda user: user.name
        self.fields["tags"].queryset = Tag.objects.filter(project=project)

    def clean(self) -> dict:
        cleaned = super().clean()
        due_date, due_time = cleaned.get("due_date"), cleaned.get("due_time")
        if due_time is not None and due_date is None and "due_date" not in self.errors:
            self.add_error("due_time", "A due time needs a due date.")
        cleaned["recurrence_mode"] = cleaned.get("recurrence_mode") or rrules.Mode.FROM_DUE
        if "repeat" not in self.data:
            # A form without the repeat menu (the quick add) sends the rule itself, if any.
            cleaned["recurrence"] = rrules.normalize(cleaned.get("recurrence"))
        else:
            preset = cleaned.get("repeat") or rrules.PRESET_NONE
            rule = rrules.preset_rule(preset, due_date)
            if rule is None and preset != rrules.PRESET_CUSTOM:
                self.add_error("repeat", "A repeating task needs a due date.")
                return cleaned
            cleaned["recurrence"] = rrules.normalize(
                cleaned.get("recurrence") if rule is None else rule
            )
        if cleaned["recurrence"]:
            try:
                rrules.validate_rule(cleaned["recurrence"])
            except ValidationError as error:
                self.add_error("recurrence", error)
                return cleaned
            if due_date is None and "due_date" not in self.errors:
                self.add_error("recurrence", "A repeating task needs a due date.")
        return cleaned

    def _post_clean(self) -> None:
        # The service validates and saves the task; skip the ModelForm's instance validation,
        # which would check constraints against a half-built instance.
        pass

    def task_fields(self) -> dict:
        """Keyword arguments for ``task_create`` / ``task_update``."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


#: The fields of the edit form, compared one by one with the values the form was loaded with.
EDIT_FIELDS = (
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "due_time",
    "recurrence",
    "recurrence_mode",
    "assignee",
    "tags",
    "project",
)


def _text(value: str | None) -> str:
    # Browsers send line breaks as CRLF; a text saved elsewhere may have LF only.
    return (value or "").replace("\r\n", "\n").strip()


def task_values(task: Task) -> dict[str, Any]:
    """
    A task's editable fields as plain, comparable values (the edit form's baseline); a timed
    task's date and time as the viewer sees them (the active time zone).
    """
    due_day, due_time = task.due_day(), task.local_due_time()
    return {
        "title": task.title,
        "description": _text(task.description),
        "status": task.status,
        "priority": task.priority,
        "due_date": due_day.isoformat() if due_day else "",
        "due_time": due_time.strftime("%H:%M") if due_time else "",
        "recurrence": task.recurrence,
        "recurrence_mode": task.recurrence_mode,
        "assignee": str(task.assignee_id or ""),
        "tags": sorted(str(tag.pk) for tag in task.tags.all()),
        "project": str(task.project_id),
    }


class TaskEditForm(TaskForm):
    """
    Editing adds the project (to move the task), the version the user started from, and the
    values the form was loaded with (``original``). Saving writes only the fields the user
    changed from those values, so a teammate's change to another field is never undone by a
    form that still showed the old value. When both changed the same field, the form asks
    which to keep (``keep_<field>``: "theirs" or "mine") for each field named in ``disputed``.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    original = forms.CharField(widget=forms.HiddenInput, required=False)
    disputed = forms.CharField(widget=forms.HiddenInput, required=False)
    project = forms.ModelChoiceField(queryset=Project.objects.none(), empty_label=None)

    def __init__(self, *args, user: User, asking: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # True while the form puts the question (the conflict screen), not yet the answer.
        self.asking = asking
        # Where the task may go, and where it is: whether it may change at all is the
        # service's call, so that a refusal is a 403 rather than "select a valid choice".
        writable = Project.objects.writable_by(user).values("pk")
        self.fields["project"].queryset = Project.objects.filter(
            models.Q(pk__in=writable) | models.Q(pk=self.project.pk)
        )
        self.fields["project"].help_text = (
            "Moving keeps the tags that exist in the other project and unassigns someone "
            "who is not a member there."
        )
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["project"] = self.project.pk
            self.initial["original"] = json.dumps(task_values(self.instance))

    def disputed_fields(self) -> list[str]:
        names = (self.data.get("disputed") or "").split(",")
        return [name for name in names if name in EDIT_FIELDS]

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in [] if self.asking else self.disputed_fields():
            if self.data.get(f"keep_{name}") not in ("theirs", "mine"):
                self.add_error(
                    None,
                    f"{self.fields[name].label}: choose whether to keep their value or yours.",
                )
        return cleaned

    def original_values(self) -> dict[str, Any] | None:
        """The values the form was loaded with; ``None`` from a client that did not send them."""
        try:
            original = json.loads(self.cleaned_data.get("original") or "")
        except ValueError:
            return None
        if not isinstance(original, dict) or set(original) != set(EDIT_FIELDS):
            return None
        return original

    def submitted_values(self) -> dict[str, Any]:
        """What the user submitted, in the shape of ``task_values``."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": _text(data["description"]),
            "status": data["status"],
            "priority": data["priority"],
            "due_date": data["due_date"].isoformat() if data["due_date"] else "",
            "due_time": data["due_time"].strftime("%H:%M") if data.get("due_time") else "",
            "recurrence": data.get("recurrence", ""),
            "recurrence_mode": data.get("recurrence_mode") or rrules.Mode.FROM_DUE,
            "assignee": str(data["assignee"].pk if data["assignee"] else ""),
            "tags": sorted(str(tag.pk) for tag in data["tags"]),
            "project": str(data["project"].pk),
        }

    def changed_by_user(self) -> list[str]:
        """The fields the user changed (all of them when the original values are unknown)."""
        original = self.original_values()
        mine = self.submitted_values()
        kept_theirs = {
            name for name in self.disputed_fields() if self.data.get(f"keep_{name}") == "theirs"
        }
        return [
            name
            for name in EDIT_FIELDS
            if name not in kept_theirs and (original is None or mine[name] != original[name])
        ]

    def conflicts_with(self, current: Task) -> list[str]:
        """Fields that the user and whoever saved ``current`` both changed, differently."""
        original = self.original_values()
        mine = self.submitted_values()
        theirs = task_values(current)
        return [
            name
            for name in self.changed_by_user()
            if mine[name] != theirs[name] and (original is None or theirs[name] != original[name])
        ]

    def task_fields(self) -> dict:
        """Keyword arguments for ``task_update``: only the fields the user changed."""
        changed = self.changed_by_user()
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name in changed}
        new_project = self.cleaned_data["project"]
        if "project" in changed and new_project.pk != self.project.pk:
            # The choices shown belong to the old project: the service decides which tags
            # and which assignee carry over.
            fields.pop("tags", None)
            fields.pop("assignee", None)
            fields["project"] = new_project
        return fields


class TaskMoveForm(forms.Form):
    """
    A board move: the column and the place in it (0 = top; empty = bottom). The board's
    arrow buttons send both at once as ``to`` ("in_progress:2"); the no-JavaScript form
    asks for a place counted from 1, as people count.
    """

    status = forms.ChoiceField(choices=Status.choices, required=False)
    index = forms.IntegerField(min_value=0, required=False)
    place = forms.IntegerField(min_value=1, required=False, label="Position")
    to = forms.RegexField(r"^[a-z_]+:\d{1,9}$", required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("to"):
            status, index = cleaned["to"].split(":")
            cleaned["status"], cleaned["index"] = status, int(index)
        elif cleaned.get("index") is None and cleaned.get("place"):
            cleaned["index"] = cleaned["place"] - 1
        if cleaned.get("status") not in Status.values:
            raise ValidationError({"status": "Choose a column: To do, In progress or Done."})
        return cleaned


class CommentForm(forms.Form):
    """A comment's text. A plain form: the service, not the form, changes the comment."""

    body = forms.CharField(
        label="Comment",
        max_length=Comment.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a comment…"}),
        error_messages={"required": "Write something first."},
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError("Write something first.")
        return body
