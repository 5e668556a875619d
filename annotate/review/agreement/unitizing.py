"""Agreement on where the claims are, over the whole text (pure, numpy).

Two figures, both on the single category "inside a claim":

* **Character-level α on claim coverage** — every character of the text is a unit, each
  annotator's value is 1 if the character lies inside any of their claims, else 0; nominal α.
  A common approximation of α_U. Computed from runs of characters with the same coverage
  (weighting each run by its length), never character by character.
* **Krippendorff's α_U** (Krippendorff 1995, "On the reliability of unitizing contiguous data";
  2004, *Content Analysis*, 2nd ed., ch. 12): segments are compared as wholes, so a shifted
  boundary costs the square of the shift and a unit the other annotator left in a gap costs
  the square of its length. Observed: D_o = Σ_i Σ_j≠i Σ_g Σ_h δ²(ig, jh) / (m(m−1)L²) with
  δ² = (b_ig − b_jh)² + (e_ig − e_jh)² for two overlapping units, l² for a unit inside the
  other's gap, 0 otherwise. Expected:
  D_e = (2/L) Σ_units [(N−1)(2l³ − 3l² + l)/3 + l² Σ_{gaps g ≥ l} (g − l + 1)]
        / (mL(mL − 1) − Σ_units l(l − 1)).

α_U needs each annotator's units of a category not to overlap, but claims may nest, so an
annotator's overlapping claims are first merged into their union (touching claims stay two
units). For a project, the articles are laid end to end as one continuum; gaps are cut at
article boundaries, so no unit is ever imagined across two articles (this only changes D_e,
and makes the result independent of article order). α_U for a project needs the same number
of annotators on every article; otherwise it is left undefined, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotate.review.agreement.coefficients import (
    Figure,
    FloatArray,
    IntArray,
    alpha_from_coincidences,
)


@dataclass(frozen=True, slots=True)
class Unitizing:
    """Unitizing figures for one text (or a project's texts laid end to end)."""

    coverage_alpha: Figure
    alpha_u: Figure
    length: int
    n_annotators: int


@dataclass(frozen=True, slots=True)
class _Units:
    start: IntArray  # article-local
    end: IntArray
    article: IntArray
    annotator: IntArray


def merge_overlaps(
    starts: IntArray, ends: IntArray, article: IntArray, annotator: IntArray, total: int
) -> _Units:
    """Per (article, annotator), merge claims that share a character; keep touching ones apart."""
    if len(starts) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Units(empty, empty, empty, empty)
    order = np.lexsort((starts, article, annotator))
    s = starts[order].astype(np.int64)
    e = ends[order].astype(np.int64)
    art = article[order].astype(np.int64)
    ann = annotator[order].astype(np.int64)
    # Each run of one (annotator, article) gets its own stretch of a line that never goes
    # back, so that one cumulative maximum serves all runs.
    run_break = np.ones(len(s), dtype=bool)
    run_break[1:] = (ann[1:] != ann[:-1]) | (art[1:] != art[:-1])
    run = np.cumsum(run_break) - 1
    line_shift = run * (total + 1)
    ls, le = s + line_shift, e + line_shift
    reach = np.maximum.accumulate(le)
    new = np.ones(len(s), dtype=bool)
    new[1:] = ls[1:] >= reach[:-1]
    first = np.nonzero(new)[0]
    merged_end = np.maximum.reduceat(le, first) - line_shift[first]
    return _Units(s[first], merged_end, art[first], ann[first])


def _coverage(units: _Units, lengths: IntArray, m: IntArray) -> tuple[list[Figure], Figure]:
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    gs = units.start + offsets[units.article]
    ge = units.end + offsets[units.article]
    bp = np.unique(np.concatenate((gs, ge, offsets)))
    delta = np.zeros(len(bp), dtype=np.int64)
    np.add.at(delta, np.searchsorted(bp, gs), 1)
    np.add.at(delta, np.searchsorted(bp, ge), -1)
    k = np.cumsum(delta)[:-1].astype(np.float64)
    seg_len = np.diff(bp).astype(np.float64)
    seg_article = np.searchsorted(offsets, bp[:-1], side="right") - 1
    seg_m = m[seg_article].astype(np.float64)
    usable = seg_m >= 2
    w = np.where(usable, seg_len / np.maximum(seg_m - 1.0, 1.0), 0.0)
    n_art = len(lengths)
    o11 = np.bincount(seg_article, w * k * (k - 1), minlength=n_art)
    o00 = np.bincount(seg_article, w * (seg_m - k) * (seg_m - k - 1), minlength=n_art)
    o01 = np.bincount(seg_article, w * k * (seg_m - k), minlength=n_art)
    matrices = np.stack((np.stack((o00, o01), -1), np.stack((o01, o11), -1)), -2)
    chars = np.where(m >= 2, lengths, 0)
    per_article = alpha_from_coincidences(matrices, "nominal", n_units=chars)
    project = alpha_from_coincidences(
        matrices.sum(axis=0)[None], "nominal", n_units=[int(chars.sum())]
    )[0]
    return per_article, project


def _observed_sum(s: IntArray, e: IntArray, ann: IntArray, m: int) -> float:
    """Σ over ordered annotator pairs of δ² for one article's (merged) units."""
    if len(s) == 0:
        return 0.0
    overlap = (s[:, None] < e[None, :]) & (s[None, :] < e[:, None])
    overlap &= ann[:, None] != ann[None, :]
    d2 = (s[:, None] - s[None, :]) ** 2 + (e[:, None] - e[None, :]) ** 2
    unit_unit = float((d2 * overlap).sum())
    hit = np.zeros((len(s), int(ann.max()) + 1), dtype=bool)  # unit × annotator it overlaps
    rows, cols = np.nonzero(overlap)
    hit[rows, ann[cols]] = True
    missed = (m - 1) - hit.sum(axis=1)  # other annotators, with or without claims here
    lengths = (e - s).astype(np.float64)
    return unit_unit + 2.0 * float((lengths**2 * missed).sum())


def _gaps(s: IntArray, e: IntArray, ann: IntArray, length: int, m: int) -> IntArray:
    """Gap lengths of every annotator of one article (units sorted by annotator, start)."""
    if len(s) == 0:
        return np.full(m, length, dtype=np.int64)
    first = np.ones(len(s), dtype=bool)
    first[1:] = ann[1:] != ann[:-1]
    last = np.roll(first, -1)
    before = s - np.where(first, 0, np.roll(e, 1))
    after = length - e[last]
    idle = np.full(m - int(first.sum()), length, dtype=np.int64)  # annotators without units
    gaps = np.concatenate((before, after, idle))
    result: IntArray = gaps[gaps > 0].astype(np.int64)
    return result


def _expected(unit_lengths: FloatArray, gaps: IntArray, length: float, m: int) -> float:
    n_units = len(unit_lengths)
    if n_units == 0 or length <= 0:
        return 0.0
    lu = unit_lengths
    within = (n_units - 1) * float(((2 * lu**3 - 3 * lu**2 + lu) / 3.0).sum())
    g = np.sort(gaps.astype(np.float64))
    tail = np.concatenate(([0.0], np.cumsum(g[::-1])))[::-1]  # tail[i] = Σ g[i:]
    idx = np.searchsorted(g, lu, side="left")
    count = len(g) - idx
    placements = tail[idx] - (lu - 1.0) * count
    in_gaps = float((lu**2 * placements).sum())
    denominator = m * length * (m * length - 1.0) - float((lu * (lu - 1.0)).sum())
    return (2.0 / length) * (within + in_gaps) / denominator


def _alpha_u(
    observed: float, expected: float, n_units: int, n_values: int, pct: float | None
) -> Figure:
    if expected <= 0.0:
        reason = "no annotator marked a claim" if n_units == 0 else "chance disagreement is zero"
        return Figure(None, pct, n_units, n_values, reason)
    return Figure(1.0 - observed / expected, pct, n_units, n_values)


def unitizing_batch(
    starts: IntArray,
    ends: IntArray,
    article: IntArray,
    annotator: IntArray,
    lengths: IntArray,
    n_annotators: IntArray,
) -> tuple[list[Unitizing], Unitizing]:
    """Both figures per article and for all articles together.

    ``article`` indexes ``lengths``/``n_annotators``; ``annotator`` is any integer id; every
    article's annotators (``n_annotators`` of them, including those without claims) are the
    ones compared there.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    m = np.asarray(n_annotators, dtype=np.int64)
    total = int(lengths.sum())
    units = merge_overlaps(
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        np.asarray(article, dtype=np.int64),
        np.asarray(annotator, dtype=np.int64),
        total,
    )
    cover, cover_all = _coverage(units, lengths, m)

    by_article = np.argsort(units.article, kind="stable")
    bounds = np.searchsorted(units.article[by_article], np.arange(len(lengths) + 1))
    per_article: list[Unitizing] = []
    obs_total, pooled_lengths, pooled_gaps = 0.0, [], []
    compared = m >= 2
    project_m = sorted(set(m[compared].tolist()))
    for a in range(len(lengths)):
        sel = by_article[bounds[a] : bounds[a + 1]]
        s, e, ann = units.start[sel], units.end[sel], units.annotator[sel]
        length, ma = int(lengths[a]), int(m[a])
        n_values = ma * length
        if ma < 2 or length == 0:
            reason = "fewer than two annotators" if ma < 2 else "empty text"
            fig = Figure(None, None, len(s), n_values if ma >= 2 else 0, reason)
            per_article.append(Unitizing(cover[a], fig, length, ma))
            continue
        observed = _observed_sum(s, e, ann, ma)
        gaps = _gaps(s, e, ann, length, ma)
        lu = (e - s).astype(np.float64)
        d_o = observed / (ma * (ma - 1) * float(length) ** 2)
        d_e = _expected(lu, gaps, float(length), ma)
        pct = cover[a].observed_agreement
        per_article.append(
            Unitizing(cover[a], _alpha_u(d_o, d_e, len(s), n_values, pct), length, ma)
        )
        obs_total += observed
        pooled_lengths.append(lu)
        pooled_gaps.append(gaps)

    length_all = int(lengths[compared].sum())
    n_units_all = int(sum(len(x) for x in pooled_lengths))
    if len(project_m) > 1:
        alpha_all = Figure(
            None,
            cover_all.observed_agreement,
            n_units_all,
            int((lengths * m)[compared].sum()),
            "articles have different numbers of annotators "
            f"({', '.join(map(str, project_m))}); see the per-article α_U",
        )
        m_all = 0
    elif not project_m or length_all == 0:
        alpha_all = Figure(None, None, 0, 0, "no article has two annotators")
        m_all = 0
    else:
        m_all = project_m[0]
        lu_all = np.concatenate(pooled_lengths)
        gaps_all = np.concatenate(pooled_gaps)
        d_o = obs_total / (m_all * (m_all - 1) * float(length_all) ** 2)
        d_e = _expected(lu_all, gaps_all, float(length_all), m_all)
        alpha_all = _alpha_u(
            d_o, d_e, n_units_all, m_all * length_all, cover_all.observed_agreement
        )
    return per_article, Unitizing(cover_all, alpha_all, length_all, m_all)


def unitizing(length: int, spans_by_annotator: Sequence[Sequence[tuple[int, int]]]) -> Unitizing:
    """Both figures for one text: ``spans_by_annotator`` holds each annotator's half-open
    spans (an annotator who marked nothing is an empty list)."""
    starts, ends, ann = [], [], []
    for a, spans in enumerate(spans_by_annotator):
        for s, e in spans:
            starts.append(s)
            ends.append(e)
            ann.append(a)
    per_article, _ = unitizing_batch(
        np.array(starts, dtype=np.int64),
        np.array(ends, dtype=np.int64),
        np.zeros(len(starts), dtype=np.int64),
        np.array(ann, dtype=np.int64),
        np.array([length]),
        np.array([len(spans_by_annotator)]),
    )
    return per_article[0]
