from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import unlock, views


def moved(pattern_name: str) -> RedirectView:
    """An old address of an account page, kept working: a permanent redirect, query and all."""
    return RedirectView.as_view(pattern_name=pattern_name, permanent=True, query_string=True)


# django-allauth serves sign-in, sign-up, sign-out, e-mail, passwords (/accounts/password/…),
# two-factor authentication (/accounts/2fa/), sessions (/accounts/sessions/) and single
# sign-on (/accounts/3rdparty/, /accounts/oidc/…). Ours: profile settings, API tokens, the
# sessions page (allauth's view, extended), and Django's old addresses of the password
# pages, which redirect.
urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="account_signup"),
    path("settings/", views.ProfileView.as_view(), name="settings"),
    path("settings/tokens/", views.TokenListView.as_view(), name="tokens"),
    path("settings/tokens/new/", views.TokenCreateView.as_view(), name="token-create"),
    path("settings/tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token-revoke"),
    # django-allauth's sessions page, with a button per session and readable devices.
    path("sessions/", views.SessionListView.as_view(), name="usersessions_list"),
    path("unlock/", unlock.UnlockRequestView.as_view(), name="login-unlock"),
    path("unlock/<str:token>/", unlock.UnlockLinkView.as_view(), name="login-unlock-link"),
    path("", include("allauth.urls")),
]
if not settings.SOCIALACCOUNT_ONLY:  # SSO_ONLY: allauth has no password pages either
    urlpatterns += [
        path("password_change/", moved("account_change_password")),
        path("password_reset/", moved("account_reset_password")),
        path("password_reset/done/", moved("account_reset_password_done")),
        path("reset/done/", moved("account_reset_password_from_key_done")),
    ]
