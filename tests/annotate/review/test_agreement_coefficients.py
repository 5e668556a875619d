"""Coefficients against published worked examples and hand computations."""

from __future__ import annotations

import random

import numpy as np
import pytest

from annotate.review.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, span_score
from annotate.review.agreement.coefficients import (
    Level,
    alpha_table,
    cohen_kappa_codes,
    fleiss_kappa_codes,
)
from annotate.review.agreement.help import FIGURE_HELP, alpha_reading

N = None
# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", the example with missing
# data: four coders (rows A–D) over twelve units, * = missing.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_nominal_alpha_matches_krippendorff_2011_example_with_missing_data() -> None:
    figure = krippendorff_alpha(KRIPPENDORFF_2011, "nominal")
    assert figure.value == pytest.approx(0.743, abs=5e-4)
    # Unit 12 has one value only, so 11 units and 40 pairable values remain.
    assert figure.n_units == 11
    assert figure.n_values == 40


def test_ordinal_alpha_matches_krippendorff_2011_example() -> None:
    figure = krippendorff_alpha(KRIPPENDORFF_2011, "ordinal", scale=[1, 2, 3, 4, 5])
    assert figure.value == pytest.approx(0.815, abs=5e-4)


def test_interval_alpha_matches_krippendorff_2011_example() -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, "interval").value == pytest.approx(0.849, abs=5e-4)


def test_alpha_reports_the_share_of_agreeing_pairs_beside_it() -> None:
    # Agreeing ordered pairs weighted 1/(m_u − 1), by unit: 3+2+4+4+4+0+4+2+4+3+2 = 32 of the
    # 40 pairable values (unit 2: three 2s among four values give 3·2/3 = 2).
    assert krippendorff_alpha(KRIPPENDORFF_2011).observed_agreement == pytest.approx(0.8)


def test_fleiss_kappa_matches_the_wikipedia_worked_example() -> None:
    figure = fleiss_kappa(FLEISS_WIKIPEDIA)
    assert figure.value == pytest.approx(0.210, abs=5e-4)
    assert figure.observed_agreement == pytest.approx(0.378, abs=5e-4)  # P̄
    assert (figure.n_units, figure.n_values) == (10, 140)


def test_fleiss_kappa_from_codes_equals_the_table_form() -> None:
    codes = [[j for j, n in enumerate(row) for _ in range(n)] for row in FLEISS_WIKIPEDIA]
    random.Random(2).shuffle(codes[3])  # the order of the raters does not matter
    from_codes, from_table = fleiss_kappa_codes(np.array(codes)), fleiss_kappa(FLEISS_WIKIPEDIA)
    assert from_codes.value == pytest.approx(from_table.value)
    assert from_codes.observed_agreement == pytest.approx(from_table.observed_agreement)
    assert (from_codes.n_units, from_codes.n_values) == (10, 140)
    assert fleiss_kappa_codes(np.zeros((0, 3), dtype=np.int64)).value is None


def test_cohen_kappa_matches_a_hand_computation_on_a_two_by_two_table() -> None:
    # A said yes/B yes 20, A yes/B no 5, A no/B yes 10, A no/B no 15; N = 50.
    # p_o = 35/50 = 0.7; p_e = (25·30 + 25·20) / 50² = 0.5; κ = (0.7 − 0.5) / 0.5 = 0.4.
    figure = cohen_kappa([[20, 5], [10, 15]])
    assert figure.value == pytest.approx(0.4)
    assert figure.observed_agreement == pytest.approx(0.7)
    assert figure.n_units == 50


def test_cohen_kappa_from_codes_equals_the_table_form() -> None:
    a = np.array([0] * 25 + [1] * 25)
    b = np.array([0] * 20 + [1] * 5 + [0] * 10 + [1] * 15)
    assert cohen_kappa_codes(a, b, 2) == cohen_kappa([[20, 5], [10, 15]])


def test_digitized_unitizing_example_of_krippendorff_1995() -> None:
    # Krippendorff (1995) p. 57, pair A (Bertha, Bill), one value per character:
    # nominal α = 0.329 and Cohen's κ = 0.385 on the same 24 characters.
    bertha = [int(c) for c in "001111111100001111110000"]
    bill = [int(c) for c in "000011110000000110000000"]
    assert krippendorff_alpha([bertha, bill]).value == pytest.approx(0.329, abs=5e-4)
    table = np.zeros((2, 2))
    for x, y in zip(bertha, bill, strict=True):
        table[x, y] += 1
    assert cohen_kappa(table).value == pytest.approx(0.385, abs=5e-4)


def test_ordinal_alpha_counts_near_misses_as_smaller_disagreements() -> None:
    scale = ["A", "B", "C", "D", "E"]
    near = [["A", "B", "C", "D", "E", "A"], ["B", "B", "C", "D", "E", "A"]]
    far = [["A", "B", "C", "D", "E", "A"], ["E", "B", "C", "D", "E", "A"]]
    near_alpha = krippendorff_alpha(near, "ordinal", scale=scale).value
    far_alpha = krippendorff_alpha(far, "ordinal", scale=scale).value
    assert near_alpha is not None and far_alpha is not None
    assert near_alpha > far_alpha
    # Nominal α does not see the distance.
    assert krippendorff_alpha(near).value == pytest.approx(krippendorff_alpha(far).value)


def test_alpha_is_one_for_perfect_agreement_on_two_categories() -> None:
    figure = krippendorff_alpha([["x", "y", "x"], ["x", "y", "x"]])
    assert figure.value == pytest.approx(1.0)
    assert figure.observed_agreement == pytest.approx(1.0)


def test_alpha_on_a_single_category_is_undefined_with_a_reason_not_nan() -> None:
    figure = krippendorff_alpha([["x", "x", "x"], ["x", "x", "x"]])
    assert figure.value is None
    assert figure.undefined_reason and "one category" in figure.undefined_reason
    assert figure.observed_agreement == 1.0
    assert figure.n_units == 3


@pytest.mark.parametrize(
    "data",
    [
        [],
        [["x", None], [None, "y"]],  # no unit has two values
        [[], []],
    ],
)
def test_alpha_without_pairable_values_is_undefined(data: list[list[str | None]]) -> None:
    figure = krippendorff_alpha(data)
    assert figure.value is None
    assert figure.undefined_reason
    assert figure.n_units == 0


def test_kappas_are_undefined_on_no_data_or_one_category() -> None:
    assert cohen_kappa(np.zeros((2, 2))).value is None
    one = cohen_kappa([[10, 0], [0, 0]])
    assert one.value is None and one.observed_agreement == 1.0
    assert fleiss_kappa(np.zeros((0, 3))).value is None
    assert fleiss_kappa([[3, 0], [3, 0]]).value is None


def test_fleiss_kappa_refuses_unequal_numbers_of_ratings() -> None:
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[2, 1], [1, 1]])


def test_batched_alpha_per_group_equals_alpha_on_each_group_alone() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(-1, 4, size=(60, 3))
    groups = np.repeat(np.arange(4), 15)
    levels: tuple[Level, ...] = ("nominal", "ordinal")
    for level in levels:
        batched = alpha_table(values, level, 4, groups=groups, n_groups=4)
        for g in range(4):
            alone = alpha_table(values[groups == g], level, 4)[0]
            assert batched[g].value == pytest.approx(alone.value)
            assert batched[g].n_units == alone.n_units


def test_span_score_is_f1_with_the_first_annotator_as_reference() -> None:
    score = span_score(a=3, b=1, c=2)
    assert score.precision == pytest.approx(3 / 5)
    assert score.recall == pytest.approx(3 / 4)
    assert score.f1 == pytest.approx(6 / 9)
    assert score.n_claims == 9
    empty = span_score(0, 0, 0)
    assert (empty.precision, empty.recall, empty.f1) == (None, None, None)


def test_alpha_reading_follows_krippendorffs_thresholds() -> None:
    assert alpha_reading(0.85) == "reliable"
    assert alpha_reading(0.800) == "reliable"
    assert alpha_reading(0.7) == "tentative"
    assert alpha_reading(0.5) == "revise"
    assert alpha_reading(None) is None
    assert {"alpha", "span_f1", "coverage_alpha", "alpha_u", "cohen_kappa"} <= set(FIGURE_HELP)
