"""The project report: units, missing cells, per-field figures, degenerate projects."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from annotate.review.agreement import (
    AgreementConfig,
    ArticleRecord,
    ClaimRecord,
    FieldSpec,
    config_from_scheme,
    project_agreement,
)
from annotate.review.agreement.timing import synthetic_project
from corpus.scheme import default_scheme

RELIABILITY = FieldSpec(
    "source_reliability", "ordinal", scale=("A", "B", "C", "D", "E"), not_judgeable=("F",),
    confusion=True,
)  # fmt: skip
ONLY_RELIABILITY = AgreementConfig(fields=(RELIABILITY,), stance=None)


def claim(
    article: int, annotator: str, cid: int, start: int, end: int, **fields: Any
) -> ClaimRecord:
    stances = fields.pop("stances", {})
    return ClaimRecord(article, annotator, cid, start, end, fields, stances)


def field(report: Any, name: str) -> Any:
    return next(f for f in report.fields if f.field == name)


def test_span_f1_per_article_and_micro_over_the_project() -> None:
    # Article 1 is the hand example of the matching tests: overlap a=3, b=1, c=2; exact a=1.
    # Article 2: A marked one claim, B none → b=1.
    a_spans = [(0, 20), (30, 50), (60, 70), (80, 100)]
    b_spans = [(0, 20), (35, 50), (65, 80), (85, 95), (110, 120)]
    claims = [claim(1, "A", k, s, e) for k, (s, e) in enumerate(a_spans)]
    claims += [claim(1, "B", 10 + k, s, e) for k, (s, e) in enumerate(b_spans)]
    claims.append(claim(2, "A", 20, 0, 10))
    articles = [ArticleRecord(1, 200, ("A", "B")), ArticleRecord(2, 50, ("A", "B"))]
    report = project_agreement(claims, articles)

    first = report.articles[0].spans[0]
    assert (first.overlap.a, first.overlap.b, first.overlap.c) == (3, 1, 2)
    assert first.overlap.f1 == pytest.approx(2 / 3)
    assert first.overlap.precision == pytest.approx(3 / 5)
    assert first.overlap.recall == pytest.approx(3 / 4)
    assert (first.exact.a, first.exact.b, first.exact.c) == (1, 3, 4)
    assert first.exact.f1 == pytest.approx(2 / 9)
    assert report.articles[1].spans[0].overlap.f1 == 0.0
    # Micro: a=3, b=2, c=2 → 6/10, not the mean of 2/3 and 0.
    assert report.spans.overlap.f1 == pytest.approx(0.6)
    assert report.span_pairs[0].overlap.f1 == pytest.approx(0.6)
    assert report.span_pairs[0].n_articles == 2


def test_three_annotators_with_a_conflict_leave_cells_missing() -> None:
    # See the matching test: the weakest link b1–c1 is refused.
    claims = [
        claim(1, "A", 1, 0, 100, source_reliability="A"),
        claim(1, "A", 2, 45, 145, source_reliability="B"),
        claim(1, "B", 3, 10, 110, source_reliability="A"),
        claim(1, "C", 4, 40, 140, source_reliability="C"),
    ]
    report = project_agreement(claims, [ArticleRecord(1, 300)], ONLY_RELIABILITY)
    article = report.articles[0]
    assert article.match_conflicts == 1
    assert [[m.claim_id for m in u.members] for u in article.units] == [[1, 3], [2, 4]]
    assert [u.missing for u in article.units] == [["C"], ["B"]]
    assert article.n_complete_units == 0
    # A unit's differences list its members only; the missing annotator is not filled in.
    assert article.units[1].differences == {"source_reliability": {"A": "B", "C": "C"}}
    assert article.units[0].differences == {}
    rel = field(report, "source_reliability")
    assert rel.alpha.n_units == 2 and rel.alpha.n_values == 4
    # Fleiss' κ needs every annotator's value on a unit: none has all three.
    assert rel.fleiss_raters == 3
    assert rel.fleiss_kappa.n_units == 0 and rel.fleiss_kappa.value is None


def test_unmatched_claim_is_a_unit_with_missing_cells_not_a_default_value() -> None:
    claims = [
        claim(1, "A", 1, 0, 10, claim_type="factual"),
        claim(1, "B", 2, 0, 10, claim_type="factual"),
        claim(1, "A", 3, 50, 60, claim_type="evaluative"),
    ]
    config = AgreementConfig(fields=(FieldSpec("claim_type"),), stance=None)
    report = project_agreement(claims, [ArticleRecord(1, 100)], config)
    units = report.articles[0].units
    assert [u.missing for u in units] == [[], ["B"]]
    assert units[0].exact and not units[1].exact
    ct = field(report, "claim_type")
    # Only the matched unit has two values; the lone claim adds nothing to α.
    assert ct.alpha.n_units == 1 and ct.alpha.n_values == 2
    assert ct.alpha.value is None  # one category among pairable values
    assert ct.alpha.observed_agreement == 1.0


def test_not_judgeable_values_count_as_missing_and_their_share_is_reported() -> None:
    claims = [
        claim(1, "A", 1, 0, 10, source_reliability="A"),
        claim(1, "B", 2, 0, 10, source_reliability="B"),
        claim(1, "C", 3, 0, 10, source_reliability="F"),
        claim(1, "A", 4, 20, 30, source_reliability="D"),
        claim(1, "B", 5, 20, 30, source_reliability="D"),
        claim(1, "C", 6, 20, 30, source_reliability="E"),
    ]
    report = project_agreement(claims, [ArticleRecord(1, 100)], ONLY_RELIABILITY)
    rel = field(report, "source_reliability")
    assert rel.n_given == 6
    assert rel.n_not_judgeable == 1
    assert rel.not_judgeable_share == pytest.approx(1 / 6)
    assert rel.alpha.n_values == 5  # F dropped from the first unit
    assert rel.fleiss_kappa.n_units == 1  # only the second unit has three judgeable values
    # Reference: the same data as reliability data, F as missing.
    from annotate.review.agreement import krippendorff_alpha

    expected = krippendorff_alpha(
        [["A", "D"], ["B", "D"], [None, "E"]], "ordinal", scale=["A", "B", "C", "D", "E"]
    )
    assert rel.alpha.value == pytest.approx(expected.value)
    # F is shown in the confusion matrix of the pair (A, C).
    pair = next(p for p in rel.pairs if (p.annotator_a, p.annotator_b) == ("A", "C"))
    labels = pair.confusion.labels
    assert labels == ["A", "B", "C", "D", "E", "F"]
    assert pair.confusion.counts[labels.index("A")][labels.index("F")] == 1
    assert pair.cohen_kappa.n_units == 1


def test_off_scale_values_of_an_ordinal_field_are_missing_and_counted() -> None:
    claims = [
        claim(1, "A", 1, 0, 10, source_reliability="Z"),
        claim(1, "B", 2, 0, 10, source_reliability="A"),
    ]
    report = project_agreement(claims, [ArticleRecord(1, 100)], ONLY_RELIABILITY)
    rel = field(report, "source_reliability")
    assert rel.n_off_scale == 1
    assert rel.alpha.n_units == 0


def test_cohen_kappa_and_confusion_per_pair_on_units_both_coded() -> None:
    values = [("favor", "favor"), ("favor", "against"), ("against", "against"), ("none", "none")]
    claims = []
    for k, (a, b) in enumerate(values):
        claims.append(claim(1, "A", 2 * k, 10 * k, 10 * k + 5, stances={"csto": a}))
        claims.append(claim(1, "B", 2 * k + 1, 10 * k, 10 * k + 5, stances={"csto": b}))
    config = AgreementConfig(fields=())
    report = project_agreement(claims, [ArticleRecord(1, 100)], config)
    stance = field(report, "stance:csto")
    pair = stance.pairs[0]
    # p_o = 3/4; A: favor 2, against 1, none 1; B: favor 1, against 2, none 1;
    # p_e = (2·1 + 1·2 + 1·1) / 16 = 5/16; κ = (12/16 − 5/16) / (11/16) = 7/11.
    assert pair.cohen_kappa.value == pytest.approx(7 / 11)
    assert pair.cohen_kappa.observed_agreement == pytest.approx(0.75)
    assert pair.confusion.labels == ["favor", "against", "none"]
    assert pair.confusion.counts == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert stance.fleiss_kappa is None  # two annotators only


def test_stance_is_compared_per_target_and_an_absent_target_is_missing() -> None:
    claims = [
        claim(1, "A", 1, 0, 10, stances={"t1": "favor"}),
        claim(1, "B", 2, 0, 10, stances={"t1": "favor", "t2": "none"}),
    ]
    report = project_agreement(claims, [ArticleRecord(1, 100)], AgreementConfig(fields=()))
    assert [f.field for f in report.fields] == ["stance:t1", "stance:t2"]
    t2 = field(report, "stance:t2")
    assert t2.alpha.value is None and t2.alpha.n_units == 0
    assert report.articles[0].units[0].differences == {"stance:t2": {"A": None, "B": "none"}}


def test_fields_come_from_the_project_scheme() -> None:
    config = config_from_scheme(default_scheme())
    names = {spec.name: spec for spec in config.fields}
    assert set(names) == {
        "source",
        "attribution",
        "source_reliability",
        "information_credibility",
        "claim_type",
    }  # checkworthy is hidden by default
    assert names["source_reliability"].level == "ordinal"
    assert names["source_reliability"].scale == ("A", "B", "C", "D", "E")
    assert names["source_reliability"].not_judgeable == ("F",)
    assert names["information_credibility"].not_judgeable == ("6",)
    assert names["attribution"].level == "nominal"
    assert config.stance is not None and config.stance.scale == ("favor", "against", "none")


def test_per_article_alpha_uses_only_that_articles_units() -> None:
    claims = [
        claim(1, "A", 1, 0, 10, claim_type="factual"),
        claim(1, "B", 2, 0, 10, claim_type="factual"),
        claim(1, "A", 3, 20, 30, claim_type="evaluative"),
        claim(1, "B", 4, 20, 30, claim_type="evaluative"),
        claim(2, "A", 5, 0, 10, claim_type="factual"),
        claim(2, "B", 6, 0, 10, claim_type="evaluative"),
        claim(2, "A", 7, 20, 30, claim_type="evaluative"),
        claim(2, "B", 8, 20, 30, claim_type="factual"),
    ]
    config = AgreementConfig(fields=(FieldSpec("claim_type"),), stance=None)
    articles = [ArticleRecord(1, 100), ArticleRecord(2, 100)]
    report = project_agreement(claims, articles, config)
    assert report.articles[0].fields["claim_type"].value == pytest.approx(1.0)
    disagreeing = report.articles[1].fields["claim_type"].value
    assert disagreeing is not None and disagreeing < 0
    assert report.articles[1].fields["claim_type"].n_units == 2
    assert field(report, "claim_type").alpha.n_units == 4


def test_an_assigned_annotator_without_claims_counts_against_span_agreement() -> None:
    claims = [claim(1, "A", 1, 0, 10)]
    report = project_agreement(claims, [ArticleRecord(1, 100, ("A", "B"))])
    assert report.annotator_ids == ["A", "B"]
    assert report.spans.overlap.f1 == 0.0
    assert report.articles[0].units[0].missing == ["B"]
    assert report.unitizing.coverage_alpha.value is not None


def test_an_empty_project_reports_undefined_figures_without_crashing() -> None:
    report = project_agreement([], [])
    assert report.n_claims == 0 and report.n_units == 0
    assert report.spans.overlap.f1 is None
    assert report.unitizing.alpha_u.value is None
    assert all(f.alpha.value is None and f.alpha.undefined_reason for f in report.fields)
    json.dumps(report.to_dict())


def test_a_single_annotator_gives_no_agreement_figures() -> None:
    claims = [claim(1, "A", 1, 0, 10, claim_type="factual")]
    report = project_agreement(claims, [ArticleRecord(1, 100)])
    assert report.span_pairs == []
    assert report.unitizing.coverage_alpha.value is None
    assert field(report, "claim_type").alpha.undefined_reason
    assert report.articles[0].n_complete_units == 0
    assert not report.articles[0].units[0].exact


def test_claims_outside_their_article_or_of_unknown_articles_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        project_agreement([claim(1, "A", 1, 90, 110)], [ArticleRecord(1, 100)])
    with pytest.raises(ValueError, match="not given"):
        project_agreement([claim(2, "A", 1, 0, 10)], [ArticleRecord(1, 100)])


def test_report_is_json_serialisable_and_deterministic() -> None:
    claims, articles = synthetic_project(n_articles=8, seed=5)
    first = json.dumps(project_agreement(claims, articles).to_dict(), sort_keys=True)
    shuffled = claims[:]
    random.Random(1).shuffle(shuffled)
    again = json.dumps(
        project_agreement(shuffled, list(reversed(articles))).to_dict(), sort_keys=True
    )
    assert first == again
    data = json.loads(first)
    assert data["fields"][0]["alpha"]["n_units"] > 0
    assert data["articles"][0]["units"][0]["members"]
