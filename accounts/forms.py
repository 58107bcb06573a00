"""Sign-in, profile, API token and session forms (two-factor: mfa_forms; lockouts: lockout)."""

from __future__ import annotations

import datetime

from allauth.account import forms as allauth_forms
from allauth.usersessions.internal import flows as usersessions_flows
from allauth.usersessions.models import UserSession
from django import forms
from django.utils import timezone

from accounts.models import ApiToken, User, available_time_zones
from project.text import clean_single_line

INVISIBLE_TOKEN_NAME = "Give the token a name that shows (not only invisible characters)."


class LoginForm(allauth_forms.LoginForm):
    """allauth's sign-in form in Taskdesk's words; its logic is untouched."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or e-mail"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"


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
    read_only = forms.BooleanField(
        required=False,
        label="Read-only",
        help_text="The token can read but never change anything.",
    )
    projects = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: all your projects, including future ones.",
    )
    can_manage_tokens = forms.BooleanField(
        required=False,
        label="May manage tokens",
        help_text="Lets the token list, create and revoke your tokens. Leave it off unless "
        "a script needs that.",
    )

    def __init__(self, *args, projects, **kwargs) -> None:
        """``projects``: those the token may be limited to (the user's, given by the caller)."""
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = projects

    def clean_name(self) -> str:
        name = clean_single_line(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(INVISIBLE_TOKEN_NAME)
        return name

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
        data = self.cleaned_data
        return ApiToken.issue(
            user=user,
            name=data["name"],
            expires_at=self.expires_at(),
            read_only=data["read_only"],
            project_ids=[project.pk for project in data["projects"]],
            can_manage_tokens=data["can_manage_tokens"],
        )


class SessionsForm(forms.Form):
    """
    "Sign out other sessions", or with ``session`` one chosen session of the user's own. The
    current session is never one of the others: signing out of it is the logout button's job.
    """

    session = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, request, **kwargs) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def others(self):
        return UserSession.objects.filter(user_id=self.request.user.pk).exclude(
            session_key=self.request.session.session_key
        )

    def clean_session(self) -> int | None:
        pk = self.cleaned_data["session"]
        if pk is not None and not self.others().filter(pk=pk).exists():
            raise forms.ValidationError(
                "That session has ended already, or is not one of your other sessions."
            )
        return pk

    def save(self, request) -> int:
        """End the chosen session or all the others; how many were ended."""
        sessions = self.others()
        if self.cleaned_data["session"] is not None:
            sessions = sessions.filter(pk=self.cleaned_data["session"])
        sessions = list(sessions)
        usersessions_flows.sessions.end_sessions(request, sessions)
        return len(sessions)
