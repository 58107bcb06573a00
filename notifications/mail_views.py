"""The pages e-mails link to: unsubscribing (RFC 8058 one-click) and joining by invitation."""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from accounts.models import User
from notifications import mail_links
from notifications.models import Kind


def _kind_names(kinds: list[str]) -> list[str]:
    return [Kind(kind).label for kind in kinds]


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """
    ``GET``: a page asking to confirm, for anyone holding the link (no sign-in). ``POST``: the
    button on that page, or the mail program's one-click ``List-Unsubscribe-Post``, which has
    no cookies and no CSRF token: the signed token is the authorization, and all it can do is
    turn e-mails off. A forged or broken token is a 404 and changes nothing.
    """

    template_name = "notifications/unsubscribe.html"

    def _read(self, token: str) -> tuple[User, list[str]]:
        found = mail_links.read_unsubscribe_token(token)
        if found is None:
            raise Http404("This unsubscribe link is not valid.")
        return found

    def _page(self, request, user, kinds, *, done: bool) -> HttpResponse:
        context = {
            "kinds": _kind_names(kinds),
            "every_kind": set(kinds) == set(Kind.values),
            "done": done,
            "address": user.email,
        }
        response = render(request, self.template_name, context)
        response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
        return response

    def get(self, request, token: str) -> HttpResponse:
        user, kinds = self._read(token)
        return self._page(request, user, kinds, done=False)

    def post(self, request, token: str) -> HttpResponse:
        user, kinds = self._read(token)
        mail_links.unsubscribe(user, kinds)
        return self._page(request, user, kinds, done=True)


class InvitationJoinView(View):
    """
    The link in an invitation e-mail: to sign-up with the invited address filled in, then to
    the invitations page where the new account accepts. Someone signed in goes straight
    there. An outdated or forged link says so (410 / 404).
    """

    def get(self, request, token: str) -> HttpResponse:
        invitation = mail_links.read_invitation_token(token)
        if invitation is None:
            return render(request, "notifications/invitation_gone.html", status=410)
        if request.user.is_authenticated:
            return HttpResponseRedirect(reverse("tasks:invitation-list"))
        if User.objects.filter(email__iexact=invitation.address).exists():
            query = f"?next={reverse('tasks:invitation-list')}"
            return HttpResponseRedirect(reverse("account_login") + query)
        try:
            return HttpResponseRedirect(mail_links.signup_url_for(invitation))
        except NoReverseMatch:  # no sign-up page (single sign-on only): sign in instead
            query = f"?next={reverse('tasks:invitation-list')}"
            return HttpResponseRedirect(reverse("account_login") + query)
