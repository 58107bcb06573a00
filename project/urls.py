from django.contrib import admin
from django.urls import include, path

from project.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("project.api_urls")),
    path("", include("tasks.urls")),
]
