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
)

from annotate.analysis.filters import (
    ClaimFilters,
    Distribution,
    distribution_of,
    figure_maker,
    kept_figures,
    layer_claims,
    own_conditions,
)
from annotate.models import Assignment, AssignmentStatus, Claim
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


@figure_maker("overview")
def _overview(project: Project, filters: ClaimFilters) -> Overview:
    """The corpus overview: six grouped or aggregate queries, none of which reads the
    layer's claims more than once."""
    claims = layer_claims(project, filters)
    # The totals and both label distributions from one grouped query (a row per pair of
    # values, summed here) rather than three scans of the claims.
    types: Counter[str] = Counter()
    attributions: Counter[str] = Counter()
    unattributed = 0
    for row in (
        claims.order_by()
        .values("claim_type", "attribution")
        .annotate(n=Count("pk"), unattributed=Count("pk", filter=Q(source__isnull=True)))
    ):
        types[row["claim_type"]] += row["n"]
        attributions[row["attribution"]] += row["n"]
        unattributed += row["unattributed"]
    articles = _articles(project, filters)
    # Claims per article by one join grouped by article. (PostgreSQL repeats a correlated
    # subquery as the count in every bound of every bucket: 11 subqueries per article.)
    own = Q(**{f"claims__{key}": value for key, value in own_conditions(filters).items()})
    buckets = articles.annotate(n=Count("claims", filter=own)).aggregate(
        articles=Count("pk"),
        **{
            f"b{i}": Count(
                "pk", filter=Q(n__gte=low) & (Q(n__lte=high) if high is not None else Q())
            )
            for i, (_, low, high) in enumerate(PER_ARTICLE_BUCKETS)
        },
    )
    top = list(
        claims.order_by()
        .values("article_id", "article__title")
        .annotate(n=Count("pk"))
        .order_by("-n", "article_id")[:10]
    )
    per_outlet = list(
        claims.order_by()
        .values("article__outlet")
        .annotate(claims=Count("pk"), articles=Count("article", distinct=True))
        .order_by("-claims", "article__outlet")
    )
    progress_counts = dict(
        Assignment.objects.filter(article__in=articles)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    gold = Claim.objects.live().gold().filter(article__in=articles)
    return Overview(
        articles=buckets["articles"],
        claims=types.total(),
        unattributed=unattributed,
        unnamed=attributions["unnamed"],
        per_article=[
            (label, buckets[f"b{i}"]) for i, (label, _, _) in enumerate(PER_ARTICLE_BUCKETS)
        ],
        top_articles=top,
        per_outlet=per_outlet,
        claim_types=distribution_of(project, "claim_type", types),
        attributions=distribution_of(project, "attribution", attributions),
        progress=[
            (s.value, str(s.label), progress_counts.get(s.value, 0)) for s in AssignmentStatus
        ],
        gold_articles=gold.values("article_id").distinct().count(),
    )
