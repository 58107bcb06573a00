"""
With the database unreachable, pages and the API answer 503 with ``Retry-After`` (JSON on
``/api/``, a plain page elsewhere), never a 500; once it is back, requests succeed again.
Real servers throughout: gunicorn, and a PostgreSQL port that refuses connections or a proxy
in front of the real PostgreSQL that the test cuts and restores.
"""

import contextlib
import time
from urllib.parse import urlparse

import psycopg2
import pytest

from project.tests.servers import (
    Gunicorn,
    TcpProxy,
    call,
    free_port,
    seed,
    server_database,
    server_environment,
    suite_backend,
)

BOGUS_TOKEN = {"Authorization": "Bearer not-a-real-token-but-it-must-be-looked-up"}
A_SESSION = {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}


def assert_api_503(answer):
    assert answer.status == 503, answer.body[:300]
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"detail", "errors"}
    assert int(answer.headers["retry-after"]) > 0


def assert_page_503(answer):
    assert answer.status == 503, answer.body[:300]
    assert answer.headers["content-type"].startswith("text/html")
    assert b"briefly unavailable" in answer.body
    assert b"Traceback" not in answer.body
    assert int(answer.headers["retry-after"]) > 0


def test_database_refusing_connections_is_a_503_everywhere(tmp_path, static_root):
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/td_infra_nowhere"
    env = server_environment(nowhere, static_root, DATABASE_CONNECT_TIMEOUT="2")
    with Gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
        health = call(server.port, "GET", "/healthz")
        api_read = call(server.port, "GET", "/api/v1/tasks/", headers=BOGUS_TOKEN)
        api_write = call(
            server.port, "POST", "/api/v1/projects/", body={"name": "X"}, headers=BOGUS_TOKEN
        )
        page_in_session = call(server.port, "GET", "/", headers=A_SESSION)
        login_form = call(server.port, "GET", "/accounts/login/")
        csrf = login_form.headers["set-cookie"].split("csrftoken=")[1].split(";")[0]
        login = call(
            server.port,
            "POST",
            "/accounts/login/",
            form={"login": "alice", "password": "whatever", "csrfmiddlewaretoken": csrf},
            headers={"Cookie": f"csrftoken={csrf}"},
        )

    assert health.status == 503
    assert int(health.headers["retry-after"]) > 0
    assert_api_503(api_read)
    assert_api_503(api_write)
    assert_page_503(page_in_session)  # the session is looked up by a middleware
    assert_page_503(login)  # the credentials are checked by the view


@pytest.mark.skipif(suite_backend() != "postgres", reason="cuts a PostgreSQL connection")
def test_database_restart_is_a_503_then_recovers(tmp_path, static_root):
    with server_database(tmp_path, "postgres") as database_url:
        env = server_environment(database_url, static_root)
        data = seed(env)
        auth = {"Authorization": f"Bearer {data['token']}"}
        real = urlparse(database_url)
        with TcpProxy(real.hostname, real.port or 5432) as proxy:
            proxied = real._replace(netloc=f"{real.username}@127.0.0.1:{proxy.port}").geturl()
            # Connections kept between requests, so the cut breaks open ones too.
            env = {**env, "DATABASE_URL": proxied, "CONN_MAX_AGE": "600"}
            with Gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
                before = call(server.port, "GET", "/api/v1/tasks/", headers=auth)
                proxy.stop()
                during = [
                    call(server.port, "GET", "/api/v1/tasks/", headers=auth),
                    call(
                        server.port, "POST", "/api/v1/projects/", body={"name": "X"}, headers=auth
                    ),
                    call(server.port, "GET", "/", headers=A_SESSION),
                    call(server.port, "GET", "/healthz"),
                ]
                proxy.start()
                after = None
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    after = call(server.port, "GET", "/api/v1/tasks/", headers=auth)
                    if after.status == 200:
                        break
                    time.sleep(0.5)

    assert before.status == 200
    assert_api_503(during[0])
    assert_api_503(during[1])
    assert_page_503(during[2])
    assert during[3].status == 503
    assert after.status == 200, after.body[:300]


@pytest.mark.skipif(suite_backend() != "postgres", reason="a read-only PostgreSQL database")
def test_read_only_database_serves_reads_and_answers_503_to_writes(tmp_path, static_root):
    """As during a failover, while the server left is a standby that only reads."""
    with server_database(tmp_path, "postgres") as database_url:
        env = server_environment(database_url, static_root)
        data = seed(env)
        auth = {"Authorization": f"Bearer {data['token']}"}
        name = urlparse(database_url).path.lstrip("/")
        admin = urlparse(database_url)._replace(path="/postgres").geturl()
        with contextlib.closing(psycopg2.connect(admin)) as connection:
            connection.autocommit = True
            connection.cursor().execute(
                f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'
            )
        with Gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
            # The token's first use would record last_used_at: bookkeeping that may fail.
            read = call(server.port, "GET", "/api/v1/tasks/", headers=auth)
            write = call(
                server.port,
                "POST",
                "/api/v1/tasks/",
                body={"project": data["project"], "title": "Not now"},
                headers=auth,
            )

    assert read.status == 200, read.body[:300]
    assert_api_503(write)
