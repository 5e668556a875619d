"""The sources and targets API. Thin: finds objects through the permission helpers (404 for what
you may not see, 403 for what your role may not do) and writes through the services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from annotate.models import Source, Target
from annotate.sources import selectors as source_selectors
from annotate.sources import services as source_services
from annotate.sources.serializers import (
    SourceConfirmSerializer,
    SourceFilterSerializer,
    SourceMergeRecordSerializer,
    SourceMergeSerializer,
    SourceSerializer,
    SourceStaleVersionSerializer,
    SourceUpdateSerializer,
    SourceWriteSerializer,
    TargetSerializer,
    TargetWriteSerializer,
)
from common.api import ApiView
from common.conflicts import StaleVersion
from common.http import AuthenticatedRequest
from corpus.models import Role
from corpus.permissions import can_add_source, can_curate, project_for, require_role
from corpus.text import search_key

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# --- Sources -------------------------------------------------------------------------


def _source_out(user: User, pk: int) -> Source:
    """The source as the API shows it: aliases, Wikidata link, and for curators and
    managers the number of claims citing it."""
    source = source_selectors.source_for(user, pk)
    if can_curate(user, source.project):
        source.claim_count = source_selectors.claim_count_of(source)  # type: ignore[attr-defined]
    return source


def _source_data(user: User, pk: int) -> Any:
    source = _source_out(user, pk)
    context = {"curator": can_curate(user, source.project), "viewer": user.pk}
    return SourceSerializer(source, context=context).data


class _SourceView(ApiView):
    """Serializes sources for the requesting user: who proposed one is shown to curators,
    managers and the proposer only."""

    curator = False

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "curator": self.curator,
                "viewer": self.request.user.pk}  # fmt: skip


@extend_schema(tags=["sources"])
class SourceList(_SourceView):
    serializer_class = SourceSerializer

    @extend_schema(
        parameters=[SourceFilterSerializer],
        responses=SourceSerializer(many=True),
        summary="The project's source registry",
        description="Search with ?q= over names and aliases, ignoring case, diacritics and "
        "spacing (“davutoglu” finds “Ahmet Davutoğlu”), best matches first.",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug)
        filters = source_selectors.SourceFilters(**self.validated_query(SourceFilterSerializer))
        self.curator = can_curate(request.user, project)
        sources = source_selectors.source_registry(
            project, filters, with_counts=self.curator, viewer=request.user
        ).select_related("proposed_by")
        return self.paginated(sources, SourceSerializer)

    @extend_schema(
        request=SourceWriteSerializer,
        responses={201: SourceSerializer},
        summary="Add a source (curators, managers; annotators as the project allows)",
        description="The project's ``annotator_sources`` decides what an annotator's new "
        "source is: ``propose`` (the default) makes it a proposed source, usable in their "
        "claims at once and hidden from other annotators until a curator confirms it; "
        "``create`` adds it confirmed; ``none`` refuses (403).",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug)
        if not can_add_source(request.user, project):
            raise PermissionDenied("In this project, a curator adds new sources.")
        data = self.validated(SourceWriteSerializer)
        source = source_services.source_add(project=project, actor=request.user, **data)
        return Response(_source_data(request.user, source.pk), status=status.HTTP_201_CREATED)


@extend_schema(tags=["sources"])
class SourceDetail(_SourceView):
    serializer_class = SourceSerializer
    http_method_names = ["get", "patch"]

    @extend_schema(summary="A source")
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        return Response(_source_data(request.user, pk))

    @extend_schema(
        request=SourceUpdateSerializer,
        responses={
            200: SourceSerializer,
            409: OpenApiResponse(
                SourceStaleVersionSerializer,
                "The source changed since your version; nothing was written.",
            ),
        },
        summary="Change a source (curators, managers)",
        description="Send the fields to change and the ``version`` you saw; only the fields "
        "given change, and ``aliases`` replaces the alias list. A stale version is answered "
        "409 with the source as it is now, never overwritten.",
    )
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        source = source_selectors.source_for(request.user, pk)
        require_role(request.user, source.project, Role.CURATOR, "change sources")
        data = self.validated(SourceUpdateSerializer)
        try:
            source_services.source_update(source=source, actor=request.user, **data)
        except StaleVersion as stale:
            # The current source as this API shows it to this user (with its claim count).
            raise StaleVersion(_source_out(request.user, pk)) from stale
        return Response(_source_data(request.user, pk))


@extend_schema(tags=["sources"])
class SourceMerge(ApiView):
    serializer_class = SourceSerializer

    @extend_schema(
        request=SourceMergeSerializer,
        responses={200: SourceSerializer},
        summary="Fold another source into this one (curators, managers)",
        description="Every claim citing the other source cites this one; its name and "
        "aliases become aliases of this one; it is deleted.",
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        keep = source_selectors.source_for(request.user, pk)
        require_role(request.user, keep.project, Role.CURATOR, "merge sources")
        data = self.validated(SourceMergeSerializer)
        merge = Source.objects.filter(pk=data["merge"], project_id=keep.project_id).first()
        if merge is None:
            raise exceptions.ValidationError(
                {"merge": f"Source {data['merge']} is not in this project's registry."}
            )
        source_services.source_merge(keep=keep, merge=merge, actor=request.user)
        return Response(_source_data(request.user, pk))


@extend_schema(tags=["sources"])
class SourceConfirm(ApiView):
    serializer_class = SourceSerializer

    @extend_schema(
        request=SourceConfirmSerializer,
        responses={200: SourceSerializer},
        summary="Confirm a proposed source (curators, managers)",
        description="Optionally renamed or re-kinded; every annotator sees it afterwards. "
        "To reject a proposal, merge it into an existing source.",
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        source = source_selectors.source_for(request.user, pk)
        require_role(request.user, source.project, Role.CURATOR, "confirm sources")
        data = self.validated(SourceConfirmSerializer)
        source_services.source_confirm(source=source, actor=request.user, **data)
        return Response(_source_data(request.user, pk))


@extend_schema(tags=["sources"])
class SourceMergeList(ApiView):
    serializer_class = SourceMergeRecordSerializer

    @extend_schema(
        responses=SourceMergeRecordSerializer(many=True),
        summary="The merges into this source (curators, managers)",
        description="Newest first; a manager can split one back.",
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        source = source_selectors.source_for(request.user, pk)
        require_role(request.user, source.project, Role.CURATOR, "see a source's merges")
        return self.paginated(source_selectors.merges_into(source), SourceMergeRecordSerializer)


@extend_schema(tags=["sources"])
class SourceSplit(ApiView):
    serializer_class = SourceSerializer

    @extend_schema(
        request=None,
        responses={201: SourceSerializer},
        summary="Split a merge back (managers)",
        description="The merged source returns with its id, fields and aliases; the claims "
        "that came from it and still cite the kept source cite it again. 400 when already "
        "split, or when the kept source was merged away since (split that merge first).",
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        record = source_selectors.source_merge_for(request.user, pk)
        require_role(request.user, record.project, Role.MANAGER, "split a merge back")
        source = source_services.source_split(record=record, actor=request.user)
        return Response(_source_data(request.user, source.pk), status=status.HTTP_201_CREATED)


# --- Targets -------------------------------------------------------------------------


@extend_schema(tags=["targets"])
class TargetList(ApiView):
    serializer_class = TargetSerializer

    @extend_schema(responses=TargetSerializer(many=True), summary="The project's stance targets")
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug)
        return self.paginated(Target.objects.filter(project=project), TargetSerializer)

    @extend_schema(
        request=TargetWriteSerializer,
        responses={
            201: TargetSerializer,
            200: OpenApiResponse(TargetSerializer, "The project already had this target."),
        },
        summary="Add a stance target (any member)",
        description="Annotators may add a target from the workspace; a name the project "
        "already has (ignoring case and diacritics) returns that target.",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug)
        name = self.validated(TargetWriteSerializer)["name"]
        existed = Target.objects.filter(project=project, name_key=search_key(name)).exists()
        target = source_services.target_create(project=project, name=name)
        return Response(
            TargetSerializer(target).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
