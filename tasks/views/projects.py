"""Placeholder: replaced by the real views."""

from django.views import View


class MemberListView(View):
    pass


class MemberRemoveView(View):
    pass


class MemberRoleView(View):
    pass


class ProjectCreateView(View):
    pass


class ProjectDeleteView(View):
    pass


class ProjectLeaveView(View):
    pass


class ProjectListView(View):
    pass


class ProjectSettingsView(View):
    pass


class TagDeleteView(View):
    pass


class TagListView(View):
    pass


class TagUpdateView(View):
    pass
