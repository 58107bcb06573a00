"""
Projects, members, invitations and tags. Every ``get_queryset()`` starts from
``visible_to(user)`` (an outsider gets 404; an invitation, ``pending_for(user)``); every
write is the matching function of ``tasks.services``, which refuses a role too low or an
archived project (403) itself.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from project.api.idempotency import idempotent_create
from project.api.pagination import NamePagination, NewestFirstPagination
from project.api.responses import created
from tasks import services
from tasks.api.pagination import MemberPagination
from tasks.api.serializers import (
    InvitationSerializer,
    MemberByEmailSerializer,
    MemberByUsernameSerializer,
    MemberByUserSerializer,
    MemberCreateSerializer,
    MemberSerializer,
    ProjectInvitationSerializer,
    ProjectSerializer,
    TagSerializer,
)
from tasks.models import Invitation, Membership, Project, Role, Tag, require_role


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
    create=extend_schema(
        request=PolymorphicProxySerializer(
            component_name="MemberCreate",
            serializers=[
                MemberByUserSerializer,
                MemberByUsernameSerializer,
                MemberByEmailSerializer,
            ],
            resource_type_field_name=None,
        ),
        responses={202: ProjectInvitationSerializer},
        summary="Invite someone",
        description=(
            "Invite a person to the project (owners): they become a member when they accept "
            "(`PATCH /api/v1/invitations/{id}/`). Name them by username or email address, or "
            "by user id if you already share a project with them. The answer is the same "
            "invitation whether or not the username or address belongs to an account; "
            "inviting the same person again renews the invitation with the new role. "
            "Someone who is already a member is a 409."
        ),
    ),
    list=extend_schema(summary="List the members of a project"),
    retrieve=extend_schema(summary="Get a member"),
    partial_update=extend_schema(request=MemberSerializer, summary="Change a member's role"),
    destroy=extend_schema(
        summary="Remove a member, or leave",
        description="Remove a member (owners), or leave the project (any member, yourself).",
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
    The members of one project, addressed by user id. Owners invite people (POST: by
    username, email, or the id of someone they share a project with), change roles and
    remove members; the last owner can neither leave nor be demoted.
    """

    serializer_class = MemberSerializer
    pagination_class = MemberPagination
    lookup_field = "user_id"
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    may_conflict = ("POST",)  # inviting someone who is already a member
    accepted_create = True  # POST answers 202 with an invitation (no Location): see schema
    partial_patch = False  # see update()

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
        return MemberSerializer

    @idempotent_create
    def create(self, request, *args, **kwargs):
        project = self.get_project()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.member_invite(
            project=project, by=request.user, **serializer.validated_data
        )
        data = ProjectInvitationSerializer(invitation, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

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


@extend_schema_view(
    list=extend_schema(summary="List a project's open invitations"),
    retrieve=extend_schema(summary="Get an open invitation of a project"),
    destroy=extend_schema(summary="Cancel an invitation"),
)
class ProjectInvitationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """
    The invitations of one project that nobody has answered yet, newest first (owners; an
    expired one stays until it is cancelled or the person is invited again). Invite people
    with POST to the project's members.
    """

    serializer_class = ProjectInvitationSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"\d+"

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            projects = Project.objects.visible_to(self.request.user)
            self._project = get_object_or_404(projects, pk=self.kwargs["project_pk"])
            require_role(self._project, self.request.user, Role.OWNER)
        return self._project

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return Invitation.objects.open().filter(project=self.get_project())

    def destroy(self, request, *args, **kwargs):
        services.invitation_cancel(invitation=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List the invitations waiting for me"),
    retrieve=extend_schema(summary="Get an invitation waiting for me"),
    partial_update=extend_schema(summary="Accept an invitation"),
    destroy=extend_schema(summary="Decline an invitation"),
)
class InvitationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """
    Invitations to join a project that are addressed to you and still open, newest first.
    ``PATCH {"accepted": true}`` joins the project with the invited role; DELETE declines.
    Until you accept, the project stays invisible to you.
    """

    serializer_class = InvitationSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        invitations = Invitation.objects.pending_for(self.request.user).for_list()
        # The list leaves expired ones out; answering one says it expired rather than 404.
        return invitations.current() if self.action == "list" else invitations

    def update(self, request, *args, **kwargs):
        invitation = self.get_object()
        serializer = self.get_serializer(invitation, data=request.data)
        serializer.is_valid(raise_exception=True)
        services.invitation_accept(invitation=invitation, by=request.user)
        invitation = Invitation.objects.for_list().get(pk=invitation.pk)
        return Response(self.get_serializer(invitation).data)

    def destroy(self, request, *args, **kwargs):
        services.invitation_decline(invitation=self.get_object(), by=request.user)
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
    may_conflict = ("POST", "PATCH")  # a name the project already has

    def get_queryset(self):
        return Tag.objects.visible_to(self.request.user)

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
        fields = dict(serializer.validated_data)
        fields.pop("project", None)  # unchanged: the serializer refuses another one
        tag = services.tag_update(tag=tag, by=request.user, **fields)
        return Response(self.get_serializer(tag).data)

    def destroy(self, request, *args, **kwargs):
        tag = self.get_object()
        services.tag_delete(tag=tag, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
