"""Profile and API token forms, and the name failed sign-ins are counted under."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from accounts.models import ApiToken, User, available_time_zones


def lockout_username(request, credentials: dict | None) -> str | None:
    """
    The name django-axes counts failures under: an email address is mapped to its account's
    username, so "alice" and "alice@example.com" share one failure count.
    """
    credentials = credentials or {}
    raw = (
        credentials.get("username")
        or credentials.get("email")
        or request.POST.get("login")
        or request.POST.get("username")
        or ""
    )
    raw = raw.strip()
    if "@" in raw:
        username = User.objects.filter(email__iexact=raw).values_list("username", flat=True).first()
        return username or raw.lower()
    return raw or None


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=[(zone, zone.replace("_", " ")) for zone in available_time_zones()],
        help_text="Dates and times are shown in this zone.",
    )

    class Meta:
        model = User
        fields = ("display_name", "time_zone")
        labels = {"display_name": "Display name"}
        help_texts = {"display_name": "What other people see. Leave empty to show your username."}


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the token is for, e.g. “CI” or “phone”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        help_text="The token stops working at the end of this day. Leave empty for no expiry.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date.")
        return day

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day, in the current (the user's) time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
        return timezone.make_aware(midnight)

    def issue(self, user: User) -> tuple[ApiToken, str]:
        return ApiToken.issue(
            user=user, name=self.cleaned_data["name"], expires_at=self.expires_at()
        )
