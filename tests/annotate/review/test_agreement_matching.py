"""Matching claims across annotators and joining matches into units."""

from __future__ import annotations

import random

import pytest

from annotate.review.agreement import Match, jaccard, match_spans
from annotate.review.agreement.matching import match_article


def found(matches: list[Match]) -> list[tuple[int, int, float]]:
    return [(m.a, m.b, round(m.jaccard, 9)) for m in matches]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 10), (0, 10), 1.0),  # identical
        ((0, 10), (0, 20), 0.5),  # nested, half
        ((5, 10), (0, 20), 0.25),  # nested, a quarter
        ((0, 10), (5, 15), 5 / 15),  # crossing
        ((0, 10), (10, 20), 0.0),  # touching: no shared character
        ((0, 10), (30, 40), 0.0),  # apart
    ],
)
def test_jaccard_is_shared_over_joint_characters(
    a: tuple[int, int], b: tuple[int, int], expected: float
) -> None:
    assert jaccard(a, b) == pytest.approx(expected)
    assert jaccard(b, a) == pytest.approx(expected)


def test_identical_spans_match_exactly_and_by_overlap() -> None:
    assert match_spans([(0, 10)], [(0, 10)]) == [Match(0, 0, 1.0)]
    assert match_spans([(0, 10)], [(0, 10)], exact=True) == [Match(0, 0, 1.0)]


def test_nested_span_matches_at_the_threshold_and_not_below() -> None:
    assert match_spans([(0, 20)], [(0, 10)]) == [Match(0, 0, 0.5)]  # Jaccard 0.5 ≥ 0.5
    assert match_spans([(0, 20)], [(0, 9)]) == []  # 0.45
    assert match_spans([(0, 20)], [(0, 10)], exact=True) == []


def test_crossing_spans_below_the_threshold_do_not_match_unless_it_is_lowered() -> None:
    assert match_spans([(0, 10)], [(5, 15)]) == []  # 1/3
    assert found(match_spans([(0, 10)], [(5, 15)], threshold=0.3)) == [(0, 0, round(1 / 3, 9))]


def test_threshold_is_inclusive_despite_floating_point() -> None:
    # 3/5 = 0.6 exactly as a ratio; 0.6 · 5 is not exactly 3.0 in binary floating point.
    assert found(match_spans([(0, 5)], [(0, 3)], threshold=0.6)) == [(0, 0, 0.6)]


def test_one_to_many_competition_goes_to_the_best_overlap() -> None:
    # B's two claims both overlap A's one claim; A's claim takes the better one (0.9 > 0.6),
    # and the other is left unmatched, not matched twice.
    matches = match_spans([(0, 100)], [(0, 60), (10, 100)])
    assert found(matches) == [(0, 1, 0.9)]


def test_greedy_takes_the_best_pair_first_even_when_another_assignment_matches_more() -> None:
    # a0–b0 0.9 is taken first. a1 then finds b0 taken and b1 below the threshold (0.45), so
    # one match; the Hungarian algorithm would pair a0–b1 (0.85) and a1–b0 (0.67). Documented.
    a = [(0, 100), (0, 60)]
    b = [(0, 90), (15, 100)]
    assert found(match_spans(a, b)) == [(0, 0, 0.9)]


def test_duplicate_spans_pair_one_to_one() -> None:
    matches = match_spans([(0, 10), (0, 10)], [(0, 10)], exact=True)
    assert len(matches) == 1


def test_matching_does_not_depend_on_input_order() -> None:
    rng = random.Random(3)
    a = [(s, s + rng.randrange(5, 40)) for s in (rng.randrange(0, 200) for _ in range(15))]
    b = [(s, s + rng.randrange(5, 40)) for s in (rng.randrange(0, 200) for _ in range(15))]
    expected = {(a[m.a], b[m.b]) for m in match_spans(a, b)}
    assert expected  # the example has matches at all
    for _ in range(5):
        a2, b2 = a[:], b[:]
        rng.shuffle(a2)
        rng.shuffle(b2)
        assert {(a2[m.a], b2[m.b]) for m in match_spans(a2, b2)} == expected


def test_hand_example_with_nested_and_crossing_spans() -> None:
    a = [(0, 20), (30, 50), (60, 70), (80, 100)]
    b = [
        (0, 20),  # identical to a0
        (35, 50),  # nested in a1: 15/20 = 0.75
        (65, 80),  # crosses a2: 5/20 = 0.25, below the threshold
        (85, 95),  # nested in a3: 10/20 = 0.5, at the threshold
        (110, 120),  # only b
    ]
    assert [(m.a, m.b) for m in match_spans(a, b)] == [(0, 0), (1, 1), (3, 3)]
    assert [(m.a, m.b) for m in match_spans(a, b, exact=True)] == [(0, 0)]


def test_three_annotators_conflict_refuses_the_weakest_join() -> None:
    # Claims in canonical order: A: a1, a2; B: b1; C: c1.
    #   a2–c1 = 95/105 ≈ 0.905, a1–b1 = 90/110 ≈ 0.818, b1–c1 = 70/130 ≈ 0.538 are accepted
    #   (a1–c1 = 0.43 and a2–b1 = 0.48 are below 0.5). Joining all three links would put a1
    #   and a2 (both A's) in one unit, so the weakest link, b1–c1, is refused.
    spans = [(0, 100), (45, 145), (10, 110), (40, 140)]
    result = match_article(
        [s for s, _ in spans], [e for _, e in spans], [0, 0, 1, 2], threshold=0.5
    )
    assert {(i, j) for i, j, _ in result.overlap_pairs} == {(0, 2), (1, 3), (2, 3)}
    assert result.groups == [[0, 2], [1, 3]]
    assert result.conflicts == 1


def test_three_annotators_on_the_same_span_form_one_unit() -> None:
    result = match_article([0, 0, 0], [10, 10, 10], [0, 1, 2])
    assert result.groups == [[0, 1, 2]]
    assert len(result.exact_pairs) == 3
    assert result.conflicts == 0


def test_a_group_is_connected_by_accepted_pairs() -> None:
    # A–B and B–C overlap enough, A–C (0.43) does not: all three still form one unit.
    result = match_article([0, 20, 40], [100, 120, 140], [0, 1, 2])
    assert result.groups == [[0, 1, 2]]


def test_unmatched_claims_are_units_of_their_own() -> None:
    result = match_article([0, 50], [10, 60], [0, 1])
    assert result.groups == [[0], [1]]
    assert result.overlap_pairs == []
