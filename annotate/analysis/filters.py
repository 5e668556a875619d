"""What the analysis pages share: the filters of one layer of claims (the gold layer, every
annotator's, or one annotator's) and label distributions. The pages are ``overview``,
``stance_map``, ``profiles`` and ``search``.

Every figure is an aggregate computed by the database (``values(...).annotate(Count(...))``):
nothing here loops over claims in Python, so each page makes the same few queries whether
the project has ten claims or a million. Deleted claims never count. Claim search finds
its words through an index on both databases (``search.text_match``): PostgreSQL's GIN index,
SQLite's FTS5 table (``annotate/db_indexes.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    Q,
    QuerySet,
)

from annotate.analysis.versions import FIGURES_SECONDS, figures_version
from annotate.models import Assignment, Claim, ClaimQuerySet
from annotate.scheme import value_label
from common.params import id_or_none
from corpus.models import Project
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

    def as_query(self) -> dict[str, str]:
        """The filters as the query string ``from_query`` reads (the refresh task's
        argument): the fields given, as text."""
        query = {}
        for name, value in vars(self).items():
            if value is None or value == "":
                continue
            query[name] = value.isoformat() if isinstance(value, date) else str(value)
        return query

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


def layer_claims(project: Project, filters: ClaimFilters) -> ClaimQuerySet:
    return Claim.objects.filter(claim_q(project, filters))


# --- label distributions (the overview and source profiles) ----------------------------


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


def annotating_members(project: Project) -> list[Any]:
    """Members with an assignment or a claim in the project: the layers that exist. A
    manager or curator who annotates nothing is not a layer. Two queries: the members,
    then one EXISTS per member and table, each naming the member's id. (A subquery
    correlated to the member's row, one query, let PostgreSQL estimate ~700,000 claims
    per annotator whoever asks, and look for a curator's claims by reading all 2.1 million
    rows of the xlarge bench: 1.6 s. With the id in the query it knows the curator has
    none and asks the index.)"""
    members = list(members_of(project))
    if not members:
        return []
    checks: dict[str, Exists] = {}
    for m in members:
        checks[f"a{m.user_id}"] = Exists(
            Assignment.objects.filter(annotator_id=m.user_id, article__project=project)
        )
        checks[f"c{m.user_id}"] = Exists(
            Claim.objects.filter(annotator_id=m.user_id, article__project=project)
        )
    found = Project.objects.filter(pk=project.pk).annotate(**checks).values(*checks).get()
    return [m for m in members if found[f"a{m.user_id}"] or found[f"c{m.user_id}"]]


# --- the analysis pages' figures, cached under the project's changes ------------------------
# (their key: ``annotate.analysis.versions.figures_version``)

# The newest figure under any version, served while a task computes the current one.
LATEST_SECONDS = 24 * 60 * 60
_MAKERS: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class Figures[T]:
    """A cached figure, and whether it is an older one (``updating``: the project changed
    since, and a task is computing the figure anew)."""

    value: T
    updating: bool = False


def figure_maker[F: Callable[..., Any]](what: str) -> Callable[[F], F]:
    """Register ``make(project, filters, *extra)`` as the way to compute the figure ``what``
    (``kept_figures``; the refresh task finds it by that name)."""

    def register(make: F) -> F:
        _MAKERS[what] = make
        return make

    return register


def maker(what: str) -> Callable[..., Any]:
    return _MAKERS[what]


def _keys(
    project: Project, what: str, parts: tuple[Any, ...], version: tuple[Any, ...]
) -> tuple[str, str]:
    """The figure's key under ``version``, and the key of its newest copy under any."""
    scheme = json.dumps(project.scheme, sort_keys=True, default=str)
    raw = repr((what, project.pk, parts, scheme))
    digest = hashlib.sha256((raw + repr(version)).encode()).hexdigest()[:32]
    latest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return f"claimdesk:analysis:{what}:{digest}", f"claimdesk:analysis-latest:{what}:{latest}"


def store_figure(
    project: Project, what: str, parts: tuple[Any, ...], version: tuple[Any, ...], value: Any
) -> None:
    key, latest = _keys(project, what, parts, version)
    cache.set(key, value, FIGURES_SECONDS)
    cache.set(latest, value, LATEST_SECONDS)


def in_background() -> bool:
    """Whether figures can be computed by a task worker rather than inside the request."""
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django.tasks.backends.immediate import ImmediateBackend

    return not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], ImmediateBackend)


Asked = tuple[str, tuple[Any, ...]]  # a figure's name and its extra parts


def cached_figures(
    project: Project, filters: ClaimFilters, asked: list[Asked], *, version: tuple[Any, ...]
) -> dict[Asked, Any]:
    """Those of the figures ``asked`` already kept under ``version``, read at once (one
    cache query): what ``kept_figures`` reads when given them (``known``)."""
    keys = {
        _keys(project, what, (filters, *extra), version)[0]: (what, extra) for what, extra in asked
    }
    return {keys[key]: value for key, value in cache.get_many(list(keys)).items()}


def guessed_page(wanted: Any) -> int:
    """The page ``wanted`` names if it is in range (a number from 1), else 1: the page
    whose figures a page reads with its count, before the count tells the page."""
    try:
        number = int(wanted)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else 1


def kept_figures(
    project: Project,
    what: str,
    filters: ClaimFilters,
    extra: tuple[Any, ...] = (),
    *,
    version: tuple[Any, ...] | None = None,
    known: Mapping[Asked, Any] | None = None,
) -> Figures[Any]:
    """The figure ``what`` (registered with ``figure_maker``) of the filtered layer, kept
    in the cache under the project's scheme and ``figures_version``: an aggregate over a
    layer of 2.1 million claims takes seconds on PostgreSQL, asked again it is one query
    and one cache read. After a change of the project, with a task worker (not the
    immediate backend), the newest older figure is served marked ``updating`` while a
    task (``annotate.analysis.tasks.refresh_figures``, queued once per version) computes
    the current one; with none, or the first time, it is computed in the request.
    ``version``: ``figures_version(project)``, if the caller has it; ``known``: figures
    read before (``cached_figures``), by (``what``, ``extra``)."""
    if known is not None and (what, extra) in known:
        return Figures(known[(what, extra)])
    version = figures_version(project) if version is None else version
    parts = (filters, *extra)
    key, latest = _keys(project, what, parts, version)
    found = cache.get(key)
    if found is not None:
        return Figures(found)
    older = cache.get(latest) if in_background() else None
    if older is not None:
        if cache.add(f"{key}:queued", True, FIGURES_SECONDS):
            from annotate.analysis.tasks import queue_refresh

            queue_refresh(project, what, filters, extra)
        return Figures(older, updating=True)
    value = maker(what)(project, filters, *extra)
    store_figure(project, what, parts, version, value)
    return Figures(value)
