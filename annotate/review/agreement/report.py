# One module (pure): the report's assembly from one pass over the claims.
"""The agreement report of a project: claims in, figures and units out (pure).

:func:`project_agreement` matches claims per article (``matching``), joins them into units,
and measures span detection (F1), unitizing over the whole text (``unitizing``) and, per field
on the units, Krippendorff's α, Cohen's κ per pair, Fleiss' κ and confusion matrices
(``coefficients``). Everything is computed per article and for the project; project-level F1
and α pool the counts of all articles (micro), they are not averages of per-article figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from annotate.review.agreement.coefficients import (
    Figure,
    IntArray,
    SpanScore,
    alpha_table,
    span_score,
)
from annotate.review.agreement.fields import (
    Coded,
    FieldAgreement,
    code_field,
    field_agreement,
    field_values,
    record_differences,
)
from annotate.review.agreement.matching import match_article
from annotate.review.agreement.records import (
    STANCE_PREFIX,
    AgreementConfig,
    ArticleRecord,
    ClaimRecord,
    FieldSpec,
    Id,
    id_key,
)
from annotate.review.agreement.unitizing import Unitizing, unitizing_batch

MATCHING = "greedy one-to-one, best Jaccard overlap first; units joined from accepted pairs"


@dataclass(frozen=True, slots=True)
class SpanAgreement:
    """Span detection for a pair of annotators (``None``/``None``: all pairs pooled)."""

    annotator_a: Id | None
    annotator_b: Id | None
    exact: SpanScore
    overlap: SpanScore
    n_articles: int


@dataclass(frozen=True, slots=True)
class UnitMember:
    annotator_id: Id
    claim_id: Id
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Unit:
    """A group of matched claims, at most one per annotator.

    ``missing``: annotators of the article with no claim here (a disagreement on whether a
    claim is there at all). ``differences``: per field whose values differ among the members,
    each member's value (``None`` if left empty). ``exact``: two or more annotators, all of
    the article's, marked exactly the same span. ``index`` orders the article's units by
    position.
    """

    article_id: Id
    index: int
    start: int
    end: int
    members: list[UnitMember]
    missing: list[Id]
    exact: bool
    differences: dict[str, dict[Id, str | None]]


@dataclass(frozen=True, slots=True)
class ArticleAgreement:
    """One article: span F1 per annotator pair, unitizing, α per field on its units (often
    few: read each with its n), and the units themselves. ``n_complete_units``: units in which
    every annotator of the article has a claim (two or more annotators)."""

    article_id: Id
    length: int
    annotator_ids: list[Id]
    n_claims: int
    n_units: int
    n_complete_units: int
    match_conflicts: int
    spans: list[SpanAgreement]
    unitizing: Unitizing
    fields: dict[str, Figure]
    units: list[Unit]


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Everything the analysis and review screens show; ``to_dict()`` is JSON-ready."""

    matching: str
    overlap_threshold: float
    annotator_ids: list[Id]
    n_articles: int
    n_claims: int
    n_units: int
    n_complete_units: int
    spans: SpanAgreement
    span_pairs: list[SpanAgreement]
    unitizing: Unitizing
    fields: list[FieldAgreement]
    articles: list[ArticleAgreement]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """The headline figures of a group of articles, equal to those of ``project_agreement``
    run on the group's articles alone: pooled span F1 (overlap), α per field."""

    n_articles: int
    n_units: int
    span_overlap: SpanScore
    fields: dict[str, Figure]


def project_agreement(
    claims: Iterable[ClaimRecord],
    articles: Iterable[ArticleRecord],
    config: AgreementConfig | None = None,
) -> AgreementReport:
    """Agreement of a project's annotators, per project, article, annotator pair and field.

    Every article of ``claims`` must be among ``articles`` (for its length and annotators).
    Raises ``ValueError`` for a claim outside its article's text.
    """
    return _report(claims, articles, config or AgreementConfig(), None)[0]


def project_agreement_grouped[K: Hashable](
    claims: Iterable[ClaimRecord],
    articles: Iterable[ArticleRecord],
    config: AgreementConfig | None,
    group_of: Mapping[Id, K],
) -> tuple[AgreementReport, dict[K, GroupFigures]]:
    """``project_agreement`` and, per group of articles (``group_of``: article → group;
    articles left out are in no group), the figures that ``project_agreement`` would give on
    that group's claims and articles alone. Matching is per article, so the groups reuse the
    project's units instead of matching again: one pass, linear in the claims."""
    report, groups = _report(claims, articles, config or AgreementConfig(), group_of)
    assert groups is not None
    return report, groups


def _report[K: Hashable](
    claims: Iterable[ClaimRecord],
    articles: Iterable[ArticleRecord],
    cfg: AgreementConfig,
    group_of: Mapping[Id, K] | None,
) -> tuple[AgreementReport, dict[K, GroupFigures] | None]:
    p = _prepare(claims, articles)
    m = _match(p, cfg.overlap_threshold)

    # The unit × annotator table of claim indices (-1: a missing cell).
    cell = np.full((len(m.unit_rows), max(len(p.annotators), 1)), -1, dtype=np.int64)
    for u, row in enumerate(m.unit_rows):
        cell[u, p.owner[row]] = row
    present = cell >= 0
    u_article = np.array(m.unit_article, dtype=np.int64)

    per_article_unitizing, unitizing_all = unitizing_batch(
        p.starts, p.ends, p.claim_article, p.owner, p.lengths, p.m_article
    )

    fields: list[FieldAgreement] = []
    article_fields: list[dict[str, Figure]] = [{} for _ in p.article_ids]
    differences: dict[int, dict[str, dict[Id, str | None]]] = defaultdict(dict)
    coded, targets = _coded_fields(p, cfg)
    for f in coded:
        summary, per_article = field_agreement(
            f, cell, present, u_article, p.m_article, len(p.article_ids), m.pairs, p.annotators
        )
        fields.append(summary)
        for a_i, figure in enumerate(per_article):
            article_fields[a_i][f.spec.name] = figure
        record_differences(f, cell, present, p.annotators, differences)

    units = _units(p, m, differences)
    article_reports = []
    for a_i, aid in enumerate(p.article_ids):
        u_lo, u_hi = m.article_units[a_i]
        here = units[u_lo:u_hi]
        article_reports.append(
            ArticleAgreement(
                article_id=aid,
                length=int(p.lengths[a_i]),
                annotator_ids=p.ann_sets[a_i],
                n_claims=p.bounds[a_i + 1] - p.bounds[a_i],
                n_units=len(here),
                n_complete_units=sum(_complete(u) for u in here),
                match_conflicts=m.conflicts[a_i],
                spans=m.article_spans[a_i],
                unitizing=per_article_unitizing[a_i],
                fields=article_fields[a_i],
                units=here,
            )
        )
    grouped = None
    if group_of is not None:
        grouped = _groups(p, m, cfg, coded, targets, cell, present, article_reports, group_of)
    report = AgreementReport(
        matching=MATCHING,
        overlap_threshold=cfg.overlap_threshold,
        annotator_ids=p.annotators,
        n_articles=len(p.article_ids),
        n_claims=len(p.claims),
        n_units=len(units),
        n_complete_units=sum(_complete(u) for u in units),
        spans=m.span_all,
        span_pairs=m.span_pairs,
        unitizing=unitizing_all,
        fields=fields,
        articles=article_reports,
    )
    return report, grouped


def _groups[K: Hashable](
    p: _Prepared,
    m: _Matched,
    cfg: AgreementConfig,
    coded: list[Coded],
    targets: tuple[Id, ...],
    cell: IntArray,
    present: npt.NDArray[np.bool_],
    article_reports: list[ArticleAgreement],
    group_of: Mapping[Id, K],
) -> dict[K, GroupFigures]:
    """The figures per group of articles, from the project's units (see
    ``project_agreement_grouped``). α per group comes from the same coincidence sums, in
    the same order, as on the group alone, so the figures are identical, not just close."""
    keys = list(dict.fromkeys(group_of[a] for a in p.article_ids if a in group_of))
    index = {k: g for g, k in enumerate(keys)}
    none = len(keys)  # articles in no group
    a_group = [index[group_of[a]] if a in group_of else none for a in p.article_ids]
    u_group = np.array([a_group[a_i] for a_i in m.unit_article], dtype=np.int64)

    n_articles = [0] * len(keys)
    n_units = [0] * len(keys)
    spans = [[0, 0, 0] for _ in keys]
    # The stance targets a group alone would compare: those its claims take a stance on.
    stanced: list[set[Id]] = [set() for _ in keys]
    for a_i, art in enumerate(article_reports):
        g = a_group[a_i]
        if g == none:
            continue
        n_articles[g] += 1
        n_units[g] += art.n_units
        for pair in art.spans:
            spans[g][0] += pair.overlap.a
            spans[g][1] += pair.overlap.b
            spans[g][2] += pair.overlap.c
        if cfg.stance is not None and cfg.stance_targets is None:
            for c in p.claims[p.bounds[a_i] : p.bounds[a_i + 1]]:
                stanced[g].update(c.stances)

    fields: list[dict[str, Figure]] = [{} for _ in keys]
    n_plain = len(coded) - len(targets)
    for k, f in enumerate(coded):
        n_cat = len(f.labels) - len(f.spec.not_judgeable)
        figures = alpha_table(
            field_values(f, cell, present),
            f.spec.level,
            n_cat,
            groups=u_group,
            n_groups=len(keys) + 1,
        )
        target = targets[k - n_plain] if k >= n_plain else None
        for g in range(len(keys)):
            if target is None or cfg.stance_targets is not None or target in stanced[g]:
                fields[g][f.spec.name] = figures[g]
    return {
        key: GroupFigures(n_articles[g], n_units[g], span_score(*spans[g]), fields[g])
        for g, key in enumerate(keys)
    }


@dataclass(frozen=True, slots=True)
class _Prepared:
    """The claims in canonical order (article, annotator, start, end, id), as arrays too."""

    article_ids: list[Id]
    ann_sets: list[list[Id]]  # each article's annotators
    annotators: list[Id]  # the project's; owner indexes this
    claims: list[ClaimRecord]
    bounds: list[int]  # claims[bounds[a]:bounds[a + 1]] are article a's
    starts: IntArray
    ends: IntArray
    owner: IntArray
    claim_article: IntArray
    lengths: IntArray
    m_article: IntArray


def _prepare(claims: Iterable[ClaimRecord], articles: Iterable[ArticleRecord]) -> _Prepared:
    records = {a.article_id: a for a in articles}
    by_article: dict[Id, list[ClaimRecord]] = defaultdict(list)
    for c in claims:
        by_article[c.article_id].append(c)
    unknown = set(by_article) - set(records)
    if unknown:
        raise ValueError(f"claims of articles not given: {sorted(unknown, key=id_key)[:5]}")

    article_ids = sorted(records, key=id_key)
    ann_sets = []
    for aid in article_ids:
        people = set(records[aid].annotator_ids) | {c.annotator_id for c in by_article[aid]}
        ann_sets.append(sorted(people, key=id_key))
    annotators = sorted({a for s in ann_sets for a in s}, key=id_key)
    ann_index = {a: k for k, a in enumerate(annotators)}

    ordered: list[ClaimRecord] = []
    bounds = [0]
    for aid in article_ids:
        ordered.extend(
            sorted(
                by_article[aid],
                key=lambda c: (ann_index[c.annotator_id], c.start, c.end, id_key(c.claim_id)),
            )
        )
        bounds.append(len(ordered))
    starts = np.array([c.start for c in ordered], dtype=np.int64)
    ends = np.array([c.end for c in ordered], dtype=np.int64)
    lengths = np.array([records[aid].length for aid in article_ids], dtype=np.int64)
    claim_article = np.repeat(np.arange(len(article_ids)), np.diff(bounds))
    bad = (starts < 0) | (starts >= ends) | (ends > lengths[claim_article])
    if bad.any():
        c = ordered[int(np.nonzero(bad)[0][0])]
        raise ValueError(f"claim {c.claim_id!r} [{c.start}, {c.end}) is outside its article")
    return _Prepared(
        article_ids=article_ids,
        ann_sets=ann_sets,
        annotators=annotators,
        claims=ordered,
        bounds=bounds,
        starts=starts,
        ends=ends,
        owner=np.array([ann_index[c.annotator_id] for c in ordered], dtype=np.int64),
        claim_article=claim_article.astype(np.int64),
        lengths=lengths,
        m_article=np.array([len(s) for s in ann_sets], dtype=np.int64),
    )


@dataclass(frozen=True, slots=True)
class _Matched:
    unit_rows: list[list[int]]  # claim indices of each unit
    unit_article: list[int]
    article_units: list[tuple[int, int]]  # each article's range of units
    conflicts: list[int]
    article_spans: list[list[SpanAgreement]]
    span_pairs: list[SpanAgreement]
    span_all: SpanAgreement
    pairs: list[tuple[int, int]]  # annotator pairs that shared an article


def _match(p: _Prepared, threshold: float) -> _Matched:
    """Match each article's claims; count span agreement per article and pair."""
    unit_rows: list[list[int]] = []
    unit_article: list[int] = []
    article_units: list[tuple[int, int]] = []
    article_spans: list[list[SpanAgreement]] = []
    conflicts: list[int] = []
    totals: dict[tuple[int, int], list[int]] = {}  # matched, n_a, n_b, exact, articles
    ann_index = {a: k for k, a in enumerate(p.annotators)}
    for a_i in range(len(p.article_ids)):
        lo, hi = p.bounds[a_i], p.bounds[a_i + 1]
        owner = p.owner[lo:hi]
        result = match_article(p.starts[lo:hi], p.ends[lo:hi], owner, threshold=threshold)
        first_unit = len(unit_rows)
        unit_rows.extend([lo + k for k in group] for group in result.groups)
        unit_article.extend([a_i] * len(result.groups))
        article_units.append((first_unit, len(unit_rows)))
        conflicts.append(result.conflicts)
        per_owner = Counter(owner.tolist())
        overlap_n = Counter((int(owner[i]), int(owner[j])) for i, j, _ in result.overlap_pairs)
        exact_n = Counter((int(owner[i]), int(owner[j])) for i, j in result.exact_pairs)
        spans = []
        for a, b in combinations([ann_index[x] for x in p.ann_sets[a_i]], 2):
            counts = [overlap_n[a, b], per_owner[a], per_owner[b], exact_n[a, b]]
            total = totals.setdefault((a, b), [0, 0, 0, 0, 0])
            for k, v in enumerate([*counts, 1]):
                total[k] += v
            spans.append(_span_agreement(p.annotators[a], p.annotators[b], counts, 1))
        article_spans.append(spans)
    pooled = [sum(t[k] for t in totals.values()) for k in range(4)]
    return _Matched(
        unit_rows=unit_rows,
        unit_article=unit_article,
        article_units=article_units,
        conflicts=conflicts,
        article_spans=article_spans,
        span_pairs=[
            _span_agreement(p.annotators[a], p.annotators[b], t[:4], t[4])
            for (a, b), t in sorted(totals.items())
        ],
        span_all=_span_agreement(None, None, pooled, sum(1 for s in article_spans if s)),
        pairs=sorted(totals),
    )


def _span_agreement(
    a: Id | None, b: Id | None, counts: list[int], n_articles: int
) -> SpanAgreement:
    matched, n_a, n_b, exact = counts
    return SpanAgreement(
        a,
        b,
        exact=span_score(exact, n_a - exact, n_b - exact),
        overlap=span_score(matched, n_a - matched, n_b - matched),
        n_articles=n_articles,
    )


def _coded_fields(p: _Prepared, cfg: AgreementConfig) -> tuple[list[Coded], tuple[Id, ...]]:
    """Every compared field coded per claim; stance becomes one field per target (coded
    last, in the order of the targets returned), and a claim without a stance toward a
    target leaves that cell missing."""
    labels = [c.fields for c in p.claims]
    coded = [code_field(s, [f.get(s.name) for f in labels]) for s in cfg.fields]
    targets: tuple[Id, ...] = ()
    if cfg.stance is not None:
        stances = [c.stances for c in p.claims]
        if cfg.stance_targets is not None:
            targets = cfg.stance_targets
        else:
            targets = tuple(sorted({t for s in stances for t in s}, key=id_key))
        st = cfg.stance
        for t in targets:
            spec = FieldSpec(
                f"{STANCE_PREFIX}{t}", st.level, st.scale, st.not_judgeable, st.confusion
            )
            coded.append(code_field(spec, [s.get(t) for s in stances]))
    return coded, targets


def _units(
    p: _Prepared, m: _Matched, differences: dict[int, dict[str, dict[Id, str | None]]]
) -> list[Unit]:
    units = []
    for u, row in enumerate(m.unit_rows):
        a_i = m.unit_article[u]
        members = [
            UnitMember(c.annotator_id, c.claim_id, c.start, c.end)
            for c in (p.claims[k] for k in row)
        ]
        here = {x.annotator_id for x in members}
        missing = [a for a in p.ann_sets[a_i] if a not in here]
        compared = len(members) >= 2
        same_span = len({(x.start, x.end) for x in members}) == 1
        units.append(
            Unit(
                article_id=p.article_ids[a_i],
                index=u - m.article_units[a_i][0],
                start=min(x.start for x in members),
                end=max(x.end for x in members),
                members=members,
                missing=missing,
                exact=compared and not missing and same_span,
                differences=differences.get(u, {}),
            )
        )
    return units


def _complete(unit: Unit) -> bool:
    return len(unit.members) >= 2 and not unit.missing
