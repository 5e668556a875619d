"""Every claim export says whether the claim's source is confirmed or only proposed
(issue 18): JSON Lines and W3C in the source object, CSV and Parquet in ``source_status``,
the last of the fixed columns (every column before it keeps its place), brat in the note."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pyarrow.parquet as pq
import pytest

from annotate.exchange.rows import COLUMNS
from annotate.models import SourceStatus
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
