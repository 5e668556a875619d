"""Matching claims across annotators of one article, and joining matches into units (pure).

Matching is greedy, best overlap first (the scheme's first choice), one-to-one per pair of
annotators: every candidate pair of claims by two different annotators whose Jaccard overlap
of character sets is at least the threshold is taken in order of decreasing overlap, and
accepted unless one of its claims already has a partner from the other annotator. Ties are
broken by position: the claims are put in a canonical order (annotator, start, end, claim id),
and the earlier pair wins, so the result never depends on input order. Greedy can miss the
assignment with the most total overlap that the Hungarian algorithm would find (and so match
one pair fewer) when a claim's best partner was also another claim's only one above the
threshold; it stays without scipy, and it is what annotators expect to see on the review
screen: each claim's clearest counterpart is taken first.

Units: the accepted pairs of all annotator pairs are taken again in the same order and joined
(union-find) into groups, refusing a join that would put two claims of one annotator in a
group. A group is connected by accepted pairs; two of its members need not overlap each
other by the threshold themselves (A–B and B–C matched, A–C a little less).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Jaccard is a ratio of integers; the slack keeps e.g. 3/5 ≥ 0.6 true in floating point.
_EPS = 1e-9


def jaccard(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Jaccard overlap of two half-open spans' character sets: |a ∩ b| / |a ∪ b|."""
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ArticleMatch:
    """The outcome for one article's claims (indices into the claims as given).

    ``overlap_pairs``: accepted (i, j, jaccard) with the threshold; ``exact_pairs``: accepted
    pairs of identical spans; ``groups``: the units, each a list of claim indices, ordered by
    position; ``conflicts``: accepted pairs that could not be joined into a unit because the
    join would have put two claims of one annotator together.
    """

    overlap_pairs: list[tuple[int, int, float]]
    exact_pairs: list[tuple[int, int]]
    groups: list[list[int]]
    conflicts: int


def _greedy(
    i_idx: npt.NDArray[np.intp], j_idx: npt.NDArray[np.intp], owners: list[int]
) -> list[int]:
    """Positions (into the candidate arrays, already in priority order) that are accepted."""
    taken: set[tuple[int, int]] = set()  # (claim, the other annotator it is matched with)
    accepted = []
    for k, (i, j) in enumerate(zip(i_idx.tolist(), j_idx.tolist(), strict=True)):
        key_i, key_j = (i, owners[j]), (j, owners[i])
        if key_i in taken or key_j in taken:
            continue
        taken.add(key_i)
        taken.add(key_j)
        accepted.append(k)
    return accepted


def match_article(
    starts: Sequence[int] | npt.NDArray[np.int64],
    ends: Sequence[int] | npt.NDArray[np.int64],
    owners: Sequence[int] | npt.NDArray[np.intp],
    *,
    threshold: float = 0.5,
) -> ArticleMatch:
    """Match the claims of one article. ``owners`` gives each claim's annotator (an integer);
    claims should be in canonical order (annotator, start, end, id) for ties to be broken by
    position."""
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    own = np.asarray(owners, dtype=np.intp)
    n = len(s)
    if n < 2:
        return ArticleMatch([], [], [[i] for i in range(n)], 0)
    inter = np.minimum(e[:, None], e[None, :]) - np.maximum(s[:, None], s[None, :])
    lengths = e - s
    union = lengths[:, None] + lengths[None, :] - inter
    ok = (inter > 0) & (own[:, None] < own[None, :])
    ok &= inter >= threshold * union - _EPS
    i_idx, j_idx = np.nonzero(ok)
    jac = inter[i_idx, j_idx] / union[i_idx, j_idx]
    order = np.lexsort((j_idx, i_idx, -jac))
    i_idx, j_idx, jac = i_idx[order], j_idx[order], jac[order]

    owner_list = own.tolist()
    accepted = _greedy(i_idx, j_idx, owner_list)
    overlap_pairs = list(
        zip(i_idx[accepted].tolist(), j_idx[accepted].tolist(), jac[accepted].tolist(), strict=True)
    )
    ex_pos = np.nonzero(inter[i_idx, j_idx] == union[i_idx, j_idx])[0]
    ex_i, ex_j = i_idx[ex_pos], j_idx[ex_pos]
    ex_acc = _greedy(ex_i, ex_j, owner_list)
    exact_pairs = list(zip(ex_i[ex_acc].tolist(), ex_j[ex_acc].tolist(), strict=True))
    groups, conflicts = _join(n, overlap_pairs, owner_list, s.tolist())
    return ArticleMatch(overlap_pairs, exact_pairs, groups, conflicts)


def _join(
    n: int, pairs: list[tuple[int, int, float]], owners: list[int], starts: list[int]
) -> tuple[list[list[int]], int]:
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    annotators: dict[int, set[int]] = {i: {owners[i]} for i in range(n)}
    conflicts = 0
    for i, j, _ in pairs:  # already best overlap first
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        if annotators[gi] & annotators[gj]:
            conflicts += 1
            continue
        if len(members[gi]) < len(members[gj]):
            gi, gj = gj, gi
        for k in members[gj]:
            group_of[k] = gi
        members[gi].extend(members.pop(gj))
        annotators[gi] |= annotators.pop(gj)
    groups = [sorted(group, key=lambda k: (owners[k], k)) for group in members.values()]
    groups.sort(key=lambda g: (min(starts[k] for k in g), min(g)))
    return groups, conflicts


@dataclass(frozen=True, slots=True)
class Match:
    a: int
    b: int
    jaccard: float


def match_spans(
    a: Sequence[tuple[int, int]],
    b: Sequence[tuple[int, int]],
    *,
    threshold: float = 0.5,
    exact: bool = False,
) -> list[Match]:
    """One-to-one matches between two annotators' spans, best overlap first (indices into
    ``a`` and ``b`` as given). With ``exact``, only identical spans match."""
    order_a = sorted(range(len(a)), key=lambda k: (a[k], k))
    order_b = sorted(range(len(b)), key=lambda k: (b[k], k))
    spans = [a[k] for k in order_a] + [b[k] for k in order_b]
    owners = [0] * len(a) + [1] * len(b)
    result = match_article(
        [sp[0] for sp in spans], [sp[1] for sp in spans], owners, threshold=threshold
    )
    pairs = [(i, j, 1.0) for i, j in result.exact_pairs] if exact else result.overlap_pairs
    matches = [Match(order_a[i], order_b[j - len(a)], jac) for i, j, jac in pairs]
    return sorted(matches, key=lambda m: (m.a, m.b))
