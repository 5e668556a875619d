"""The agreement report and the adjudication record over the API (curators and managers).

``GET /api/projects/{slug}/agreement/``: the same figures as the dashboard, with the n behind
each (``?overlap=`` the Jaccard threshold, ``?units=true`` to include every article's units).
``GET /api/projects/{slug}/suggesters/``: every suggester scored against the gold layer.
``GET /api/projects/{slug}/decisions/``: every adjudication decision with its origins.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from annotate.models import Decision
from annotate.review.agreement import FIGURE_HELP, alpha_reading
from annotate.review.data import overlap_threshold, project_agreement_data
from annotate.review.serializers import (
    AgreementQuerySerializer,
    AgreementSerializer,
    DecisionSerializer,
    SuggesterQuerySerializer,
    SuggesterScoresSerializer,
)
from annotate.suggest import scoring as suggest_scoring
from common.api import ApiView
from common.http import AuthenticatedRequest
from corpus.models import Role
from corpus.permissions import project_for


@extend_schema(tags=["agreement"])
class ProjectAgreement(ApiView):
    serializer_class = AgreementSerializer
    pagination_class = None

    @extend_schema(
        parameters=[AgreementQuerySerializer],
        responses=AgreementSerializer,
        summary="Agreement figures of the project (cached until annotations change)",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug, Role.CURATOR, "read the agreement figures")
        query = self.validated_query(AgreementQuerySerializer)
        threshold = overlap_threshold(project, query.get("overlap"))
        data = project_agreement_data(project, threshold)
        report: dict[str, Any] = data.report.to_dict()
        if not query.get("units"):
            for article in report["articles"]:
                article.pop("units")
        body = {
            "overlap_threshold": threshold,
            "report": report,
            "readings": {f.field: alpha_reading(f.alpha.value) for f in data.report.fields},
            "trend": [asdict(row) for row in data.trend],
            "help": FIGURE_HELP,
        }
        return Response(body)


@extend_schema(tags=["agreement"])
class SuggesterScores(ApiView):
    serializer_class = SuggesterScoresSerializer
    pagination_class = None

    @extend_schema(
        parameters=[SuggesterQuerySerializer],
        responses=SuggesterScoresSerializer,
        summary="Every suggester scored as an annotator against the gold layer",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug, Role.CURATOR, "read the suggesters' scores")
        query = self.validated_query(SuggesterQuerySerializer)
        threshold = overlap_threshold(project, query.get("overlap"))
        scores = suggest_scoring.suggester_scores(project, threshold)
        return Response(SuggesterScoresSerializer(asdict(scores)).data)


@extend_schema(tags=["agreement"])
class DecisionList(ApiView):
    serializer_class = DecisionSerializer

    @extend_schema(responses=DecisionSerializer(many=True), summary="Adjudication decisions")
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug, Role.CURATOR, "read the adjudication decisions")
        decisions = (
            Decision.objects.filter(article__project=project)
            .select_related("curator")
            .prefetch_related("origins")
        )
        return self.paginated(decisions, DecisionSerializer)
