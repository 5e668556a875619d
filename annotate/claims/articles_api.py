"""An article with its claims in one request: ``GET /api/articles/{id}/?include=claims``.

The article is corpus's (``corpus.api.ArticleDetail``), its claims are annotate's, and
corpus never imports annotate: so ``config/api_urls.py`` points the article's route at
this subclass, which answers as corpus's view does and, with ``include=claims``, embeds
the claims. Why not a new route: the article keeps one URL (what a client fetches first
already answers everything), and ``/api/articles/{id}/claims/`` keeps its paginated shape
for writes and long lists. The claims are chosen as that list chooses them
(``annotate.claims.api.claims_layer``): your own by default, others' (an annotator, the gold
layer, everyone) for curators and managers. A constant number of queries, whatever the
number of claims, each built and compiled once per process (``common.prepared``).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from annotate.claims.api import chosen_claims_as_json
from annotate.claims.serializers import ArticleIncludeSerializer, ArticleWithClaimsSerializer
from corpus import api as corpus_api
from corpus.serializers import article_as_json


@extend_schema(tags=["articles"])
class ArticleDetail(corpus_api.ArticleDetail):
    serializer_class = ArticleWithClaimsSerializer

    @extend_schema(
        parameters=[ArticleIncludeSerializer],
        responses=ArticleWithClaimsSerializer,
        summary="An article with its text (and, with ?include=claims, its claims)",
        description="The text, its SHA-256 and the metadata. With ``include=claims`` the "
        "claims come along in ``claims`` (unpaginated, in text order): yours by default; "
        "curators and managers may ask for another annotator's (``annotator=<user id>``), "
        "the gold layer (``annotator=gold``) or everyone's (``annotator=all``), as on "
        "/api/articles/{id}/claims/. One request instead of two.",
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        filters = self.validated_query(ArticleIncludeSerializer)
        article = self.get_object()
        data = article_as_json(article)
        if filters.get("include") == "claims":
            data["claims"] = chosen_claims_as_json(self.request.user, article, filters)
        return Response(data)
