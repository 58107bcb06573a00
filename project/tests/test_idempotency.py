"""
``Idempotency-Key`` holds across workers without any shared cache: the keys are in the
database. Parallel retries of one create on a real gunicorn with several workers make exactly
one task; the others replay its answer. Expired keys are purged and may be used again.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from project.api.models import IdempotencyKey
from project.tests.servers import (
    Gunicorn,
    call,
    seed,
    server_database,
    server_environment,
    suite_backend,
)

TASKS = "/api/v1/tasks/"
ROUNDS = 4
RETRIES = 6


def test_parallel_retries_create_one_task_across_workers(tmp_path, static_root):
    with server_database(tmp_path, suite_backend()) as database_url:
        # The local-memory cache, one per worker: nothing shared but the database.
        env = server_environment(database_url, static_root, CACHE_URL="locmemcache://")
        data = seed(env)
        auth = {"Authorization": f"Bearer {data['token']}"}
        with Gunicorn(env, tmp_path / "gunicorn.log", workers=3) as server:

            def retry(key, title):
                body = {"project": data["project"], "title": title}
                headers = {**auth, "Idempotency-Key": key}
                return call(server.port, "POST", TASKS, body=body, headers=headers)

            rounds = []
            for number in range(ROUNDS):
                keys, titles = [f"key-{number}"] * RETRIES, [f"Task {number}"] * RETRIES
                with ThreadPoolExecutor(max_workers=RETRIES) as pool:
                    rounds.append(list(pool.map(retry, keys, titles)))
            listed = call(server.port, "GET", f"{TASKS}?page_size=200", headers=auth).json()

    titles = sorted(task["title"] for task in listed["results"])
    assert titles == [f"Task {number}" for number in range(ROUNDS)]
    for answers in rounds:
        assert [answer.status for answer in answers] == [201] * RETRIES
        assert len({answer.json()["id"] for answer in answers}) == 1
        assert len({answer.headers["location"] for answer in answers}) == 1
        firsts = [answer for answer in answers if "idempotent-replayed" not in answer.headers]
        assert len(firsts) == 1


@pytest.fixture
def erin_client(token_client, erin):
    return token_client(erin)


def test_an_expired_key_is_purged_and_may_be_used_again(erin_client, project):
    first = erin_client.post(
        TASKS, {"project": project.pk, "title": "A"}, HTTP_IDEMPOTENCY_KEY="old"
    )
    assert first.status_code == 201
    IdempotencyKey.objects.update(created=timezone.now() - timedelta(hours=25))

    again = erin_client.post(
        TASKS, {"project": project.pk, "title": "B"}, HTTP_IDEMPOTENCY_KEY="old"
    )

    assert again.status_code == 201  # not a 422 for a different body, not a replay
    assert "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
    assert IdempotencyKey.objects.count() == 1


def test_purge_command_deletes_only_expired_keys(erin_client, token_client, alice, project):
    body = {"project": project.pk, "title": "A"}
    erin_client.post(TASKS, body, HTTP_IDEMPOTENCY_KEY="expired")
    IdempotencyKey.objects.update(created=timezone.now() - timedelta(hours=25))
    token_client(alice).post(TASKS, body, HTTP_IDEMPOTENCY_KEY="fresh")

    call_command("purge_idempotency_keys", verbosity=0)

    assert list(IdempotencyKey.objects.values_list("user__username", flat=True)) == ["alice"]


def test_a_failed_create_keeps_no_key(erin_client, project):
    refused = erin_client.post(
        TASKS, {"project": project.pk, "title": ""}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()

    fixed = erin_client.post(
        TASKS, {"project": project.pk, "title": "Now with a title"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert fixed.status_code == 201
