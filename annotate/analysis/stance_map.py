"""The stance map (an analysis page): sources × targets, each cell the number of stances of
each value. A whole layer (no outlet, window or attribution) reads the counts the database
keeps (``kept_stance_counts``: ``annotate_networkcount``, at most sources × targets × stance
values rows whatever the number of claims) and groups only the claims without a source;
a filtered map groups the layer's stances (cached under the project's changes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.paginator import Page
from django.db.models import Count, Q

from annotate.analysis.filters import (
    LAYER_ALL,
    LAYER_GOLD,
    NO_SOURCE,
    ClaimFilters,
    claim_q,
    figure_maker,
    kept_figures,
)
from annotate.db_network_counts import ALL_LAYER
from annotate.models import ClaimStance, NetworkCount, Source
from annotate.scheme import value_label
from common.paging import page_number, window_page
from common.params import id_or_none
from corpus.models import Project
from corpus.scheme import field_values


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
    rows: list[MapRow] = field(default_factory=list)  # every source's, or one page's
    count: int = 0  # the sources with stances (rows), on every page
    updating: bool = False  # older counts, while a task computes them anew


def _stance_counts(stances: Sequence[str]) -> dict[str, Count]:
    return {f"n_{i}": Count("pk", filter=Q(stance=value)) for i, value in enumerate(stances)}


def stance_values(project: Project) -> list[tuple[str, str]]:
    return [(v, value_label(project.scheme, "stance", v)) for v in stance_values_of(project)]


def stance_values_of(project: Project) -> list[str]:
    return field_values(project.scheme, "stance")


def kept_stance_counts(
    project: Project, layer: str, source_id: int | None = None
) -> list[tuple[int, int, str, int]]:
    """(source, target, stance value, live claims) of a layer ("gold", "all" or an
    annotator's id) from the counts the database keeps (``annotate.db_network_counts``):
    the all-time bucket (``month`` 0; the year and month buckets hold the same claims
    again), of "all" its own layer (``ALL_LAYER``, every annotator's claims together); only
    one source's with ``source_id``. A layer has one row per (source, target, stance): no
    sum. Claims without a source are not in it. The one reader of that table for the
    stance map and the source profile."""
    if layer == LAYER_GOLD:
        kept = 0
    elif layer == LAYER_ALL:
        kept = ALL_LAYER
    else:
        kept = int(layer)
    rows = NetworkCount.objects.filter(project_id=project.pk, month=0, layer=kept, n__gt=0)
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    return list(rows.values_list("source_id", "target_id", "stance", "n").order_by())


def counts_kept_for(filters: ClaimFilters) -> bool:
    """Whether the kept counts answer these filters: a layer and at most one named source
    (the table has no outlet, date or label)."""
    return filters == replace(filters.only_layer(), source=filters.source)


# A cell as the map is built from it: (source id, source name, target id, [count per stance
# value in the scheme's order]).
_Counted = tuple[int | None, str, int, list[int]]


def _kept_cells(project: Project, filters: ClaimFilters, stances: list[str]) -> list[_Counted]:
    """The cells of a whole layer: the kept counts, the sources' names (one query) and,
    unless one source is asked for, the claims without a source grouped (one query on
    the index of ``source_id``)."""
    source_id = int(filters.source) if filters.source and filters.source != NO_SOURCE else None
    column = {s: i for i, s in enumerate(stances)}
    counts: dict[tuple[int, int], list[int]] = {}
    if filters.source != NO_SOURCE:
        for source, target, stance, n in kept_stance_counts(project, filters.layer, source_id):
            i = column.get(stance)
            if i is None:
                continue
            cell = counts.get((source, target))
            if cell is None:
                cell = counts[(source, target)] = [0] * len(stances)
            cell[i] += n
    names = dict(Source.objects.filter(pk__in={s for s, _ in counts}).values_list("pk", "name"))
    found: list[_Counted] = [
        (source, names.get(source, ""), target, cell) for (source, target), cell in counts.items()
    ]
    if source_id is None:
        found += _as_counted(
            _grouped(project, filters, stances, Q(claim__source__isnull=True)), stances
        )
    return found


def _as_counted(rows: list[dict[str, Any]], stances: Sequence[str]) -> list[_Counted]:
    keys = [f"n_{i}" for i in range(len(stances))]
    return [
        (r["claim__source_id"], r["claim__source__name"], r["target_id"], [r[k] for k in keys])
        for r in rows
    ]


@figure_maker("stance-cells")
def grouped_cells(
    project: Project, filters: ClaimFilters, stances: Sequence[str]
) -> list[dict[str, Any]]:
    """The cells from the layer's stances themselves: one grouped query."""
    return _grouped(project, filters, stances, Q())


def _grouped(
    project: Project, filters: ClaimFilters, stances: Sequence[str], more: Q
) -> list[dict[str, Any]]:
    rows: Any = (
        ClaimStance.objects.filter(claim_q(project, filters, "claim__"), more)
        .values("claim__source_id", "claim__source__name", "target_id")
        .annotate(**_stance_counts(stances))
        .order_by()
    )
    return list(rows)


def _map_cells(
    project: Project, filters: ClaimFilters, stances: list[str]
) -> tuple[list[_Counted], bool]:
    """The map's cells, and whether they are older ones being computed anew."""
    if counts_kept_for(filters):
        return _kept_cells(project, filters, stances), False
    # The grouped rows (seconds over millions of stances) from the cache while the
    # project has not changed; the targets (few) are read each time.
    kept = kept_figures(project, "stance-cells", filters, (tuple(stances),))
    return _as_counted(kept.value, stances), kept.updating


@dataclass
class _Counts:
    """A source's counts before its row is built: the counts per stance value of each
    target's column it has stances toward (by the column's index)."""

    source_id: int | None
    name: str
    columns: dict[int, list[int]] = field(default_factory=dict)
    total: int = 0


def _sources(cells: list[_Counted], targets: list[Any]) -> list[_Counts]:
    """The sources with stances toward the map's targets, in no order."""
    column = {t.pk: i for i, t in enumerate(targets)}
    found: dict[int | None, _Counts] = {}
    for source_id, name, target_id, counts in cells:  # one per (source, target) pair
        index = column.get(target_id)
        if index is None:  # a target deleted since
            continue
        total = sum(counts)
        if not total:
            continue
        row = found.get(source_id)
        if row is None:
            row = found[source_id] = _Counts(source_id, name or "(no source)")
        row.columns[index] = counts
        row.total += total
    return list(found.values())


def _row(counts: _Counts, targets: list[Any], stances: list[str]) -> MapRow:
    zero = [0] * len(stances)
    cells = []
    for i, target in enumerate(targets):
        found = counts.columns.get(i, zero)
        cells.append(
            Cell(
                target_id=target.pk,
                target_name=target.name,
                counts=list(zip(stances, found, strict=True)),
                total=sum(found),
            )
        )
    return MapRow(source_id=counts.source_id, name=counts.name, cells=cells, total=counts.total)


def _ordered(
    project: Project, filters: ClaimFilters, sort: str
) -> tuple[StanceMap, list[_Counts], list[str]]:
    """The map without its rows, its sources' counts in the order of ``sort``, the stance
    values."""
    stances = stance_values_of(project)
    targets = list(project.targets.order_by("position", "id"))
    cells, updating = _map_cells(project, filters, stances)
    sources = _sources(cells, targets)
    sources.sort(key=_sort_key(sort, [t.pk for t in targets], stances))
    matrix = StanceMap(
        targets=targets,
        stances=stance_values(project),
        count=len(sources),
        updating=updating,
    )
    return matrix, sources, stances


def stance_map(project: Project, filters: ClaimFilters, sort: str = "") -> StanceMap:
    """Sources × targets, each cell the number of stances of each value: for a whole layer
    three queries whatever its size (the targets, the kept counts, the sources' names)
    and one for the claims without a source; with an outlet, window or attribution one
    grouped query of the stances, cached under the project's changes. Sorted by ``sort``:
    "source" (name), "total" (most stances first, the default), "<target id>" (most
    stances toward that target) or "<target id>:<stance>" (most of that stance toward it).
    Every source's row (the CSV); a page shows ``stance_map_page``'s."""
    matrix, sources, stances = _ordered(project, filters, sort)
    matrix.rows = [_row(s, matrix.targets, stances) for s in sources]
    return matrix


def stance_map_page(
    project: Project, filters: ClaimFilters, sort: str, wanted: Any, per_page: int
) -> tuple[StanceMap, Page[MapRow]]:
    """The map as ``stance_map`` makes it, with the rows of page ``wanted`` alone (read
    as ``Paginator.get_page`` reads it: ``common.paging``) built: at 500 sources building
    every row's cells took a fifth of the page's time."""
    matrix, sources, stances = _ordered(project, filters, sort)
    number = page_number(len(sources), per_page, wanted)
    start = (number - 1) * per_page
    matrix.rows = [_row(s, matrix.targets, stances) for s in sources[start : start + per_page]]
    return matrix, window_page(len(sources), per_page, number, matrix.rows)


def _sort_key(sort: str, target_ids: list[int], stances: list[str]) -> Any:
    target, _, stance = sort.partition(":")
    target_id = id_or_none(target)
    index = target_ids.index(target_id) if target_id is not None and target_id in target_ids else -1
    if sort == "source":
        return lambda row: (row.source_id is None, row.name.casefold())
    if index >= 0 and stance:
        if stance not in stances:  # no stance of that value: the names' order
            return lambda row: row.name.casefold()
        at = stances.index(stance)
        none = [0] * len(stances)
        return lambda row: (-row.columns.get(index, none)[at], row.name.casefold())
    if index >= 0:
        return lambda row: (-sum(row.columns.get(index, ())), row.name.casefold())
    return lambda row: (-row.total, row.name.casefold())
