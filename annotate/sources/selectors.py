"""Reads of the source registry: lists, search, the name index of the suggesters."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
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
    SourceMerge,
    SourceQuerySet,
    SourceStatus,
    seen_by,
)
from common.fuzzy import MIN_QUERY, NameIndex
from corpus.models import Article, Membership, Project, Role
from corpus.permissions import can_curate, role_in
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
    """Annotate ``claim_count``: live claims citing each source, in one subquery — run for
    the rows fetched only (a page of the registry), each an index-only count over
    ``claim_source_deleted`` (source_id, deleted_at; ``COUNT(*)``: counting ids would read
    the table)."""
    counted = (
        Claim.objects.live()
        .filter(source=OuterRef("pk"))
        .order_by()
        .values("source")
        .annotate(n=Count("*"))
        .values("n")
    )
    return sources.annotate(
        claim_count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    )


@dataclass(frozen=True)
class SourceFilters:
    q: str = ""
    kind: str = ""
    status: str = ""

    @classmethod
    def from_query(cls, params: Any) -> SourceFilters:
        kind = params.get("kind", "").strip()
        status = params.get("status", "").strip()
        return cls(
            q=params.get("q", "").strip()[:200],
            kind=kind if kind in SourceKind.values else "",
            status=status if status in SourceStatus.values else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.kind or self.status)


def visible_sources(user: User, project: Project, *, curator: bool | None = None) -> SourceQuerySet:
    """The project's sources the user may see: all of them for curators and managers; for
    an annotator, no other annotator's unconfirmed proposal (``SourceQuerySet.visible_to``).
    ``curator``: whether the user curates the project, if the caller knows."""
    if curator is None:
        curator = can_curate(user, project)
    return Source.objects.in_project(project).visible_to(user, curator=curator)


def citable_sources(
    ids: Iterable[int], projects: Iterable[Project], *, viewer: User | None
) -> SourceQuerySet:
    """The sources of ``ids`` that belong to one of ``projects`` and that ``viewer`` (who
    writes the claim) may cite: every one for curators and managers (and for a write no
    person makes, ``viewer=None``: a command); for an annotator, those they may see
    (``seen_by``): another annotator's proposal is as absent as an unknown id, so its
    existence does not leak. The one lookup of a claim's source and chain carriers, one
    query (for claims written one at a time and in bulk alike)."""
    projects = list(projects)
    found = Source.objects.filter(pk__in=set(ids), project_id__in=[p.pk for p in projects])
    if viewer is None or viewer.is_superuser:
        return found
    # The viewer's role in the same query (a claim made in the workspace has not asked
    # for it before).
    curates = Membership.objects.filter(
        project_id=OuterRef("project_id"), user=viewer, role__in=(Role.MANAGER, Role.CURATOR)
    )
    return found.filter(Q(Exists(curates)) | seen_by(viewer))


def source_registry(
    project: Project,
    filters: SourceFilters,
    *,
    with_counts: bool,
    viewer: User | None = None,
) -> SourceQuerySet:
    """The project's sources (those ``viewer`` may see, when given), searched
    (case/diacritic-insensitive over names and aliases) and filtered, with their aliases
    prefetched. Claim counts are annotated only when asked — for curators and managers:
    annotators must not learn what other annotators cited."""
    pool = Source.objects.in_project(project)
    if viewer is not None:
        pool = visible_sources(viewer, project, curator=with_counts)
    sources = pool.search(filters.q)
    if filters.kind:
        sources = sources.filter(kind=filters.kind)
    if filters.status:
        sources = sources.filter(status=filters.status)
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
    if (
        source.status == SourceStatus.PROPOSED
        and source.proposed_by_id != user.pk
        and not visible_sources(user, source.project).filter(pk=pk).exists()
    ):
        raise Http404("No such source.")  # another annotator's proposal: blindness
    return source


def proposed_sources(project: Project) -> SourceQuerySet:
    """The curators' queue: proposed sources, oldest first, with who proposed them and
    how many live claims cite them."""
    return with_claim_count(
        Source.objects.in_project(project)
        .proposed()
        .select_related("proposed_by")
        .prefetch_related("aliases")
        .order_by("created", "pk")
    )


def source_merge_for(user: User, pk: int) -> SourceMerge:
    """A merge record of a project the user belongs to, else 404 (the role is the
    caller's to check)."""
    record = SourceMerge.objects.select_related("project").filter(pk=pk).first()
    if record is None or role_in(user, record.project) is None:
        raise Http404("No such merge.")
    return record


def merges_into(source: Source) -> QuerySet[SourceMerge]:
    """The merges that folded another source into this one, newest first."""
    return SourceMerge.objects.filter(kept=source).select_related("actor", "split_by")


def merge_preview(keep: Source, merge: Source) -> dict[str, Any]:
    """What merging ``merge`` into ``keep`` would change, for the confirmation: the
    claims that would move (live, deleted, with a marked mention of the source), the
    suggestions, the names that would become aliases of ``keep``, the fields it would
    fill."""
    claims = Claim.objects.filter(source=merge).aggregate(
        live=Count("pk", filter=Q(deleted_at__isnull=True)),
        deleted=Count("pk", filter=Q(deleted_at__isnull=False)),
        mentions=Count("pk", filter=Q(mention_start__isnull=False)),
        gold=Count("pk", filter=Q(annotator__isnull=True, deleted_at__isnull=True)),
    )
    known = {keep.name_key, *keep.aliases.values_list("alias_key", flat=True)}
    names = [merge.name, *merge.aliases.values_list("alias", flat=True)]
    new_aliases: list[str] = []
    for name in names:
        key = search_key(name)
        if key not in known:
            known.add(key)
            new_aliases.append(name)
    filled = {
        label: getattr(merge, field)
        for field, label in (("description", "description"), ("external_id", "external ID"))
        if not getattr(keep, field) and getattr(merge, field)
    }
    return {
        "claims": claims,
        "suggestions": merge.suggestions.count(),
        "new_aliases": new_aliases,
        "filled": filled,
    }


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
        .confirmed()
        .filter(Q(name_key=key) | Q(aliases__alias_key=key))
        .distinct()[:2]
    )
    return found[0] if len(found) == 1 else None


def source_options(
    project: Project, query: str, limit: int = 10, *, viewer: User | None = None
) -> list[Source]:
    """Autocomplete: the best ``limit`` registry matches for the query, aliases loaded:
    the sources whose name or alias contains it (``SourceQuerySet.search``'s order), then
    the near misses by name or alias ("isachneko" finds Isachenko), most alike first. Each
    found source carries ``near_miss`` (False for a direct hit). Nothing about claims:
    annotators stay blind to what others cited, and to the sources others proposed
    (only those ``viewer`` may see, when given)."""
    key = search_key(query)
    if not key:
        return []
    pool = (
        visible_sources(viewer, project)
        if viewer is not None
        else Source.objects.in_project(project)
    )
    direct = list(pool.search(query).values_list("pk", flat=True)[:limit])
    ids = direct
    if len(direct) < limit and len(key) >= MIN_QUERY:  # room left, and enough to go on
        # The index holds every name; a hidden proposal found there is dropped below.
        near = registry_index(project).near(key, 2 * limit + len(direct))
        ids = direct + [pk for pk, _ in near if pk not in direct]
    found = pool.filter(pk__in=ids).prefetch_related("aliases").in_bulk()
    ids = [pk for pk in ids if pk in found][:limit]
    options = [found[pk] for pk in ids if pk in found]
    for source in options:
        source.near_miss = source.pk not in direct  # type: ignore[attr-defined]
    return options


def source_key_taken(project: Project, query: str, *, viewer: User | None = None) -> Source | None:
    """The source whose name or an alias is the query (after folding), if any: the
    registry already knows that name, so nobody is offered to create it again (among the
    sources ``viewer`` may see, when given)."""
    key = search_key(query)
    if not key:
        return None
    pool = (
        visible_sources(viewer, project)
        if viewer is not None
        else Source.objects.in_project(project)
    )
    return (
        pool.filter(Q(name_key=key) | Q(aliases__alias_key=key))
        .order_by(Case(When(name_key=key, then=Value(0)), default=Value(1)), "name_key", "pk")
        .first()
    )


# project id -> (the registry's signature, its name index); see ``registry_index``.
# Shared by the threads of a threaded server (runserver, the browser tests' live server):
# every change goes under the lock. Without it two requests that evicted at once could
# pick the same oldest entry and the second one's pop raised KeyError (a 500 from the
# source autocomplete, seen in CI once the cache had filled with the suite's projects).
_REGISTRY_INDEXES: dict[int, tuple[tuple[Any, ...], NameIndex]] = {}
_REGISTRY_INDEXES_MAX = 64
_REGISTRY_LOCK = threading.Lock()


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
    remember_registry_index(project.pk, signature, index)
    return index


def remember_registry_index(project_id: int, signature: tuple[Any, ...], index: NameIndex) -> None:
    """Keep a project's index, dropping the least recently stored ones beyond
    ``_REGISTRY_INDEXES_MAX``; safe when several threads store at once."""
    with _REGISTRY_LOCK:
        _REGISTRY_INDEXES.pop(project_id, None)
        while len(_REGISTRY_INDEXES) >= _REGISTRY_INDEXES_MAX:
            del _REGISTRY_INDEXES[next(iter(_REGISTRY_INDEXES))]
        _REGISTRY_INDEXES[project_id] = (signature, index)
