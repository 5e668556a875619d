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

from annotate.analysis.filters import ClaimFilters
from annotate.analysis.stance_map import Cell, stance_map, stance_values_of
from annotate.models import ChainLink, Claim, Source


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
