"""The REST API, version 1: ``/api/v1/``."""

from django.urls import include, path
from django.views.decorators.csp import csp_override
from rest_framework.routers import DefaultRouter

from accounts.api import TokenViewSet
from notifications.api import (
    MeWithNotificationsView,
    NotificationViewSet,
    TaskFollowerView,
    TaskReminderViewSet,
)
from project.api.docs import RedocView, SchemaView, SwaggerView
from tasks.api.task_views import (
    CommentViewSet,
    TaskActivityViewSet,
    TaskCommentViewSet,
    TaskViewSet,
)
from tasks.api.views import (
    InvitationViewSet,
    MemberViewSet,
    ProjectInvitationViewSet,
    ProjectViewSet,
    TagViewSet,
)

app_name = "api"

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register(r"projects/(?P<project_pk>\d+)/members", MemberViewSet, basename="project-member")
router.register(
    r"projects/(?P<project_pk>\d+)/invitations",
    ProjectInvitationViewSet,
    basename="project-invitation",
)
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("tasks", TaskViewSet, basename="task")
router.register(r"tasks/(?P<task_pk>\d+)/comments", TaskCommentViewSet, basename="task-comment")
router.register(r"tasks/(?P<task_pk>\d+)/activity", TaskActivityViewSet, basename="task-activity")
router.register("comments", CommentViewSet, basename="comment")
router.register("tags", TagViewSet, basename="tag")
router.register("tokens", TokenViewSet, basename="token")
router.register("notifications", NotificationViewSet, basename="notification")
router.register(r"tasks/(?P<task_pk>\d+)/reminders", TaskReminderViewSet, basename="task-reminder")

# The documentation pages are the only ones that need more than the site's strict policy:
# Swagger UI and Redoc set inline styles, and Redoc runs its search in a blob: worker.
SWAGGER_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
REDOC_CSP = {**SWAGGER_CSP, "worker-src": ["'self'", "blob:"]}

urlpatterns = [
    # The profile with the notification settings (accounts knows nothing of notifications).
    path("me/", MeWithNotificationsView.as_view(), name="me"),
    path("tasks/<int:task_pk>/followers/", TaskFollowerView.as_view(), name="task-followers"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path(
        "docs/",
        csp_override(SWAGGER_CSP)(SwaggerView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("redoc/", csp_override(REDOC_CSP)(RedocView.as_view(url_name="api:schema")), name="redoc"),
    path("", include(router.urls)),
]
