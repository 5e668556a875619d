"""Reads of the annotate pages that are more than one QuerySet method."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.http import Http404

from annotate.models import (
    Assignment,
    AssignmentStatus,
    Claim,
    ClaimQuerySet,
    ClaimStance,
    Source,
    SourceAlias,
    SourceKind,
    SourceQuerySet,
)
from common.fuzzy import MIN_QUERY, NameIndex
from corpus.models import Article, Project
from corpus.permissions import role_in
from corpus.text import search_key

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


def claim_counts_of(source: Source) -> dict[str, int]:
    """Live claims citing the source, by layer: ``gold``, ``annotators`` (every annotator's
    together) and ``all``. One query."""
    counts = (
        Claim.objects.live()
        .filter(source=source)
        .aggregate(all=Count("pk"), gold=Count("pk", filter=Q(annotator__isnull=True)))
    )
    return {**counts, "annotators": counts["all"] - counts["gold"]}


# --- The annotation workspace and the annotator's queue -------------------------------


def assignment_for(user: Any, article_pk: int) -> Assignment:
    """The user's own assignment of the article, with the article and project; else 404.

    The workspace is for assigned annotators only: an article of another project, or one
    not assigned to the user, answers 404 whatever the user's role."""
    assignment = (
        Assignment.objects.select_related("article__project")
        .filter(article_id=article_pk, annotator_id=user.pk)
        .first()
    )
    if assignment is None:
        raise Http404("No such article in your queue.")
    return assignment


def my_claims(article: Article, annotator: Any) -> ClaimQuerySet:
    """The annotator's live claims on the article in text order, with the source and the
    stances (and their targets) loaded: three queries however many claims."""
    return (
        Claim.objects.live()
        .for_article(article)
        .by(annotator)
        .select_related("source")
        .prefetch_related(
            Prefetch("stances", queryset=ClaimStance.objects.select_related("target"))
        )
        .order_by("start", "-end", "id")
    )


# What a row of the claim list shows of a claim (``my_claim_rows``).
CLAIM_ROW_FIELDS = (
    "id",
    "start",
    "end",
    "version",
    "quote",
    "attribution",
    "claim_type",
    "source_reliability",
    "information_credibility",
)


def my_claim_rows(
    article: Article, annotator: Any
) -> list[tuple[dict[str, Any], list[tuple[str, str]]]]:
    """The annotator's live claims on the article in text order, as plain rows for the
    claim list: the ``CLAIM_ROW_FIELDS`` and ``source__name`` of each, with its (target
    name, stance) pairs. Two queries however many claims, and no model instances: the list
    of a long article is built on every page load."""
    claims = (
        Claim.objects.live()
        .for_article(article)
        .by(annotator)
        .order_by("start", "-end", "id")
        .values(*CLAIM_ROW_FIELDS, "source__name")
    )
    rows = list(claims)
    stances: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if rows:
        found = (
            ClaimStance.objects.filter(
                claim__article=article,
                claim__annotator=annotator,
                claim__deleted_at__isnull=True,
            )
            .order_by("claim_id", "id")
            .values_list("claim_id", "target__name", "stance")
        )
        for claim_id, target_name, stance in found:
            stances[claim_id].append((target_name, stance))
    return [(row, stances.get(row["id"], [])) for row in rows]


def my_claim_after(claim: Claim) -> int | None:
    """The id of the annotator's live claim that follows ``claim`` in text order (the
    order of ``my_claims``), or None if it is the last: where its row goes in the list."""
    later = (
        Q(start__gt=claim.start)
        | Q(start=claim.start, end__lt=claim.end)
        | Q(start=claim.start, end=claim.end, pk__gt=claim.pk)
    )
    return (
        Claim.objects.live()
        .filter(article_id=claim.article_id, annotator_id=claim.annotator_id)
        .filter(later)
        .order_by("start", "-end", "id")
        .values_list("pk", flat=True)
        .first()
    )


def my_claim(user: Any, pk: int, *, live: bool = True, stances: bool = True) -> Claim:
    """One of the user's own claims on an article still assigned to them, else 404; with
    its article, project and source, and (unless ``stances=False``, for a caller that only
    checks the permission before a service re-reads the claim) its stances and targets.

    Another annotator's claim answers 404: annotators work blind."""
    claims = Claim.objects.live() if live else Claim.objects.all()
    claims = claims.select_related("article__project", "source")
    if stances:
        claims = claims.prefetch_related(
            Prefetch("stances", queryset=ClaimStance.objects.select_related("target"))
        )
    claim = claims.filter(
        pk=pk, annotator_id=user.pk, article__assignments__annotator_id=user.pk
    ).first()
    if claim is None:
        raise Http404("No such claim.")
    return claim


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


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""

    @classmethod
    def from_query(cls, params: Any) -> QueueFilters:
        status = params.get("status", "").strip()
        return cls(status=status if status in AssignmentStatus.values else "")


QUEUE_ORDER = ("article__project__name", "article__project_id", "article__title", "article_id")


def queue_of(user: Any, filters: QueueFilters) -> QuerySet[Assignment, int]:
    """The ids of the user's assignments in queue order (``QUEUE_ORDER``), filtered: what
    the queue pages through. Only ids: the columns a row shows are read for the page alone
    (``queue_rows``). Sorting whole rows made SQLite walk each article's text for the
    columns stored after it, and a claim count in this query would run for every row an
    OFFSET skips (0.3–0.5 s for the last page of 10,000 assignments)."""
    assignments = Assignment.objects.filter(annotator_id=user.pk).order_by(*QUEUE_ORDER)
    if filters.status:
        assignments = assignments.filter(status=filters.status)
    return assignments.values_list("pk", flat=True)


def queue_rows(ids: list[int]) -> list[Assignment]:
    """The assignments ``ids`` in that order, with their article (no text) and project and
    ``claim_count``: two queries."""
    found = (
        Assignment.objects.filter(pk__in=ids)
        .select_related("article__project")
        .defer("article__text", "article__metadata", "article__project__guidelines")
    )
    by_id = {assignment.pk: assignment for assignment in found}
    return with_claim_counts([by_id[pk] for pk in ids if pk in by_id])


def with_claim_counts(assignments: list[Assignment]) -> list[Assignment]:
    """Set ``claim_count`` on each assignment: its annotator's live claims on its article.
    One grouped query for the lot."""
    pairs = {(a.article_id, a.annotator_id) for a in assignments}
    counts: dict[tuple[int, int], int] = {}
    if pairs:
        rows = (
            Claim.objects.live()
            .filter(
                article_id__in={article for article, _ in pairs},
                annotator_id__in={annotator for _, annotator in pairs},
            )
            .order_by()
            .values_list("article_id", "annotator_id")
            .annotate(n=Count("pk"))
        )
        counts = {(article, annotator): n for article, annotator, n in rows}
    for assignment in assignments:
        assignment.claim_count = counts.get(  # type: ignore[attr-defined]
            (assignment.article_id, assignment.annotator_id), 0
        )
    return assignments


def queue_counts(user: Any) -> dict[str, int]:
    """How many of the user's assignments are in each status, and ``all``: one query."""
    rows = (
        Assignment.objects.filter(annotator_id=user.pk)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(AssignmentStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["all"] = sum(counts.values())
    return counts


def next_assignment(user: Any, *, after: Article | None = None) -> Assignment | None:
    """The next article to open: with ``after``, the user's first unfinished assignment
    that follows it in queue order (wrapping around, same project first, then the
    others); without it, the first one in progress, else the first not started. None when
    everything is done. At most four small queries (each the first row of an index range),
    however many articles are assigned."""
    open_ = (
        Assignment.objects.filter(annotator_id=user.pk)
        .exclude(status=AssignmentStatus.DONE)
        .select_related("article__project")
        .defer("article__text", "article__metadata", "article__project__guidelines")
    )
    if after is None:
        started_first = Case(When(status=AssignmentStatus.IN_PROGRESS, then=0), default=1)
        return open_.order_by(started_first, *QUEUE_ORDER).first()
    others = open_.exclude(article_id=after.pk)
    same = others.filter(article__project_id=after.project_id).order_by(*QUEUE_ORDER)
    later = Q(article__title__gt=after.title) | Q(
        article__title=after.title, article_id__gt=after.pk
    )
    found = same.filter(later).first() or same.first()
    if found is not None:
        return found
    name = Project.objects.filter(pk=after.project_id).values_list("name", flat=True).first()
    later_project = Q(article__project__name__gt=name) | Q(
        article__project__name=name, article__project_id__gt=after.project_id
    )
    rest = others.order_by(*QUEUE_ORDER)
    return rest.filter(later_project).first() or rest.first()
