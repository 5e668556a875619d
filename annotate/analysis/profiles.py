"""Source profiles (an analysis page): a source's stances, label distributions and how
far annotators agree about it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least

from annotate.analysis.filters import (
    ClaimFilters,
    Distribution,
    cached_figures,
    distribution_of,
    figure_maker,
    guessed_page,
    kept_figures,
    layer_claims,
)
from annotate.analysis.search import with_context
from annotate.analysis.stance_map import (
    Cell,
    counts_kept_for,
    kept_stance_counts,
    stance_map,
    stance_values_of,
)
from annotate.analysis.versions import figures_version
from annotate.models import ChainLink, Claim, ClaimQuerySet, Source
from common.paging import page_number, window_page
from corpus.models import Project


@dataclass(frozen=True)
class Related:
    """Another source and how many claims tie it to the profile's source."""

    pk: int
    name: str
    kind: str
    claims: int


def quoted_by(claims: QuerySet[Claim]) -> list[Related]:
    """Who carried the source's claims (``claims``: the source's claims in the layer): each
    carrier of their attribution chains, at any position, with the number of the claims
    it carried; most first. One query."""
    rows = (
        ChainLink.objects.filter(claim__in=claims.order_by().values("pk"))
        .values("source_id", "source__name", "source__kind")
        .annotate(n=Count("claim_id", distinct=True))
        .order_by("-n", "source__name", "source_id")
    )
    return [Related(r["source_id"], r["source__name"], r["source__kind"], r["n"]) for r in rows]


def carried_claims_of(source: Source, layer: QuerySet[Claim]) -> list[Related]:
    """Whose claims the source carried (``layer``: the layer's claims): the speakers of the
    claims whose chain names the source, with the number of those claims; most first.
    One query."""
    rows = (
        layer.filter(chain__source=source, source__isnull=False)
        .order_by()
        .values("source_id", "source__name", "source__kind")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "source__name", "source_id")
    )
    return [Related(r["source_id"], r["source__name"], r["source__kind"], r["n"]) for r in rows]


def source_stances(source: Source, filters: ClaimFilters) -> list[tuple[Any, Cell]]:
    """Per target of the project, the stances of the source's claims: ``stance_map``
    restricted to the source (two queries: the targets, and the kept counts of a whole
    layer — the source's name known — or its grouped stances)."""
    project = source.project
    scoped = replace(filters.without_search(), source=str(source.pk))
    if counts_kept_for(scoped):
        stances = stance_values_of(project)
        counts: dict[tuple[int, str], int] = {}
        for _, target, stance, n in kept_stance_counts(project, scoped.layer, source.pk):
            counts[(target, stance)] = counts.get((target, stance), 0) + n
        found = []
        for t in project.targets.order_by("position", "id"):
            row = [(s, counts.get((t.pk, s), 0)) for s in stances]
            total = sum(n for _, n in row)
            found.append((t, Cell(target_id=t.pk, target_name=t.name, counts=row, total=total)))
        return found
    matrix = stance_map(project, scoped)
    if not matrix.rows:
        stances = stance_values_of(project)
        return [
            (t, Cell(target_id=t.pk, target_name=t.name, counts=[(s, 0) for s in stances]))
            for t in matrix.targets
        ]
    return list(zip(matrix.targets, matrix.rows[0].cells, strict=True))


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


# --- the profile page's figures, kept under the project's changes -----------------------------


@dataclass
class ProfileFigures:
    """What the source profile shows besides its stances and its claims' page."""

    claims: int  # the source's claims in the layer
    reliability: Distribution
    credibility: Distribution
    agreement: SourceAgreement
    quoted_by: list[Related]
    carried: list[Related]


def source_claims(project: Project, filters: ClaimFilters, source_id: int) -> ClaimQuerySet:
    return layer_claims(project, filters).filter(source_id=source_id)


@figure_maker("source-profile")
def profile_figures(project: Project, filters: ClaimFilters, source_id: int) -> ProfileFigures:
    """Four queries: both ratings' counts (and so the number of claims) grouped at once,
    the agreement, who quoted the source, whose claims it carried."""
    source = Source(pk=source_id, project=project)
    claims = source_claims(project, filters, source_id)
    reliability: dict[str, int] = {}
    credibility: dict[str, int] = {}
    for row in (
        claims.order_by()
        .values("source_reliability", "information_credibility")
        .annotate(n=Count("pk"))
    ):
        r, c = row["source_reliability"], row["information_credibility"]
        reliability[r] = reliability.get(r, 0) + row["n"]
        credibility[c] = credibility.get(c, 0) + row["n"]
    return ProfileFigures(
        claims=sum(reliability.values()),
        reliability=distribution_of(project, "source_reliability", reliability),
        credibility=distribution_of(project, "information_credibility", credibility),
        agreement=source_agreement(source),
        quoted_by=quoted_by(claims),
        carried=carried_claims_of(source, layer_claims(project, filters)),
    )


@figure_maker("source-profile-ids")
def _page_ids(
    project: Project, filters: ClaimFilters, source_id: int, per_page: int, number: int
) -> list[int]:
    start = (number - 1) * per_page
    ordered = source_claims(project, filters, source_id).order_by(
        F("article__published").desc(nulls_last=True), "article_id", "start", "id"
    )
    return list(ordered.values_list("pk", flat=True)[start : start + per_page])


@dataclass
class Profile:
    figures: ProfileFigures
    page: Any  # a Page of the source's claims, newest article first
    updating: bool  # older figures, while a task computes them anew


def source_profile(source: Source, filters: ClaimFilters, wanted: Any, per_page: int) -> Profile:
    """The profile's figures and the page ``wanted`` of the source's claims, kept in the
    cache under the project's changes (``kept_figures``): the key, both entries at once
    (``cached_figures``), then the page's claims by id and their stances — a fixed number
    of queries whatever the source's claims.
    (At 2.1 million claims, who quoted the source took 611 ms of the server, and sorting
    the claims of the most-cited source by date most of the rest.)"""
    project = source.project
    version = figures_version(project)
    # Both entries in one cache read, the page's guessed (right unless out of range).
    guess = (source.pk, per_page, guessed_page(wanted))
    known = cached_figures(
        project,
        filters,
        [("source-profile", (source.pk,)), ("source-profile-ids", guess)],
        version=version,
    )
    figures = kept_figures(
        project, "source-profile", filters, (source.pk,), version=version, known=known
    )
    number = page_number(figures.value.claims, per_page, wanted)
    ids = kept_figures(
        project,
        "source-profile-ids",
        filters,
        (source.pk, per_page, number),
        version=version,
        known=known,
    )
    claims = with_context(source_claims(project, filters, source.pk))
    found = {c.pk: c for c in claims.filter(pk__in=ids.value).order_by()} if ids.value else {}
    page = window_page(
        figures.value.claims, per_page, number, [found[pk] for pk in ids.value if pk in found]
    )
    return Profile(figures=figures.value, page=page, updating=figures.updating or ids.updating)
