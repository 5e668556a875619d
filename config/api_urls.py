"""The REST API under /api/: every endpoint, the OpenAPI schema and its interactive docs.

Any other path under /api/ answers a JSON 404, never the HTML page of the site.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.analysis import api as analysis_api
from annotate.assignments import api as assignments_api
from annotate.campaign import api as campaign_api
from annotate.claims import api as claims_api
from annotate.claims import articles_api as annotate_api_articles
from annotate.clusters import api as clusters_api
from annotate.exchange import export_api as annotate_api_exports
from annotate.exchange import import_api as annotate_api_imports
from annotate.review import api as annotate_api_review
from annotate.sources import api as sources_api
from annotate.team import api as team_api
from corpus import api as corpus_api
from corpus import api_account as corpus_api_account


class NotFound(APIView):
    """Paths under /api/ that are no endpoint (also ``/api/claims/-1/``)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []
    schema = None

    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        raise Http404("No such endpoint: see /api/docs/.")

    post = put = patch = delete = head = options = get


# The schema and the docs are public: they describe the API, not anyone's data, and
# tools (schemathesis, client generators) fetch the schema without logging in.
public = {"permission_classes": [permissions.AllowAny], "authentication_classes": []}

app_name = "api"
urlpatterns = [
    path("auth/token/", corpus_api.TokenView.as_view(), name="token"),
    path("tokens/", corpus_api_account.ApiTokenList.as_view(), name="api-token-list"),
    path("tokens/<id:pk>/", corpus_api_account.ApiTokenDetail.as_view(), name="api-token-detail"),
    path("projects/", corpus_api.ProjectList.as_view(), name="project-list"),
    # annotate's subclass of corpus's view: DELETE counts the gold layer (corpus can't).
    path("projects/<slug:slug>/", campaign_api.ProjectDetail.as_view(), name="project-detail"),
    path(
        "projects/<slug:slug>/scheme/", campaign_api.ProjectScheme.as_view(), name="project-scheme"
    ),
    path("projects/<slug:slug>/articles/", corpus_api.ArticleList.as_view(), name="article-list"),
    path(
        "projects/<slug:slug>/articles/upload/",
        corpus_api.ArticleUpload.as_view(),
        name="article-upload",
    ),
    path(
        "projects/<slug:slug>/articles/import/",
        corpus_api.ArticleImport.as_view(),
        name="article-import",
    ),
    path(
        "projects/<slug:slug>/articles/from-urls/",
        corpus_api.ArticleFromUrls.as_view(),
        name="article-from-urls",
    ),
    path(
        "projects/<slug:slug>/articles/jobs/<str:job>/",
        corpus_api.ArticleImportJob.as_view(),
        name="article-import-job",
    ),
    # annotate's subclass of corpus's view: ``?include=claims`` (corpus can't name claims).
    path("articles/<id:pk>/", annotate_api_articles.ArticleDetail.as_view(), name="article-detail"),
    path("projects/<slug:slug>/sources/", sources_api.SourceList.as_view(), name="source-list"),
    path("sources/<id:pk>/", sources_api.SourceDetail.as_view(), name="source-detail"),
    path("sources/<id:pk>/merge/", sources_api.SourceMerge.as_view(), name="source-merge"),
    path("sources/<id:pk>/merges/", sources_api.SourceMergeList.as_view(), name="source-merges"),
    path("sources/<id:pk>/confirm/", sources_api.SourceConfirm.as_view(), name="source-confirm"),
    path("source-merges/<id:pk>/split/", sources_api.SourceSplit.as_view(), name="source-split"),
    path("projects/<slug:slug>/targets/", sources_api.TargetList.as_view(), name="target-list"),
    path(
        "projects/<slug:slug>/assignments/",
        assignments_api.AssignmentList.as_view(),
        name="assignment-list",
    ),
    path(
        "assignments/<id:pk>/",
        assignments_api.AssignmentDetail.as_view(),
        name="assignment-detail",
    ),
    path("articles/<id:pk>/claims/", claims_api.ClaimList.as_view(), name="claim-list"),
    path("claims/<id:pk>/", claims_api.ClaimDetail.as_view(), name="claim-detail"),
    path("claims/<id:pk>/restore/", claims_api.ClaimRestore.as_view(), name="claim-restore"),
    path("claims/<id:pk>/history/", claims_api.ClaimHistory.as_view(), name="claim-history"),
    path("projects/<slug:slug>/clusters/", clusters_api.ClusterList.as_view(), name="cluster-list"),
    path("clusters/<id:pk>/", clusters_api.ClusterDetail.as_view(), name="cluster-detail"),
    path(
        "claims/<id:pk>/cluster-suggestions/",
        clusters_api.ClaimClusterSuggestions.as_view(),
        name="claim-cluster-suggestions",
    ),
    path(
        "projects/<slug:slug>/networks/<str:kind>/",
        analysis_api.Network.as_view(),
        name="network",
    ),
    path("schema/", SpectacularAPIView.as_view(**public), name="schema"),
    path(
        "docs/",
        # The split view serves its start-up script as a file: no inline <script>.
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", **public),
        name="docs",
    ),
    # Agreement and review (annotate/review/api.py)
    path(
        "projects/<slug:slug>/agreement/",
        annotate_api_review.ProjectAgreement.as_view(),
        name="project-agreement",
    ),
    path(
        "projects/<slug:slug>/suggesters/",
        annotate_api_review.SuggesterScores.as_view(),
        name="suggester-scores",
    ),
    path(
        "projects/<slug:slug>/decisions/",
        annotate_api_review.DecisionList.as_view(),
        name="decision-list",
    ),
    # Exports (annotate/exchange/export_api.py)
    path(
        "projects/<slug:slug>/export/",
        annotate_api_exports.ProjectExport.as_view(),
        name="project-export",
    ),
    path(
        "projects/<slug:slug>/export/jobs/<str:job>/",
        annotate_api_exports.ProjectExportJob.as_view(),
        name="project-export-job",
    ),
    path(
        "projects/<slug:slug>/export/jobs/<str:job>/file/",
        annotate_api_exports.ProjectExportJobFile.as_view(),
        name="project-export-job-file",
    ),
    # Imports of annotations (annotate/exchange/import_api.py)
    path(
        "projects/<slug:slug>/import/",
        annotate_api_imports.ProjectImport.as_view(),
        name="project-import",
    ),
    # The team: members, invitations (annotate/team/api.py)
    path("projects/<slug:slug>/members/", team_api.MemberList.as_view(), name="member-list"),
    path(
        "projects/<slug:slug>/members/<id:pk>/",
        team_api.MemberDetail.as_view(),
        name="member-detail",
    ),
    path(
        "projects/<slug:slug>/invitations/",
        team_api.InvitationList.as_view(),
        name="invitation-list",
    ),
    path(
        "projects/<slug:slug>/invitations/<id:pk>/",
        team_api.InvitationDetail.as_view(),
        name="invitation-detail",
    ),
    path("invitations/accept/", team_api.InvitationAccept.as_view(), name="invitation-accept"),
    # Last: anything else under /api/ is a JSON 404.
    re_path(r"", NotFound.as_view(), name="not-found"),
]
