from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from project.api.errors import handler404 as api_not_found
from project.views import favicon, healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's, the API docs).
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    # The browsable API's log-in link; DRF reverses it as "rest_framework:login", so the
    # include sits here, outside the "api" namespace.
    path("api/v1/auth/", include("rest_framework.urls")),
    path("api/v1/", include("project.api_urls")),
    # Any other /api/ URL is a JSON 404 even with DEBUG on (handler404 serves only DEBUG
    # off). Paths without their trailing slash too: APPEND_SLASH would redirect them, and a
    # redirected POST arrives as a GET.
    re_path(r"^api/", csrf_exempt(api_not_found)),
    path("", include("tasks.urls")),
]

# JSON under /api/ (the URL resolver's 404 and crashes too), the HTML pages everywhere else.
handler404 = "project.api.errors.handler404"
handler500 = "project.api.errors.handler500"
