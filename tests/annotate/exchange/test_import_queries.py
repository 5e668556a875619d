"""The claim import is set-based and reads a big file a chunk at a time (issue 21): the
same number of queries for 2 articles as for 12, whichever way the file names its
articles and sources; a file over several chunks is still one all-or-nothing import."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.claims import bulk as claim_bulk
from annotate.exchange import importing
from annotate.exchange.importing import import_annotations
from annotate.exchange.importing_files import read_items
from annotate.models import Assignment, Claim, ClaimStance, History
from corpus.services import membership_set
from tests.factories import (
    VALID_LABELS,
    ArticleFactory,
    ProjectFactory,
    SourceAliasFactory,
    SourceFactory,
    TargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _file(project: Any, n: int) -> tuple[bytes, int]:
    """n articles, each with three claims (a stance toward the one target): its source
    named by name, by id and by alias (one source per article, so the sources named grow
    with the file)."""
    lines = []
    target = TargetFactory(project=project)
    for i in range(n):
        article = ArticleFactory(project=project)
        source = SourceFactory(project=project, name=f"Speaker {i}")
        alias = SourceAliasFactory(source=source, alias=f"Spokesman {i}")
        words = article.text.split(" ")
        spans, at = [], 0
        for word in words[:3]:
            spans.append((at, at + len(word)))
            at += len(word) + 1
        named = [{"name": source.name}, {"id": source.pk}, alias.alias]
        claims = [
            {
                "start": s,
                "end": e,
                "quote": article.text[s:e],
                "source": who,
                "stances": [{"target": target.name, "stance": "favor"}],
                **VALID_LABELS,
            }
            for (s, e), who in zip(spans, named, strict=True)
        ]
        lines.append(json.dumps({"sha256": article.sha256, "claims": claims}))
    return "\n".join(lines).encode(), 3 * n


def _member(project: Any) -> Any:
    user = UserFactory()
    membership_set(project=project, user=user, role="annotator")
    return user


def _import(n: int) -> int:
    project = ProjectFactory()
    user = _member(project)
    data, expected = _file(project, n)
    with CaptureQueriesContext(connection) as queries:
        report = import_annotations(project=project, annotator=user, data=data, fmt="jsonl")
    assert report.ok and report.written, report.rejected
    assert report.created == expected == Claim.objects.filter(annotator=user).count()
    assert Assignment.objects.filter(annotator=user).count() == n
    sources = set(Claim.objects.filter(annotator=user).values_list("source__name", flat=True))
    assert len(sources) == n  # by name, by id and by alias: the same source
    claims = Claim.objects.filter(annotator=user).values_list("pk", flat=True)
    assert ClaimStance.objects.filter(claim__in=claims).count() == expected
    assert History.objects.filter(entity="claim", object_id__in=claims).count() == expected
    return len(queries)


def test_claim_import_queries_do_not_grow_with_articles_or_sources() -> None:
    assert _import(2) == _import(12)


def test_a_file_of_several_chunks_is_one_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 4 claims: the queries grow by a fixed number per chunk, a claim twice in
    the file (in two chunks) is written once, and a bad claim in the last chunk rolls
    back what the first chunks wrote."""
    monkeypatch.setattr(importing, "CHUNK", 4)
    project = ProjectFactory()
    data, expected = _file(project, 4)  # 12 claims: 3 chunks
    lines = data.decode().split("\n")
    user = _member(project)
    report = import_annotations(
        project=project, annotator=user, data="\n".join([*lines, lines[0]]), fmt="jsonl"
    )
    assert report.ok and report.written
    assert (report.created, report.skipped) == (expected, 3)
    assert Claim.objects.filter(annotator=user).count() == expected

    bad = json.loads(lines[-1])
    bad["claims"][-1]["start"] = 10**6
    other = _member(project)
    report = import_annotations(
        project=project, annotator=other, data="\n".join([*lines[:-1], json.dumps(bad)]),
        fmt="jsonl",
    )  # fmt: skip
    assert not report.written
    assert [r.where for r in report.rejected] == ["line 4, claim 3"]
    assert not Claim.objects.filter(annotator=other).exists()
    assert not Assignment.objects.filter(annotator=other).exists()


def test_queries_grow_by_chunks_not_by_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "CHUNK", 6)

    def queries(n: int) -> int:
        project = ProjectFactory()
        data, _ = _file(project, n)
        user = _member(project)
        with CaptureQueriesContext(connection) as captured:
            report = import_annotations(project=project, annotator=user, data=data, fmt="jsonl")
        assert report.written
        return len(captured.captured_queries)

    one, two, four = queries(2), queries(4), queries(8)  # 1, 2 and 4 chunks
    assert four - two == 2 * (two - one)


def test_a_line_that_is_not_utf8_late_in_the_file_writes_nothing() -> None:
    project = ProjectFactory()
    data, _ = _file(project, 3)
    user = _member(project)
    broken = data + b"\n" + '{"sha256": "Akıncı"}'.encode("cp1254")
    with pytest.raises(ValidationError, match=r"The file is not UTF-8 \(byte \d+\)"):
        import_annotations(project=project, annotator=user, data=broken, fmt="jsonl")
    assert not Claim.objects.filter(annotator=user).exists()


@pytest.mark.parametrize(
    ("escaped", "problem"),
    [
        (r"a NUL \u0000 here", "NUL character"),
        (r"a broken \ud83d here", "lone surrogate"),
        (r"a broken \uDFFF here", "lone surrogate"),
    ],
)
def test_a_line_with_a_risky_escape_is_still_checked(escaped: str, problem: str) -> None:
    """Lines without an escape that could decode to an unstorable character skip the walk
    over their strings; those with one are walked (and the item refused)."""
    line = '{"sha256": "x", "claims": [{"start": 0, "end": 3, "note": "' + escaped + '"}]}'
    [item] = read_items(line.encode(), "jsonl")
    assert not item.storable
    assert any(problem in p for p in item.problems), item.problems
    [plain] = read_items(
        b'{"sha256": "x", "claims": [{"start": 0, "end": 3, "note": "ok"}]}', "jsonl"
    )
    assert plain.storable and not plain.problems


def test_a_control_character_escaped_in_a_key_is_refused() -> None:
    line = '{"sha256": "x", "claims": [{"start": 0, "end": 3, "stances": [{"t\\bx": 1}]}]}'
    [item] = read_items(line, "jsonl")
    assert item.problems and "control character" in item.problems[0]


def test_an_imports_batches_read_each_source_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 21: every batch read again the sources (and targets) earlier batches had
    # found. Four articles naming one source by id, two articles a batch: the source is
    # checked (citable_sources) in the first batch only, the new ones when they come.
    monkeypatch.setattr(importing, "CHUNK", 6)
    asked: list[set[int]] = []
    real = claim_bulk.citable_sources

    def citable(ids: Any, projects: Any, *, viewer: Any) -> Any:
        asked.append(set(ids))
        return real(ids, projects, viewer=viewer)

    monkeypatch.setattr(claim_bulk, "citable_sources", citable)
    project = ProjectFactory()
    data, expected = _file(project, 4)  # 12 claims, 2 batches
    lines = [json.loads(line) for line in data.decode().split("\n")]
    first = lines[0]["claims"][1]["source"]  # {"id": …}
    late = SourceFactory(project=project, name="Late speaker")
    for line in lines:
        for claim in line["claims"]:
            claim["source"] = first
    lines[-1]["claims"][0]["source"] = {"id": late.pk}
    user = _member(project)
    report = import_annotations(
        project=project,
        annotator=user,
        data="\n".join(json.dumps(line) for line in lines),
        fmt="jsonl",
    )
    assert report.written and report.created == expected
    assert asked == [{first["id"]}, {late.pk}]
    assert Claim.objects.filter(annotator=user, source_id=first["id"]).count() == expected - 1
