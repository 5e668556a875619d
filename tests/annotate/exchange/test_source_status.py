"""Every claim export says whether the claim's source is confirmed or only proposed
(issue 18): JSON Lines and W3C in the source object, CSV and Parquet in ``source_status``,
the last of the fixed columns (every column before it keeps its place), brat in the note;
and so do the carriers of an attribution chain."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pyarrow.parquet as pq
import pytest

from annotate.exchange.rows import COLUMNS
from annotate.models import ChainLink, SourceStatus
from tests.annotate.exchange.helpers import export_bytes
from tests.factories import SourceFactory, make_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(project: Any, annotator: Any, article: Any) -> dict[str, Any]:
    confirmed = SourceFactory(project=project, name="Temur Umarov")
    proposed = SourceFactory(
        project=project,
        name="Zhanna Nemtsova",
        status=SourceStatus.PROPOSED,
        proposed_by=annotator,
    )
    made = {
        "confirmed": make_claim(article, annotator, "Turkey’s influence", source=confirmed),
        "proposed": make_claim(article, annotator, "Akıncı", source=proposed),
    }
    return {status: claim.pk for status, claim in made.items()}


def test_csv_and_parquet_have_source_status_after_the_columns_they_had(
    project: Any, two: dict[str, Any]
) -> None:
    assert COLUMNS[-2:] == ("scheme_version", "source_status")
    text = export_bytes("csv", project, layer="annotators").decode()
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header[: len(COLUMNS)] == list(COLUMNS)
    at = header.index("source_status")
    by_claim = {int(row[0]): row[at] for row in rows[1:]}
    assert by_claim == {two["confirmed"]: "confirmed", two["proposed"]: "proposed"}
    # The stance columns follow it, as they followed the scheme version.
    assert header[at + 1].startswith("stance: ")

    table = pq.read_table(io.BytesIO(export_bytes("parquet", project, layer="annotators")))
    assert table.column_names[: len(COLUMNS)] == list(COLUMNS)
    found = dict(
        zip(table["claim_id"].to_pylist(), table["source_status"].to_pylist(), strict=True)
    )
    assert found == {two["confirmed"]: "confirmed", two["proposed"]: "proposed"}


def test_jsonl_w3c_and_brat_say_it_with_the_source(project: Any, two: dict[str, Any]) -> None:
    line = json.loads(export_bytes("jsonl", project, layer="annotators").splitlines()[0])
    found = {c["claim_id"]: c["source"]["status"] for c in line["claims"]}
    assert found == {two["confirmed"]: "confirmed", two["proposed"]: "proposed"}

    w3c = json.loads(export_bytes("w3c", project, layer="annotators"))
    items = w3c["items"] if "items" in w3c else w3c.get("first", {}).get("items", [])
    statuses = {
        body["value"]: body["cd:sourceStatus"]
        for item in items
        for body in item["body"]
        if body.get("cd:field") == "source"
    }
    assert statuses == {"Temur Umarov": "confirmed", "Zhanna Nemtsova": "proposed"}

    archive = zipfile.ZipFile(io.BytesIO(export_bytes("brat", project, layer="annotators")))
    ann = "".join(
        archive.read(name).decode() for name in archive.namelist() if name.endswith(".ann")
    )
    assert "source: Zhanna Nemtsova (person, proposed)" in ann
    assert "source: Temur Umarov (person)" in ann


def test_chain_carriers_carry_their_status_in_every_format(
    project: Any, annotator: Any, two: dict[str, Any]
) -> None:
    """A chain's carriers say whether they are confirmed or proposed, as the claim's source
    does: JSONL in each link's source, W3C in each chain body, CSV in
    ``chain_source_status`` (the last column, joined as ``chain`` is), Parquet in each
    link's struct, brat beside the carrier's rating in the note."""
    paper = SourceFactory(project=project, name="Berliner Zeitung", kind="outlet")
    site = SourceFactory(
        project=project,
        name="inosmi.ru",
        kind="outlet",
        status=SourceStatus.PROPOSED,
        proposed_by=annotator,
    )
    ChainLink.objects.create(claim_id=two["confirmed"], position=1, source=paper, reliability="C")
    ChainLink.objects.create(claim_id=two["confirmed"], position=2, source=site, reliability="E")

    line = json.loads(export_bytes("jsonl", project, layer="annotators").splitlines()[0])
    chained = {c["claim_id"]: c for c in line["claims"]}[two["confirmed"]]
    assert [(link["source"]["name"], link["source"]["status"]) for link in chained["chain"]] == [
        ("Berliner Zeitung", "confirmed"),
        ("inosmi.ru", "proposed"),
    ]
    # The key comes last in the link's source, as it does in the claim's.
    assert list(chained["chain"][0]["source"])[-1] == "status"

    w3c = json.loads(export_bytes("w3c", project, layer="annotators"))
    items = w3c["items"] if "items" in w3c else w3c.get("first", {}).get("items", [])
    carriers = [
        (body["value"], body["cd:sourceStatus"])
        for item in items
        for body in item["body"]
        if body.get("cd:field") == "chain"
    ]
    assert carriers == [("Berliner Zeitung", "confirmed"), ("inosmi.ru", "proposed")]

    rows = list(csv.reader(io.StringIO(export_bytes("csv", project, layer="annotators").decode())))
    header = rows[0]
    assert header[-3:] == ["chain", "chain_reliability", "chain_source_status"]
    by_claim = {int(row[0]): row[-1] for row in rows[1:]}
    assert by_claim == {two["confirmed"]: "confirmed > proposed", two["proposed"]: ""}

    table = pq.read_table(io.BytesIO(export_bytes("parquet", project, layer="annotators")))
    chains = dict(zip(table["claim_id"].to_pylist(), table["chain"].to_pylist(), strict=True))
    assert [link["source_status"] for link in chains[two["confirmed"]]] == [
        "confirmed",
        "proposed",
    ]
    assert chains[two["proposed"]] == []

    archive = zipfile.ZipFile(io.BytesIO(export_bytes("brat", project, layer="annotators")))
    ann = "".join(
        archive.read(name).decode() for name in archive.namelist() if name.endswith(".ann")
    )
    assert "chain: Berliner Zeitung (C) > inosmi.ru (E, proposed)" in ann
