"""The agreement report of a project: claims in, figures and units out (pure).

:func:`project_agreement` matches claims per article (``matching``), joins them into units,
and measures span detection (F1), unitizing over the whole text (``unitizing``) and, per field
on the units, Krippendorff's α, Cohen's κ per pair, Fleiss' κ and confusion matrices
(``coefficients``). Everything is computed per article and for the project; project-level F1
and α pool the counts of all articles (micro), they are not averages of per-article figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np

from annotate.agreement.coefficients import Figure, SpanScore, span_score
from annotate.agreement.fields import (
    FieldAgreement,
    code_field,
    field_agreement,
    raw_values,
    record_differences,
)
from annotate.agreement.matching import match_article
from annotate.agreement.records import (
    STANCE_PREFIX,
    AgreementConfig,
    ArticleRecord,
    ClaimRecord,
    FieldSpec,
    Id,
    id_key,
)
from annotate.agreement.unitizing import Unitizing, unitizing_batch

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
    each member's value (``None`` if left empty). ``exact``: every annotator of the article
    marked exactly the same span.
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


def project_agreement(
    claims: Iterable[ClaimRecord],
    articles: Iterable[ArticleRecord],
    config: AgreementConfig | None = None,
) -> AgreementReport:
    """Agreement of a project's annotators, per project, article, annotator pair and field.

    Every article of ``claims`` must be among ``articles`` (for its length and annotators).
    Raises ``ValueError`` for a claim outside its article's text.
    """
    cfg = config or AgreementConfig()
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
    n_ann = len(annotators)

    # Claims in canonical order: article, annotator, start, end, id.
    ordered: list[ClaimRecord] = []
    article_bounds = [0]
    for aid in article_ids:
        ordered.extend(
            sorted(
                by_article[aid],
                key=lambda c: (ann_index[c.annotator_id], c.start, c.end, id_key(c.claim_id)),
            )
        )
        article_bounds.append(len(ordered))
    starts = np.array([c.start for c in ordered], dtype=np.int64)
    ends = np.array([c.end for c in ordered], dtype=np.int64)
    owner = np.array([ann_index[c.annotator_id] for c in ordered], dtype=np.int64)
    lengths = np.array([records[aid].length for aid in article_ids], dtype=np.int64)
    claim_article = np.repeat(np.arange(len(article_ids)), np.diff(article_bounds))
    bad = (starts < 0) | (starts >= ends) | (ends > lengths[claim_article])
    if bad.any():
        c = ordered[int(np.nonzero(bad)[0][0])]
        raise ValueError(f"claim {c.claim_id!r} [{c.start}, {c.end}) is outside its article")

    # Matching, units and span detection, article by article.
    unit_rows: list[list[int]] = []  # global claim indices per unit
    unit_article: list[int] = []
    article_units: list[tuple[int, int]] = []
    article_spans: list[list[SpanAgreement]] = []
    conflicts: list[int] = []
    pair_totals: dict[tuple[int, int], list[int]] = {}
    for a_i in range(len(article_ids)):
        lo, hi = article_bounds[a_i], article_bounds[a_i + 1]
        result = match_article(
            starts[lo:hi], ends[lo:hi], owner[lo:hi], threshold=cfg.overlap_threshold
        )
        first_unit = len(unit_rows)
        unit_rows.extend([lo + k for k in group] for group in result.groups)
        unit_article.extend([a_i] * len(result.groups))
        article_units.append((first_unit, len(unit_rows)))
        conflicts.append(result.conflicts)
        per_owner = Counter(owner[lo:hi].tolist())
        overlap_n = Counter(
            (int(owner[lo + i]), int(owner[lo + j])) for i, j, _ in result.overlap_pairs
        )
        exact_n = Counter((int(owner[lo + i]), int(owner[lo + j])) for i, j in result.exact_pairs)
        spans = []
        for p, q in combinations([ann_index[a] for a in ann_sets[a_i]], 2):
            counts = [overlap_n[p, q], per_owner[p], per_owner[q], exact_n[p, q]]
            total = pair_totals.setdefault((p, q), [0, 0, 0, 0, 0])
            for k, v in enumerate(counts):
                total[k] += v
            total[4] += 1
            spans.append(_span_agreement(annotators[p], annotators[q], counts, 1))
        article_spans.append(spans)

    span_pairs = [
        _span_agreement(annotators[p], annotators[q], t[:4], t[4])
        for (p, q), t in sorted(pair_totals.items())
    ]
    pooled = [sum(t[k] for t in pair_totals.values()) for k in range(4)]
    span_all = _span_agreement(None, None, pooled, len([s for s in article_spans if s]))

    # The unit × annotator table of claim indices (-1: missing cell).
    n_units = len(unit_rows)
    cell = np.full((n_units, max(n_ann, 1)), -1, dtype=np.int64)
    for u, row in enumerate(unit_rows):
        cell[u, owner[row]] = row
    u_article = np.array(unit_article, dtype=np.int64)
    m_article = np.array([len(s) for s in ann_sets], dtype=np.int64)
    present = cell >= 0

    # Unitizing over the whole text.
    unit_per_article, unit_all = unitizing_batch(
        starts, ends, claim_article, owner, lengths, m_article
    )

    # Fields on the units; a claim without a stance toward a target leaves that cell missing.
    coded = [code_field(s, raw_values(c.fields.get(s.name) for c in ordered)) for s in cfg.fields]
    if cfg.stance is not None:
        targets = cfg.stance_targets
        if targets is None:
            targets = tuple(sorted({t for c in ordered for t in c.stances}, key=id_key))
        st = cfg.stance
        for t in targets:
            spec = FieldSpec(
                f"{STANCE_PREFIX}{t}", st.level, st.scale, st.not_judgeable, st.confusion
            )
            coded.append(code_field(spec, raw_values(c.stances.get(t) for c in ordered)))

    pairs_seen = sorted(pair_totals)
    fields: list[FieldAgreement] = []
    article_fields: list[dict[str, Figure]] = [{} for _ in article_ids]
    differences: dict[int, dict[str, dict[Id, str | None]]] = defaultdict(dict)
    for f in coded:
        fa, per_article = field_agreement(
            f, cell, present, u_article, m_article, len(article_ids), pairs_seen, annotators
        )
        fields.append(fa)
        for a_i, fig in enumerate(per_article):
            article_fields[a_i][f.spec.name] = fig
        record_differences(f, cell, present, annotators, differences)

    # Units and articles, for the review screen.
    units: list[Unit] = []
    complete = 0
    for u, row in enumerate(unit_rows):
        a_i = unit_article[u]
        members = [
            UnitMember(
                ordered[k].annotator_id, ordered[k].claim_id, ordered[k].start, ordered[k].end
            )
            for k in row
        ]
        here = {m.annotator_id for m in members}
        missing = [a for a in ann_sets[a_i] if a not in here]
        compared = len(members) >= 2
        complete += compared and not missing
        exact = compared and not missing and len({(m.start, m.end) for m in members}) == 1
        units.append(
            Unit(
                article_ids[a_i],
                u - article_units[a_i][0],
                min(m.start for m in members),
                max(m.end for m in members),
                members,
                missing,
                exact,
                differences.get(u, {}),
            )
        )
    article_reports = []
    for a_i, aid in enumerate(article_ids):
        u_lo, u_hi = article_units[a_i]
        article_reports.append(
            ArticleAgreement(
                article_id=aid,
                length=int(lengths[a_i]),
                annotator_ids=ann_sets[a_i],
                n_claims=article_bounds[a_i + 1] - article_bounds[a_i],
                n_units=u_hi - u_lo,
                n_complete_units=sum(
                    len(u.members) >= 2 and not u.missing for u in units[u_lo:u_hi]
                ),
                match_conflicts=conflicts[a_i],
                spans=article_spans[a_i],
                unitizing=unit_per_article[a_i],
                fields=article_fields[a_i],
                units=units[u_lo:u_hi],
            )
        )
    return AgreementReport(
        matching=MATCHING,
        overlap_threshold=cfg.overlap_threshold,
        annotator_ids=annotators,
        n_articles=len(article_ids),
        n_claims=len(ordered),
        n_units=n_units,
        n_complete_units=complete,
        spans=span_all,
        span_pairs=span_pairs,
        unitizing=unit_all,
        fields=fields,
        articles=article_reports,
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
