"""
Staff admin for people, groups, API tokens and what else speaks for a person (e-mail
addresses, second factors, sessions, linked sign-ins).

Who may grant what: superuser status, groups and model permissions are a superuser's matter,
and so is every staff account. Staff who are not superusers (holding some model permissions)
never see or change those fields, may not change anyone's staff status, and may change or
delete ordinary accounts and (without those fields) their own, never another staff account or
a superuser: that one's change page is read-only for them and its password form is refused.
Otherwise whoever may change people could hand themselves, or an account they then take over,
more than they were given. What speaks for a person (``PersonalRowAdmin``: API tokens, e-mail
addresses, second factors, sessions, linked sign-ins) follows the same rule, and single sign-on
apps, which decide who may sign in as whom, are a superuser's alone.
"""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiToken, User, available_time_zones
from accounts.validators import clean_username


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "display_name")

    def clean_username(self) -> str:
        return clean_username(self.cleaned_data.get("username"))


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in available_time_zones()]


class UserEditForm(UserChangeForm):
    time_zone = forms.ChoiceField(choices=_time_zone_choices, initial="UTC")

    class Meta(UserChangeForm.Meta):
        model = User

    def clean_username(self) -> str:
        username = self.cleaned_data.get("username")
        if "username" not in self.changed_data:
            # Unchanged: an account that looked like another before the rule came may stay.
            return username
        return clean_username(username, exclude_pk=self.instance.pk)


#: What only a superuser sees or sets on a person.
PRIVILEGES = ("is_superuser", "groups", "user_permissions")


def may_manage(by: User, account: User) -> bool:
    """
    Whether ``by`` (staff) may change or delete ``account`` in the admin, model permissions
    aside: a superuser anyone; other staff ordinary accounts and their own.
    """
    return by.is_superuser or account.pk == by.pk or not (account.is_staff or account.is_superuser)


def manageable_by(by: User) -> Q:
    """``may_manage`` as a filter on accounts."""
    if by.is_superuser:
        return Q()
    return Q(pk=by.pk) | Q(is_staff=False, is_superuser=False)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People; what staff who are not superusers may do here is the module's rule."""

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

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        kept = []
        for name, options in fieldsets:
            fields = tuple(field for field in options["fields"] if field not in PRIVILEGES)
            if fields:
                kept.append((name, {**options, "fields": fields}))
        return kept

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is None or request.user.is_superuser:
            return readonly
        return (*readonly, "is_staff")

    def get_list_filter(self, request: HttpRequest):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return tuple(name for name in filters if name not in PRIVILEGES)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # ``?is_superuser=1`` or ``?groups=3`` would tell the list's filter what the page hides.
        if not request.user.is_superuser and lookup.split("__")[0] in PRIVILEGES:
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """
    Groups name a set of permissions. Which permissions a group carries is a superuser's
    matter: other staff may add, rename or delete groups as their model permissions allow,
    but never see or set a group's permissions (editing a group they belong to would
    otherwise grant them anything).
    """

    def get_exclude(self, request: HttpRequest, obj: Group | None = None):
        exclude = super().get_exclude(request, obj) or ()
        if request.user.is_superuser:
            return exclude
        return (*exclude, "permissions")


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


class PersonalRowAdmin(admin.ModelAdmin):
    """
    Rows that belong to one person and speak for them (tokens, e-mail addresses, second
    factors, sessions, linked sign-ins): staff who are not superusers change, delete or add
    them only for accounts they may manage (the module's rule). ``owner`` is the path from a
    row to its person. Actions check the model's permission only: an action that changes such
    rows filters them through ``manageable``.
    """

    owner = "user"

    def manageable(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        accounts = User.objects.filter(manageable_by(request.user))
        return queryset.filter(**{f"{self.owner}__in": accounts})

    def may_manage_row(self, request: HttpRequest, obj) -> bool:
        account = obj
        for step in self.owner.split("__"):
            account = getattr(account, step)
        return may_manage(request.user, account)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self.may_manage_row(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.may_manage_row(request, obj))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        # The person (or the row leading to them) can only be one the form's user may manage.
        first, _, rest = self.owner.partition("__")
        if db_field.name == first:
            accounts = User.objects.filter(manageable_by(request.user))
            related = db_field.related_model._default_manager
            kwargs["queryset"] = related.filter(**{f"{rest or 'pk'}__in": accounts})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Settings that decide who may sign in as whom (single sign-on apps): superusers only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(PersonalRowAdmin):
    """
    Tokens are listed and revoked here but never created: a token minted by staff would be a
    credential for someone else's account whose secret a second person has seen. People
    create their own tokens on their settings page or through the API. The hash is never
    shown either: it is excluded from every form and list. A staff account's tokens are a
    superuser's to change, revoke or delete (``PersonalRowAdmin``).
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
        manageable = self.manageable(request, queryset)
        if left := queryset.count() - manageable.count():
            self.message_user(
                request,
                ngettext(
                    "Left %d token alone: only a superuser revokes a staff account's tokens.",
                    "Left %d tokens alone: only a superuser revokes a staff account's tokens.",
                    left,
                )
                % left,
                messages.ERROR,
            )
        revoked = manageable.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            ngettext("Revoked %d token.", "Revoked %d tokens.", revoked) % revoked,
            messages.SUCCESS,
        )


# django-allauth's rows speak for a person too: an address takes password resets, an
# authenticator is a second factor, a linked account signs in. Its admins are registered again
# under the rule, each where its app is installed (SSO_ONLY leaves two-factor out); its single
# sign-on apps (client secrets, issuers) are a superuser's.
class VerifiesManageableAddresses(admin.ModelAdmin):
    """django-allauth's "mark verified": for who may change addresses, and only theirs."""

    @admin.action(
        description=_("Mark selected email addresses as verified"), permissions=["change"]
    )
    def make_verified(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().make_verified(request, self.manageable(request, queryset))


def register_under_the_rule(label: str, *rules: type, **attributes) -> None:
    """Register the model ``label``'s admin again with ``rules`` in front of it."""
    try:
        model = apps.get_model(label)
    except LookupError:
        return
    if not admin.site.is_registered(model):
        return
    current = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    rebuilt = type(current.__name__, (*rules, current), {"__module__": __name__, **attributes})
    admin.site.register(model, rebuilt)


register_under_the_rule("account.EmailAddress", VerifiesManageableAddresses, PersonalRowAdmin)
register_under_the_rule("mfa.Authenticator", PersonalRowAdmin)
register_under_the_rule("usersessions.UserSession", PersonalRowAdmin)
register_under_the_rule("socialaccount.SocialAccount", PersonalRowAdmin)
register_under_the_rule("socialaccount.SocialToken", PersonalRowAdmin, owner="account__user")
register_under_the_rule("socialaccount.SocialApp", SuperuserOnlyAdmin)
