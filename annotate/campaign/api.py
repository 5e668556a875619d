"""The campaign API: a project's deletion (with its confirmations) and its scheme
(read, replace, or start from a preset), through ``annotate.campaign.services``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from annotate.campaign import services
from annotate.campaign.serializers import (
    ProjectDeleteSerializer,
    SchemeAnswerSerializer,
    SchemeWriteSerializer,
)
from common.http import AuthenticatedRequest
from config.api_errors import ValidationErrorSerializer
from corpus import api as corpus_api
from corpus import permissions as access
from corpus.models import Project, Role
from corpus.permissions import require_role
from corpus.scheme_edit import PRESETS, preset


def _presets() -> list[dict[str, str]]:
    return [{"name": p.name, "label": p.label, "description": p.description} for p in PRESETS]


@extend_schema(tags=["projects"])
class ProjectDetail(corpus_api.ProjectDetail):
    """corpus's project view, with the deletion (which needs to count the gold layer)."""

    @extend_schema(
        parameters=[ProjectDeleteSerializer],
        responses={
            204: None,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                "The name was not typed, or the project has gold claims and confirm_gold "
                "is not true: nothing is deleted.",
            ),
        },
        summary="Delete a project with everything in it (managers)",
        description="?confirm_name= must be the project's name; while it has gold claims, "
        "?confirm_gold=true as well. Archiving (PATCH archived=true) keeps everything.",
    )
    def delete(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        require_role(request.user, project, Role.MANAGER, "delete the project")
        query = self.validated_query(ProjectDeleteSerializer)
        services.project_destroy(
            project=project,
            confirm_name=query["confirm_name"],
            confirm_gold=query["confirm_gold"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["projects"])
class ProjectScheme(corpus_api.ApiView):
    serializer_class = SchemeAnswerSerializer
    pagination_class = None

    def _answer(self, project: Project, **extra: Any) -> Response:
        return Response({"scheme": project.scheme, "presets": _presets(), **extra})

    @extend_schema(
        summary="The project's annotation scheme, and the presets",
        description="The fields of a claim (label, help, required, hidden, values) and the "
        "presets a PUT can start from. Stance targets: /api/projects/{slug}/targets/.",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        return self._answer(access.project_for(request.user, slug))

    @extend_schema(
        request=SchemeWriteSerializer,
        responses={
            200: SchemeAnswerSerializer,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                "The scheme is malformed, or it would make existing claims invalid: "
                "errors.scheme lists what it would break (“12 claims use Source "
                "reliability = F.”). Nothing is written.",
            ),
        },
        summary="Replace the scheme, or apply a preset (managers)",
        description="The new scheme is checked, then checked against the project's live "
        "claims: a value in use that it lacks, a field newly required that claims leave "
        "empty, or newly hidden that claims fill, is refused. To rename a value's code, "
        "change it in the scheme and name it in renames: every claim is migrated, with "
        "history.",
    )
    def put(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        require_role(request.user, project, Role.MANAGER, "change the scheme")
        data = self.validated(SchemeWriteSerializer)
        scheme = preset(data["preset"]).scheme() if "preset" in data else data["scheme"]
        change = services.scheme_apply(
            project=project, scheme=scheme, actor=request.user, renames=data["renames"]
        )
        return self._answer(change.project, migrated=change.migrated)
