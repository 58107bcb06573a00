"""
SQLite, the embedded default, under concurrent writes from several workers and threads: every
write waits its turn and succeeds; none answers 500 "database is locked".
"""

from concurrent.futures import ThreadPoolExecutor

from project.tests.servers import Gunicorn, call, seed, server_database, server_environment

WRITES = 40


def test_concurrent_writes_all_succeed_on_a_file_database(tmp_path, static_root):
    with server_database(tmp_path, "sqlite") as database_url:
        env = server_environment(database_url, static_root)
        data = seed(env)
        auth = {"Authorization": f"Bearer {data['token']}"}
        with Gunicorn(env, tmp_path / "gunicorn.log", workers=2, threads=4) as server:

            def create(number):
                body = {"project": data["project"], "title": f"Task {number}"}
                return call(server.port, "POST", "/api/v1/tasks/", body=body, headers=auth)

            with ThreadPoolExecutor(max_workers=16) as pool:
                answers = list(pool.map(create, range(WRITES)))
            listed = call(server.port, "GET", "/api/v1/tasks/?page_size=200", headers=auth)

    failed = [(answer.status, answer.body[:200]) for answer in answers if answer.status != 201]
    assert failed == []
    titles = {task["title"] for task in listed.json()["results"]}
    assert titles == {f"Task {number}" for number in range(WRITES)}
