"""
``/api/v1/me/`` (your own profile) and ``/api/v1/tokens/`` (your personal API tokens).

A token's secret is returned once, in the ``token`` field of the create response (answered
with ``Cache-Control: no-store``); only its hash is stored. Revoking keeps the row (status
``revoked``) so the list still shows it. Tokens have scopes (``read_only``, ``projects``,
``can_manage_tokens``); only a token that may manage tokens reaches these endpoints, and it
never creates a token that reaches more than itself.

The email address and the password are not changed here at all: they change on the settings
pages, which ask for the password again, confirm a new address before it replaces the old one,
and tell the old address. A leaked token (or an open browser tab) cannot take the account.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, generics, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from accounts.forms import INVISIBLE_TOKEN_NAME
from accounts.models import ApiToken, TokenScope, User, token_scope, validate_time_zone
from accounts.permissions import CanManageTokens
from project.api.idempotency import idempotent_create
from project.api.pagination import NewestFirstPagination
from project.api.responses import created
from project.api.throttling import ScopedRateThrottle
from project.text import clean_single_line

#: Body fields that would change the password: never through the API with a token.
PASSWORD_FIELDS = frozenset(
    {"password", "new_password", "new_password1", "new_password2", "old_password"}
)


class MeSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    email = serializers.EmailField(
        read_only=True,
        help_text=(
            "Changed on the settings page only, where the new address is confirmed before it "
            "replaces this one (a PATCH that changes it is a 403)."
        ),
    )
    time_zone = serializers.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="An IANA time zone name, e.g. Europe/Berlin.",
    )

    class Meta:
        model = User
        fields = ["id", "url", "username", "email", "display_name", "time_zone"]
        read_only_fields = ["id", "username", "email"]

    def get_url(self, user: User) -> str:
        return reverse("api:me", request=self.context["request"])


def settings_page_url(request) -> str:
    return request.build_absolute_uri(reverse("settings"))


@extend_schema_view(
    get=extend_schema(summary="Get your profile", description="Your own profile."),
    patch=extend_schema(
        summary="Update your profile",
        description=(
            "Change your display name or time zone (the username is fixed). The email address "
            "and the password change on the settings page only, never here: a PATCH that "
            "would change them is a 403 naming that page."
        ),
    ),
)
class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]
    error_descriptions = {
        "PATCH": {
            "403": (
                "The body would change the email address or the password: do that on the "
                "settings page (or a read-only token tried to write)."
            ),
        },
    }

    def get_object(self) -> User:
        return self.request.user

    def update(self, request, *args, **kwargs):
        self._refuse_account_changes(request)
        return super().update(request, *args, **kwargs)

    def _refuse_account_changes(self, request) -> None:
        """The email and the password are not changeable here, by token or session (403)."""
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        changes_email = "email" in data and (
            not isinstance(email, str) or email.strip() != request.user.email
        )
        if changes_email or PASSWORD_FIELDS & set(data):
            raise exceptions.PermissionDenied(
                "Your email address and password change on your settings page only, where "
                f"the password is asked again: {settings_page_url(request)}"
            )


def describe_scope(scope: TokenScope) -> str:
    access = "read-only" if scope.read_only else "read-write"
    if scope.project_ids is None:
        reach = "in all projects"
    else:
        reach = "limited to projects " + ", ".join(map(str, sorted(scope.project_ids)))
    manage = "may manage tokens" if scope.can_manage_tokens else "may not manage tokens"
    return f"{access}, {reach}, and {manage}"


class TokenSerializer(serializers.ModelSerializer):
    """
    One model for every answer: ``token`` holds the secret in the answer to the create and
    is null everywhere else (only its hash is stored).
    """

    url = serializers.HyperlinkedIdentityField(view_name="api:token-detail")
    status = serializers.ChoiceField(
        choices=[("active", "active"), ("expired", "expired"), ("revoked", "revoked")],
        read_only=True,
    )
    token = serializers.SerializerMethodField(
        help_text="The secret, in the answer to the create only (null elsewhere). Keep it safe."
    )
    read_only = serializers.BooleanField(
        default=False,
        help_text="Only reading: every POST, PUT, PATCH and DELETE with it is a 403.",
    )
    projects = serializers.ListField(
        source="project_ids",
        child=serializers.IntegerField(min_value=1),
        default=list,
        max_length=1000,
        help_text=(
            "Ids of the projects the token may reach (projects you are a member of); empty: "
            "all your projects, including future ones. A limited token cannot create projects."
        ),
    )
    can_manage_tokens = serializers.BooleanField(
        default=False,
        help_text="Whether the token may list, create and revoke your tokens.",
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "url",
            "name",
            "prefix",
            "status",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "read_only",
            "projects",
            "can_manage_tokens",
            "token",
        ]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]

    def to_representation(self, token: ApiToken) -> dict:
        data = super().to_representation(token)
        data["projects"] = data["projects"] or []  # null in the database: every project
        return data

    @extend_schema_field({"type": "string", "nullable": True})
    def get_token(self, token: ApiToken) -> str | None:
        return getattr(token, "secret", None)

    def validate_name(self, value: str) -> str:
        # What the model field would store; refused here if that is nothing.
        value = clean_single_line(value)
        if not value:
            raise serializers.ValidationError(INVISIBLE_TOKEN_NAME)
        return value

    def validate_projects(self, value: list[int]) -> list[int]:
        """Only projects the caller can see (through a limited token: among its own)."""
        ids = sorted(set(value))
        if not ids:
            return ids
        user = self.context["request"].user
        # The projects the user is a member of, through the relation the tasks app adds to
        # the user (accounts imports no other app); ``visible_to`` also applies a token's scope.
        visible = set(
            user.projects.model.objects.visible_to(user)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        unknown = [pk for pk in ids if pk not in visible]
        if unknown:
            raise serializers.ValidationError(
                f"No project you are a member of has the id {', '.join(map(str, unknown))}."
            )
        return ids

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value


@extend_schema_view(
    create=extend_schema(
        description=(
            "Create a token; the `token` field of the answer is its secret, shown once (the "
            "answer is sent with `Cache-Control: no-store`). By default a token reads and "
            "writes in all your projects and cannot manage tokens. A token creating a token "
            "cannot give it more than it has itself (403)."
        ),
    ),
    destroy=extend_schema(
        summary="Revoke an API token",
        description="Revoke the token; it stays listed as revoked.",
    ),
)
class TokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """
    Your personal API tokens, newest first. Creating them is throttled more tightly. With a
    token, only one that may manage tokens (``can_manage_tokens``) gets here.
    """

    serializer_class = TokenSerializer
    pagination_class = NewestFirstPagination
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, CanManageTokens]
    lookup_value_regex = r"\d+"
    throttle_scope = "token_create"
    #: Responses described with ``Cache-Control`` in the schema, by method.
    no_store = ("POST",)
    error_descriptions = {
        method: {
            "403": (
                "A token that may not manage tokens (`can_manage_tokens`), a read-only token "
                "writing, or a token creating one with more than it has itself."
            )
        }
        for method in ("GET", "POST", "DELETE")
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.for_user(self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(ScopedRateThrottle())
        return throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method == "POST":
            # The answer carries a secret: no cache, shared or private, may keep it (a replay
            # of an Idempotency-Key's stored answer included).
            add_never_cache_headers(response)
        return response

    @idempotent_create
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        scope = token_scope(request.user)
        wanted = TokenScope(
            read_only=fields["read_only"],
            project_ids=frozenset(fields["project_ids"]) or None,
            can_manage_tokens=fields["can_manage_tokens"],
        )
        if scope is not None and not scope.covers(wanted):
            raise exceptions.PermissionDenied(
                "A token cannot create a token that reaches more than itself: this one is "
                f"{describe_scope(scope)}; ask for the same or less (or create it on the "
                "settings page)."
            )
        token, secret = ApiToken.issue(user=request.user, **fields)
        token.secret = secret
        data = self.get_serializer(token).data
        return created(data)

    def destroy(self, request, *args, **kwargs):
        self.get_object().revoke()
        return Response(status=status.HTTP_204_NO_CONTENT)
