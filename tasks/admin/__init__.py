"""
Staff admin for projects, members, tags, tasks, comments and activity.

Every change made here goes through ``tasks.services``, exactly like a page or the API, with
``by=request.user, as_staff=True``: staff need no project role, but every other rule (an
archived project is read-only, the last owner stays, validation) holds for them too. Change
forms edit plain fields only; state changes (complete, reopen, move, change a role, archive)
are admin actions. A change the domain refuses is rolled back as a whole and comes back as the
form's errors, with what was typed, or as a message.
"""

from django.contrib import admin

from tasks.admin import comments, projects, tasks, users
from tasks.admin.base import ServiceAdmin

admin.site.site_header = "Taskdesk administration"
admin.site.site_title = "Taskdesk admin"
admin.site.index_title = "Run the installation"

__all__ = ["ServiceAdmin", "comments", "projects", "tasks", "users"]
