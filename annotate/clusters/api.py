"""Claim clusters over the API.

``GET /api/projects/{slug}/clusters/?layer=gold|mine``: a layer's clusters with their claims;
``POST`` makes one. ``GET /api/clusters/{id}/``: one cluster. ``GET
/api/claims/{id}/cluster-suggestions/``: claims of other articles near the claim, ranked.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from annotate.clusters import selectors, services
from annotate.clusters import suggest as cluster_suggest
from annotate.clusters import tasks as cluster_tasks
from annotate.clusters.serializers import (
    ClusterCreateSerializer,
    ClusterLayerQuerySerializer,
    ClusterSerializer,
    SuggestedClaimSerializer,
)
from annotate.models import ClaimCluster, ClusterMember
from annotate.permissions import claim_for
from common.http import AuthenticatedRequest
from config.api_errors import ErrorSerializer
from corpus.api import ApiView
from corpus.permissions import can_curate, project_for


def _with_members(clusters: Any) -> Any:
    return clusters.prefetch_related(
        Prefetch("members", queryset=ClusterMember.objects.order_by("claim_id"))
    )


def _layer_id(user: Any, layer: str) -> int | None:
    return user.pk if layer == "mine" else None


@extend_schema(tags=["clusters"])
class ClusterList(ApiView):
    serializer_class = ClusterSerializer

    @extend_schema(
        parameters=[ClusterLayerQuerySerializer],
        responses=ClusterSerializer(many=True),
        summary="A layer's clusters",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug)
        if not selectors.may_cluster(request.user, project):
            raise PermissionDenied("Clusters are for the project's curators and managers.")
        layer = self.validated_query(ClusterLayerQuerySerializer)["layer"]
        annotator_id = _layer_id(request.user, layer)
        if annotator_id is None and not can_curate(request.user, project):
            raise PermissionDenied("The gold layer's clusters are for curators and managers.")
        clusters = _with_members(
            ClaimCluster.objects.filter(project=project, annotator_id=annotator_id)
        ).order_by("id")
        return self.paginated(clusters, ClusterSerializer)

    @extend_schema(
        request=ClusterCreateSerializer,
        responses={201: ClusterSerializer},
        summary="Make a cluster in the gold layer or your own",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug)
        if not selectors.may_cluster(request.user, project):
            raise PermissionDenied("Clusters are for the project's curators and managers.")
        data = self.validated(ClusterCreateSerializer)
        cluster = services.cluster_create(
            project=project,
            actor=request.user,
            annotator_id=_layer_id(request.user, data["layer"]),
            statement=data["statement"],
            claim_ids=data["claims"],
        )
        found = _with_members(ClaimCluster.objects.filter(pk=cluster.pk)).get()
        return Response(ClusterSerializer(found).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["clusters"])
class ClusterDetail(ApiView):
    serializer_class = ClusterSerializer
    pagination_class = None

    @extend_schema(summary="A cluster with its claims")
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        cluster = selectors.cluster_for(request.user, pk)
        found = _with_members(ClaimCluster.objects.filter(pk=cluster.pk)).get()
        return Response(ClusterSerializer(found).data)


RETRY_AFTER_S = 30


@extend_schema(tags=["clusters"])
class ClaimClusterSuggestions(ApiView):
    serializer_class = SuggestedClaimSerializer
    pagination_class = None

    @extend_schema(
        responses={
            200: SuggestedClaimSerializer(many=True),
            503: OpenApiResponse(
                ErrorSerializer,
                "The project's suggestion index is being built (code ``index_building``; "
                "a ``Retry-After`` header says when to ask again).",
            ),
        },
        summary="Claims of other articles near this claim (candidate cluster members)",
        description="Ranked by the project's last built suggestion index (its state in the "
        "``Claimdesk-Index`` header: ready, or stale while a rebuild is queued). Claims "
        "made since the build can be asked about but are not suggested until the next one.",
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        project = claim.article.project
        if not selectors.may_cluster(request.user, project):
            raise PermissionDenied("Clusters are for the project's curators and managers.")
        index = cluster_tasks.index_refresh(project)
        if index.index is None:
            failed = index.label == "failed"
            return Response(
                {
                    "detail": "The project's suggestion index could not be built; it is "
                    "tried again in a few minutes."
                    if failed
                    else "The project's suggestion index is being built: ask again soon.",
                    "code": "index_failed" if failed else "index_building",
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        found = cluster_suggest.suggestions_for_claim(
            claim, curator=can_curate(request.user, project), index=index.index
        )
        rows = [
            {
                "claim": s.claim.pk,
                "article": s.claim.article_id,
                "quote": s.claim.quote,
                "source": s.claim.source.name if s.claim.source else None,
                "score": s.score,
            }
            for s in found
        ]
        return Response(
            SuggestedClaimSerializer(rows, many=True).data, headers={"Claimdesk-Index": index.label}
        )
