"""The team API: a project's members (``/api/projects/{slug}/members/``: who is who, by
username and id, and their roles), its invitations, and accepting one
(``/api/invitations/accept/``). Thin: the same services as the team page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response

from annotate.team import selectors, services
from annotate.team.serializers import (
    InvitationAcceptedSerializer,
    InvitationAcceptSerializer,
    InvitationCreatedSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    MemberAddSerializer,
    MemberChangeSerializer,
    MemberSerializer,
)
from common.http import AuthenticatedRequest
from corpus import invitations
from corpus.api import ApiView
from corpus.models import Membership, Project, Role
from corpus.permissions import project_for, require_role
from corpus.selectors import members_of
from corpus.services import membership_add, membership_set


def _managed(request: AuthenticatedRequest, slug: str, action: str) -> Project:
    project = project_for(request.user, slug)
    require_role(request.user, project, Role.MANAGER, action)
    return project


def _member(project: Project, pk: int) -> Membership:
    membership = selectors.member_of(project, pk)
    if membership is None:
        raise Http404("No such member.")
    return membership


@extend_schema(tags=["team"])
class MemberList(ApiView):
    serializer_class = MemberSerializer

    @extend_schema(
        responses=MemberSerializer(many=True),
        summary="The project's members (curators, managers)",
        description="Managers first, then curators, then annotators, by username: each "
        "with the user `id` that assignments take (they take the `username` too).",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug)
        require_role(request.user, project, Role.CURATOR, "see the team")
        return self.paginated(members_of(project), MemberSerializer)

    @extend_schema(
        request=MemberAddSerializer,
        responses={201: MemberSerializer},
        summary="Add an existing user (managers)",
        description="Name them by `username`, `email` or `user` (id); someone without an "
        "account is invited instead (POST …/invitations/).",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = _managed(request, slug, "change the team")
        data = self.validated(MemberAddSerializer)
        if "user" in data:
            user = get_user_model().objects.filter(pk=data["user"], is_active=True).first()
            if user is None:
                raise exceptions.ValidationError({"user": f"No user has the id {data['user']}."})
            who = user.get_username()
        else:
            who = data.get("username") or data.get("email") or ""
        membership = membership_add(project=project, who=who, role=data["role"])
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["team"])
class MemberDetail(ApiView):
    serializer_class = MemberSerializer
    pagination_class = None

    @extend_schema(
        request=MemberChangeSerializer,
        responses=MemberSerializer,
        summary="Change a member's role (managers)",
        description="`{id}` is the user's id. A project keeps at least one manager: the "
        "last one can't be changed (400).",
    )
    def patch(self, request: AuthenticatedRequest, slug: str, pk: int) -> Response:
        project = _managed(request, slug, "change the team")
        membership = _member(project, pk)
        data = self.validated(MemberChangeSerializer)
        changed = membership_set(project=project, user=membership.user, role=data["role"])
        return Response(MemberSerializer(changed).data)

    @extend_schema(
        responses={204: None},
        summary="Remove a member (managers)",
        description="400 while they have live claims in the project (they could no longer "
        "reach them), and for the last manager. Their assignments are taken back.",
    )
    def delete(self, request: AuthenticatedRequest, slug: str, pk: int) -> Response:
        project = _managed(request, slug, "change the team")
        services.member_remove(membership=_member(project, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["team"])
class InvitationList(ApiView):
    serializer_class = InvitationSerializer

    @extend_schema(
        responses=InvitationSerializer(many=True),
        summary="The project's open invitations (managers)",
        description="Neither used nor revoked; an expired one says so in `state`.",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = _managed(request, slug, "see the invitations")
        return self.paginated(selectors.pending_invitations(project), InvitationSerializer)

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationCreatedSerializer},
        summary="Invite someone by e-mail (managers)",
        description="The answer holds the `link` (shown this once); it is e-mailed too when "
        "the server has an e-mail backend (`emailed`). The link works once, until `expires`.",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = _managed(request, slug, "invite people")
        data = self.validated(InvitationCreateSerializer)
        invitation, token = invitations.invitation_create(
            project=project, email=data["email"], role=data["role"], inviter=request.user
        )
        link = request.build_absolute_uri(reverse("annotate:invitation", args=[token]))
        emailed = invitations.invitation_send(invitation=invitation, link=link)
        body = InvitationCreatedSerializer(
            invitation, context={"link": link, "emailed": emailed}
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["team"])
class InvitationDetail(ApiView):
    serializer_class = InvitationSerializer
    pagination_class = None

    @extend_schema(
        responses={204: None},
        summary="Revoke an invitation (managers)",
        description="Its link stops working. 400 if it was accepted already.",
    )
    def delete(self, request: AuthenticatedRequest, slug: str, pk: int) -> Response:
        project = _managed(request, slug, "revoke invitations")
        invitation = selectors.invitation_of(project, pk)
        if invitation is None:
            raise Http404("No such invitation.")
        invitations.invitation_revoke(invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["team"])
class InvitationAccept(ApiView):
    serializer_class = InvitationAcceptedSerializer
    pagination_class = None
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=InvitationAcceptSerializer,
        responses={
            201: OpenApiResponse(
                InvitationAcceptedSerializer, "A new account, a member of the project."
            ),
            200: OpenApiResponse(InvitationAcceptedSerializer, "You joined the project."),
        },
        summary="Accept an invitation",
        description="With a token (logged in): you join the invitation's project. Without "
        "one: send `username` and `password` for a new account (Django's password rules), "
        "then POST them to /api/auth/token/. A link that is unknown, used, revoked or "
        "expired is a 400 that says which, and nothing is written.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.validated(InvitationAcceptSerializer)
        user: Any = request.user
        if user.is_authenticated:
            if "username" in data or "password" in data:
                raise exceptions.ValidationError(
                    "You are logged in: you join as yourself, without a username or password."
                )
            membership = invitations.invitation_accept(token=data["token"], user=user)
            code: int = status.HTTP_200_OK
        else:
            membership = invitations.invitation_accept_new(
                token=data["token"],
                username=data.get("username", ""),
                password=data.get("password", ""),
            )
            code = status.HTTP_201_CREATED
        body = {
            "project": membership.project.slug,
            "username": membership.user.get_username(),
            "role": membership.role,
        }
        return Response(InvitationAcceptedSerializer(body).data, status=code)
