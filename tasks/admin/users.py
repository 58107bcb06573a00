"""
People in the admin. ``accounts`` registers its own ``UserAdmin`` and knows nothing of
projects; this one takes its place so that deleting someone first takes them out of every
project through the domain (the last-owner rule holds, and each project's history says so).
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.admin import UserAdmin
from accounts.models import User
from tasks import services
from tasks.admin.base import REFUSALS, ServiceAdmin, refusal_reason

admin.site.unregister(User)


@admin.register(User)
class MemberUserAdmin(ServiceAdmin, UserAdmin):
    # ServiceAdmin's own form would shadow the user forms: keep accounts' ones.
    form = UserAdmin.form
    add_form = UserAdmin.add_form

    def delete_through_service(self, request: HttpRequest, obj: User) -> None:
        """Leave every project first, so the last-owner rule holds and the history says so."""
        for membership in obj.memberships.select_related("project", "user"):
            try:
                services.member_remove(membership=membership, by=request.user, as_staff=True)
            except REFUSALS as error:
                reason = refusal_reason(error)
                raise ValidationError(f"{membership.project}: {reason}") from error
        obj.delete()
