"""Reads of the annotate pages that are more than one QuerySet method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat
from django.http import Http404

from annotate.models import Claim, Source, SourceKind, SourceQuerySet
from corpus.models import Project
from corpus.permissions import role_in

WIKIDATA_ENTITY_URL = "https://www.wikidata.org/wiki/"


def with_wikidata_url(sources: SourceQuerySet) -> SourceQuerySet:
    """Annotate ``wikidata_url``: the entity page when ``external_id`` is a QID, else ""."""
    return sources.annotate(
        wikidata_url=Case(
            When(
                external_id__regex=r"^Q[1-9][0-9]*$",
                then=Concat(Value(WIKIDATA_ENTITY_URL), "external_id"),
            ),
            default=Value(""),
            output_field=CharField(),
        )
    )


def with_claim_count(sources: SourceQuerySet) -> SourceQuerySet:
    """Annotate ``claim_count``: live claims citing each source, in one subquery."""
    counted = (
        Claim.objects.live()
        .filter(source=OuterRef("pk"))
        .order_by()
        .values("source")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return sources.annotate(
        claim_count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    )


@dataclass(frozen=True)
class SourceFilters:
    q: str = ""
    kind: str = ""

    @classmethod
    def from_query(cls, params: Any) -> SourceFilters:
        kind = params.get("kind", "").strip()
        return cls(
            q=params.get("q", "").strip()[:200],
            kind=kind if kind in SourceKind.values else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.kind)


def source_registry(
    project: Project, filters: SourceFilters, *, with_counts: bool
) -> SourceQuerySet:
    """The project's sources, searched (case/diacritic-insensitive over names and aliases)
    and filtered, with their aliases prefetched. Claim counts are annotated only when
    asked: annotators must not learn what other annotators cited."""
    sources = Source.objects.in_project(project).search(filters.q)
    if filters.kind:
        sources = sources.filter(kind=filters.kind)
    sources = with_wikidata_url(sources).prefetch_related("aliases")
    if with_counts:
        sources = with_claim_count(sources)
    return sources


def source_for(user: Any, pk: int) -> Source:
    """The source if the user belongs to its project, else 404."""
    source = (
        with_wikidata_url(Source.objects.select_related("project").filter(pk=pk))
        .prefetch_related("aliases")
        .first()
    )
    if source is None or role_in(user, source.project) is None:
        raise Http404("No such source.")
    return source


def claim_count_of(source: Source) -> int:
    return Claim.objects.live().filter(source=source).count()
