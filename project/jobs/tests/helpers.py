"""Running the database queue's worker in the test process, and reading its rows."""

from django_tasks_db.models import DBTaskResult

from project.jobs.worker import Worker


def run_worker(worker_id: str = "worker-1") -> None:
    """One worker that runs every ready job, then stops (``manage.py worker --batch``)."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def jobs(task_path: str | None = None):
    rows = DBTaskResult.objects.order_by("enqueued_at")
    return rows.filter(task_path=task_path) if task_path else rows
