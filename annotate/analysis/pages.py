"""Reads of the analysis pages: the stance map, source profiles, the corpus overview and
claim search, on one layer of claims (the gold layer, every annotator's, or one annotator's).

Every figure is an aggregate computed by the database (``values(...).annotate(Count(...))``):
nothing here loops over claims in Python, so each page makes the same few queries whether
the project has ten claims or a million. Deleted claims never count. Claim search finds
its words through an index on both databases (``text_match``): PostgreSQL's GIN index,
SQLite's FTS5 table (``annotate/db_indexes.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least

from annotate.db_indexes import (
    SEARCH_CONFIG,
    claim_fts_ids,
    claim_search_vector,
    fts5_available,
    fts_query,
)
from annotate.models import Assignment, AssignmentStatus, Claim, ClaimQuerySet, ClaimStance, Source
from annotate.scheme import value_label
from common.params import id_or_none
from corpus.models import Article, Project
from corpus.scheme import field_values
from corpus.selectors import members_of

LAYER_GOLD = "gold"
LAYER_ALL = "all"
NO_SOURCE = "none"  # the ``source`` filter's value for claims without a source
LABEL_FILTERS = ("attribution", "claim_type", "source_reliability", "information_credibility")


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _int(value: str) -> int | None:
    """An id, or None (not filtered) for anything else: "abc", "²", "-1", 2**63."""
    return id_or_none(value.strip())


@dataclass(frozen=True)
class ClaimFilters:
    """What the analysis pages are filtered on. ``layer`` is "gold", "all" or the id (as
    text) of one annotator; the other fields are empty when not filtered on."""

    layer: str = LAYER_GOLD
    outlet: str = ""
    date_from: date | None = None
    date_to: date | None = None
    attribution: str = ""
    claim_type: str = ""
    source_reliability: str = ""
    information_credibility: str = ""
    checkworthy: str = ""
    source: str = ""  # a source id, or NO_SOURCE
    target: int | None = None
    stance: str = ""
    article: int | None = None
    q: str = ""

    @classmethod
    def from_query(cls, params: Any, *, annotator_ids: Collection[int]) -> ClaimFilters:
        """Filters from a query string; an unknown layer falls back to gold, an annotator
        who is not one of ``annotator_ids`` too (so no other project's layer is shown)."""

        def text(name: str, limit: int = 32) -> str:
            return str(params.get(name, "")).strip()[:limit]

        layer = text("layer") or LAYER_GOLD
        if layer not in (LAYER_GOLD, LAYER_ALL) and _int(layer) not in annotator_ids:
            layer = LAYER_GOLD
        source = text("source")
        return cls(
            layer=layer,
            outlet=text("outlet", 200),
            date_from=_date(text("date_from")),
            date_to=_date(text("date_to")),
            attribution=text("attribution"),
            claim_type=text("claim_type"),
            source_reliability=text("source_reliability"),
            information_credibility=text("information_credibility"),
            checkworthy=text("checkworthy"),
            source=source if source == NO_SOURCE or _int(source) is not None else "",
            target=_int(text("target")),
            stance=text("stance"),
            article=_int(text("article")),
            q=text("q", 200),
        )

    @property
    def active(self) -> bool:
        return self != ClaimFilters(layer=self.layer)

    @property
    def layer_slug(self) -> str:
        return self.layer if self.layer in (LAYER_GOLD, LAYER_ALL) else f"annotator-{self.layer}"

    def only_layer(self) -> ClaimFilters:
        return ClaimFilters(layer=self.layer)

    def without_search(self) -> ClaimFilters:
        """The filters the stance map and the overview use (no per-claim fields)."""
        return replace(
            self,
            claim_type="",
            source_reliability="",
            information_credibility="",
            checkworthy="",
            source="",
            target=None,
            stance="",
            article=None,
            q="",
        )


def claim_q(project: Project, filters: ClaimFilters, prefix: str = "") -> Q:
    """The condition on claims (reached through ``prefix``, e.g. "claim__") for the live
    claims of the project's layer that pass the filters. Target, stance and text are
    applied by ``claims_matching``, which works on claims themselves."""
    conditions = {
        f"article__{key}": value for key, value in article_conditions(project, filters).items()
    }
    conditions.update(own_conditions(filters))
    return Q(**{prefix + key: value for key, value in conditions.items()})


def article_conditions(project: Project, filters: ClaimFilters) -> dict[str, Any]:
    """The conditions on the article of a claim: the project, outlet and date range."""
    conditions: dict[str, Any] = {"project": project}
    if filters.outlet:
        conditions["outlet"] = filters.outlet
    if filters.date_from:
        conditions["published__gte"] = filters.date_from
    if filters.date_to:
        conditions["published__lte"] = filters.date_to
    return conditions


def own_conditions(filters: ClaimFilters) -> dict[str, Any]:
    """The conditions on a claim's own columns: live, in the layer, and the label, source
    and article filters."""
    conditions: dict[str, Any] = {"deleted_at__isnull": True}
    if filters.layer == LAYER_GOLD:
        conditions["annotator__isnull"] = True
    elif filters.layer == LAYER_ALL:
        conditions["annotator__isnull"] = False
    else:
        conditions["annotator_id"] = int(filters.layer)
    for name in (*LABEL_FILTERS, "checkworthy"):
        if getattr(filters, name):
            conditions[name] = getattr(filters, name)
    if filters.source == NO_SOURCE:
        conditions["source__isnull"] = True
    elif filters.source:
        conditions["source_id"] = int(filters.source)
    if filters.article is not None:
        conditions["article_id"] = filters.article
    return conditions


def annotating_members(project: Project) -> list[Any]:
    """Members with an assignment or a claim in the project: the layers that exist. A
    manager or curator who annotates nothing is not a layer. One query."""
    assigned = Assignment.objects.filter(annotator=OuterRef("user_id"), article__project=project)
    claimed = Claim.objects.filter(annotator=OuterRef("user_id"), article__project=project)
    return list(members_of(project).filter(Exists(assigned) | Exists(claimed)))


def layer_claims(project: Project, filters: ClaimFilters) -> ClaimQuerySet:
    return Claim.objects.filter(claim_q(project, filters))


def text_words(query: str) -> list[str]:
    """The plain words of a search query (letters and digits; punctuation separates)."""
    return re.findall(r"\w+", query)[:20]


def text_match(claims: ClaimQuerySet, query: str) -> ClaimQuerySet:
    """Claims whose quote or note contains every word of the query as a whole word,
    ignoring case. PostgreSQL uses its full-text search (the "simple" configuration:
    no stemming) through the GIN index ``claim_search``; SQLite its FTS5 table
    ``annotate_claim_fts``, tokenized to find the same words (``annotate/db_indexes.py``
    says where the two still differ). A SQLite without FTS5 matches each word between
    word boundaries with a regular expression, a scan of every claim."""
    words = text_words(query)
    if not words:
        return claims
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        # The very expression of the GIN index "claim_search", so that the index is used.
        return claims.annotate(search=claim_search_vector()).filter(
            search=SearchQuery(" ".join(words), search_type="plain", config=SEARCH_CONFIG)
        )
    if fts5_available():
        match = fts_query(words)
        return claims.filter(pk__in=claim_fts_ids(match)) if match else claims.none()
    for word in words:
        pattern = rf"(?<!\w){re.escape(word)}(?!\w)"
        claims = claims.filter(Q(quote__iregex=pattern) | Q(note__iregex=pattern))
    return claims


def claims_matching(project: Project, filters: ClaimFilters) -> ClaimQuerySet:
    """The claims of the search page: every filter, the text too, with article (no text),
    source, annotator and stances loaded; newest article first. Three queries with a
    paginator's count, however many claims."""
    claims = layer_claims(project, filters)
    if filters.target is not None or filters.stance:
        stance = ClaimStance.objects.filter(claim=OuterRef("pk"))
        if filters.target is not None:
            stance = stance.filter(target_id=filters.target)
        if filters.stance:
            stance = stance.filter(stance=filters.stance)
        claims = claims.filter(Exists(stance))
    claims = text_match(claims, filters.q)
    return with_context(claims).order_by(
        F("article__published").desc(nulls_last=True), "article_id", "start", "id"
    )


def with_context(claims: ClaimQuerySet) -> ClaimQuerySet:
    return (
        claims.select_related("article", "source", "annotator")
        .defer("article__text", "article__metadata")
        .prefetch_related(
            Prefetch(
                "stances",
                queryset=ClaimStance.objects.select_related("target").order_by(
                    "target__position", "target_id"
                ),
            )
        )
    )


# --- the stance map ---------------------------------------------------------------------


@dataclass
class Cell:
    target_id: int
    target_name: str
    counts: list[tuple[str, int]]  # (stance, count) in the scheme's order
    total: int = 0

    def count(self, stance: str) -> int:
        return dict(self.counts).get(stance, 0)


@dataclass
class MapRow:
    source_id: int | None
    name: str
    cells: list[Cell]
    total: int = 0


@dataclass
class StanceMap:
    targets: list[Any]
    stances: list[tuple[str, str]]  # (value, label)
    rows: list[MapRow] = field(default_factory=list)


def _stance_counts(stances: list[str]) -> dict[str, Count]:
    return {f"n_{i}": Count("pk", filter=Q(stance=value)) for i, value in enumerate(stances)}


def stance_values(project: Project) -> list[tuple[str, str]]:
    return [(v, value_label(project.scheme, "stance", v)) for v in stance_values_of(project)]


def stance_values_of(project: Project) -> list[str]:
    return field_values(project.scheme, "stance")


def stance_map(project: Project, filters: ClaimFilters, sort: str = "") -> StanceMap:
    """Sources × targets, each cell the number of stances of each value: one grouped query
    for the cells, one for the targets. Sorted by ``sort``: "source" (name), "total"
    (most stances first, the default), "<target id>" (most stances toward that target) or
    "<target id>:<stance>" (most of that stance toward it)."""
    stances = stance_values_of(project)
    targets = list(project.targets.order_by("position", "id"))
    cells: Any = (
        ClaimStance.objects.filter(claim_q(project, filters, "claim__"))
        .values("claim__source_id", "claim__source__name", "target_id")
        .annotate(**_stance_counts(stances))
        .order_by()
    )
    column = {t.pk: i for i, t in enumerate(targets)}
    rows: dict[int | None, MapRow] = {}
    for found in cells:  # one row per (source, target) pair, not per claim
        source_id = found["claim__source_id"]
        row = rows.get(source_id)
        if row is None:
            row = MapRow(
                source_id=source_id,
                name=found["claim__source__name"] or "(no source)",
                cells=[
                    Cell(target_id=t.pk, target_name=t.name, counts=[(s, 0) for s in stances])
                    for t in targets
                ],
            )
            rows[source_id] = row
        cell = row.cells[column[found["target_id"]]]
        cell.counts = [(s, found[f"n_{i}"]) for i, s in enumerate(stances)]
        cell.total = sum(n for _, n in cell.counts)
        row.total += cell.total
    result = StanceMap(targets=targets, stances=stance_values(project), rows=list(rows.values()))
    result.rows.sort(key=_sort_key(sort, [t.pk for t in targets]))
    return result


def _sort_key(sort: str, target_ids: list[int]) -> Any:
    target, _, stance = sort.partition(":")
    target_id = id_or_none(target)
    index = target_ids.index(target_id) if target_id is not None and target_id in target_ids else -1
    if sort == "source":
        return lambda row: (row.source_id is None, row.name.casefold())
    if index >= 0 and stance:
        return lambda row: (-row.cells[index].count(stance), row.name.casefold())
    if index >= 0:
        return lambda row: (-row.cells[index].total, row.name.casefold())
    return lambda row: (-row.total, row.name.casefold())


# --- source profiles ----------------------------------------------------------------------


@dataclass
class Distribution:
    """Counts of the values of one label, in the scheme's order, then "not given"."""

    rows: list[tuple[str, str, int]]  # (value, label, count)

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.rows)


def distribution(project: Project, claims: QuerySet[Any], name: str) -> Distribution:
    """How many ``claims`` have each value of the label ``name``: one grouped query."""
    counted = {
        row[name]: row["n"] for row in claims.order_by().values(name).annotate(n=Count("pk"))
    }
    return distribution_of(project, name, counted)


def distribution_of(project: Project, name: str, counts: Mapping[str, int]) -> Distribution:
    """The ``Distribution`` of the label ``name`` from counts per value."""
    counted = dict(counts)
    known = field_values(project.scheme, name)
    rows = [(v, value_label(project.scheme, name, v), counted.pop(v, 0)) for v in known]
    rows += [(v, v, n) for v, n in sorted(counted.items()) if v]
    if counted.get(""):
        rows.append(("", "Not given", counted[""]))
    return Distribution(rows=rows)


def source_stances(source: Source, filters: ClaimFilters) -> list[tuple[Any, Cell]]:
    """Per target of the project, the stances of the source's claims: ``stance_map``
    restricted to the source (two queries)."""
    scoped = replace(filters.without_search(), source=str(source.pk))
    found = stance_map(source.project, scoped)
    if not found.rows:
        stances = stance_values_of(source.project)
        return [
            (t, Cell(target_id=t.pk, target_name=t.name, counts=[(s, 0) for s in stances]))
            for t in found.targets
        ]
    return list(zip(found.targets, found.rows[0].cells, strict=True))


@dataclass
class SourceAgreement:
    pairs: int  # pairs of overlapping claims by two annotators, one of them citing the source
    agreed: int  # ... both citing it

    @property
    def share(self) -> float | None:
        return self.agreed / self.pairs if self.pairs else None


def source_agreement(source: Source, threshold: float = 0.5) -> SourceAgreement:
    """How often annotators agree that a claim is this source's.

    A pair is two live claims by different annotators on the same article whose spans
    overlap with a Jaccard index of at least ``threshold`` (the scheme's matching rule,
    without the one-to-one assignment), and of which at least one cites the source. Both
    citing it is agreement. Counted in one query: for each claim citing the source, its
    partners (P) and its partners citing the source too (A); a pair where both cite the
    source is seen from both sides, so pairs = ΣP − ΣA/2 and agreed = ΣA/2.
    """
    partners = (
        Claim.objects.live()
        .annotations()
        .filter(article_id=OuterRef("article_id"), start__lt=OuterRef("end"))
        .filter(end__gt=OuterRef("start"))
        .exclude(annotator_id=OuterRef("annotator_id"))
        .alias(
            inter=Least("end", OuterRef("end"), output_field=IntegerField())
            - Greatest("start", OuterRef("start"), output_field=IntegerField()),
            union=Greatest("end", OuterRef("end"), output_field=IntegerField())
            - Least("start", OuterRef("start"), output_field=IntegerField()),
        )
        .alias(needed=ExpressionWrapper(F("union") * Value(threshold), output_field=FloatField()))
        .filter(inter__gte=F("needed"))
    )

    def counted(claims: QuerySet[Claim]) -> Coalesce:
        rows = claims.order_by().values("article_id").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    totals = (
        Claim.objects.live()
        .annotations()
        .filter(source=source)
        .aggregate(
            p=Coalesce(Sum(counted(partners)), 0),
            a=Coalesce(Sum(counted(partners.filter(source_id=source.pk))), 0),
        )
    )
    return SourceAgreement(pairs=totals["p"] - totals["a"] // 2, agreed=totals["a"] // 2)


# --- the corpus overview ------------------------------------------------------------------

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
    """The corpus overview of the layer: six grouped or aggregate queries, none of which
    reads the layer's claims more than once."""
    filters = filters.without_search()
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
