"""The exports of a project with attribution chains, pinned like ``test_golden``: the
chained claims carry their chain (JSONL nested, CSV columns after the others, W3C bodies,
brat relations), the others are written as before. Regenerate (only when a format is
meant to change) with ``CLAIMDESK_WRITE_GOLDEN=1 pytest`` on this file.
"""

from __future__ import annotations

import json

import pytest

from annotate.models import ChainLink, Claim, Source
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes
from tests.annotate.exchange.test_golden import GOLDEN, WRITE, _comparable, _pin_times

FORMATS = ("jsonl", "csv", "w3c", "brat")


def _chain(corpus: Corpus) -> tuple[Claim, Claim]:
    """Isachenko → Berliner Zeitung (named in no text) → inosmi.ru on the Bishkek claim;
    Orekhova → Akıncı (named, as a carrier with its mention) on the first claim."""
    project = corpus.project
    paper = Source.objects.create(
        project=project, name="Berliner Zeitung", name_key="berliner zeitung", kind="outlet"
    )
    site = Source.objects.create(
        project=project, name="inosmi.ru", name_key="inosmi.ru", kind="outlet"
    )
    bishkek = Claim.objects.filter(
        quote__startswith="the Organization of Turkic States", annotator__isnull=False
    ).order_by("id")[0]
    ChainLink.objects.create(claim=bishkek, position=1, source=paper, reliability="C")
    ChainLink.objects.create(claim=bishkek, position=2, source=site, reliability="E")
    growing = Claim.objects.filter(quote__startswith="Turkey’s influence").order_by("id")[0]
    text = growing.article.text
    at = text.index("Akıncı")
    ChainLink.objects.create(
        claim=growing,
        position=1,
        source=corpus.sources["akinci"],
        mention_start=at,
        mention_end=at + len("Akıncı"),
    )
    return bishkek, growing


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_with_chains_are_byte_for_byte_as_pinned(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    _chain(corpus)
    _pin_times(corpus, monkeypatch)
    got = _comparable(fmt, export_bytes(fmt, corpus.project, layer="all"))
    path = GOLDEN / f"chains.{fmt}.golden"
    if WRITE:
        path.write_bytes(got)
    assert got == path.read_bytes()


@pytest.mark.django_db
def test_the_jsonl_chain_is_nested_in_order_with_its_weakest_link(corpus: Corpus) -> None:
    bishkek, growing = _chain(corpus)
    lines = [
        json.loads(line) for line in export_bytes("jsonl", corpus.project, layer="all").splitlines()
    ]
    claims = {c["claim_id"]: c for line in lines for c in line["claims"]}
    chain = claims[bishkek.pk]["chain"]
    assert [(link["position"], link["source"]["name"]) for link in chain] == [
        (1, "Berliner Zeitung"),
        (2, "inosmi.ru"),
    ]
    # The source's B, the paper's C, the site's E: the weakest is E.
    assert claims[bishkek.pk]["chain_reliability"] == "E"
    mention = claims[growing.pk]["chain"][0]["source_mention"]
    assert mention["text"] == "Akıncı"
    unchained = [c for pk, c in claims.items() if pk not in (bishkek.pk, growing.pk)]
    assert unchained and all("chain" not in c for c in unchained)


@pytest.mark.django_db
def test_a_jsonl_export_with_chains_imports_back_with_them(corpus: Corpus) -> None:
    from annotate.exchange.importing import import_annotations
    from corpus.services import membership_set
    from tests.factories import UserFactory

    bishkek, growing = _chain(corpus)
    newcomer = UserFactory(username="nadia")
    membership_set(project=corpus.project, user=newcomer, role="annotator")
    assert bishkek.annotator is not None
    data = export_bytes(
        "jsonl", corpus.project, layer="annotators", annotators=(bishkek.annotator.username,)
    )
    report = import_annotations(project=corpus.project, annotator=newcomer, data=data, fmt="jsonl")
    assert report.ok and report.written, report
    copy = Claim.objects.get(annotator=newcomer, quote=bishkek.quote)
    assert [(link.source.name, link.reliability) for link in copy.chain.all()] == [
        ("Berliner Zeitung", "C"),
        ("inosmi.ru", "E"),
    ]
    # A carrier the registry lacks is refused with its position, and nothing is written.
    site = Source.objects.get(project=corpus.project, name="inosmi.ru")
    broken = data.replace(f'"id": {site.pk}, "name": "inosmi.ru"'.encode(), b'"name": "Nowhere"')
    other = UserFactory(username="olga")
    membership_set(project=corpus.project, user=other, role="annotator")
    refused = import_annotations(project=corpus.project, annotator=other, data=broken, fmt="jsonl")
    assert not refused.written
    assert any(
        "chain link 2: unknown source “Nowhere”" in p for r in refused.rejected for p in r.reasons
    )


@pytest.mark.django_db
def test_parquet_has_the_chain_as_a_list_of_links_only_in_a_project_with_chains(
    corpus: Corpus,
) -> None:
    import io

    import pyarrow.parquet as pq

    plain = pq.read_table(io.BytesIO(export_bytes("parquet", corpus.project, layer="all")))
    assert "chain" not in plain.column_names
    bishkek, growing = _chain(corpus)
    table = pq.read_table(io.BytesIO(export_bytes("parquet", corpus.project, layer="all")))
    assert table.column_names[-2:] == ["chain", "chain_reliability"]
    rows = {row["claim_id"]: row for row in table.to_pylist()}
    chain = rows[bishkek.pk]["chain"]
    assert [(link["position"], link["source_name"], link["reliability"]) for link in chain] == [
        (1, "Berliner Zeitung", "C"),
        (2, "inosmi.ru", "E"),
    ]
    assert rows[bishkek.pk]["chain_reliability"] == "E"
    assert rows[growing.pk]["chain"][0]["mention_text"] == "Akıncı"
    others = [row for pk, row in rows.items() if pk not in (bishkek.pk, growing.pk)]
    assert others and all(row["chain"] == [] and row["chain_reliability"] == "" for row in others)
