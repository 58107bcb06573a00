"""The notification settings form and the reminder form of the task page."""

from __future__ import annotations

from django import forms

from notifications.models import Delivery, Kind, NotificationSettings
from notifications.services import REMINDER_PRESETS

FIXED = "at"
REMINDER_CHOICES = [(str(minutes), label) for minutes, label in REMINDER_PRESETS]
REMINDER_CHOICES.append((FIXED, "At a moment I choose"))
DEFAULT_REMINDER_CHOICES = [("", "No default reminder"), *REMINDER_CHOICES[:-1]]


class NotificationSettingsForm(forms.ModelForm):
    """E-mail per kind (off, at once, daily digest), the digest's hour, the default reminder."""

    digest_hour = forms.TypedChoiceField(
        label="Daily digest at",
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        help_text="In your own time zone.",
    )
    default_reminder_minutes = forms.TypedChoiceField(
        label="Default reminder",
        choices=DEFAULT_REMINDER_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Added for you when a task with a due date is assigned to you.",
    )

    class Meta:
        model = NotificationSettings
        fields = ["digest_hour", "default_reminder_minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[f"email_{kind.value}"] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                initial=self.instance.delivery(kind.value),
                widget=forms.RadioSelect,
            )

    def kind_fields(self) -> list:
        return [self[f"email_{kind.value}"] for kind in Kind]

    def email_choices(self) -> dict[str, str]:
        return {kind.value: self.cleaned_data[f"email_{kind.value}"] for kind in Kind}


class ReminderForm(forms.Form):
    when = forms.ChoiceField(label="Remind me", choices=REMINDER_CHOICES, initial="0")
    remind_at = forms.DateTimeField(
        label="At",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Only for “At a moment I choose”; in your time zone.",
    )

    def clean(self):
        data = super().clean()
        if data.get("when") == FIXED and not data.get("remind_at"):
            self.add_error("remind_at", "Choose the moment of the reminder.")
        return data

    def reminder_arguments(self) -> dict:
        if self.cleaned_data["when"] == FIXED:
            return {"remind_at": self.cleaned_data["remind_at"]}
        return {"before_minutes": int(self.cleaned_data["when"])}
