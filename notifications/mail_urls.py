from django.urls import path

from notifications import mail_views

urlpatterns = [
    path("unsubscribe/<str:token>/", mail_views.UnsubscribeView.as_view(), name="unsubscribe"),
    path(
        "invitations/join/<str:token>/",
        mail_views.InvitationJoinView.as_view(),
        name="invitation-join",
    ),
]
