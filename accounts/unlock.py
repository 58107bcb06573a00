"""
"E-mail me an unlock link": the way back in for the owner of an account that someone else's
failed sign-ins slowed down (accounts.lockout). The link, signed and short-lived, marks the
browser that opens it as a known device of the account; the password is still needed.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.mail import send_mail
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.generic import FormView, View

from accounts import lockout
from accounts.models import User

#: One link per account in this many seconds, however often it is asked for.
MAIL_INTERVAL_SECONDS = 300
SENT = "If that account exists and has an e-mail address, a link is on its way there."


class UnlockForm(forms.Form):
    login = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )

    def account(self) -> User | None:
        """The active account named, if it has an address to send the link to."""
        raw = self.cleaned_data["login"].strip()
        lookup = {"email__iexact": raw} if "@" in raw else {"username__iexact": raw}
        return User.objects.filter(is_active=True, **lookup).exclude(email="").first()


def send_unlock_link(request, user: User) -> None:
    if not cache.add(f"login-unlock-mail:{user.pk}", 1, MAIL_INTERVAL_SECONDS):
        return
    link = request.build_absolute_uri(
        reverse("login-unlock-link", args=[lockout.unlock_token(user)])
    )
    context = {
        "user": user,
        "link": link,
        "minutes": settings.LOGIN_UNLOCK_LINK_SECONDS // 60,
    }
    send_mail(
        render_to_string("registration/unlock_subject.txt", context).strip(),
        render_to_string("registration/unlock_email.txt", context),
        None,
        [user.email],
    )


class UnlockRequestView(FormView):
    """The same answer whether the account exists or not."""

    form_class = UnlockForm
    template_name = "registration/unlock_request.html"

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(login_url=resolve_url(settings.LOGIN_URL), **kwargs)

    def form_valid(self, form: UnlockForm) -> HttpResponse:
        user = form.account()
        if user is not None:
            send_unlock_link(self.request, user)
        messages.info(self.request, SENT)
        return HttpResponseRedirect(reverse("login-unlock"))


class UnlockLinkView(View):
    """Opening a good link makes this browser a known device of the account, then to sign-in."""

    def get(self, request, token: str) -> HttpResponse:
        user = lockout.user_for_unlock_token(token)
        if user is None:
            messages.error(request, "That link has expired or was already used. Ask for a new one.")
            return HttpResponseRedirect(reverse("login-unlock"))
        lockout.remember_device(request, user)
        messages.success(request, f"This browser may now sign in as {user.username}.")
        return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
