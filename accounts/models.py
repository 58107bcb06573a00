import hashlib
import hmac
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import (
    LEGACY_KEY_SEPARATOR,
    USERNAME_HELP_TEXT,
    USERNAME_MAX_LENGTH,
    username_key,
    validate_username,
)
from project.text import SingleLineCharField


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(f"“{value}” is not a known time zone.")


def available_time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class TaskdeskUserManager(UserManager):
    def get_by_natural_key(self, username):
        """Log in by username, or by email address ignoring case."""
        if "@" in (username or ""):
            return self.get(email__iexact=username)
        return self.get(**{self.model.USERNAME_FIELD: username})


class UsernameKeyField(models.CharField):
    """
    ``User.username_key``, kept in step with the username on every save (see
    ``accounts.validators``). An account that already looked like another one when the keys
    were added keeps its marked key (``<key>#<id>``) until its username changes.
    """

    def pre_save(self, model_instance, add):
        key = username_key(model_instance.username)
        current = getattr(model_instance, self.attname) or ""
        if current != key and not current.startswith(key + LEGACY_KEY_SEPARATOR):
            setattr(model_instance, self.attname, key)
        return getattr(model_instance, self.attname)


class User(AbstractUser):
    """
    A person who signs in. Email is unique ignoring case (empty for some staff accounts). The
    username is unique ignoring case and look-alikes (``accounts.validators``).
    """

    username = models.CharField(
        _("username"),
        max_length=USERNAME_MAX_LENGTH,
        unique=True,
        help_text=USERNAME_HELP_TEXT,
        validators=[validate_username],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    #: A digest of the username's look-alike skeleton; its unique index is what refuses
    #: "аlice" (Cyrillic а) next to "alice" even when both sign up at the same moment.
    username_key = UsernameKeyField(max_length=100, unique=True, editable=False)
    display_name = SingleLineCharField(max_length=150, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    objects = TaskdeskUserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                # Accounts that already clashed when this rule came keep working (their key
                # is marked); everyone else is unique ignoring case.
                condition=~models.Q(username_key__contains=LEGACY_KEY_SEPARATOR),
                name="user_username_unique_ci",
                violation_error_message="A user with that username already exists.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message="A user with this email address already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """What other people see: the display name, else the username."""
        return self.display_name or self.username

    @property
    def initials(self) -> str:
        parts = self.name.replace("_", " ").replace(".", " ").split()
        letters = "".join(part[0] for part in parts[:2]) if parts else "?"
        return letters.upper()

    @property
    def can_receive_mail(self) -> bool:
        """
        Whether Taskdesk may invite this person or write to them: they have an address and,
        when EMAIL_VERIFICATION is ``mandatory``, it is their primary address, confirmed (by
        its link, by staff, or by a single sign-on provider that vouches for it).
        """
        if not self.email:
            return False
        if settings.ACCOUNT_EMAIL_VERIFICATION != "mandatory":
            return True
        from allauth.account.models import EmailAddress

        return EmailAddress.objects.filter(
            user=self, email__iexact=self.email, primary=True, verified=True
        ).exists()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


def hash_token(secret: str) -> str:
    """Tokens are long random strings, so one SHA-256 is enough (no slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class TokenScope:
    """
    What a request authenticated by an API token may reach, on top of the person's roles:
    ``read_only`` (no unsafe method anywhere), ``project_ids`` (``None``: every project the
    person can see; else only these) and ``can_manage_tokens`` (list, create, revoke tokens).
    The authentication attaches it to the request's user as ``user.token_scope``; the domain's
    scoped querysets and role checks (``tasks.models``) honour it. Session users have none.
    """

    read_only: bool = False
    project_ids: frozenset[int] | None = None
    can_manage_tokens: bool = False

    @property
    def limited_to_projects(self) -> bool:
        return self.project_ids is not None

    def allows_project(self, project_id: int | None) -> bool:
        return self.project_ids is None or project_id in self.project_ids

    def covers(self, other: "TokenScope") -> bool:
        """Whether ``other`` reaches nothing this scope does not (no widening)."""
        if self.read_only and not other.read_only:
            return False
        if other.can_manage_tokens and not self.can_manage_tokens:
            return False
        if self.project_ids is None:
            return True
        return other.project_ids is not None and other.project_ids <= self.project_ids


def token_scope(user) -> TokenScope | None:
    """The scope of the token ``user`` came in with, or ``None`` (a session: no limit)."""
    return getattr(user, "token_scope", None)


READ_ONLY_TOKEN = "This API token is read-only: it can only read (GET, HEAD, OPTIONS)."


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )

    def for_user(self, user):
        return self.filter(user=user)


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the secret is shown once, at creation."""

    PREFIX_LENGTH = 8
    LAST_USED_RESOLUTION = timedelta(minutes=1)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = SingleLineCharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    read_only = models.BooleanField(
        default=False, help_text="Only reading (GET, HEAD, OPTIONS) is allowed."
    )
    # Project ids, kept as plain data: accounts knows no other app (the tasks app's scoped
    # querysets read them). Null is every project the person can see; a list limits the token
    # to those (a deleted project's id only ever narrows it, it never widens to "all").
    project_ids = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="Empty: every project the person can see. Else only these project ids.",
    )
    can_manage_tokens = models.BooleanField(
        default=False, help_text="May list, create and revoke the person's API tokens."
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        indexes = [
            # The settings page and /api/v1/tokens/ list one user's tokens, newest first.
            models.Index(fields=["user", "-created_at"], name="apitoken_user_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls,
        *,
        user: User,
        name: str,
        expires_at=None,
        read_only: bool = False,
        project_ids=None,
        can_manage_tokens: bool = False,
    ) -> tuple["ApiToken", str]:
        """
        Create a token and return it with its secret, which is never stored. By default it
        reads and writes in every project of ``user`` but cannot manage tokens; ``project_ids``
        empty or ``None`` means every project.
        """
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=secret[: cls.PREFIX_LENGTH],
            key_hash=hash_token(secret),
            expires_at=expires_at,
            read_only=read_only,
            project_ids=sorted({int(pk) for pk in project_ids}) if project_ids else None,
            can_manage_tokens=can_manage_tokens,
        )
        return token, secret

    @classmethod
    def authenticate(cls, secret: str) -> "ApiToken | None":
        """The usable token for this secret, or None (unknown, expired, revoked, inactive user)."""
        digest = hash_token(secret)
        try:
            # get(), not first(): key_hash is unique, and first() would add an ORDER BY.
            token = cls.objects.active().select_related("user").get(key_hash=digest)
        except cls.DoesNotExist:
            return None
        # The lookup is by hash already; compare again in constant time to be safe with
        # databases whose index comparison may short-circuit.
        if not hmac.compare_digest(token.key_hash, digest):
            return None
        return token

    @property
    def scope(self) -> TokenScope:
        ids = self.project_ids
        return TokenScope(
            read_only=self.read_only,
            project_ids=None if ids is None else frozenset(int(pk) for pk in ids),
            can_manage_tokens=self.can_manage_tokens,
        )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "active"

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def mark_used(self) -> None:
        """Record use at most once a minute, so a busy token does not write on every request."""
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < self.LAST_USED_RESOLUTION:
            return
        ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
