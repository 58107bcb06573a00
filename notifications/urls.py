from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/read-all/", views.MarkAllReadView.as_view(), name="read-all"),
    path("inbox/<int:pk>/open/", views.NotificationOpenView.as_view(), name="open"),
    path("inbox/<int:pk>/read/", views.NotificationReadView.as_view(), name="read"),
    path(
        "accounts/settings/notifications/",
        views.NotificationSettingsView.as_view(),
        name="settings",
    ),
    path("tasks/<int:pk>/follow/", views.TaskFollowView.as_view(), name="task-follow"),
    path("tasks/<int:pk>/reminders/", views.ReminderCreateView.as_view(), name="reminder-create"),
    path("reminders/<int:pk>/delete/", views.ReminderDeleteView.as_view(), name="reminder-delete"),
    path(
        "projects/<int:pk>/mentions/",
        views.MentionCandidatesView.as_view(),
        name="mention-candidates",
    ),
]
