"""The corpus overview (an analysis page): totals, label distributions, claims per article,
the top articles and how far the gold layer has come."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)

from annotate.analysis.filters import (
    LAYER_ALL,
    LAYER_GOLD,
    ClaimFilters,
    Distribution,
    article_conditions,
    distribution_of,
    figure_maker,
    kept_figures,
)
from annotate.models import Assignment, AssignmentStatus, OverviewCount
from corpus.models import Article, Project

# Buckets of the "claims per article" histogram: (label, lowest, highest or None).
PER_ARTICLE_BUCKETS = (
    ("0", 0, 0),
    ("1–5", 1, 5),
    ("6–10", 6, 10),
    ("11–20", 11, 20),
    ("21–50", 21, 50),
    ("51+", 51, None),
)


@dataclass
class Overview:
    articles: int
    claims: int
    unattributed: int  # claims without a source
    unnamed: int  # claims attributed to an unnamed source
    per_article: list[tuple[str, int]]  # histogram: (bucket, articles)
    top_articles: list[Any]  # article_id, article__title, n
    per_outlet: list[Any]  # article__outlet, claims, articles
    claim_types: Distribution
    attributions: Distribution
    progress: list[tuple[str, str, int]]  # (status, label, assignments)
    gold_articles: int  # articles with at least one gold claim
    updating: bool = False  # older figures, while a task computes them anew

    def share(self, part: int) -> float | None:
        return part / self.claims if self.claims else None


def _articles(project: Project, filters: ClaimFilters) -> QuerySet[Article]:
    articles = Article.objects.filter(project=project)
    if filters.outlet:
        articles = articles.filter(outlet=filters.outlet)
    if filters.date_from:
        articles = articles.filter(published__gte=filters.date_from)
    if filters.date_to:
        articles = articles.filter(published__lte=filters.date_to)
    return articles


def overview(project: Project, filters: ClaimFilters) -> Overview:
    """The corpus overview of the layer (``kept_figures``: computed again after the
    project changes, by a task worker if there is one while the older figures are shown)."""
    kept = kept_figures(project, "overview", filters.without_search())
    return replace(kept.value, updating=kept.updating)


def _layer_condition(filters: ClaimFilters) -> Q:
    """The rows of ``OverviewCount`` in the filters' layer (0: gold)."""
    if filters.layer == LAYER_GOLD:
        return Q(layer=0)
    if filters.layer == LAYER_ALL:
        return Q(layer__gt=0)
    return Q(layer=int(filters.layer))


@figure_maker("overview")
def _overview(project: Project, filters: ClaimFilters) -> Overview:
    """The corpus overview from the counts the database keeps per article, layer, claim
    type and attribution (``annotate.db_overview_counts``): one grouped read by label, one
    of the articles' totals (their claims, their outlets), the filtered articles' number,
    the top articles' titles and the assignments by status; the totals' read also counts
    the gold articles. None reads a claim."""
    on_articles = {
        f"article__{key}": value for key, value in article_conditions(project, filters).items()
    }
    in_layer = _layer_condition(filters)
    labelled = OverviewCount.objects.filter(in_layer, total=0, n__gt=0, **on_articles)
    # The articles' totals in the layer and in the gold layer (the gold articles), one read.
    totals = OverviewCount.objects.filter(in_layer | Q(layer=0), total=1, n__gt=0, **on_articles)
    types: Counter[str] = Counter()
    attributions: Counter[str] = Counter()
    unattributed = 0
    for row in (
        labelled.order_by()
        .values("claim_type", "attribution")
        .annotate(claims=Sum("n"), unsourced=Sum("unsourced"))
    ):
        types[row["claim_type"]] += row["claims"]
        attributions[row["attribution"]] += row["claims"]
        unattributed += row["unsourced"]
    # Claims per article (only articles with claims: the others are the "0" bucket), from
    # the articles' totals: one row per article and layer.
    rows = list(
        totals.order_by()
        .values_list("article_id", "article__outlet")
        .annotate(claims=Sum("n", filter=in_layer), gold=Count("pk", filter=Q(layer=0)))
    )
    per_article = [(pk, outlet, claims) for pk, outlet, claims, _ in rows if claims]
    articles = _articles(project, filters)
    n_articles = articles.count()
    buckets = [0] * len(PER_ARTICLE_BUCKETS)
    buckets[0] = n_articles - len(per_article)
    outlets: dict[str, list[int]] = {}
    for _, outlet, n in per_article:
        for i, (_, low, high) in enumerate(PER_ARTICLE_BUCKETS):
            if n >= low and (high is None or n <= high):
                buckets[i] += 1
                break
        claims_articles = outlets.setdefault(outlet, [0, 0])
        claims_articles[0] += n
        claims_articles[1] += 1
    top_ids = sorted(per_article, key=lambda row: (-row[2], row[0]))[:10]
    titles = dict(
        Article.objects.filter(pk__in=[pk for pk, _, _ in top_ids]).values_list("pk", "title")
    )
    top = [{"article_id": pk, "article__title": titles[pk], "n": n} for pk, _, n in top_ids]
    per_outlet = [
        {"article__outlet": outlet, "claims": claims, "articles": n}
        for outlet, (claims, n) in sorted(outlets.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    progress_counts = dict(
        Assignment.objects.filter(article__in=articles)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return Overview(
        articles=n_articles,
        claims=types.total(),
        unattributed=unattributed,
        unnamed=attributions["unnamed"],
        per_article=[(label, buckets[i]) for i, (label, _, _) in enumerate(PER_ARTICLE_BUCKETS)],
        top_articles=top,
        per_outlet=per_outlet,
        claim_types=distribution_of(project, "claim_type", types),
        attributions=distribution_of(project, "attribution", attributions),
        progress=[
            (s.value, str(s.label), progress_counts.get(s.value, 0)) for s in AssignmentStatus
        ],
        gold_articles=sum(1 for *_, gold in rows if gold),
    )
