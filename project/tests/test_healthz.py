"""``/healthz``: 200 while the database answers (503 when it does not: test_database_down)."""

import pytest

from project.tests.servers import Gunicorn, call, seed, server_database, server_environment

pytestmark = pytest.mark.django_db


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


def test_favicon_ico_points_at_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


def test_healthz_under_production_settings(tmp_path, static_root):
    """HTTPS redirect and HSTS on, as in production: the load balancer still asks over HTTP."""
    with server_database(tmp_path, "sqlite") as database_url:
        env = server_environment(
            database_url, static_root, SECURE_SSL_REDIRECT="true", SECURE_HSTS_SECONDS="31536000"
        )
        seed(env)
        with Gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
            health = call(server.port, "GET", "/healthz")
            page = call(server.port, "GET", "/accounts/login/")

    assert health.status == 200
    assert health.json() == {"status": "ok"}
    assert page.status == 301  # everything else goes to HTTPS
    assert page.headers["location"].startswith("https://")
