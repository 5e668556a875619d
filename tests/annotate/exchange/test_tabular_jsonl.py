"""CSV, Parquet and JSONL exports, read back by pandas and ``datasets``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotate.assignments import services as assignment_services
from annotate.exchange import jsonl, jsonl_sql, tabular
from annotate.exchange.options import ExportOptions
from annotate.exchange.provenance import json_default, manifest
from annotate.exchange.rows import article_groups, claim_chunks
from annotate.models import Claim, Source
from corpus.services import article_create
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes, texts

# One corpus for the module, each test in a savepoint of its own (conftest.py).
pytestmark = pytest.mark.usefixtures("_module_corpus")


def test_csv_reads_in_pandas_with_quotes_that_match_the_text(corpus: Corpus) -> None:
    data = export_bytes("csv", corpus.project, layer="annotators")
    assert not data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype={"mention_start": str})
    assert len(frame) == 7
    by_sha = texts(corpus.project)
    for row in frame.itertuples():
        assert by_sha[row.article_sha256][row.start : row.end] == row.quote
    note = frame.loc[frame.source_name == "Hulusi Akar", "note"].item()
    assert note == 'says "ready"; a note, with a comma\nand a line break'
    assert set(frame.article_title) == {a.title for a in corpus.articles}
    assert frame.loc[frame.source_name == "Яна Орехова", "source_aliases"].iloc[0] == (
        "Orekhova | Yana Orekhova"
    )
    akar = frame[frame.source_name == "Hulusi Akar"].iloc[0]
    assert akar["stance: the CSTO"] == "none"
    assert akar["stance: Turkey's influence in Central Asia"] == "favor"
    assert set(frame.tool_version) == {"0.1.0"}
    assert json.loads(frame.filters.iloc[0])["layer"] == "annotators"


def test_csv_uses_crlf_records_and_a_bom_on_request(corpus: Corpus) -> None:
    data = export_bytes("csv", corpus.project, bom=True)
    assert data.startswith(b"\xef\xbb\xbfclaim_id,")
    assert data.count(b"\xef\xbb\xbf") == 1
    header = data.split(b"\r\n", 1)[0]
    assert b"\n" not in header
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns)[0] == "claim_id"
    assert len(frame) == 3


def test_parquet_has_typed_columns_and_provenance(corpus: Corpus, tmp_path: Path) -> None:
    path = tmp_path / "claims.parquet"
    path.write_bytes(export_bytes("parquet", corpus.project, layer="all", split=True))
    frame = pd.read_parquet(path)
    assert len(frame) == 10
    assert str(frame.start.dtype) == "int64" and str(frame.claim_id.dtype) == "int64"
    assert str(frame.created.dtype).startswith("datetime64")
    by_sha = texts(corpus.project)
    for row in frame.itertuples():
        assert by_sha[row.article_sha256][row.start : row.end] == row.quote
    akar = frame[frame.source_name == "Hulusi Akar"].iloc[0]
    assert [s["target"] for s in akar.stances] == [
        "Turkey's influence in Central Asia",
        "the CSTO",
    ]
    assert list(frame[frame.source_name == "Яна Орехова"].iloc[0].source_aliases) == [
        "Orekhova",
        "Yana Orekhova",
    ]
    assert set(frame.split) <= {"train", "dev", "test"}
    info = json.loads(pq.read_schema(path).metadata[b"claimdesk"])
    assert info["scheme_version"] == 1 and info["filters"]["split"] is True


def test_parquet_loads_in_datasets(corpus: Corpus, tmp_path: Path, hf_offline: None) -> None:
    import datasets

    path = tmp_path / "claims.parquet"
    path.write_bytes(export_bytes("parquet", corpus.project, layer="annotators"))
    dataset = datasets.load_dataset(
        "parquet", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert dataset.num_rows == 7
    by_sha = texts(corpus.project)
    for row in dataset:
        assert by_sha[row["article_sha256"]][row["start"] : row["end"]] == row["quote"]
    assert dataset.features["start"].dtype == "int64"


def test_empty_parquet_export_is_a_valid_file(corpus: Corpus, tmp_path: Path) -> None:
    path = tmp_path / "none.parquet"
    path.write_bytes(export_bytes("parquet", corpus.project, statuses=("rejected",)))
    frame = pd.read_parquet(path)
    assert len(frame) == 0 and "quote" in frame.columns


def test_jsonl_has_one_line_per_article_read_by_pandas(corpus: Corpus) -> None:
    data = export_bytes("jsonl", corpus.project, layer="annotators")
    frame = pd.read_json(io.BytesIO(data), lines=True)
    assert len(frame) == 3
    for line in frame.itertuples():
        assert line.sha256 in texts(corpus.project)
        for claim in line.claims:
            assert line.text[claim["start"] : claim["end"]] == claim["quote"]
            if claim["source_mention"]:
                mention = claim["source_mention"]
                assert line.text[mention["start"] : mention["end"]] == mention["text"]
    first = json.loads(data.splitlines()[0])
    assert first["provenance"]["scheme_version"] == 1
    claim = first["claims"][0]
    assert set(claim["source"]) == {"id", "name", "kind", "aliases", "external_id", "status"}
    assert {"annotator", "status", "stances", "note", "claim_type"} <= set(claim)


def test_jsonl_loads_in_datasets(corpus: Corpus, tmp_path: Path, hf_offline: None) -> None:
    import datasets

    path = tmp_path / "claims.jsonl"
    path.write_bytes(export_bytes("jsonl", corpus.project, layer="all", split=True))
    dataset = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert dataset.num_rows == 3
    quotes = 0
    for line in dataset:
        assert line["split"] in {"train", "dev", "test"}
        for claim in line["claims"]:
            assert line["text"][claim["start"] : claim["end"]] == claim["quote"]
            quotes += 1
    assert quotes == 10


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_command_writes_the_file(corpus: Corpus, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    err = io.StringIO()
    call_command(
        "export", "turkic", "--format", fmt, "--layer", "annotators", "-o", str(path), stderr=err
    )
    assert path.stat().st_size > 0
    assert "Exported 7 claims" in err.getvalue()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_export_command_shows_progress_only_on_a_terminal(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bar (tqdm, imported only then) goes to the process's stderr when the command's
    stderr is a terminal and the export goes to a file; never with --no-progress."""
    path = tmp_path / "out.jsonl"
    args = ("export", "turkic", "--format", "jsonl", "--layer", "annotators", "-o", str(path))
    call_command(*args, stderr=_Terminal())
    assert "Exporting jsonl" in capsys.readouterr().err
    call_command(*args, "--no-progress", stderr=_Terminal())
    assert "Exporting" not in capsys.readouterr().err
    call_command(*args, stderr=io.StringIO())  # no terminal
    assert "Exporting" not in capsys.readouterr().err
    assert path.stat().st_size > 0


def test_export_command_refuses_unknown_project_and_annotator(corpus: Corpus) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No project"):
        call_command("export", "nope", "--format", "csv")
    with pytest.raises(CommandError, match="No annotator of this project is called: ghost"):
        call_command(
            "export", "turkic", "--format", "csv", "--layer", "annotators", "--annotator", "ghost"
        )


def test_jsonl_lines_are_what_json_dumps_writes_for_them(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line is put together from pieces encoded apart (the article, each claim, the
    provenance): it must be, byte for byte, what ``json.dumps`` writes for the whole."""
    awkward = 'tab\t, "quotes", back\\slash, \x01\x1f, line\u2028sep, \x7f, 😀 🇹🇷'
    short = '"a" \\ \t\x01\u2028😀🇹🇷\x7f'  # an attribution fits in 32
    Claim.objects.filter(pk=corpus.claims[0].pk).update(note=awkward, attribution=short)
    Source.objects.filter(pk=corpus.sources["akar"].pk).update(name='Hulusi "Akar"\n')
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    options = ExportOptions(layer="all", split=True)
    provenance = manifest(corpus.project, options, "jsonl")
    keys = "id title byline outlet url published language sha256 char_count metadata split text"
    expected = []
    for article, claims in article_groups(corpus.project, options):
        line = {key: article[key] for key in keys.split()}
        line["claims"] = [jsonl.claim_record(claim) for claim in claims]
        line["provenance"] = provenance
        expected.append(json.dumps(line, ensure_ascii=False, default=json_default) + "\n")
    data = export_bytes("jsonl", corpus.project, layer="all", split=True)
    assert data.decode() == "".join(expected)
    notes = {claim["note"] for line in data.splitlines() for claim in json.loads(line)["claims"]}
    assert awkward in notes


def test_jsonl_claim_members_written_by_the_query_are_what_python_writes(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The query writes a claim's span, attribution, labels and note as JSON
    (``rows_query.JsonMembers``: SQLite's ``json_quote``, PostgreSQL's ``to_json``): the
    export must be byte for
    byte the one Python's encoder writes, whatever the characters (every code point of
    the first planes, astral ones, the escapes), numbers and nulls."""
    every = "".join(map(chr, range(0x3000))) + "\ud7ff\ue000\uffff😀🇹🇷\U0010ffff"
    if connection.vendor != "sqlite":
        every = every.replace("\x00", "")  # PostgreSQL's text holds no NUL
    first, second = corpus.claims[0].pk, corpus.claims[1].pk
    short = '"a" \\ \t\x01\u2028😀🇹🇷\x7f'  # an attribution fits in 32
    Claim.objects.filter(pk=first).update(note=every, attribution=short)
    Claim.objects.filter(pk=second).update(note="", claim_type='"x"\\', checkworthy="yes")
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    # The chunks' path (the whole claims written by the database: test_jsonl_sql).
    monkeypatch.setattr(jsonl_sql, "applies", lambda *args, **kwargs: False)
    options = ExportOptions(layer="all")
    chunk = next(claim_chunks(corpus.project, options, written="json"))
    assert "span_json" in chunk.columns
    by_query = export_bytes("jsonl", corpus.project, layer="all")
    real = jsonl.chunk_runs
    monkeypatch.setattr(jsonl, "chunk_runs", lambda *a, **k: real(*a, **{**k, "written": None}))
    assert export_bytes("jsonl", corpus.project, layer="all") == by_query
    claims = {
        c["claim_id"]: c for line in by_query.splitlines() for c in json.loads(line)["claims"]
    }
    assert claims[first]["note"] == every
    assert claims[first]["attribution"] == short
    assert claims[second]["claim_type"] == '"x"\\'


@pytest.mark.parametrize("raw", [False, True])
def test_csv_cells_written_by_the_query_are_what_python_writes(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, raw: bool
) -> None:
    """The query writes runs of a claim's cells (``rows_query.CsvCells``, SQLite's and
    PostgreSQL's: the span with its context, the attribution, the labels with the note):
    byte for byte the CSV that Python's writer makes, formula-safe or raw, whatever the
    text, each of the formula starts (a tab, a carriage return too) first."""
    every = "".join(map(chr, range(0x3000))) + "\ud7ff\ue000\uffff😀🇹🇷\U0010ffff"
    if connection.vendor != "sqlite":
        every = every.replace("\x00", "")  # PostgreSQL's text holds no NUL
    cells = {
        "note": every,
        "attribution": "=HYPERLINK(1)",
        "prefix": '-5, "quoted"',
        "suffix": "\r\nline",
        "claim_type": "@x\tno quotes",
        "checkworthy": "+1",
    }
    first, second = corpus.claims[0].pk, corpus.claims[1].pk
    Claim.objects.filter(pk=first).update(**cells)
    # Each character that quotes a cell alone in one, as its first character (the first
    # claim's note has them all, further in).
    Claim.objects.filter(pk=second).update(
        note="\x00=" if connection.vendor == "sqlite" else "\nb",
        quote="\t=1",
        suffix="",
        attribution=",b",
        claim_type='"x" said',
        checkworthy="\rb",
    )
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    kind = "csv_raw" if raw else "csv"
    chunk = next(claim_chunks(corpus.project, ExportOptions(layer="all"), written=kind))
    assert "span_csv" in chunk.columns
    by_query = export_bytes("csv", corpus.project, layer="all", csv_raw=raw)
    real = tabular.claim_chunks
    monkeypatch.setattr(tabular, "claim_chunks", lambda *a, **k: real(*a, **{**k, "written": None}))
    assert export_bytes("csv", corpus.project, layer="all", csv_raw=raw) == by_query
    frame = pd.read_csv(io.BytesIO(by_query), keep_default_na=False, dtype=str)
    row = frame[frame.claim_id == str(first)].iloc[0]
    lead = "" if raw else "'"
    assert row.note == every
    assert row.attribution == lead + "=HYPERLINK(1)"
    assert row.prefix == lead + '-5, "quoted"'
    assert row.claim_type == lead + "@x\tno quotes"
    assert frame[frame.claim_id == str(second)].iloc[0].quote == lead + "\t=1"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "w3c", "brat"])
def test_an_export_reads_no_query_per_article_or_claim(
    corpus: Corpus, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # JSON Lines on SQLite: both readers' queries (``jsonl_sql``) in both counts.
    monkeypatch.setattr(jsonl_sql, "BLOCK", 1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export_bytes(fmt, corpus.project, layer="all")
        return len(captured)

    few = queries()
    # Twenty more articles with two claims each, all in one chunk (2,000 claims).
    anna, boris = corpus.annotators
    for n in range(20):
        article = article_create(
            project=corpus.project, title=f"More {n:02}", text=f"Temur Umarov said {n} things."
        ).article
        for annotator in (anna, boris):
            assignment_services.assignment_create(article=article, annotator=annotator)
            corpus.claim(article, annotator, f"said {n} things", source="umarov")
    assert queries() == few


def test_csv_is_what_csv_writer_writes(corpus: Corpus) -> None:
    awkward = 'tab\t, "quotes", back\\slash, \x01, line\u2028sep, \r\n😀 🇹🇷'
    Claim.objects.filter(pk=corpus.claims[0].pk).update(note=awkward)
    data = export_bytes("csv", corpus.project, layer="all").decode()
    records = list(csv.reader(io.StringIO(data, newline="")))
    again = io.StringIO(newline="")
    csv.writer(again, lineterminator="\r\n").writerows(records)
    assert again.getvalue() == data
    assert awkward in {record[records[0].index("note")] for record in records}
