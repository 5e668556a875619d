"""Agreement coefficients on coded values (pure, numpy).

Every coefficient comes back as a :class:`Figure`: the value (``None`` with a reason when it
is undefined, never NaN), the observed agreement beside it, and the n behind it.

Krippendorff's α is computed from the coincidence matrix, as in Krippendorff (2011)
"Computing Krippendorff's Alpha-Reliability": o_ck = Σ_u (pairs c–k in unit u) / (m_u − 1),
over units with m_u ≥ 2 values; α = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck. Units with one
value are not pairable and drop out, which is how α handles missing data. The formulas are
written here rather than taken from a package (``krippendorff`` on PyPI would do a single α)
because the report needs them batched (one α per article in one numpy pass), without V × V
matrices for nominal fields with thousands of values (sources), and weighted (the
character-level α in ``unitizing``); the tests check them against the published worked
examples (Krippendorff 2011; Fleiss' κ on Wikipedia; Krippendorff 1995 and 2004 for α_U).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Level = Literal["nominal", "ordinal", "interval"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NO_PAIRABLE = "no unit has values from two annotators"
ONE_CATEGORY = "all pairable values are in one category, so chance disagreement is zero"


@dataclass(frozen=True, slots=True)
class Figure:
    """One coefficient with what is needed to read it.

    ``observed_agreement`` is the share of agreeing pairs (exact match of values).
    ``n_units`` counts the units the figure rests on (for α: units with two or more values);
    ``n_values`` the values in them (for α: the pairable values).
    """

    value: float | None
    observed_agreement: float | None
    n_units: int
    n_values: int
    undefined_reason: str | None = None


def _undefined(reason: str, n_units: int = 0, n_values: int = 0) -> Figure:
    return Figure(None, None, n_units, n_values, reason)


# --- Krippendorff's α ---------------------------------------------------------------------


def delta_squared(
    marginals: FloatArray, level: Level, scale: FloatArray | None = None
) -> FloatArray:
    """δ²_ck for ``marginals`` of shape (..., V); the ordinal metric depends on them.

    ordinal: (Σ_{g=c..k} n_g − (n_c + n_k)/2)², which is symmetric in c, k, so one formula
    serves both triangles: (cum_k − cum_c + (n_c − n_k)/2)².
    """
    size = marginals.shape[-1]
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(size), (*marginals.shape[:-1], size, size)).copy()
    if level == "ordinal":
        cum = np.cumsum(marginals, axis=-1)
        diff = cum[..., None, :] - cum[..., :, None]
        half = (marginals[..., :, None] - marginals[..., None, :]) / 2.0
        result: FloatArray = (diff + half) ** 2
        return result
    if scale is None:
        raise ValueError("interval α needs the numeric value of each category")
    interval: FloatArray = np.broadcast_to(
        (scale[:, None] - scale[None, :]) ** 2, (*marginals.shape[:-1], size, size)
    ).copy()
    return interval


def alpha_from_coincidences(
    matrices: FloatArray,
    level: Level,
    *,
    n_units: Sequence[int] | IntArray | None = None,
    scale: FloatArray | None = None,
) -> list[Figure]:
    """Krippendorff's α for each coincidence matrix in ``matrices`` (shape (B, V, V))."""
    matrices = np.asarray(matrices, dtype=np.float64)
    if matrices.shape[-1] == 0:
        matrices = np.zeros((*matrices.shape[:-2], 1, 1))
    marg = matrices.sum(axis=2)
    n = marg.sum(axis=1)
    delta = delta_squared(marg, level, scale)
    observed = (matrices * delta).sum(axis=(1, 2))
    expected = (marg[:, :, None] * marg[:, None, :] * delta).sum(axis=(1, 2))
    agree = np.trace(matrices, axis1=1, axis2=2)
    figures = []
    for b in range(matrices.shape[0]):
        units = int(n_units[b]) if n_units is not None else 0
        n_b = float(n[b])
        n_values = round(n_b)
        if n_b < 2:
            figures.append(_undefined(NO_PAIRABLE, units, n_values))
            continue
        pct = float(agree[b]) / n_b
        if expected[b] <= 1e-12 * n_b * n_b:
            figures.append(Figure(None, pct, units, n_values, ONE_CATEGORY))
            continue
        value = 1.0 - (n_b - 1.0) * float(observed[b]) / float(expected[b])
        figures.append(Figure(value, pct, units, n_values))
    return figures


def alpha_table(
    values: IntArray,
    level: Level,
    n_categories: int,
    *,
    groups: IntArray | None = None,
    n_groups: int = 1,
    scale: FloatArray | None = None,
) -> list[Figure]:
    """Krippendorff's α from a units × annotators table of category codes (-1: missing),
    one figure per group of units (all units in one group when ``groups`` is None).

    Coincidences come from the pairs of values within a unit, each pair weighted 1/(m_u − 1).
    Nominal α needs only the agreeing pairs and the category totals, so it never builds the
    V × V matrices (a source registry can have thousands of values); the other levels do.
    """
    values = np.asarray(values, dtype=np.int64)
    n_units_total, n_raters = values.shape
    group = np.zeros(n_units_total, dtype=np.int64) if groups is None else np.asarray(groups)
    valid = values >= 0
    m = valid.sum(axis=1)
    pairable = m >= 2
    weight = np.where(pairable, 1.0 / np.maximum(m - 1, 1), 0.0)
    units_per_group = np.bincount(group[pairable], minlength=n_groups)
    size = max(n_categories, 1)
    if level == "nominal":
        agree = np.zeros(n_groups)
        for p in range(n_raters):
            for q in range(n_raters):
                if p != q:
                    same = valid[:, p] & valid[:, q] & (values[:, p] == values[:, q])
                    agree += np.bincount(group[same], weight[same], minlength=n_groups)
        rows, cols = np.nonzero(valid & pairable[:, None])
        keys = group[rows] * size + values[rows, cols]
        uniq, count = np.unique(keys, return_counts=True)
        n = np.bincount(group[rows], minlength=n_groups).astype(np.float64)
        sumsq = np.bincount(uniq // size, count.astype(np.float64) ** 2, minlength=n_groups)
        return [
            _nominal_figure(float(n[g]), float(agree[g]), float(sumsq[g]), int(units_per_group[g]))
            for g in range(n_groups)
        ]
    flat = np.zeros(n_groups * size * size)
    for p in range(n_raters):
        for q in range(n_raters):
            if p != q:
                both = valid[:, p] & valid[:, q]
                keys = (group[both] * size + values[both, p]) * size + values[both, q]
                flat += np.bincount(keys, weight[both], minlength=flat.size)
    matrices = flat.reshape(n_groups, size, size)
    return alpha_from_coincidences(matrices, level, n_units=units_per_group, scale=scale)


def _nominal_figure(n: float, agree: float, sumsq: float, units: int) -> Figure:
    n_values = round(n)
    if n < 2:
        return _undefined(NO_PAIRABLE, units, n_values)
    pct = agree / n
    expected = n * n - sumsq
    if expected <= 1e-12 * n * n:
        return Figure(None, pct, units, n_values, ONE_CATEGORY)
    return Figure(1.0 - (n - 1.0) * (n - agree) / expected, pct, units, n_values)


def krippendorff_alpha(
    data: Sequence[Sequence[object | None]],
    level: Level = "nominal",
    *,
    scale: Sequence[object] | None = None,
) -> Figure:
    """Krippendorff's α on reliability data: one row per annotator, one column per unit,
    ``None`` for a missing value.

    ``scale`` orders the categories (needed for ordinal; for interval the values must be
    numbers, and their order is their numeric order). Values not on a given scale raise.
    """
    rows = [list(row) for row in data]
    if not rows:
        return _undefined(NO_PAIRABLE)
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError("every annotator's row must have one entry per unit")
    seen = {v for row in rows for v in row if v is not None}
    if scale is not None:
        categories = list(scale)
        unknown = seen - set(categories)
        if unknown:
            raise ValueError(f"values not on the scale: {sorted(map(str, unknown))}")
    elif level == "nominal":
        categories = sorted(seen, key=str)
    else:
        categories = sorted(seen)  # type: ignore[type-var]
    index = {v: i for i, v in enumerate(categories)}
    table = np.array(
        [[-1 if v is None else index[v] for v in row] for row in rows], dtype=np.int64
    ).T
    numeric = (
        np.array([float(v) for v in categories])  # type: ignore[arg-type]
        if level == "interval"
        else None
    )
    return alpha_table(table, level, len(categories), scale=numeric)[0]


# --- κ ------------------------------------------------------------------------------------


def cohen_kappa(confusion: FloatArray | Sequence[Sequence[float]]) -> Figure:
    """Cohen's κ from a square confusion matrix (rows: annotator A, columns: annotator B).

    κ = (p_o − p_e) / (1 − p_e), p_e from each annotator's own marginals. n_units is the number
    of units both annotators coded.
    """
    table = np.asarray(confusion, dtype=np.float64)
    total = float(table.sum())
    n = round(total)
    if total == 0:
        return _undefined("no unit was coded by both annotators")
    p_o = float(np.trace(table)) / total
    p_e = float((table.sum(axis=1) * table.sum(axis=0)).sum()) / (total * total)
    if p_e >= 1.0 - 1e-12:
        return Figure(None, p_o, n, 2 * n, "both annotators used a single, identical category")
    return Figure((p_o - p_e) / (1.0 - p_e), p_o, n, 2 * n)


def cohen_kappa_codes(a: IntArray, b: IntArray, n_categories: int) -> Figure:
    """Cohen's κ from two annotators' category codes on the same units (both given), without
    building the V × V table (nominal fields can have thousands of values)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    total = len(a)
    if total == 0:
        return _undefined("no unit was coded by both annotators")
    p_o = float((a == b).mean())
    size = max(n_categories, 1)
    p_e = float((np.bincount(a, minlength=size) * np.bincount(b, minlength=size)).sum())
    p_e /= float(total) * total
    if p_e >= 1.0 - 1e-12:
        return Figure(
            None, p_o, total, 2 * total, "both annotators used a single, identical category"
        )
    return Figure((p_o - p_e) / (1.0 - p_e), p_o, total, 2 * total)


def fleiss_kappa(counts: FloatArray | Sequence[Sequence[float]]) -> Figure:
    """Fleiss' κ from a units × categories table of how many raters chose each category.

    Every unit must have the same number of ratings (two or more). observed_agreement is P̄,
    the mean share of agreeing rater pairs per unit.
    """
    table = np.asarray(counts, dtype=np.float64)
    if table.size == 0 or table.shape[0] == 0:
        return _undefined("no unit was coded by every annotator")
    raters = table.sum(axis=1)
    r = float(raters[0])
    if not np.all(raters == r):
        raise ValueError("Fleiss' κ needs the same number of ratings for every unit")
    units = table.shape[0]
    if r < 2:
        return _undefined("Fleiss' κ needs two or more ratings per unit", units, round(r * units))
    p_i = ((table * table).sum(axis=1) - r) / (r * (r - 1.0))
    p_bar = float(p_i.mean())
    p_j = table.sum(axis=0) / (units * r)
    p_e = float((p_j * p_j).sum())
    n_values = round(r * units)
    if p_e >= 1.0 - 1e-12:
        return Figure(None, p_bar, units, n_values, ONE_CATEGORY)
    return Figure((p_bar - p_e) / (1.0 - p_e), p_bar, units, n_values)


def fleiss_kappa_codes(values: IntArray) -> Figure:
    """Fleiss' κ from a units × raters table of category codes, every cell given (≥ 0).

    The same as :func:`fleiss_kappa` on the category counts, without building a units ×
    categories table (nominal fields can have thousands of values): Σ_j n_ij² per unit is
    r plus the number of agreeing ordered rater pairs.
    """
    values = np.asarray(values, dtype=np.int64)
    units, r = values.shape
    if units == 0:
        return _undefined("no unit was coded by every annotator")
    if r < 2:
        return _undefined("Fleiss' κ needs two or more ratings per unit", units, r * units)
    agreeing = np.zeros(units)
    for p in range(r):
        for q in range(r):
            if p != q:
                agreeing += values[:, p] == values[:, q]
    p_bar = float((agreeing / (r * (r - 1.0))).mean())
    p_j = np.bincount(values.ravel()) / float(units * r)
    p_e = float((p_j * p_j).sum())
    if p_e >= 1.0 - 1e-12:
        return Figure(None, p_bar, units, r * units, ONE_CATEGORY)
    return Figure((p_bar - p_e) / (1.0 - p_e), p_bar, units, r * units)


# --- span detection -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpanScore:
    """Span detection against a reference annotator.

    a: claims both made (matched pairs); b: only the reference made; c: only the other made.
    precision = a / (a + c), recall = a / (a + b), f1 = 2a / (2a + b + c) — symmetric in the two
    annotators, equal to positive specific agreement.
    """

    a: int
    b: int
    c: int
    precision: float | None
    recall: float | None
    f1: float | None
    n_claims: int


def span_score(a: int, b: int, c: int) -> SpanScore:
    return SpanScore(
        a=a,
        b=b,
        c=c,
        precision=a / (a + c) if a + c else None,
        recall=a / (a + b) if a + b else None,
        f1=2 * a / (2 * a + b + c) if 2 * a + b + c else None,
        n_claims=2 * a + b + c,
    )
