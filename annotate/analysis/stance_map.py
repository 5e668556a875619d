"""The stance map (an analysis page): sources × targets, each cell the number of stances of
each value, from one grouped query."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Q,
)

from annotate.analysis.filters import ClaimFilters, cached_figures, claim_q
from annotate.models import ClaimStance
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
    grouped: Any = (
        ClaimStance.objects.filter(claim_q(project, filters, "claim__"))
        .values("claim__source_id", "claim__source__name", "target_id")
        .annotate(**_stance_counts(stances))
        .order_by()
    )
    # The grouped rows (seconds over millions of stances) from the cache while the project
    # has not changed; the targets (few) are read each time.
    cells = cached_figures(project, "stance-cells", (filters, stances), lambda: list(grouped))
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
