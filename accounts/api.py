"""
``/api/v1/me/`` (your own profile) and ``/api/v1/tokens/`` (your personal API tokens).

A token's secret is returned once, in the ``token`` field of the create response; only its
hash is stored. Revoking keeps the row (status ``revoked``) so the list still shows it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.forms import INVISIBLE_TOKEN_NAME
from accounts.models import ApiToken, User, validate_time_zone
from project.api.errors import ConflictError
from project.api.idempotency import idempotent_create
from project.api.pagination import NewestFirstPagination
from project.api.responses import created
from project.api.throttling import ScopedRateThrottle
from project.text import clean_single_line


class MeSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    email = serializers.EmailField(max_length=254)
    time_zone = serializers.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="An IANA time zone name, e.g. Europe/Berlin.",
    )

    class Meta:
        model = User
        fields = ["id", "url", "username", "email", "display_name", "time_zone"]
        read_only_fields = ["id", "username"]

    def get_url(self, user: User) -> str:
        return reverse("api:me", request=self.context["request"])

    def validate_email(self, value: str) -> str:
        clash = User.objects.filter(email__iexact=value).exclude(pk=self.instance.pk).exists()
        if clash:
            raise ConflictError("Another account already uses this email address.")
        return value


@extend_schema_view(
    get=extend_schema(summary="Get your profile", description="Your own profile."),
    patch=extend_schema(
        summary="Update your profile",
        description="Change your display name, email or time zone (the username is fixed).",
    ),
)
class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]
    may_conflict = True

    def get_object(self) -> User:
        return self.request.user

    def perform_update(self, serializer: MeSerializer) -> None:
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError:
            # Someone took the same email between our check and the write.
            raise ConflictError("Another account already uses this email address.") from None


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
            "token",
        ]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_token(self, token: ApiToken) -> str | None:
        return getattr(token, "secret", None)

    def validate_name(self, value: str) -> str:
        # What the model field would store; refused here if that is nothing.
        value = clean_single_line(value)
        if not value:
            raise serializers.ValidationError(INVISIBLE_TOKEN_NAME)
        return value

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value


@extend_schema_view(
    create=extend_schema(
        description="Create a token; the `token` field of the answer is its secret, shown once.",
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
    """Your personal API tokens, newest first. Creating them is throttled more tightly."""

    serializer_class = TokenSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"\d+"
    throttle_scope = "token_create"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.for_user(self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(ScopedRateThrottle())
        return throttles

    @idempotent_create
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = ApiToken.issue(user=request.user, **serializer.validated_data)
        token.secret = secret
        data = self.get_serializer(token).data
        return created(data)

    def destroy(self, request, *args, **kwargs):
        self.get_object().revoke()
        return Response(status=status.HTTP_204_NO_CONTENT)
