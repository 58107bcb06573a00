"""Sign-up, sign-in, profile settings and API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import CreateView, TemplateView, UpdateView

from accounts.forms import LoginForm, ProfileForm, SignupForm, TokenCreateForm
from accounts.models import ApiToken, User


class SignupView(CreateView):
    form_class = SignupForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("tasks:dashboard")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("tasks:dashboard")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignupForm) -> HttpResponse:
        user = self.object = form.save()
        # Name the backend: axes' backend comes first in AUTHENTICATION_BACKENDS but only
        # guards authenticate(); sessions must be tied to ModelBackend, which also logs out
        # users who are deactivated later.
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, f"Welcome to Taskdesk, {user.name}.")
        return HttpResponseRedirect(self.get_success_url())


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Django's POST-only logout, saying so on the login page it leads to."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view keeps this session (update_session_auth_hash); other sessions end."""

    success_url = reverse_lazy("settings")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request, "Your password was changed. Other devices have been signed out."
        )
        return response


class ProfileView(LoginRequiredMixin, UpdateView):
    form_class = ProfileForm
    template_name = "accounts/settings.html"
    success_url = reverse_lazy("settings")

    def get_object(self, queryset=None) -> User:
        return self.request.user

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        messages.success(self.request, "Your settings were saved.")
        return super().form_valid(form)

    def form_invalid(self, form: ProfileForm) -> HttpResponse:
        # The failed form must not rename the user in the page frame (menu, avatar).
        self.request.user.refresh_from_db()
        return super().form_invalid(form)


class TokenListView(LoginRequiredMixin, TemplateView):
    """The user's API tokens and the form that creates one."""

    template_name = "accounts/tokens.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", TokenCreateForm())
        context["tokens"] = ApiToken.objects.for_user(self.request.user)
        return context


class TokenCreateView(TokenListView):
    """
    Issue a token and show its secret once, in this response: the secret is neither stored
    nor put in the session or a message, so a reload cannot show it again.
    """

    def get(self, request, *args, **kwargs):
        return redirect("tokens")

    def post(self, request, *args, **kwargs):
        form = TokenCreateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        token, secret = form.issue(request.user)
        context = self.get_context_data(new_token=token, new_secret=secret)
        return self.render_to_response(context, status=201)


class TokenRevokeView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        token = get_object_or_404(ApiToken.objects.for_user(request.user), pk=pk)
        token.revoke()
        messages.success(request, f"The token “{token.name}” ({token.prefix}…) was revoked.")
        return redirect(reverse("tokens"))
