from django.urls import path

from tasks.views import board, calendar, invitations, pages, projects, task_detail, task_list

app_name = "tasks"

urlpatterns = [
    path("", pages.DashboardView.as_view(), name="dashboard"),
    path("tasks/", pages.MyTasksView.as_view(), name="my-tasks"),
    path("search/", pages.SearchView.as_view(), name="search"),
    path("calendar/", calendar.MyCalendarView.as_view(), name="my-calendar"),
    # Projects, members, tags
    path("projects/", projects.ProjectListView.as_view(), name="project-list"),
    path("projects/new/", projects.ProjectCreateView.as_view(), name="project-create"),
    path(
        "projects/<int:pk>/settings/",
        projects.ProjectSettingsView.as_view(),
        name="project-settings",
    ),
    path("projects/<int:pk>/delete/", projects.ProjectDeleteView.as_view(), name="project-delete"),
    path("projects/<int:pk>/members/", projects.MemberListView.as_view(), name="member-list"),
    path(
        "projects/<int:pk>/members/<int:member_pk>/role/",
        projects.MemberRoleView.as_view(),
        name="member-role",
    ),
    path(
        "projects/<int:pk>/members/<int:member_pk>/remove/",
        projects.MemberRemoveView.as_view(),
        name="member-remove",
    ),
    path(
        "projects/<int:pk>/invitations/<int:invitation_pk>/cancel/",
        projects.InvitationCancelView.as_view(),
        name="invitation-cancel",
    ),
    path("projects/<int:pk>/leave/", projects.ProjectLeaveView.as_view(), name="project-leave"),
    path("projects/<int:pk>/tags/", projects.TagListView.as_view(), name="tag-list"),
    path("tags/<int:pk>/edit/", projects.TagUpdateView.as_view(), name="tag-update"),
    path("tags/<int:pk>/delete/", projects.TagDeleteView.as_view(), name="tag-delete"),
    # Invitations addressed to me
    path("invitations/", invitations.InvitationListView.as_view(), name="invitation-list"),
    path(
        "invitations/<int:pk>/accept/",
        invitations.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path(
        "invitations/<int:pk>/decline/",
        invitations.InvitationDeclineView.as_view(),
        name="invitation-decline",
    ),
    # Tasks: list, board, detail, comments
    path("projects/<int:pk>/", task_list.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:pk>/tasks/new/", task_list.TaskCreateView.as_view(), name="task-create"),
    path(
        "projects/<int:pk>/tasks/new/preview/",
        task_list.QuickAddPreviewView.as_view(),
        name="quick-add-preview",
    ),
    path("projects/<int:pk>/board/", board.BoardView.as_view(), name="project-board"),
    path(
        "projects/<int:pk>/calendar/",
        calendar.ProjectCalendarView.as_view(),
        name="project-calendar",
    ),
    path("tasks/<int:pk>/", task_detail.TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<int:pk>/edit/", task_detail.TaskUpdateView.as_view(), name="task-update"),
    path("tasks/<int:pk>/delete/", task_detail.TaskDeleteView.as_view(), name="task-delete"),
    path("tasks/<int:pk>/complete/", task_detail.TaskCompleteView.as_view(), name="task-complete"),
    path(
        "tasks/<int:pk>/complete/confirm/",
        task_detail.TaskCompleteConfirmView.as_view(),
        name="task-complete-confirm",
    ),
    path(
        "tasks/<int:pk>/subtasks/new/",
        task_detail.SubtaskCreateView.as_view(),
        name="subtask-create",
    ),
    path("tasks/<int:pk>/move/", board.TaskMoveView.as_view(), name="task-move"),
    path(
        "tasks/<int:pk>/reschedule/",
        calendar.TaskRescheduleView.as_view(),
        name="task-reschedule",
    ),
    path(
        "tasks/<int:pk>/comments/", task_detail.CommentCreateView.as_view(), name="comment-create"
    ),
    path("comments/<int:pk>/edit/", task_detail.CommentUpdateView.as_view(), name="comment-update"),
    path(
        "comments/<int:pk>/delete/", task_detail.CommentDeleteView.as_view(), name="comment-delete"
    ),
]
