"""
Redis is an accelerator, not a dependency of correctness: with it stopped or frozen, requests
still succeed, and quickly. Throttles let requests through while it is away (and count again
once it is back), wrong tokens are still refused, logins and idempotent creates still work.
A private redis-server for each test, which the test stops or freezes with SIGSTOP.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from project.tests.servers import (
    Gunicorn,
    RedisServer,
    call,
    seed,
    server_database,
    server_environment,
    suite_backend,
)

# Far below the time a frozen Redis would hold a request without a timeout (forever) or
# with redis-py's default one (5 s, several calls a request): generous, yet it fails if any
# request waits on Redis the whole way.
QUICK_ENOUGH = 4.0


@pytest.fixture
def served(tmp_path, static_root):
    """gunicorn (2 workers) on its own database, with a private Redis as its cache."""
    with (
        RedisServer() as redis,
        server_database(tmp_path, suite_backend()) as database_url,
    ):
        env = server_environment(
            database_url, static_root, REDIS_URL=redis.url, CACHE_URL="", THROTTLE_USER="6/min"
        )
        data = seed(env)
        with Gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
            yield server, redis, data


def test_stopped_redis_degrades_to_no_cache(served):
    server, redis, data = served
    auth = {"Authorization": f"Bearer {data['token']}"}
    tasks = "/api/v1/tasks/"

    # With Redis up the throttle counts across both workers: the 7th request in a minute is 429.
    assert [call(server.port, "GET", tasks, headers=auth).status for _ in range(7)] == [200] * 6 + [
        429
    ]

    redis.stop()
    reads = [call(server.port, "GET", tasks, headers=auth) for _ in range(4)]
    create = call(
        server.port,
        "POST",
        tasks,
        body={"project": data["project"], "title": "Written without Redis"},
        headers={**auth, "Idempotency-Key": "no-redis-1"},
    )
    replay = call(
        server.port,
        "POST",
        tasks,
        body={"project": data["project"], "title": "Written without Redis"},
        headers={**auth, "Idempotency-Key": "no-redis-1"},
    )
    wrong_token = call(server.port, "GET", tasks, headers={"Authorization": "Bearer wrong"})
    login = log_in(server.port, "alice", "correct-horse-battery")
    wrong_login = log_in(server.port, "alice", "not-her-password")

    # Throttles fail open: the counts are in Redis, and a missing count lets requests through.
    assert [answer.status for answer in reads] == [200] * 4
    assert create.status == 201, create.body
    assert replay.status == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == create.json()["id"]
    assert wrong_token.status == 401
    assert login.status == 302, login.body[:300]
    assert wrong_login.status == 200  # the form again, with its error
    assert b"not correct" in wrong_login.body
    for answer in [*reads, create, replay, wrong_token, login, wrong_login]:
        assert answer.seconds < QUICK_ENOUGH


def test_frozen_redis_does_not_hold_requests(served):
    server, redis, data = served
    auth = {"Authorization": f"Bearer {data['token']}"}
    assert call(server.port, "GET", "/api/v1/tasks/", headers=auth).status == 200

    redis.pause()
    try:
        # Several at once, so that both workers meet the frozen Redis.
        with ThreadPoolExecutor(max_workers=4) as pool:
            frozen = list(
                pool.map(
                    lambda _: call(server.port, "GET", "/api/v1/tasks/", headers=auth, timeout=30),
                    range(4),
                )
            )
        later = [
            call(server.port, "GET", "/api/v1/tasks/", headers=auth, timeout=30) for _ in range(2)
        ]
    finally:
        redis.resume()

    assert [answer.status for answer in frozen + later] == [200] * 6
    assert max(answer.seconds for answer in frozen + later) < QUICK_ENOUGH

    # Back: the cache is used again, so the throttle (6 a minute) counts once more.
    deadline = time.monotonic() + 30
    statuses = []
    while time.monotonic() < deadline and 429 not in statuses:
        statuses.append(call(server.port, "GET", "/api/v1/tasks/", headers=auth).status)
    assert 429 in statuses
    assert set(statuses) <= {200, 429}


def log_in(port, username, password):
    form = call(port, "GET", "/accounts/login/")
    csrf = form.headers["set-cookie"].split("csrftoken=")[1].split(";")[0]
    return call(
        port,
        "POST",
        "/accounts/login/",
        form={"login": username, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Cookie": f"csrftoken={csrf}"},
    )
