"""Agreement on attribution chains (pure): on the units of matched claims, whether the
annotators gave the same chain, and Krippendorff's α at each position of the chains.

A chain is the tuple of its carriers' source ids, first carrier first (the claim's own
source, position 0, is the ``source`` field's α). A unit counts when two or more
annotators have a claim in it; an empty chain is a chain (two annotators who saw no
intermediary agree). At position ``p``, a unit is a unit of the α when at least one member
has a carrier there; a member whose chain is shorter has the value "none" (one annotator
saw a carrier the other did not: a disagreement).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from annotate.review.agreement.coefficients import Figure, krippendorff_alpha
from annotate.review.agreement.records import Id
from annotate.review.agreement.report import Unit

NONE = "none"


@dataclass(frozen=True, slots=True)
class PositionAlpha:
    position: int
    alpha: Figure


@dataclass(frozen=True, slots=True)
class ChainAgreement:
    """``n_units``: units with two or more annotators; ``n_equal``: those whose members all
    gave the same chain; ``n_chained``: those where some member gave a chain at all."""

    n_units: int
    n_equal: int
    n_chained: int
    positions: list[PositionAlpha]

    @property
    def equal_share(self) -> float | None:
        return self.n_equal / self.n_units if self.n_units else None


def chain_agreement(units: Iterable[Unit], chains: Mapping[Any, tuple[int, ...]]) -> ChainAgreement:
    """The figures on ``units`` (each member's claim looked up in ``chains`` by claim id;
    a claim missing from it has no chain)."""
    compared: list[dict[Id, tuple[int, ...]]] = []
    for unit in units:
        if len(unit.members) < 2:
            continue
        compared.append({m.annotator_id: chains.get(m.claim_id, ()) for m in unit.members})
    annotators = sorted({a for unit in compared for a in unit}, key=str)
    longest = max((len(c) for unit in compared for c in unit.values()), default=0)
    positions = []
    for position in range(1, longest + 1):
        columns = [unit for unit in compared if any(len(c) >= position for c in unit.values())]
        data = [
            [
                None
                if annotator not in unit
                else str(unit[annotator][position - 1])
                if len(unit[annotator]) >= position
                else NONE
                for unit in columns
            ]
            for annotator in annotators
        ]
        positions.append(PositionAlpha(position, krippendorff_alpha(data)))
    return ChainAgreement(
        n_units=len(compared),
        n_equal=sum(len(set(unit.values())) == 1 for unit in compared),
        n_chained=sum(any(unit.values()) for unit in compared),
        positions=positions,
    )
