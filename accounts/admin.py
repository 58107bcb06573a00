"""Staff admin for people and their API tokens."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiToken, User, available_time_zones


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "display_name")


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in available_time_zones()]


class UserEditForm(UserChangeForm):
    time_zone = forms.ChoiceField(choices=_time_zone_choices, initial="UTC")

    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {"fields": ("display_name", "email", "time_zone", "first_name", "last_name")},
        ),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "display_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = ("username", "display_name", "email", "time_zone", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "time_zone")
    search_fields = ("username", "display_name", "email", "first_name", "last_name")
    date_hierarchy = "date_joined"


class TokenStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", _("active")), ("expired", _("expired")), ("revoked", _("revoked"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        live = queryset.filter(revoked_at__isnull=True)
        match self.value():
            case "active":
                return live.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            case "expired":
                return live.filter(expires_at__lte=now)
            case "revoked":
                return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """
    Tokens are listed and revoked here but never created: a token minted by staff would be a
    credential for someone else's account whose secret a second person has seen. People
    create their own tokens on their settings page or through the API. The hash is never
    shown either: it is excluded from every form and list.
    """

    list_display = (
        "prefix",
        "name",
        "user",
        "status_label",
        "created_at",
        "last_used_at",
        "expires_at",
    )
    list_select_related = ("user",)
    list_filter = (TokenStatusFilter, "created_at", "expires_at", "last_used_at")
    search_fields = ("prefix", "name", "user__username", "user__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    exclude = ("key_hash",)
    fields = (
        "user",
        "name",
        "prefix",
        "status_label",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "read_only",
        "project_ids",
        "can_manage_tokens",
    )
    # The scope is the owner's choice, made when the token is created; staff only see it.
    readonly_fields = (
        "user",
        "prefix",
        "status_label",
        "created_at",
        "last_used_at",
        "revoked_at",
        "read_only",
        "project_ids",
        "can_manage_tokens",
    )
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("status"))
    def status_label(self, token: ApiToken) -> str:
        return token.status

    @admin.action(
        description=_("Revoke"),
        permissions=["change"],
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            ngettext("Revoked %d token.", "Revoked %d tokens.", revoked) % revoked,
            messages.SUCCESS,
        )
