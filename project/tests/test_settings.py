"""Production safety: refuse to start on unsafe settings, pass ``check --deploy`` on good ones."""

import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

import project.settings

BASE_DIR = Path(project.settings.BASE_DIR)
GOOD_KEY = secrets.token_urlsafe(64)
OIDC_ISSUER = "https://id.example.com/realms/staff"


def run(args, **env):
    """Run Python in a clean environment: only what the test sets, nothing from the shell."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DOTENV_FILE": "",  # the checkout's .env (make run writes one) must not leak in
    }
    clean.update({key: value for key, value in env.items() if value is not None})
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def setup_django(**env):
    return run(
        ["-c", "import django; django.setup()"], DJANGO_SETTINGS_MODULE="project.settings", **env
    )


def production_env(tmp_path, **overrides):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": GOOD_KEY,
        "ALLOWED_HOSTS": "tasks.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    env.update(overrides)
    return env


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY is insecure"),
        ({"SECRET_KEY": project.settings.DEVELOPMENT_SECRET_KEY}, "SECRET_KEY is insecure"),
        ({"SECRET_KEY": "too-short-but-random-a8Z"}, "SECRET_KEY is insecure"),
        ({"SECRET_KEY": "a" * 64}, "SECRET_KEY is insecure"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is empty"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS contains '*'"),
        ({"ALLOWED_HOSTS": "tasks.example.com, *"}, "ALLOWED_HOSTS contains '*'"),
        ({"EMAIL_VERIFICATION": "always"}, "EMAIL_VERIFICATION must be one of"),
        ({"SSO_ONLY": "true"}, "OIDC_ISSUER is not set"),
        (
            {"SSO_ONLY": "true", "OIDC_ISSUER": OIDC_ISSUER, "EMAIL_VERIFICATION": "mandatory"},
            "EMAIL_VERIFICATION must be none",
        ),
    ],
    ids=[
        "empty-key",
        "insecure-prefix",
        "development-key",
        "short-key",
        "repetitive-key",
        "hosts",
        "any-host",
        "any-host-among-others",
        "email-verification",
        "sso-only-without-issuer",
        "sso-only-verifying-mail",
    ],
)
def test_refuses_to_start_on_unsafe_production_settings(tmp_path, overrides, reason):
    result = setup_django(**production_env(tmp_path, **overrides))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Taskdesk refuses to start: ")
    assert reason in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_refuses_to_start_without_any_secret_key(tmp_path):
    if (BASE_DIR / ".env").exists() and "SECRET_KEY=" in (BASE_DIR / ".env").read_text():
        pytest.skip("a local .env provides SECRET_KEY; the empty-key case covers this one")
    result = setup_django(**production_env(tmp_path, SECRET_KEY=None))
    assert result.returncode != 0
    assert result.stderr.startswith("Taskdesk refuses to start: SECRET_KEY is not set")
    assert "Traceback" not in result.stderr


def test_manage_py_refuses_just_as_plainly(tmp_path):
    result = run(["manage.py", "check"], **production_env(tmp_path, ALLOWED_HOSTS=""))
    assert result.returncode != 0
    assert result.stderr.startswith("Taskdesk refuses to start: ALLOWED_HOSTS")
    assert "Traceback" not in result.stderr


def test_any_host_is_fine_while_debugging(tmp_path):
    result = setup_django(**production_env(tmp_path, DEBUG="true", ALLOWED_HOSTS="*"))
    assert result.returncode == 0, result.stderr


def test_starts_with_good_production_settings(tmp_path):
    result = setup_django(**production_env(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"CACHE_URL": "redis://127.0.0.1:6379/1"},
        {"OIDC_ISSUER": OIDC_ISSUER, "OIDC_CLIENT_ID": "taskdesk", "OIDC_CLIENT_SECRET": "x"},
        {"OIDC_ISSUER": OIDC_ISSUER, "SSO_ONLY": "true"},
    ],
    ids=["local-cache", "redis-url", "cache-url", "sso", "sso-only"],
)
def test_deploy_check_is_clean_with_production_settings(tmp_path, extra):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **production_env(tmp_path, **extra),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_security_headers(client, db):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_argon2_is_the_first_password_hasher():
    # Read the module itself: the test fixture swaps in a fast hasher.
    assert project.settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    assert importlib.util.find_spec("argon2"), "argon2-cffi must be installed for it"
