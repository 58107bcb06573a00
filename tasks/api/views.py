"""
Projects, members and tags. Every ``get_queryset()`` starts from ``visible_to(user)`` (an
outsider gets 404); every write is the matching function of ``tasks.services``, which refuses
a role too low or an archived project (403) itself.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from tasks import services
from tasks.api.idempotency import idempotent_create
from tasks.api.pagination import MemberPagination, NamePagination
from tasks.api.serializers import (
    MemberCreateSerializer,
    MemberRoleSerializer,
    MemberSerializer,
    ProjectSerializer,
    TagCreateSerializer,
    TagSerializer,
)
from tasks.models import Membership, Project, Tag


def created(data: dict) -> Response:
    """201 with the new object's address in ``Location``."""
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


class ProjectViewSet(viewsets.ModelViewSet):
    """
    Projects you are a member of, alphabetically. Anyone signed in may create one (and becomes
    its owner); only owners rename, archive or delete.
    """

    serializer_class = ProjectSerializer
    pagination_class = NamePagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user)

    @idempotent_create
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        archived = fields.pop("is_archived", False)
        project = services.project_create(by=request.user, **fields)
        if archived:
            project = services.project_update(project=project, by=request.user, is_archived=True)
        return created(self.get_serializer(project).data)

    def update(self, request, *args, **kwargs):
        project = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = self.get_serializer(project, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        project = services.project_update(
            project=project, by=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(project).data)

    def destroy(self, request, *args, **kwargs):
        project = self.get_object()
        services.project_delete(project=project, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=MemberCreateSerializer, responses={201: MemberSerializer}),
    partial_update=extend_schema(request=MemberRoleSerializer),
    destroy=extend_schema(
        description="Remove a member (owners), or leave the project (any member, yourself)."
    ),
)
class MemberViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """
    The members of one project, addressed by user id. Owners add people (by user id, username
    or email), change roles and remove members; the last owner can neither leave nor be demoted.
    """

    serializer_class = MemberSerializer
    pagination_class = MemberPagination
    lookup_field = "user_id"
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    may_conflict = True

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            projects = Project.objects.visible_to(self.request.user)
            self._project = get_object_or_404(projects, pk=self.kwargs["project_pk"])
        return self._project

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return (
            Membership.objects.visible_to(self.request.user)
            .filter(project=self.get_project())
            .select_related("user")
        )

    def get_serializer_class(self):
        if self.action == "create":
            return MemberCreateSerializer
        if self.action == "partial_update":
            return MemberRoleSerializer
        return MemberSerializer

    @idempotent_create
    def create(self, request, *args, **kwargs):
        project = self.get_project()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_add(
            project=project,
            user=serializer.validated_data["person"],
            role=serializer.validated_data["role"],
            by=request.user,
        )
        return created(MemberSerializer(membership, context=self.get_serializer_context()).data)

    def update(self, request, *args, **kwargs):
        membership = self.get_object()
        # Not partial: a PATCH here has one thing to change, and without it there is nothing
        # to do but say so (a 400 naming ``role``).
        serializer = self.get_serializer(membership, data=request.data, partial=False)
        serializer.is_valid(raise_exception=True)
        membership = services.member_change_role(
            membership=membership, role=serializer.validated_data["role"], by=request.user
        )
        return Response(MemberSerializer(membership, context=self.get_serializer_context()).data)

    def destroy(self, request, *args, **kwargs):
        membership = self.get_object()
        services.member_remove(membership=membership, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _visible_projects(request):
    return Project.objects.visible_to(getattr(request, "user", None))


class TagFilter(django_filters.FilterSet):
    project = django_filters.ModelChoiceFilter(
        queryset=_visible_projects, help_text="Only the tags of this project (an id)."
    )

    class Meta:
        model = Tag
        fields = ["project"]


class TagViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """
    Tags of the projects you can see (``?project=`` for one). Editors and owners create, rename,
    recolour and delete them; a tag stays in the project it was created in.
    """

    serializer_class = TagSerializer
    pagination_class = NamePagination
    filterset_class = TagFilter
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    may_conflict = True

    def get_queryset(self):
        return Tag.objects.visible_to(self.request.user)

    def get_serializer_class(self):
        return TagCreateSerializer if self.action == "create" else TagSerializer

    @idempotent_create
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        tag = services.tag_create(
            project=data["project"],
            name=data["name"],
            colour=data.get("colour", Tag.DEFAULT_COLOUR),
            by=request.user,
        )
        return created(TagSerializer(tag, context=self.get_serializer_context()).data)

    def update(self, request, *args, **kwargs):
        tag = self.get_object()
        serializer = self.get_serializer(tag, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tag = services.tag_update(tag=tag, by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(tag).data)

    def destroy(self, request, *args, **kwargs):
        tag = self.get_object()
        services.tag_delete(tag=tag, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
