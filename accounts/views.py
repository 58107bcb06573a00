"""Sign-up (allauth's, guarding a race), profile settings, API tokens and sessions."""

from __future__ import annotations

from allauth.account.views import SignupView as AllauthSignupView
from allauth.usersessions.views import ListUserSessionsView
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.generic import TemplateView, UpdateView

from accounts.forms import ProfileForm, SessionsForm, TokenCreateForm
from accounts.models import ApiToken, User
from accounts.useragent import describe_user_agent
from accounts.validators import clean_username

#: Session key of a just-created token's id and secret, until the token list shows it once.
NEW_TOKEN_SESSION_KEY = "accounts:new-api-token"


class SignupView(AllauthSignupView):
    """
    allauth's sign-up, but a look-alike username (or an email address) that someone else took
    between the form's checks and the write is the form's error, not a 500: the unique indexes
    keep one of the two accounts and the other person is asked to choose again.
    """

    def form_valid(self, form) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:
            try:
                clean_username(form.cleaned_data.get("username", ""))
            except ValidationError as error:
                form.add_error("username", error)
            else:
                form.add_error(None, "This account could not be created; please try again.")
            return self.form_invalid(form)


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
    """
    The user's API tokens and the form that creates one. Right after a create, and only on
    that one request, it also shows the new token's secret (see ``TokenCreateView``).
    """

    template_name = "accounts/tokens.html"

    def get(self, request, *args, **kwargs):
        new = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
        token = None
        if new:
            token = ApiToken.objects.for_user(request.user).filter(pk=new.get("id")).first()
        if token is None:
            return super().get(request, *args, **kwargs)
        response = self.render_to_response(
            self.get_context_data(new_token=token, new_secret=new["secret"])
        )
        # Neither the browser's cache nor its back button may show the secret again.
        add_never_cache_headers(response)
        return response

    def get_form(self, data=None) -> TokenCreateForm:
        # The user's projects through the relation the tasks app adds to the user: accounts
        # imports no other app.
        return TokenCreateForm(data, projects=self.request.user.projects.all())

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.get_form())
        tokens = list(ApiToken.objects.for_user(self.request.user))
        if any(token.project_ids for token in tokens):
            names = dict(self.request.user.projects.values_list("pk", "name"))
            for token in tokens:
                token.project_names = [
                    names.get(pk, "a project you are no longer in")
                    for pk in token.project_ids or ()
                ]
        context["tokens"] = tokens
        return context


class TokenCreateView(TokenListView):
    """
    Issue a token, then redirect to the token list (POST-redirect-GET: a reload cannot create
    a second one). The secret rides in the session to exactly the next page of the list,
    which removes it as it shows it; it is never stored anywhere else.
    """

    def get(self, request, *args, **kwargs):
        return redirect("tokens")

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        token, secret = form.issue(request.user)
        request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "secret": secret}
        return redirect("tokens")


class TokenRevokeView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        token = get_object_or_404(ApiToken.objects.for_user(request.user), pk=pk)
        token.revoke()
        messages.success(request, f"The token “{token.name}” ({token.prefix}…) was revoked.")
        return redirect(reverse("tokens"))


class SessionListView(ListUserSessionsView):
    """
    "Your sessions": where the user is signed in (device, address, last seen), this one
    marked; signs out of one chosen session or of all the others. django-allauth's page,
    with a readable device and a button per session.
    """

    form_class = SessionsForm

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        here = self.request.session.session_key
        for session in context["sessions"]:
            session.current = session.session_key == here
            session.device = describe_user_agent(session.user_agent)
        # This one on top, then the most recently active.
        sessions = sorted(context["sessions"], key=lambda s: s.last_seen_at, reverse=True)
        sessions.sort(key=lambda s: not s.current)
        context["sessions"] = sessions
        return context

    def form_valid(self, form: SessionsForm) -> HttpResponse:
        ended = form.save(self.request)
        if form.cleaned_data["session"] is not None:
            messages.success(self.request, "That session was signed out.")
        elif ended:
            messages.success(self.request, "All your other sessions were signed out.")
        else:
            messages.info(self.request, "You had no other sessions.")
        return redirect(self.get_success_url())

    def form_invalid(self, form: SessionsForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)
