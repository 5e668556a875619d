"""The stance map (an analysis page): sources × targets, each cell the number of stances of
each value. A whole layer (no outlet, window or attribution) reads the counts the database
keeps (``kept_stance_counts``: ``annotate_networkcount``, at most sources × targets × stance
values rows whatever the number of claims) and groups only the claims without a source;
a filtered map groups the layer's stances (cached under the project's changes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import (
    Count,
    Q,
    Sum,
)

from annotate.analysis.filters import (
    LAYER_ALL,
    LAYER_GOLD,
    NO_SOURCE,
    ClaimFilters,
    claim_q,
    figure_maker,
    kept_figures,
)
from annotate.models import ClaimStance, NetworkCount, Source
from annotate.scheme import value_label
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
    rows: list[MapRow] = field(default_factory=list)
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
    again), summed over the annotators of "all"; only one source's with ``source_id``.
    Claims without a source are not in it. The one reader of that table for the stance map
    and the source profile."""
    if layer == LAYER_GOLD:
        in_layer = Q(layer=0)
    elif layer == LAYER_ALL:
        in_layer = ~Q(layer=0)
    else:
        in_layer = Q(layer=int(layer))
    rows = NetworkCount.objects.filter(in_layer, project_id=project.pk, month=0, n__gt=0)
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    return list(
        rows.values_list("source_id", "target_id", "stance").annotate(claims=Sum("n")).order_by()
    )


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


def stance_map(project: Project, filters: ClaimFilters, sort: str = "") -> StanceMap:
    """Sources × targets, each cell the number of stances of each value: for a whole layer
    three queries whatever its size (the targets, the kept counts, the sources' names)
    and one for the claims without a source; with an outlet, window or attribution one
    grouped query of the stances, cached under the project's changes. Sorted by ``sort``:
    "source" (name), "total" (most stances first, the default), "<target id>" (most
    stances toward that target) or "<target id>:<stance>" (most of that stance toward it)."""
    stances = stance_values_of(project)
    targets = list(project.targets.order_by("position", "id"))
    updating = False
    cells: list[_Counted]
    if counts_kept_for(filters):
        cells = _kept_cells(project, filters, stances)
    else:
        # The grouped rows (seconds over millions of stances) from the cache while the
        # project has not changed; the targets (few) are read each time.
        kept = kept_figures(project, "stance-cells", filters, (tuple(stances),))
        cells, updating = _as_counted(kept.value, stances), kept.updating
    column = {t.pk: i for i, t in enumerate(targets)}
    rows: dict[int | None, MapRow] = {}
    for source_id, name, target_id, counts in cells:  # a row per (source, target) pair
        index = column.get(target_id)
        if index is None:  # a target deleted since
            continue
        row = rows.get(source_id)
        if row is None:
            row = rows[source_id] = MapRow(
                source_id=source_id,
                name=name or "(no source)",
                cells=[
                    Cell(target_id=t.pk, target_name=t.name, counts=[(s, 0) for s in stances])
                    for t in targets
                ],
            )
        cell = row.cells[index]
        cell.counts = list(zip(stances, counts, strict=True))
        cell.total = sum(counts)
        row.total += cell.total
    result = StanceMap(
        targets=targets,
        stances=stance_values(project),
        rows=[r for r in rows.values() if r.total],
        updating=updating,
    )
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
