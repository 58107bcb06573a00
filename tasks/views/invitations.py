"""
The invitations waiting for me: the list, accept, decline. ``Invitation.objects.pending_for``
decides which ones I see (anyone else's is a 404); the services decide the rest.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import ListView

from tasks import services
from tasks.models import Invitation, Role


class InvitationListView(LoginRequiredMixin, ListView):
    template_name = "tasks/invitation_list.html"
    context_object_name = "invitations"

    def get_queryset(self):
        return Invitation.objects.pending_for(self.request.user).current().for_list()


class InvitationAnswerMixin(LoginRequiredMixin):
    """POST-only answers to one invitation addressed to the signed-in user."""

    http_method_names = ["post"]

    def get_invitation(self) -> Invitation:
        invitations = Invitation.objects.pending_for(self.request.user).for_list()
        return get_object_or_404(invitations, pk=self.kwargs["pk"])


class InvitationAcceptView(InvitationAnswerMixin, View):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        invitation = self.get_invitation()
        try:
            services.invitation_accept(invitation=invitation, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, text)
            return redirect("tasks:invitation-list")
        role = Role(invitation.role).label.lower()
        messages.success(request, f"You joined “{invitation.project.name}” as {role}.")
        return redirect(invitation.project.get_absolute_url())


class InvitationDeclineView(InvitationAnswerMixin, View):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        invitation = self.get_invitation()
        services.invitation_decline(invitation=invitation, by=request.user)
        messages.success(request, f"You declined the invitation to “{invitation.project.name}”.")
        return redirect("tasks:invitation-list")
