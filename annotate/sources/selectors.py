"""Reads of the source registry: lists, search, the name index of the suggesters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.http import Http404

from annotate.models import (
    Claim,
    Source,
    SourceAlias,
    SourceKind,
    SourceQuerySet,
)
from common.fuzzy import MIN_QUERY, NameIndex
from corpus.models import Article, Project
from corpus.permissions import role_in
from corpus.text import search_key

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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


def source_for(user: User, pk: int) -> Source:
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


def claim_counts_of(source: Source) -> dict[str, int]:
    """Live claims citing the source, by layer: ``gold``, ``annotators`` (every annotator's
    together) and ``all``. One query."""
    counts = (
        Claim.objects.live()
        .filter(source=source)
        .aggregate(all=Count("pk"), gold=Count("pk", filter=Q(annotator__isnull=True)))
    )
    return {**counts, "annotators": counts["all"] - counts["gold"]}


def byline_source(article: Article) -> Source | None:
    """The registry entry whose name or alias is the article's byline, if exactly one."""
    key = search_key(article.byline)
    if not key:
        return None
    found = list(
        Source.objects.in_project(article.project)
        .filter(Q(name_key=key) | Q(aliases__alias_key=key))
        .distinct()[:2]
    )
    return found[0] if len(found) == 1 else None


def source_options(project: Project, query: str, limit: int = 10) -> list[Source]:
    """Autocomplete: the best ``limit`` registry matches for the query, aliases loaded:
    the sources whose name or alias contains it (``SourceQuerySet.search``'s order), then
    the near misses by name or alias ("isachneko" finds Isachenko), most alike first. Each
    found source carries ``near_miss`` (False for a direct hit). Nothing about claims:
    annotators stay blind to what others cited."""
    key = search_key(query)
    if not key:
        return []
    direct = list(
        Source.objects.in_project(project).search(query).values_list("pk", flat=True)[:limit]
    )
    ids = direct
    if len(direct) < limit and len(key) >= MIN_QUERY:  # room left, and enough to go on
        near = registry_index(project).near(key, limit + len(direct))
        ids = direct + [pk for pk, _ in near if pk not in direct][: limit - len(direct)]
    found = Source.objects.filter(pk__in=ids).prefetch_related("aliases").in_bulk()
    options = [found[pk] for pk in ids if pk in found]
    for source in options:
        source.near_miss = source.pk not in direct  # type: ignore[attr-defined]
    return options


def source_key_taken(project: Project, query: str) -> Source | None:
    """The source whose name or an alias is the query (after folding), if any: the
    registry already knows that name, so nobody is offered to create it again."""
    key = search_key(query)
    if not key:
        return None
    return (
        Source.objects.in_project(project)
        .filter(Q(name_key=key) | Q(aliases__alias_key=key))
        .order_by(Case(When(name_key=key, then=Value(0)), default=Value(1)), "name_key", "pk")
        .first()
    )


# project id -> (the registry's signature, its name index); see ``registry_index``.
_REGISTRY_INDEXES: dict[int, tuple[tuple[Any, ...], NameIndex]] = {}
_REGISTRY_INDEXES_MAX = 64


def registry_signature(project: Project) -> tuple[Any, ...]:
    """What changes whenever a project's names or aliases do: the number of sources and
    their latest ``updated`` (a rename or an alias edit saves the source), the number
    of aliases and the highest alias id (an import adds aliases without saving). Two
    aggregate queries."""
    sources = Source.objects.filter(project=project).aggregate(n=Count("pk"), last=Max("updated"))
    aliases = SourceAlias.objects.filter(source__project=project).aggregate(
        n=Count("pk"), last=Max("pk")
    )
    return (sources["n"], sources["last"], aliases["n"], aliases["last"])


def registry_index(project: Project) -> NameIndex:
    """The near-miss index over the project's source names and aliases, built once per
    change of the registry (per process) and kept for the few projects used lately."""
    signature = registry_signature(project)
    cached = _REGISTRY_INDEXES.get(project.pk)
    if cached is not None and cached[0] == signature:
        return cached[1]
    names = Source.objects.filter(project=project).values_list("pk", "name_key")
    aliases = SourceAlias.objects.filter(source__project=project).values_list(
        "source_id", "alias_key"
    )
    index = NameIndex([*names, *aliases])
    _REGISTRY_INDEXES.pop(project.pk, None)
    while len(_REGISTRY_INDEXES) >= _REGISTRY_INDEXES_MAX:
        _REGISTRY_INDEXES.pop(next(iter(_REGISTRY_INDEXES)))
    _REGISTRY_INDEXES[project.pk] = (signature, index)
    return index
