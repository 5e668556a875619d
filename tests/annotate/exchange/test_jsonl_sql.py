"""JSON Lines written by SQLite (``annotate.exchange.jsonl_sql``): the same bytes as the
Python path, whatever the characters, the options, the order of stances and aliases and
the decisions; and SQLite's JSON strings, code point by code point. (PostgreSQL keeps the
Python path.)"""

from __future__ import annotations

import datetime as dt
import json
from json.encoder import encode_basestring
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotate.exchange import jsonl, jsonl_sql
from annotate.exchange.options import ExportOptions
from annotate.models import (
    Claim,
    ClaimStance,
    Decision,
    DecisionAction,
    Source,
    SourceAlias,
    Target,
)
from tests.annotate.exchange.conftest import Corpus, decide
from tests.annotate.exchange.helpers import export_bytes

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite writes JSON Lines; PostgreSQL: Python"
    ),
    pytest.mark.usefixtures("_module_corpus"),  # one corpus for the module (conftest.py)
]

# Every code point but NUL and the surrogates.
_PLANES = [
    "".join(chr(c) for c in range(max(plane, 1), plane + 0x10000) if not 0xD800 <= c < 0xE000)
    for plane in range(0, 0x110000, 0x10000)
]


def _quoted_by_the_database(text: str) -> str:
    d = jsonl_sql._Dialect(connection.ops.quote_name)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {d.json('CAST(%s AS text)')}", [text])
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_the_database_quotes_every_code_point_as_python_does() -> None:
    """SQLite's ``json_quote`` writes each code point, U+0001 to U+10FFFF, as
    ``json.dumps(ensure_ascii=False)`` does (escaping depends on the character alone, so
    one string per plane compares them all)."""
    for plane in _PLANES:
        assert _quoted_by_the_database(plane) == encode_basestring(plane)
    for awkward in ('"', "\\", "\x7f", "\u2028", "\x1f", "\t\n\r\b\f"):
        assert _quoted_by_the_database(awkward) == encode_basestring(awkward)


def _python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl_sql, "applies", lambda *args, **kwargs: False)


def _awkward(corpus: Corpus) -> None:
    """Every code point of the first planes in texts of every kind; stances whose
    targets' order (position, id) is not their ids'; aliases whose order (key, id) is
    not their ids'; a time with no microseconds."""
    every = "".join(map(chr, range(1, 0x3000))) + "\ud7ff\ue000\uffff😀🇹🇷\U0010ffff"
    short = '"a" \\ \t\x01\u2028😀🇹🇷\x7f'  # fits the 32 of an attribution
    first, second = corpus.claims[0].pk, corpus.claims[1].pk
    Claim.objects.filter(pk=first).update(
        note=every, quote=every, attribution=short, claim_type='"x"\\', checkworthy="ü"
    )
    Claim.objects.filter(pk=second).update(
        created=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        updated=dt.datetime(2025, 1, 2, 3, 4, 5, 7, tzinfo=dt.UTC),
    )
    Source.objects.filter(pk=corpus.sources["orekhova"].pk).update(
        name='Яна "Орехова"\n\x01😀', external_id="Q\\1"
    )
    source = corpus.sources["akinci"]
    SourceAlias.objects.create(source=source, alias="Zed 🇹🇷", alias_key="a-first")
    SourceAlias.objects.create(source=source, alias='B "second"', alias_key="b-second")
    SourceAlias.objects.create(source=source, alias="Öne", alias_key="a-before")
    last = Target.objects.create(
        project=corpus.project, name='Last "made"\t😀', name_key="last-made", position=0
    )
    Target.objects.filter(pk=corpus.targets[0].pk).update(position=5)
    Target.objects.filter(pk=corpus.targets[3].pk).update(position=0)
    for claim in (corpus.claims[0], corpus.claims[3]):
        ClaimStance.objects.create(claim=claim, target=last, stance='aga"inst\\')
    corpus.annotators[0].__class__.objects.filter(pk=corpus.annotators[0].pk).update(
        username="ánna"
    )
    # The latest decision wins: a later rejection of an origin of the merged gold claim
    # (and an earlier one of another, which the merge overrides), an earlier edit of the
    # gold claim.
    merged, other = corpus.claims[0], corpus.claims[1]
    gold = corpus.gold[0]
    decisions = Decision.objects.filter(gold=gold)
    merged_at = decisions.get().created
    later = decide(corpus.curator, DecisionAction.REJECT, None, [merged])
    earlier = decide(corpus.curator, DecisionAction.REJECT, None, [other])
    edit = decide(corpus.curator, DecisionAction.EDIT, gold, [])
    # A gold claim's own decisions come before any it is an origin of, even later ones.
    origin_of = decide(corpus.curator, DecisionAction.REJECT, None, [gold])
    Decision.objects.filter(pk__in=[later.pk, origin_of.pk]).update(
        created=merged_at + dt.timedelta(hours=1)
    )
    Decision.objects.filter(pk__in=[earlier.pk, edit.pk]).update(
        created=merged_at - dt.timedelta(hours=1)
    )
    if connection.vendor == "sqlite":  # a stored time written with zero microseconds
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE annotate_claim SET updated = '2025-01-02 03:04:06.000000' WHERE id = %s",
                [corpus.claims[2].pk],
            )


@pytest.mark.parametrize(
    "options",
    [
        {"layer": "all"},
        {"layer": "gold", "split": True},
        {"layer": "annotators", "all_articles": True},
        {"layer": "all", "statuses": ["accepted", "rejected"]},
        {"layer": "annotators", "annotators": ["boris"], "stances": ["favor"]},
    ],
    ids=["all", "gold-split", "annotators-all-articles", "statuses", "annotator-stance"],
)
def test_the_database_writes_the_bytes_python_writes(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    _awkward(corpus)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    with CaptureQueriesContext(connection) as captured:
        written = export_bytes("jsonl", corpus.project, **options)
    assert any('"claim_id": %s' in q["sql"] for q in captured), "the database wrote them"
    _python(monkeypatch)
    assert written == export_bytes("jsonl", corpus.project, **options)
    assert written  # something to compare


def test_what_the_database_writes_reads_back(corpus: Corpus) -> None:
    """The awkward values come back as stored: stances in the targets' order, aliases in
    their keys' order, the mention's text cut by code points (emoji and Cyrillic before
    it), the decisions' statuses."""
    _awkward(corpus)
    data = export_bytes("jsonl", corpus.project, layer="all")
    claims = {c["claim_id"]: c for line in data.splitlines() for c in json.loads(line)["claims"]}
    first = claims[corpus.claims[0].pk]
    assert first["note"].startswith("\x01\x02") and first["note"].endswith("\U0010ffff")
    stances = ClaimStance.objects.filter(claim_id=corpus.claims[0].pk)
    in_order = stances.order_by("target__position", "target_id")
    expected = [{"target": s.target.name, "stance": s.stance} for s in in_order]
    assert first["stances"] == expected and expected[0]["target"] == 'Last "made"\t😀'
    assert [s.target_id for s in in_order] != sorted(s.target_id for s in in_order)
    assert first["annotator"] == "ánna"
    assert first["source"]["name"] == 'Яна "Орехова"\n\x01😀'
    assert first["source_mention"]["text"] == "Яна Орехова"
    assert claims[corpus.claims[1].pk]["created"] == "2025-01-02T03:04:05+00:00"
    assert claims[corpus.claims[1].pk]["updated"] == "2025-01-02T03:04:05.000007+00:00"
    akinci = next(c for c in claims.values() if c["source"]["name"] == "Akıncı")
    assert akinci["source"]["aliases"] == ["Öne", "Zed 🇹🇷", 'B "second"']
    assert first["status"] == "rejected" and claims[corpus.claims[1].pk]["status"] == "accepted"
    assert claims[corpus.gold[0].pk]["decision"] == DecisionAction.MERGE
    if connection.vendor == "sqlite":
        assert claims[corpus.claims[2].pk]["updated"] == "2025-01-02T03:04:06+00:00"
    statuses = {c["status"] for c in claims.values()}
    assert statuses == {"gold", "accepted", "rejected", "pending"}


def test_progress_counts_every_claim_once(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    """``on_chunk`` is told the claims as the articles come (in runs of at least
    ``DEFAULT_CHUNK``, the rest at the end): the total is the export's claims."""
    told: list[int] = []
    options = ExportOptions(layer="all", all_articles=True)
    data = b"".join(jsonl.stream(corpus.project, options, on_chunk=told.append))
    claims = sum(len(json.loads(line)["claims"]) for line in data.splitlines())
    assert claims and told == [claims]
    monkeypatch.setattr(jsonl, "DEFAULT_CHUNK", 2)
    told.clear()
    b"".join(jsonl.stream(corpus.project, options, on_chunk=told.append))
    assert sum(told) == claims and len(told) > 1 and all(n >= 2 for n in told[:-1])


def test_an_older_sqlite_keeps_the_python_path(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before 3.38 (``MATERIALIZED``, JSON built in) the claims are formatted in Python."""
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    written = export_bytes("jsonl", corpus.project, layer="all")
    monkeypatch.setattr(jsonl_sql.sqlite3, "sqlite_version_info", (3, 37, 2))
    with CaptureQueriesContext(connection) as captured:
        assert export_bytes("jsonl", corpus.project, layer="all") == written
    assert not any('"claim_id": %s' in q["sql"] for q in captured)
