from django.urls import include, path

from accounts import unlock, views

# Our own views come first and keep Django's URL names (login, password_change, …); the rest
# of django.contrib.auth.urls (logout, password reset) follows unchanged.
urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("settings/", views.ProfileView.as_view(), name="settings"),
    path("settings/tokens/", views.TokenListView.as_view(), name="tokens"),
    path("settings/tokens/new/", views.TokenCreateView.as_view(), name="token-create"),
    path("settings/tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token-revoke"),
    path("unlock/", unlock.UnlockRequestView.as_view(), name="login-unlock"),
    path("unlock/<str:token>/", unlock.UnlockLinkView.as_view(), name="login-unlock-link"),
    path("", include("django.contrib.auth.urls")),
]
