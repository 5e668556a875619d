"""The reader with its claims (``articles/<pk>/claims/?layer=gold|<user id>``).

Curators and managers see every layer, as on the review screens; an annotator, who labels
blind, gets 403 (their own claims are in the workspace), and someone who may not read the
article at all, 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotate.reader.selectors import GOLD, layer_claims, layers_of, segments
from annotate.scheme import value_label
from common.http import HtmxHttpRequest
from corpus import permissions
from corpus.models import Article

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PAGE = "annotate/article_claims.html"


def _curated_article(user: User, pk: int) -> Article:
    article = Article.objects.select_related("project").filter(pk=pk).first()
    if article is None:
        raise Http404("No such article.")
    if permissions.can_curate(user, article.project):
        return article
    if not permissions.visible_articles(user, article.project).filter(pk=pk).exists():
        raise Http404("No such article.")
    raise PermissionDenied("Only the project's curators and managers see every layer.")


@login_required
@require_GET
def article_claims(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = _curated_article(request.user, pk)
    layers = layers_of(article)
    keys = {layer.key for layer in layers}
    # An unknown layer (someone without claims here, junk) falls back to gold: a filter,
    # as on the other pages, not an error.
    chosen = request.GET.get("layer", GOLD)
    chosen = chosen if chosen in keys else GOLD
    claims = list(layer_claims(article, chosen))
    scheme = article.project.scheme
    rows = [
        {
            "claim": claim,
            "attribution": value_label(scheme, "attribution", claim.attribution)
            if claim.attribution
            else "",
            "stances": [
                (s.target.name, value_label(scheme, "stance", s.stance))
                for s in claim.stances.all()
            ],
        }
        for claim in claims
    ]
    context = {
        "article": article,
        "project": article.project,
        "layers": layers,
        "layer": next(layer for layer in layers if layer.key == chosen),
        "segments": segments(article.text, claims),
        "rows": rows,
    }
    return render(request, PAGE, context)
