"""
The job queue in the admin: staff see every job's status, task, attempts, times and error
(and its traceback on its page), filter by status, and — with the change permission — retry
failed jobs. Nothing else about a job can be changed; staff who may only view cannot retry.
"""

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from project.jobs import maintenance
from project.jobs.tests.helpers import jobs
from project.jobs.tests.jobs_for_tests import always_fails, succeeds
from tasks.tests.admin_support import admin_url, make_clerk, messages_of, run_action

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_queue")]

MODEL = "django_tasks_database.dbtaskresult"


def failed_job(label="the report", attempts=5):
    job = DBTaskResult.objects.get(pk=always_fails.enqueue(label).id)
    job.worker_ids = [f"w{n}" for n in range(attempts)]
    job.status = TaskResultStatus.FAILED
    job.exception_class_path = "builtins.ValueError"
    job.traceback = f"Traceback (most recent call last):\nValueError: {label} cannot be done\n"
    job.save()
    return job


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_the_list_shows_status_task_attempts_and_error(staff_client):
    failed = failed_job()
    succeeds.enqueue("fine")
    page = staff_client.get(admin_url(MODEL)).content.decode()
    assert "always_fails" in page and "succeeds" in page
    assert "ValueError" in page
    assert "Failed" in page and "Ready" in page
    assert ">5<" in page  # attempts

    filtered = staff_client.get(admin_url(MODEL) + "?status__exact=FAILED").content.decode()
    assert "always_fails" in filtered and "succeeds" not in filtered

    detail = staff_client.get(admin_url(MODEL, "change", failed.pk)).content.decode()
    assert "ValueError: the report cannot be done" in detail
    assert "<pre>" in detail


def test_the_list_costs_the_same_queries_for_few_or_many_jobs(
    staff_client, django_assert_max_num_queries
):
    failed_job("one")
    staff_client.get(admin_url(MODEL))  # warm up (session, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(admin_url(MODEL)).status_code == 200
    for n in range(6):
        failed_job(f"job {n}")
    with django_assert_max_num_queries(len(few)):
        assert staff_client.get(admin_url(MODEL)).status_code == 200


def test_a_job_cannot_be_added_or_edited(staff_client):
    job = failed_job()
    assert staff_client.get(admin_url(MODEL, "add")).status_code == 403
    page = staff_client.get(admin_url(MODEL, "change", job.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = staff_client.post(admin_url(MODEL, "change", job.pk), {"status": "READY"})
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED


def test_retry_queues_failed_jobs_again_now(staff_client):
    failed = failed_job()
    done = DBTaskResult.objects.get(pk=succeeds.enqueue("done").id)
    DBTaskResult.objects.filter(pk=done.pk).update(status=TaskResultStatus.SUCCESSFUL)

    response = run_action(staff_client, MODEL, "retry", [failed, done])

    assert response.status_code == 302
    assert messages_of(response) == [
        "1 failed job(s) queued again.",
        "1 job(s) skipped: only failed jobs are retried.",
    ]
    failed.refresh_from_db()
    assert failed.status == TaskResultStatus.READY
    assert failed.run_after == get_date_max()
    assert jobs().ready().filter(pk=failed.pk).exists()
    # One more attempt: should it fail again, it is not retried on its own.
    assert maintenance.attempts(failed) == 5
    assert DBTaskResult.objects.get(pk=done.pk).status == TaskResultStatus.SUCCESSFUL


def test_staff_who_may_only_view_cannot_retry(client):
    job = failed_job()
    client.force_login(make_clerk("view_dbtaskresult"))
    page = client.get(admin_url(MODEL))
    assert page.status_code == 200
    assert b'value="retry"' not in page.content

    response = run_action(client, MODEL, "retry", [job])

    assert response.status_code == 200  # "No action selected": the action is not theirs
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED


def test_staff_with_the_change_permission_can_retry(client):
    job = failed_job()
    client.force_login(make_clerk("view_dbtaskresult", "change_dbtaskresult"))
    assert b'value="retry"' in client.get(admin_url(MODEL)).content

    run_action(client, MODEL, "retry", [job])

    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY


def test_staff_who_may_delete_remove_failed_jobs(client):
    job = failed_job()
    client.force_login(make_clerk("view_dbtaskresult", "delete_dbtaskresult"))
    response = client.post(admin_url(MODEL, "delete", job.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not DBTaskResult.objects.filter(pk=job.pk).exists()
