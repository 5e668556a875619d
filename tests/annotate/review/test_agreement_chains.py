"""Chain agreement against hand computations: equality on matched claims, and α per
position (nominal, "none" for a missing carrier)."""

from __future__ import annotations

import pytest

from annotate.review.agreement.chains import chain_agreement
from annotate.review.agreement.report import Unit, UnitMember


def unit(*members: tuple[str, int]) -> Unit:
    return Unit(
        article_id=1,
        index=0,
        start=0,
        end=5,
        members=[UnitMember(a, c, 0, 5) for a, c in members],
        missing=[],
        exact=True,
        differences={},
    )


def test_two_annotators_by_hand() -> None:
    # U1 A (5, 6) B (5, 6) equal; U2 A (5,) B (7,); U3 A () B (5,); U4 both empty: equal.
    # U5 has one member: not compared.
    units = [
        unit(("A", 1), ("B", 2)),
        unit(("A", 3), ("B", 4)),
        unit(("A", 5), ("B", 6)),
        unit(("A", 7), ("B", 8)),
        unit(("A", 9)),
    ]
    chains = {1: (5, 6), 2: (5, 6), 3: (5,), 4: (7,), 6: (5,), 9: (5,)}
    result = chain_agreement(units, chains)
    assert (result.n_units, result.n_equal, result.n_chained) == (4, 2, 3)
    assert result.equal_share == 0.5
    first, second = result.positions
    # Position 1 on U1–U3: pairs (5,5), (5,7), (none,5). n = 6 values; n_5 = 4, n_7 = 1,
    # n_none = 1; disagreeing ordered pairs: 4; Σ_{c≠k} n_c n_k = 36 − 18 = 18.
    # α = 1 − (n − 1) · 4 / 18 = 1 − 20/18 = −1/9.
    assert first.position == 1
    assert first.alpha.value == pytest.approx(-1 / 9)
    assert (first.alpha.n_units, first.alpha.n_values) == (3, 6)
    # Position 2 only on U1, where both say 6: one category, α undefined (n = 1).
    assert second.position == 2 and second.alpha.value is None
    assert second.alpha.n_units == 1 and second.alpha.undefined_reason


def test_three_annotators_with_one_missing_from_a_unit() -> None:
    # U1: A, B, C all (5,); U2: A (5,), B (8,), C absent. Position 1: units U1 (5,5,5),
    # U2 (5,8). Coincidences: U1 gives o(5,5) = 3·2/2 = 6... by the m_u − 1 weighting:
    # U1 contributes 6 ordered pairs / (3 − 1) = 3 to o(5,5); U2 gives o(5,8) = o(8,5) = 1.
    # n = 5: n_5 = 4, n_8 = 1. Do: 2/5; De: (25 − 17) / (5 · 4) = 8/20. α = 1 − (2/5)/(8/20) = 0.
    units = [unit(("A", 1), ("B", 2), ("C", 3)), unit(("A", 4), ("B", 5))]
    chains = {1: (5,), 2: (5,), 3: (5,), 4: (5,), 5: (8,)}
    result = chain_agreement(units, chains)
    assert (result.n_units, result.n_equal) == (2, 1)
    assert result.positions[0].alpha.value == pytest.approx(0.0)


def test_no_units_no_positions() -> None:
    result = chain_agreement([], {})
    assert (result.n_units, result.equal_share, result.positions) == (0, None, [])
