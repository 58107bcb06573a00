"""
Staff admin for projects, members, tags, tasks, comments and activity.

Every change made here goes through ``tasks.services``, exactly like a page or the API, so
the activity log, task versions and the last-owner rule hold for staff too. Staff act without
a project role (``by=request.user``). A change the domain refuses rolls back as a whole and
comes back as an error message on the same page.
"""

from django.contrib import admin

from tasks.admin import comments, projects, tasks
from tasks.admin.base import ServiceAdmin

admin.site.site_header = "Taskdesk administration"
admin.site.site_title = "Taskdesk admin"
admin.site.index_title = "Run the installation"

__all__ = ["ServiceAdmin", "comments", "projects", "tasks"]
