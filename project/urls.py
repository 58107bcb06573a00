from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView

from project.api.errors import handler404 as api_not_found
from project.views import favicon, healthz

# Staff sign in where everyone does, so two-factor authentication and the lockouts apply to
# the admin too; its own login page only sends people there.
admin.site.login = secure_admin_login(admin.site.login)

# The browsable API's "Log in" and "Log out" links (DRF reverses rest_framework:login and
# rest_framework:logout) lead to the site's own pages, never to a second login form.
browsable_api_auth = (
    [
        path(
            "login/",
            RedirectView.as_view(pattern_name="account_login", query_string=True),
            name="login",
        ),
        path(
            "logout/",
            RedirectView.as_view(pattern_name="account_logout", query_string=True),
            name="logout",
        ),
    ],
    "rest_framework",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's, the API docs).
    path("favicon.ico", favicon, name="favicon"),
    # Before accounts: the notification settings sit beside the other settings pages.
    path("", include("notifications.urls")),
    path("accounts/", include("accounts.urls")),
    # The browsable API's log-in link; DRF reverses it as "rest_framework:login", so the
    # include sits here, outside the "api" namespace.
    path("api/v1/auth/", include(browsable_api_auth)),
    path("api/v1/", include("project.api_urls")),
    # Any other /api/ URL is a JSON 404 even with DEBUG on (handler404 serves only DEBUG
    # off). Paths without their trailing slash too: APPEND_SLASH would redirect them, and a
    # redirected POST arrives as a GET.
    re_path(r"^api/", csrf_exempt(api_not_found)),
    # Links in e-mails: unsubscribe, join by invitation.
    path("", include("notifications.mail_urls")),
    path("", include("tasks.urls")),
]

# JSON under /api/ (the URL resolver's 404 and crashes too), the HTML pages everywhere else.
handler404 = "project.api.errors.handler404"
handler500 = "project.api.errors.handler500"
