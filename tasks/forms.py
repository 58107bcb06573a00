"""Forms of the pages. They validate shape; the rules live in ``tasks.services``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from tasks.models import Project, Role, Tag, colour_validator


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


class MemberAddForm(forms.Form):
    person = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)

    def clean_person(self) -> User:
        """The account named by username (exact) or email (ignoring case)."""
        typed = self.cleaned_data["person"].strip()
        lookup = {"email__iexact": typed} if "@" in typed else {"username": typed}
        user = User.objects.filter(is_active=True, **lookup).first()
        if user is None:
            raise ValidationError(f"Nobody with the username or email “{typed}” has an account.")
        return user


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
