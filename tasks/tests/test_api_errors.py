"""
The one error shape, for every status the API answers with, including the URL resolver's 404
and crashes; throttling; the OpenAPI document and its offline docs pages.
"""

import pytest
from django.core.management import call_command
from django.test import Client

from tasks.api.task_views import TaskViewSet

ERROR_KEYS = {"detail", "errors"}


@pytest.fixture
def client(erin, token_client):
    return token_client(erin)


def test_unknown_api_url_is_json_404(client):
    for url in ["/api/v1/nothing-here/", "/api/v1/tasks/abc/", "/api/v2/tasks/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found.", "errors": {}}


def test_unknown_page_outside_the_api_stays_html(client, db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_missing_object_is_404(client):
    response = client.get("/api/v1/tasks/999999/")
    assert response.status_code == 404
    assert set(response.json()) == ERROR_KEYS


def test_huge_ids_are_404_not_500(client):
    assert client.get(f"/api/v1/tasks/{10**30}/").status_code == 404
    assert client.get(f"/api/v1/projects/{2**63}/members/").status_code == 404


def test_method_not_allowed_is_405(client):
    response = client.delete("/api/v1/tasks/")
    assert response.status_code == 405
    assert set(response.json()) == ERROR_KEYS


def test_unsupported_media_type_is_415(client, project):
    response = client.post("/api/v1/tasks/", "<task/>", content_type="application/xml")
    assert response.status_code == 415
    assert set(response.json()) == ERROR_KEYS


def test_crash_on_an_api_path_is_json_500_without_traceback(erin, monkeypatch):
    def explode(self, request, *args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(TaskViewSet, "list", explode)
    client = Client(raise_request_exception=False)
    client.force_login(erin)
    response = client.get("/api/v1/tasks/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_session_writes_need_csrf(erin, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(erin)
    assert client.get("/api/v1/tasks/").status_code == 200
    response = client.post(
        "/api/v1/tasks/", {"project": project.pk, "title": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_bad_bearer_token_is_401(db, api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get("/api/v1/tasks/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": "Invalid, expired or revoked token.", "errors": {}}


def test_user_throttle_is_429_with_retry_after(settings, client):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "3/min",
        },
    }
    codes = [client.get("/api/v1/tasks/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/tasks/")
    assert int(response["Retry-After"]) > 0
    assert set(response.json()) == ERROR_KEYS


def test_anonymous_throttle_is_per_address(db, settings, api_client):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/min",
        },
    }
    # The schema is public, so anonymous requests reach the throttle (elsewhere they are
    # refused with 401 first).
    codes = [api_client.get("/api/v1/schema/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    other = api_client.get("/api/v1/schema/", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


@pytest.mark.parametrize("trusted", [[], ["127.0.0.1"]])
def test_a_client_supplied_forwarded_for_does_not_evade_the_throttle(
    db, settings, api_client, trusted
):
    """Rotating X-Forwarded-For changes nothing, with or without a trusted proxy in front."""
    settings.TRUSTED_PROXIES = trusted
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/min",
        },
    }
    codes = [
        api_client.get(
            "/api/v1/schema/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}"
        ).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_behind_a_trusted_proxy_the_throttle_is_per_forwarded_address(db, settings, api_client):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/min",
        },
    }

    def get(client_address: str, spoofed: str = "") -> int:
        chain = f"{spoofed}, {client_address}" if spoofed else client_address
        return api_client.get(
            "/api/v1/schema/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=chain
        ).status_code

    assert [get("198.51.100.1", spoofed=f"10.2.2.{n}") for n in range(3)] == [200, 200, 429]
    assert get("198.51.100.2") == 200


# ---------------------------------------------------------------------------
# OpenAPI and documentation pages
# ---------------------------------------------------------------------------
def test_schema_describes_every_endpoint(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert {
        "/api/v1/projects/",
        "/api/v1/projects/{id}/",
        "/api/v1/projects/{project_pk}/members/",
        "/api/v1/projects/{project_pk}/members/{user_id}/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{id}/",
        "/api/v1/tasks/{task_pk}/comments/",
        "/api/v1/comments/{id}/",
        "/api/v1/tasks/{task_pk}/activity/",
        "/api/v1/tags/",
        "/api/v1/tags/{id}/",
        "/api/v1/me/",
        "/api/v1/tokens/",
        "/api/v1/tokens/{id}/",
    } <= set(schema["paths"])
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert "cookieAuth" in schemes
    patch = schema["paths"]["/api/v1/tasks/{id}/"]["patch"]
    assert {p["name"] for p in patch["parameters"]} >= {"If-Match", "id"}
    assert patch["responses"]["412"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    listing = schema["paths"]["/api/v1/tasks/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"cursor", "page_size", "ordering", "status", "assignee", "search"} <= names
    post = schema["paths"]["/api/v1/tasks/"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in post["parameters"]}
    assert schema["components"]["schemas"]["Task"]["properties"]["due_date"]["nullable"] is True


@pytest.mark.parametrize(
    ("url", "marker", "csp_part"),
    [
        ("/api/v1/docs/", "swagger-ui", "style-src 'self' 'unsafe-inline'"),
        ("/api/v1/redoc/", "redoc", "worker-src 'self' blob:"),
    ],
)
def test_docs_pages_are_offline_with_a_narrow_csp(db, url, marker, csp_part):
    response = Client().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert marker in html
    assert "https://" not in html
    assert "<script>" not in html
    policy = response["Content-Security-Policy"]
    assert csp_part in policy
    assert "script-src 'self';" in policy or policy.endswith("script-src 'self'")


def test_swagger_script_is_served_from_the_site(db):
    response = Client().get("/api/v1/docs/?script=")
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_rest_of_the_site_keeps_the_strict_policy(client):
    response = client.get("/api/v1/tasks/")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_browsable_api_login_link_leads_to_the_site_login(db):
    response = Client().get("/api/v1/auth/login/?next=/api/v1/tasks/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/v1/tasks/"


def test_schema_validates_without_warnings(db, tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert "/api/v1/tasks/" in (tmp_path / "schema.yml").read_text()


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v2/tasks/", "/api/"])
def test_unknown_api_urls_are_json_404_even_in_debug(client, settings, path):
    settings.DEBUG = True
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "errors": {}}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_a_missing_trailing_slash_is_a_json_404_naming_the_url(
    api_client, alice, task, settings, method, debug
):
    """Never a redirect: a redirected POST arrives as a GET and its body is lost."""
    settings.DEBUG = debug
    api_client.force_authenticate(alice)
    url = "/api/v1/tasks" if method == "post" else f"/api/v1/tasks/{task.pk}"
    response = getattr(api_client, method)(url, {"title": "x"}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == f"Not found. API URLs end with a slash: {url}/"
    task.refresh_from_db()
    assert task.title != "x"


def test_unknown_api_urls_answer_json_to_writes_from_a_browser_session(alice):
    """No CSRF page: nothing exists there to protect, and the answer must stay JSON."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.delete("/api/v1/comments/%C2%84/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
