"""Comparing the labels of matched claims, field by field (pure, numpy).

Each field's values are coded once per claim; the unit × annotator table of claim indices
then gives every coefficient by indexing. Stance is one nominal field per target.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from annotate.review.agreement.coefficients import (
    Figure,
    IntArray,
    alpha_table,
    cohen_kappa_codes,
    fleiss_kappa_codes,
)
from annotate.review.agreement.records import FieldSpec, Id


@dataclass(frozen=True, slots=True)
class Confusion:
    """Rows: annotator_a's value; columns: annotator_b's; on units both gave a value."""

    labels: list[str]
    counts: list[list[int]]


@dataclass(frozen=True, slots=True)
class FieldPair:
    annotator_a: Id
    annotator_b: Id
    alpha: Figure
    cohen_kappa: Figure
    confusion: Confusion | None


@dataclass(frozen=True, slots=True)
class FieldAgreement:
    """One field over the project's units.

    ``n_given``: values annotators gave (all claims); ``n_not_judgeable`` of them were
    "cannot be judged" (counted as missing); ``n_off_scale`` were not on the scale.
    ``fleiss_kappa`` is on units where all ``fleiss_raters`` annotators of the article gave a
    value (``None`` when no article has three or more annotators; when articles have
    different numbers, those with the most common number of three or more).
    """

    field: str
    level: str
    alpha: Figure
    fleiss_kappa: Figure | None
    fleiss_raters: int
    n_given: int
    n_not_judgeable: int
    not_judgeable_share: float | None
    n_off_scale: int
    pairs: list[FieldPair]


# --- coding the values -----------------------------------------------------------------

_MISSING, _NOT_JUDGEABLE, _OFF_SCALE = -1, -2, -3


@dataclass(frozen=True, slots=True)
class Coded:
    spec: FieldSpec
    labels: list[str]  # categories, then the not-judgeable values (for confusion matrices)
    code: IntArray  # per claim: category, or _MISSING / _NOT_JUDGEABLE / _OFF_SCALE
    confusion_code: IntArray  # per claim: index into labels, or -1
    raw_code: IntArray  # per claim: index into ``distinct`` (0: empty)
    distinct: list[str | None]  # the distinct values as given, normalised; distinct[0] is None


def code_field(spec: FieldSpec, values: Sequence[object]) -> Coded:
    """Code one field's values (one per claim, as given: ``None``/``""`` empty, ids as str)."""
    # One pass in Python over the claims; the rest works on the few distinct values.
    first_seen = {v: k for k, v in enumerate(dict.fromkeys(values))}
    given = np.fromiter(map(first_seen.__getitem__, values), dtype=np.int64, count=len(values))
    normal: dict[str | None, int] = {None: 0}
    remap = np.array(
        [
            normal.setdefault(None if v is None or v == "" else str(v), len(normal))
            for v in first_seen
        ],
        dtype=np.int64,
    ).reshape(-1)
    raw_code = remap[given] if len(values) else np.zeros(0, dtype=np.int64)
    distinct = list(normal)

    nj = {v: i for i, v in enumerate(spec.not_judgeable)}
    scale = list(spec.scale)
    if spec.level == "nominal":
        on_scale = set(scale)
        scale += sorted(v for v in distinct if v is not None and v not in on_scale and v not in nj)
    index = {v: i for i, v in enumerate(scale)}
    code_of = np.full(len(distinct), _MISSING, dtype=np.int64)
    conf_of = np.full(len(distinct), -1, dtype=np.int64)
    for k, v in enumerate(distinct):
        if v is None:
            continue
        if v in nj:
            code_of[k], conf_of[k] = _NOT_JUDGEABLE, len(scale) + nj[v]
        elif v in index:
            code_of[k] = conf_of[k] = index[v]
        else:
            code_of[k] = _OFF_SCALE
    labels = scale + list(spec.not_judgeable)
    return Coded(spec, labels, code_of[raw_code], conf_of[raw_code], raw_code, distinct)


def field_values(f: Coded, cell: IntArray, present: npt.NDArray[np.bool_]) -> IntArray:
    """The unit × annotator table of the field's category codes (-1: no usable value)."""
    values = np.where(present, f.code[np.where(present, cell, 0)], _MISSING)
    result: IntArray = np.where(values >= 0, values, -1)
    return result


def field_agreement(
    f: Coded,
    cell: IntArray,
    present: npt.NDArray[np.bool_],
    u_article: IntArray,
    m_article: IntArray,
    n_articles: int,
    pairs: list[tuple[int, int]],
    annotators: list[Id],
) -> tuple[FieldAgreement, list[Figure]]:
    n_cat = len(f.labels) - len(f.spec.not_judgeable)
    safe = np.where(present, cell, 0)
    values = field_values(f, cell, present)
    valid = values >= 0
    level = f.spec.level
    alpha = alpha_table(values, level, n_cat)[0]
    per_article = alpha_table(values, level, n_cat, groups=u_article, n_groups=n_articles)

    field_pairs = []
    conf_values = np.where(present, f.confusion_code[safe], -1)
    size = len(f.labels)
    for p, q in pairs:
        both = valid[:, p] & valid[:, q]
        two = values[both][:, [p, q]]
        confusion = None
        if f.spec.confusion:
            shown = (conf_values[:, p] >= 0) & (conf_values[:, q] >= 0)
            conf = np.bincount(
                conf_values[shown, p] * size + conf_values[shown, q], minlength=size * size
            ).reshape(size, size)
            confusion = Confusion(list(f.labels), conf.tolist())
        field_pairs.append(
            FieldPair(
                annotators[p],
                annotators[q],
                alpha_table(two, level, n_cat)[0],
                cohen_kappa_codes(two[:, 0], two[:, 1], n_cat),
                confusion,
            )
        )

    fleiss: Figure | None = None
    raters = 0
    if (m_article >= 3).any():
        sizes = Counter(m_article[m_article >= 3].tolist())
        raters = max(sizes, key=lambda r: (sizes[r], r))
        full = (valid.sum(axis=1) == raters) & (m_article[u_article] == raters)
        rows, cols = np.nonzero(valid & full[:, None])  # row-major: each unit's values in turn
        fleiss = fleiss_kappa_codes(values[rows, cols].reshape(-1, raters))

    given = int((f.code != _MISSING).sum())
    nj = int((f.code == _NOT_JUDGEABLE).sum())
    return (
        FieldAgreement(
            field=f.spec.name,
            level=level,
            alpha=alpha,
            fleiss_kappa=fleiss,
            fleiss_raters=raters,
            n_given=given,
            n_not_judgeable=nj,
            not_judgeable_share=nj / given if given else None,
            n_off_scale=int((f.code == _OFF_SCALE).sum()),
            pairs=field_pairs,
        ),
        per_article,
    )


def record_differences(
    f: Coded,
    cell: IntArray,
    present: npt.NDArray[np.bool_],
    annotators: list[Id],
    out: dict[int, dict[str, dict[Id, str | None]]],
) -> None:
    """Record, per unit of two or more claims, each member's value where they differ."""
    codes = f.raw_code[np.where(present, cell, 0)]
    big = int(f.raw_code.max(initial=0)) + 1
    hi = np.where(present, codes, -1).max(axis=1, initial=-1)
    lo = np.where(present, codes, big).min(axis=1, initial=big)
    differ = (present.sum(axis=1) >= 2) & (hi != lo)
    name, distinct = f.spec.name, f.distinct
    where = np.nonzero(differ)[0]
    # Plain lists: indexing numpy arrays one cell at a time costs more than the rest.
    raw = np.where(present[where], codes[where], -1).tolist()
    for u, row in zip(where.tolist(), raw, strict=True):
        out[u][name] = {annotators[k]: distinct[c] for k, c in enumerate(row) if c >= 0}
