"""
The job queue in the admin: django-tasks-db's rows, read-only, with their status, attempts,
times, error and traceback, filterable by status. Staff who may change them get one action,
"Retry": a failed job is queued again at once (one more attempt); staff who may delete them
delete them (failed jobs stay until then). Staff who may only view them see the list and the
details, nothing more.
"""

from django.contrib import admin, messages
from django.tasks import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult, get_date_max

from project.jobs import maintenance

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class JobAdmin(DBTaskResultAdmin):
    list_display = (
        "task_name",
        "status",
        "attempts",
        "enqueued_at",
        "started_at",
        "finished_at",
        "retry_at",
        "error",
    )
    list_filter = ("status", "queue_name")
    search_fields = ("task_path", "exception_class_path")
    actions = ["retry"]

    def has_change_permission(self, request, obj=None):
        # The change permission allows the Retry action on the list; a job's page stays
        # read-only for everyone.
        if obj is not None:
            return False
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def has_delete_permission(self, request, obj=None):
        # Failed jobs stay until staff delete them (successful ones are purged after a while).
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    @admin.display(description="attempts")
    def attempts(self, obj: DBTaskResult) -> int:
        return maintenance.attempts(obj)

    @admin.display(description="retry at")
    def retry_at(self, obj: DBTaskResult):
        if obj.status != TaskResultStatus.FAILED or obj.run_after == get_date_max():
            return self.get_empty_value_display()
        return obj.run_after

    @admin.display(description="error")
    def error(self, obj: DBTaskResult) -> str:
        return obj.exception_class_path.rsplit(".", 1)[-1] or self.get_empty_value_display()

    @admin.action(description="Retry the selected failed jobs now", permissions=["change"])
    def retry(self, request, queryset):
        failed = queryset.filter(status=TaskResultStatus.FAILED)
        count = failed.update(status=TaskResultStatus.READY, run_after=get_date_max())
        skipped = queryset.count() - count
        if count:
            self.message_user(request, f"{count} failed job(s) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} job(s) skipped: only failed jobs are retried.",
                messages.WARNING,
            )
