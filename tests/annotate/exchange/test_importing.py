"""Importing JSONL and W3C annotations: round trips, and bad files write nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.exchange.importing import import_annotations
from annotate.models import Assignment, Claim
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes
from tests.factories import UserFactory

# One corpus for the module, each test in a savepoint of its own (conftest.py).
pytestmark = pytest.mark.usefixtures("_module_corpus")


@pytest.fixture
def newcomer(corpus: Corpus) -> Any:
    from corpus.services import membership_set

    user = UserFactory(username="nadia")
    membership_set(project=corpus.project, user=user, role="annotator")
    return user


def spans(user: Any) -> list[tuple[int, int, str, str | None]]:
    return sorted(
        (c.start, c.end, c.quote, c.source.name if c.source else None)
        for c in Claim.objects.live().filter(annotator=user)
    )


@pytest.mark.parametrize("fmt", ["jsonl", "w3c"])
def test_gold_export_imports_back_as_an_annotator(corpus: Corpus, newcomer: Any, fmt: str) -> None:
    data = export_bytes(fmt, corpus.project)
    report = import_annotations(project=corpus.project, annotator=newcomer, data=data, fmt=fmt)
    assert report.ok and report.written and report.created == 3
    gold = sorted(
        (c.start, c.end, c.quote, c.source.name if c.source else None) for c in corpus.gold
    )
    assert spans(newcomer) == gold
    imported = Claim.objects.get(annotator=newcomer, quote__startswith="Ankara")
    assert sorted((s.target.name, s.stance) for s in imported.stances.all()) == [
        ("Turkey's influence in Central Asia", "favor"),
        ("the CSTO", "none"),
    ]
    assert (imported.mention_start, imported.claim_type) == (
        corpus.gold[1].mention_start,
        "predictive",
    )
    assert Assignment.objects.filter(annotator=newcomer).count() == 2
    # Again: everything is already there.
    again = import_annotations(project=corpus.project, annotator=newcomer, data=data, fmt=fmt)
    assert again.created == 0 and again.skipped == 3


def _jsonl(corpus: Corpus, **claim: Any) -> bytes:
    article = corpus.articles[2]
    quote = "Temur Umarov"
    start = article.text.index(quote)
    base = {
        "start": start,
        "end": start + len(quote),
        "quote": quote,
        "source": {"name": "Temur Umarov"},
        "attribution": "author",
        "stances": [{"target": "China's influence in Central Asia", "stance": "favor"}],
        "source_reliability": "C",
        "information_credibility": "3",
        "claim_type": "factual",
    }
    good = dict(base)
    word = "Kazakhstan"
    at = article.text.index(word)
    base.update(start=at, end=at + len(word), quote=word)
    base.update(claim)
    return (
        json.dumps({"sha256": article.sha256, "claims": [good]}, ensure_ascii=False)
        + "\n"
        + json.dumps({"sha256": article.sha256, "claims": [base]}, ensure_ascii=False)
        + "\n"
    ).encode()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"end": 10_000}, "past the end of the text"),
        ({"quote": "Kazakstan"}, "the quote does not match"),
        ({"source": {"name": "Nobody Known"}}, "unknown source “Nobody Known”"),
        ({"stances": [{"target": "Mars", "stance": "favor"}]}, "unknown stance target “Mars”"),
        ({"claim_type": "gossip"}, "“gossip” is not a value"),
        ({"start": 59, "end": 60, "quote": None}, "falls inside “🇰🇿”"),
    ],
)
def test_bad_items_are_reported_and_nothing_is_written(
    corpus: Corpus, newcomer: Any, change: dict[str, Any], reason: str
) -> None:
    before = Claim.objects.count()
    data = _jsonl(corpus, **change)
    report = import_annotations(project=corpus.project, annotator=newcomer, data=data, fmt="jsonl")
    assert not report.written
    assert [r.where for r in report.rejected] == ["line 2, claim 1"]
    assert reason in str(report.rejected[0]), str(report.rejected[0])
    assert Claim.objects.count() == before
    assert not Assignment.objects.filter(annotator=newcomer).exists()


def test_partial_keeps_the_good_items(corpus: Corpus, newcomer: Any) -> None:
    data = _jsonl(corpus, quote="wrong")
    report = import_annotations(
        project=corpus.project, annotator=newcomer, data=data, fmt="jsonl", partial=True
    )
    assert report.written and report.created == 1 and len(report.rejected) == 1


def test_bad_json_and_unknown_article_are_reported(corpus: Corpus, newcomer: Any) -> None:
    data = b'{"sha256": "00", "claims": [{"start": 0, "end": 3}]}\n{not json\n'
    report = import_annotations(project=corpus.project, annotator=newcomer, data=data, fmt="jsonl")
    reasons = [str(r) for r in report.rejected]
    assert reasons[0].startswith("line 1, claim 1: no article of this project matches 00")
    assert reasons[1].startswith("line 2: not valid JSON")
    w3c = import_annotations(project=corpus.project, annotator=newcomer, data=b"[{", fmt="w3c")
    assert "not valid JSON" in str(w3c.rejected[0]) and not w3c.written
    assert not Claim.objects.filter(annotator=newcomer).exists()


def test_w3c_quote_mismatch_is_rejected(corpus: Corpus, newcomer: Any) -> None:
    document = json.loads(export_bytes("w3c", corpus.project))
    document["first"]["items"][0]["target"]["selector"][1]["exact"] = "something else"
    data = json.dumps(document).encode()
    report = import_annotations(project=corpus.project, annotator=newcomer, data=data, fmt="w3c")
    assert not report.written and len(report.rejected) == 1
    assert "quote does not match" in str(report.rejected[0])
    assert report.rejected[0].where.startswith("annotation 1 (urn:claimdesk:turkic:claim:")


def test_importer_must_be_a_member(corpus: Corpus) -> None:
    with pytest.raises(ValidationError, match="not a member"):
        import_annotations(project=corpus.project, annotator=UserFactory(), data=b"", fmt="jsonl")


def test_import_command_reports_and_fails_on_rejections(
    corpus: Corpus, newcomer: Any, tmp_path: Path
) -> None:
    path = tmp_path / "pre.jsonl"
    path.write_bytes(_jsonl(corpus, end=10_000))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import_annotations",
            str(path),
            "--project",
            "turkic",
            "--annotator",
            "nadia",
            stderr=err,
            stdout=io.StringIO(),
        )
    assert "rejected: line 2, claim 1: end: end 10000 is past the end" in err.getvalue()
    path.write_bytes(_jsonl(corpus))
    out = io.StringIO()
    call_command(
        "import_annotations", str(path), "--project", "turkic", "--annotator", "nadia", stdout=out
    )
    assert "Imported 2 claims as nadia (0 already there" in out.getvalue()


def test_every_bad_claim_of_a_file_is_reported_at_once(corpus: Corpus, newcomer: Any) -> None:
    lines = _jsonl(corpus, quote="wrong").decode().splitlines()
    bad_too = json.loads(lines[1])
    bad_too["claims"][0]["claim_type"] = "gossip"
    data = "\n".join([*lines, json.dumps(bad_too, ensure_ascii=False)]).encode()
    report = import_annotations(project=corpus.project, annotator=newcomer, data=data, fmt="jsonl")
    assert not report.written
    assert [r.where for r in report.rejected] == ["line 2, claim 1", "line 3, claim 1"]
    assert "“gossip” is not a value" in str(report.rejected[1])


def test_partial_import_of_a_duplicate_of_a_rejected_claim_keeps_the_good_one(
    corpus: Corpus, newcomer: Any
) -> None:
    good, bad = _jsonl(corpus).decode().splitlines()
    wrong = json.loads(bad)
    wrong["claims"][0]["claim_type"] = "gossip"
    # Same offsets: the first is rejected, so the second is not a duplicate of a created one.
    data = "\n".join([good, json.dumps(wrong, ensure_ascii=False), bad]).encode()
    report = import_annotations(
        project=corpus.project, annotator=newcomer, data=data, fmt="jsonl", partial=True
    )
    assert report.written and (report.created, report.skipped) == (2, 0)
    assert [r.where for r in report.rejected] == ["line 2, claim 1"]
    assert Claim.objects.filter(annotator=newcomer).count() == 2
    assert report.assigned == 1
