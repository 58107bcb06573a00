"""Sign-up, sign-in, profile and API token forms."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils import timezone

from accounts.models import ApiToken, User, available_time_zones
from accounts.validators import USERNAME_HELP_TEXT, clean_username
from project.text import clean_single_line


def _email_taken(email: str, exclude_pk: int | None = None) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


EMAIL_TAKEN = "Another account already uses this email address."
INVISIBLE_TOKEN_NAME = "Give the token a name that shows (not only invisible characters)."


class SignupForm(UserCreationForm):
    """Username, email and the password twice, checked by Django's password validators."""

    email = forms.EmailField(
        max_length=254,
        help_text="For password resets. Nobody else sees it.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")
        help_texts = {"username": USERNAME_HELP_TEXT}

    def clean_username(self) -> str:
        return clean_username(self.cleaned_data.get("username"))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if _email_taken(email):
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def explain_clash(self) -> None:
        """After the database refused the new account: say which field another one took."""
        for field, clean in (("username", self.clean_username), ("email", self.clean_email)):
            try:
                clean()
            except forms.ValidationError as error:
                self.add_error(field, error)
                return
        self.add_error(None, "This account could not be created; please try again.")


class LoginForm(AuthenticationForm):
    """Django's sign-in form; the user manager also accepts an email address as the username."""

    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


def lockout_username(request, credentials: dict | None) -> str | None:
    """
    The name django-axes counts failures under: an email address is mapped to its account's
    username, so "alice" and "alice@example.com" share one failure count.
    """
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
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
        fields = ("display_name", "email", "time_zone")
        labels = {"display_name": "Display name"}
        help_texts = {"display_name": "What other people see. Leave empty to show your username."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if _email_taken(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(EMAIL_TAKEN)
        return email


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
        return ApiToken.issue(
            user=user, name=self.cleaned_data["name"], expires_at=self.expires_at()
        )
