"""Placeholder: replaced by the real views."""

from django.views import View


class BoardView(View):
    pass


class CommentCreateView(View):
    pass


class CommentDeleteView(View):
    pass


class CommentUpdateView(View):
    pass


class DashboardView(View):
    pass


class MyTasksView(View):
    pass


class ProjectDetailView(View):
    pass


class SearchView(View):
    pass


class TaskCompleteView(View):
    pass


class TaskCreateView(View):
    pass


class TaskDeleteView(View):
    pass


class TaskDetailView(View):
    pass


class TaskMoveView(View):
    pass


class TaskUpdateView(View):
    pass
