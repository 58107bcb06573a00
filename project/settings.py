"""
Taskdesk settings: one module, configured from the environment by django-environ.

A fresh clone runs on SQLite with no ``.env`` at all (``DEBUG`` defaults to on). With
``DEBUG=false`` the production values (secret key, allowed hosts) have no defaults, and a
missing or unsafe one stops the start with one plain sentence. Every variable read here is
documented in ``.env.example``.
"""

from pathlib import Path

import environ
from django.utils.csp import CSP

from project.net import parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Values already in the environment win over the file. DOTENV_FILE names another file, or with
# an empty value none at all (tests that start servers use that, so a developer's .env never
# leaks into them).
_dotenv = env.str("DOTENV_FILE", default=str(BASE_DIR / ".env"))
if _dotenv:
    environ.Env.read_env(_dotenv, overwrite=False)


def refuse_to_start(reason: str) -> None:
    """Stop the process with one readable sentence instead of a traceback."""
    raise SystemExit(f"Taskdesk refuses to start: {reason}")


# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG:
    if not SECRET_KEY:
        refuse_to_start("SECRET_KEY is not set and DEBUG is off; set a long random SECRET_KEY.")
    if SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        refuse_to_start(
            "SECRET_KEY is insecure (it must be at least 50 random characters and not the "
            "development key); generate one with "
            "'python -c \"import secrets; print(secrets.token_urlsafe(64))\"'."
        )
    if not ALLOWED_HOSTS:
        refuse_to_start("ALLOWED_HOSTS is empty and DEBUG is off; list the host names served.")
    if "*" in (host.strip() for host in ALLOWED_HOSTS):
        # "*" accepts any Host header, so password-reset links and absolute URLs could name a
        # host an attacker chose.
        refuse_to_start(
            "ALLOWED_HOSTS contains '*' and DEBUG is off; list the host names served instead."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "accounts",
    "tasks",
    "notifications",
    "project.api",
    # Background jobs: the database queue's rows (and their admin, replaced by project.jobs's)
    # before the app that runs workers, the scheduler and the event bus.
    "django_tasks_db",
    "project.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that queries: a database outage is a 503, not a 500.
    "project.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SessionActivityMiddleware",
    "accounts.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it says why staff land on the two-factor page.
    "accounts.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The username-wide login delay's 429 page and the known-device cookie (accounts.lockout).
    "accounts.middleware.LoginDelayMiddleware",
    # Last, so that it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "accounts.context_processors.accounts",
                "notifications.context_processors.inbox",
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Database and cache
# ---------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads or workers writing at once must take turns, not fail: every transaction
    # takes the write lock when it begins (a read that later wants to write cannot wait for
    # it and fails at once with "database is locked"), a writer waits up to SQLITE_TIMEOUT
    # seconds for its turn, and WAL lets readers go on while someone writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", env.int("SQLITE_TIMEOUT", default=20))
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL")
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # An unreachable server fails fast (the request answers 503) instead of hanging a worker.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )


# CACHE_URL wins; REDIS_URL is a shorthand for the usual production choice. The default,
# local memory, is per process: fine for development, not for several workers.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
elif env.str("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_URL"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis only speeds things up: a stopped or frozen one costs at most a short timeout
    # now and then, never a failed request (project/cache.py).
    _redis_timeout = env.float("REDIS_TIMEOUT", default=0.5)
    CACHES["default"]["BACKEND"] = "project.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", _redis_timeout)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", _redis_timeout)

# ---------------------------------------------------------------------------
# Background jobs (django.tasks), the event bus and the scheduler (project/jobs/)
# ---------------------------------------------------------------------------
# database: rows in this database, claimed with SELECT … FOR UPDATE SKIP LOCKED (the default;
# serves one machine to many). rq: Redis through RQ, for a queue that outgrows the database.
# immediate: run each job at once, in the process that enqueues it (no worker; tests, demos).
TASKS_BACKEND = env.str("TASKS_BACKEND", default="database")
TASKS_REDIS_URL = (
    env.str("TASKS_REDIS_URL", default="")
    or env.str("REDIS_URL", default="")
    or "redis://127.0.0.1:6379/0"
)
_task_backends = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "project.jobs.backends.RQBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _task_backends:
    refuse_to_start("TASKS_BACKEND must be one of database, rq, immediate.")
TASKS = {"default": {"BACKEND": _task_backends[TASKS_BACKEND], "QUEUES": ["default"]}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": TASKS_REDIS_URL, "DEFAULT_TIMEOUT": 600}}
# A job that raises runs again after 10 s, 40 s, 160 s … (TASKS_RETRY_BASE_SECONDS × 4ⁿ) until
# it has been tried TASKS_MAX_ATTEMPTS times; then it stays failed, shown in the admin.
TASKS_MAX_ATTEMPTS = env.int("TASKS_MAX_ATTEMPTS", default=5)
TASKS_RETRY_BASE_SECONDS = env.float("TASKS_RETRY_BASE_SECONDS", default=10)
# A worker writes a heartbeat every TASKS_HEARTBEAT_SECONDS; a job still running on a worker
# not seen for TASKS_WORKER_TIMEOUT seconds (killed, machine gone) is queued again.
TASKS_HEARTBEAT_SECONDS = env.float("TASKS_HEARTBEAT_SECONDS", default=5)
TASKS_WORKER_TIMEOUT = env.float("TASKS_WORKER_TIMEOUT", default=30)
# Successful jobs are deleted after this many days; failed ones stay until staff delete them.
TASKS_RESULT_RETENTION_DAYS = env.int("TASKS_RESULT_RETENTION_DAYS", default=7)
# Activity rows still not handed to the consumers this many seconds after they were written
# (a crash between commit and enqueue) are enqueued again by the scheduler's sweep.
EVENTS_SWEEP_AFTER_SECONDS = env.float("EVENTS_SWEEP_AFTER_SECONDS", default=30)

# The board's unique-position constraint is deferred to commit; SQLite cannot defer one and
# goes without it (the services keep positions distinct there too): no warning about that.
SILENCED_SYSTEM_CHECKS = ["models.W038"]

# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked (username, address) pair before any password
    # check; then the username-wide delay, which refuses too early an attempt the same way.
    "axes.backends.AxesStandaloneBackend",
    "accounts.lockout.LoginDelayBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Signing in by e-mail address, and the passkey and single sign-on flows.
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth runs every account page: sign-in by username or e-mail, sign-up, e-mail
# addresses, passwords, two-factor authentication, sessions and single sign-on.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Off: nobody signs up on their own; staff create accounts in the admin.
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
# Everyone signs in through the single sign-on provider (below): no passwords, no password
# sign-up, no two-factor or e-mail pages here; the provider does all of that.
SSO_ONLY = env.bool("SSO_ONLY", default=False)
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# none, optional (a link is sent, nothing waits for it) or mandatory (no sign-in, invitation
# or e-mail before the address is confirmed). With SSO_ONLY the provider's word on an address
# stands (there are no e-mail pages to confirm one): none.
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "EMAIL_VERIFICATION", default="none" if SSO_ONLY else "optional"
)
if ACCOUNT_EMAIL_VERIFICATION not in {"none", "optional", "mandatory"}:
    refuse_to_start("EMAIL_VERIFICATION must be one of none, optional, mandatory.")
if SSO_ONLY and ACCOUNT_EMAIL_VERIFICATION != "none":
    refuse_to_start(
        "SSO_ONLY is on: the provider confirms addresses, so EMAIL_VERIFICATION must be none "
        "(or unset)."
    )
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# One address per account; changing it keeps the old one until the new one is confirmed.
ACCOUNT_CHANGE_EMAIL = True
# The old address hears about a new address or password; so does the account on new sign-ins
# from e-mail, password or two-factor changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Changing the e-mail address, the password or two-factor settings asks for the password (or
# another factor) again unless the user signed in within the last few minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("REAUTHENTICATION_SECONDS", default=300)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# A password reset for an unknown address sends a mail too ("no account here"): known and
# unknown addresses cost the same work and get the same page.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Taskdesk] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_RATE_LIMITS = {
    # Per client address (TRUSTED_PROXIES decides what that is). Failed sign-ins are counted
    # per address here; per account, a growing delay applies instead of a lock (accounts).
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="20/m/ip"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="10/h/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_email": "5/m/ip,3/h/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "confirm_email": "1/3m/key",
    "reauthenticate": "10/m/user",
    # Two-factor codes tried per account (accounts.mfa_forms.TwoFactorAuthenticateForm).
    "mfa_code": env.str("RATE_LIMIT_MFA_CODE", default="10/10m/key"),
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env.str("MFA_ISSUER", default="Taskdesk")
# Passkeys need HTTPS, except on http://localhost during development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
USERSESSIONS_TRACK_ACTIVITY = True
# On: staff without an authenticator app or passkey are sent to set one up before the admin
# opens for them (accounts.middleware.StaffTwoFactorMiddleware).
REQUIRE_STAFF_2FA = env.bool("REQUIRE_STAFF_2FA", default=False)
# Wrong two-factor codes: besides the per-address limit on failed sign-ins, a few per account
# (whoever is guessing, from however many addresses), for sign-in and re-authentication alike.
MFA_FORMS = {
    "authenticate": "accounts.mfa_forms.TwoFactorAuthenticateForm",
    "reauthenticate": "accounts.mfa_forms.TwoFactorReauthenticateForm",
}

# Single sign-on with one OpenID Connect provider (Keycloak, Authentik, Google, Entra ID, …),
# configured by OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET. Its redirect URI is
# https://<your host>/accounts/oidc/sso/login/callback/. SSO_ONLY hides password sign-in.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": "sso",
                    "name": env.str("OIDC_NAME", default="Single sign-on"),
                    "client_id": env.str("OIDC_CLIENT_ID", default=""),
                    "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                    "settings": {"server_url": OIDC_ISSUER},
                }
            ]
            if OIDC_ISSUER
            else []
        ),
    }
}
SOCIALACCOUNT_ONLY = SSO_ONLY
if SOCIALACCOUNT_ONLY and not OIDC_ISSUER:
    refuse_to_start("SSO_ONLY is on but OIDC_ISSUER is not set: nobody could sign in.")
if SOCIALACCOUNT_ONLY:
    # django-allauth's two-factor step follows a password sign-in; the provider asks for a
    # second factor instead.
    INSTALLED_APPS.remove("allauth.mfa")
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins (DESIGN §11, the client address from project.net.client_ip):
# - five failures for one username from one address lock that pair (django-axes) for
#   AXES_COOLOFF_HOURS; other addresses, and other usernames from that address, go on;
# - failures for a username from anywhere slow it down instead of locking it
#   (accounts.lockout): after LOGIN_DELAY_FREE_FAILURES, every further attempt waits
#   2^(n - free) seconds after the last failure, at most LOGIN_DELAY_MAX_SECONDS. A browser
#   the owner signed in with before ("known device" cookie), or opened an e-mailed unlock
#   link in, is exempt from that delay.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "project.net.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# "alice" and "alice@example.com" count as one username.
AXES_USERNAME_CALLABLE = "accounts.lockout.login_name"
# An attempt the username delay refused checked no password: it is no failure of the pair.
AXES_WHITELIST_CALLABLE = "accounts.lockout.refused_without_checking"
AXES_VERBOSE = False
LOGIN_DELAY_FREE_FAILURES = env.int("LOGIN_DELAY_FREE_FAILURES", default=5)
LOGIN_DELAY_BASE_SECONDS = env.int("LOGIN_DELAY_BASE_SECONDS", default=1)
LOGIN_DELAY_MAX_SECONDS = env.int("LOGIN_DELAY_MAX_SECONDS", default=900)
# How long an e-mailed unlock link works, and how long a browser stays a known device.
LOGIN_UNLOCK_LINK_SECONDS = env.int("LOGIN_UNLOCK_LINK_SECONDS", default=3600)
KNOWN_DEVICE_DAYS = env.int("KNOWN_DEVICE_DAYS", default=365)

# ---------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------
# Static files (whitenoise: compressed, hashed, served by the app itself)
# ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# ---------------------------------------------------------------------------
# Email: console in development, SMTP (or anything else) through EMAIL_URL.
# ---------------------------------------------------------------------------
# Without EMAIL_URL: the console in development, Django's default (SMTP on localhost) otherwise.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_email_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    # Seconds to wait for the mail server: one that hangs must not hold a worker for ever.
    "timeout": env.int("EMAIL_TIMEOUT", default=20),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        # Only SMTP takes connection options; console and file backends take none.
        "OPTIONS": (
            {key: value for key, value in _email_options.items() if value not in (None, "")}
            if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Taskdesk <taskdesk@localhost>")

# Days an invitation to a project can be accepted; inviting the person again renews it.
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=14)

# Where people reach this site: e-mails carry absolute links built on it (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
# Several changes to one task within this many seconds make one e-mail (at most 10 minutes
# after the first of them, however long the changes go on).
NOTIFICATION_BURST_SECONDS = env.int("NOTIFICATION_BURST_SECONDS", default=120)
# Invitation e-mails one person may cause per hour (to addresses without an account).
INVITATION_EMAILS_PER_HOUR = env.int("INVITATION_EMAILS_PER_HOUR", default=20)
# The local hour (in each person's own time zone) at which a reminder relative to the due
# time of a task without a time of day counts from: 9 = "1 hour before" fires at 8:00.
REMINDER_UNTIMED_HOUR = env.int("REMINDER_UNTIMED_HOUR", default=9)

# ---------------------------------------------------------------------------
# Security headers. Production values follow DEBUG; each can be overridden.
# ---------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a TLS-terminating proxy: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https
# The proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated); the
# client address for lockouts, throttles and logs comes from project.net.client_ip alone.
# Empty: the socket address.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
try:
    parse_networks(TRUSTED_PROXIES)
except ValueError as _error:
    refuse_to_start(str(_error))
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) if len(_proxy_header) == 2 else None

# Our own templates use no inline scripts or styles; the few pages that cannot avoid them
# (the API docs) widen this with django.views.decorators.csp.csp_override.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# ---------------------------------------------------------------------------
# REST API
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate header is the one a 401 carries.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "project.api.permissions.KnownQueryParameters",
        "accounts.permissions.ReadOnlyTokens",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "project.api.schema.TaskdeskAutoSchema",
    "EXCEPTION_HANDLER": "project.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "project.api.throttling.AnonRateThrottle",
        "project.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="1200/min"),
        "token_create": env.str("THROTTLE_TOKEN_CREATE", default="10/hour"),
        "token_failure": env.str("THROTTLE_TOKEN_FAILURES", default="20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # JSON bodies only: a form or multipart body is a 415 (and the schema says application/json).
    "DEFAULT_PARSER_CLASSES": ["project.api.parsers.JSONParser"],
    "DEFAULT_METADATA_CLASS": "project.api.metadata.ScopedMetadata",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Taskdesk API",
    "DESCRIPTION": (
        "Projects, members, tasks, tags, comments and activity.\n\n"
        "Authenticate with a personal token (`Authorization: Bearer <token>`) or, in the "
        "browser, with your session (CSRF enforced). Every error has the body "
        '`{"detail": "...", "errors": {"field": ["..."]}}`. '
        "Someone else's project, and everything in it, is a 404; a role too low is a 403. "
        "Unknown fields in a request body, and read-only fields such as `id` or `version`, "
        "are ignored. Lists are cursor-paginated (`next`/`previous` links, `page_size` up to "
        "200). Tasks carry their version as `ETag`: send it back in `If-Match` to make a "
        "change conditional (412 when stale). Every POST accepts an `Idempotency-Key`. "
        "v1 only ever gains fields and endpoints."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "project.api.schema.postprocess",
    ],
    # Without a request (manage.py spectacular) the document names the development server;
    # served over HTTP it names the site it was fetched from.
    "SERVERS": [{"url": "http://127.0.0.1:8000", "description": "make run"}],
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks.models.Status",
        "PriorityEnum": "tasks.models.Priority",
        "RoleEnum": "tasks.models.Role",
        "TokenStatusEnum": ["active", "expired", "revoked"],
        "ActivityVerbEnum": "tasks.models.Activity.Verb",
    },
}

# ---------------------------------------------------------------------------
# Logging: readable lines on the console.
# ---------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
TASKS_LOG_LEVEL = env.str("TASKS_LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "readable": {
            "format": "{asctime} {levelname:<7} {name}: {message}",
            "style": "{",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "readable"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A job's start and end are INFO lines (one pair per job: many); failures are
        # ERROR. TASKS_LOG_LEVEL=INFO shows every job (once, not again through the root).
        "django.tasks": {"handlers": ["console"], "level": TASKS_LOG_LEVEL, "propagate": False},
        "axes": {"level": "WARNING"},
    },
}
