"""CSV exports don't hand a spreadsheet formulas: a text cell beginning with =, +, -, @, a
tab or a carriage return gets a leading ' (OWASP), unless raw cells are asked for."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.assignments import services as assignment_services
from annotate.exchange import tabular
from annotate.exchange.rows import claim_chunks
from annotate.models import Target
from annotate.sources import services as source_services
from common.spreadsheet import FORMULA_STARTS, formula_safe, formula_safe_cells
from corpus.models import Article, Role
from corpus.services import article_create, membership_set
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes
from tests.annotate.exchange.test_golden import GOLDEN, WRITE, _pin_times
from tests.conftest import login
from tests.factories import UserFactory

NOTE = '=HYPERLINK("http://x.example/?leak", "click")'
TEXT = "@SUM(1) said the spreadsheet, +1 and -2 degrees."
# What a row of the evil claim holds, as stored.
EVIL = {
    "note": NOTE,
    "quote": "@SUM(1) said the spreadsheet",
    "article_title": "-2 degrees",
    "article_outlet": "+Outlet",
    "article_byline": "\tByline",
    "source_name": "@Evil",
    "source_aliases": "+1 | =2",
    "mention_text": "@SUM(1)",
    "annotator": "-mallory",
    "stances": "=cmd: favor",
}


@pytest.fixture
def evil(corpus: Corpus) -> Corpus:
    """The corpus with a claim whose every text cell would start a formula."""
    project = corpus.project
    mallory = UserFactory(username="-mallory")
    membership_set(project=project, user=mallory, role=Role.ANNOTATOR)
    article = article_create(
        project=project, title="-2 degrees", text=TEXT, outlet="+Outlet"
    ).article
    Article.objects.filter(pk=article.pk).update(byline="\tByline")  # the importer strips it
    assignment_services.assignment_create(article=article, annotator=mallory)
    corpus.sources["evil"] = source_services.source_create(
        project=project, name="@Evil", kind="person", aliases=["=2", "+1"]
    )
    Target.objects.filter(pk=corpus.targets[0].pk).update(name="=cmd")
    corpus.targets[0].refresh_from_db()
    corpus.claim(
        article,
        mallory,
        "@SUM(1) said the spreadsheet",
        source="evil",
        mention="@SUM(1)",
        note=NOTE,
    )
    return corpus


def _row(data: bytes) -> pd.Series:
    frame = pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype=str)
    return frame[frame.annotator.str.endswith("-mallory")].iloc[0]


def test_text_cells_that_would_start_a_formula_get_a_quote(evil: Corpus) -> None:
    data = export_bytes("csv", evil.project, layer="annotators")
    row = _row(data)
    for column, stored in EVIL.items():
        assert row[column] == "'" + stored, column
    assert "stance: =cmd" in row.index  # the header's cell starts with "stance: "
    assert row["stance: =cmd"] == "favor"
    # Numbers are written as they are.
    assert row["start"] == "0" and row["end"] == "28" and row["claim_id"].isdigit()
    # No cell of the file starts a formula.
    frame = pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype=str)
    cells = [*frame.columns, *frame.to_numpy().ravel()]
    assert not [c for c in cells if c[:1] in FORMULA_STARTS]


def test_raw_cells_on_request(evil: Corpus) -> None:
    row = _row(export_bytes("csv", evil.project, layer="annotators", csv_raw=True))
    for column, stored in EVIL.items():
        assert row[column] == stored, column
    assert '"csv_raw": true' in row["filters"]


def test_other_rows_are_unchanged(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells that start no formula are byte for byte what raw cells are (the goldens of
    test_golden.py hold none that do)."""
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    safe = export_bytes("csv", corpus.project, layer="all")
    raw = export_bytes("csv", corpus.project, layer="all", csv_raw=True)
    assert safe == raw.replace(b', ""csv_raw"": true', b"")


def test_the_command_the_api_and_the_page_take_the_option(
    evil: Corpus, tmp_path: Path, client: Client
) -> None:
    out = tmp_path / "raw.csv"
    call_command(
        "export",
        "turkic",
        "--format",
        "csv",
        "--layer",
        "annotators",
        "--csv-raw",
        "-o",
        str(out),
        verbosity=0,
    )
    assert _row(out.read_bytes())["note"] == NOTE
    call_command(
        "export", "turkic", "--format", "csv", "--layer", "annotators", "-o", str(out), verbosity=0
    )
    assert _row(out.read_bytes())["note"] == "'" + NOTE

    api = APIClient()
    api.force_authenticate(evil.manager)
    url = reverse("api:project-export", args=["turkic"])
    for query, note in (("", "'" + NOTE), ("&csv_raw=1", NOTE)):
        response = api.get(f"{url}?format=csv&layer=annotators{query}")
        assert response.status_code == 200
        assert _row(response.getvalue())["note"] == note

    login(client, evil.curator)
    page = reverse("annotate:export-download", args=["turkic"])
    for query, note in (("", "'" + NOTE), ("&csv_raw=1", NOTE)):
        download = client.get(f"{page}?format=csv&layer=annotators{query}")
        assert download.status_code == 200
        assert _row(download.getvalue())["note"] == note
    assert 'name="csv_raw"' in client.get(reverse("annotate:export", args=["turkic"])).text


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("", ""),
        ("a=1", "a=1"),
        ("'=1", "'=1"),
        (" =1", " =1"),
    ],
)
def test_formula_safe(text: str, safe: str) -> None:
    assert formula_safe(text) == safe
    assert formula_safe_cells(["x", text, "y"]) == ["x", safe, "y"]
    assert formula_safe_cells([text]) == [safe]


def test_formula_safe_cells_leaves_a_clean_column_as_it_is() -> None:
    cells = ["a", "b=1", "", "c\n=d"]
    assert formula_safe_cells(cells) is cells


def test_the_stance_map_csv_headers_and_names(evil: Corpus, client: Client) -> None:
    login(client, evil.curator)
    url = reverse("annotate:stance-map-csv", args=["turkic"]) + "?layer=all"
    frame = pd.read_csv(io.BytesIO(client.get(url).content), dtype=str, keep_default_na=False)
    assert "'=cmd: favor" in frame.columns and "=cmd: favor" not in frame.columns
    assert "'@Evil" in set(frame.source)
    raw = pd.read_csv(
        io.BytesIO(client.get(url + "&csv_raw=1").content), dtype=str, keep_default_na=False
    )
    assert "=cmd: favor" in raw.columns and "@Evil" in set(raw.source)


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.parametrize("chunk", [1, 3])
@pytest.mark.parametrize("raw", [False, True], ids=["safe", "raw"])
def test_hostile_cells_are_byte_for_byte_what_they_were(
    evil: Corpus, monkeypatch: pytest.MonkeyPatch, raw: bool, chunk: int
) -> None:
    """The whole CSV of the hostile corpus (Turkish, Cyrillic, emoji and flags, quotes,
    line breaks, and cells that start with = + - @ tab or CR: in the note, quote,
    mention, title, outlet, byline, source name and aliases, annotator, target) is what
    the writer wrote before its rows were put together from fewer pieces (issue 21,
    csv32; the golden files were written by the code of 72682d7). One and three claims
    a chunk, so that chunks with and without mentions, and an article running on from
    one chunk into the next, all come up."""
    hostile = evil.claims[-1]  # -mallory's
    evil.claim(
        hostile.article,
        hostile.annotator,
        "-2 degrees.",
        source="evil",
        note='\r=1+1, "quoted"\nand a line',
    )
    _pin_times(evil, monkeypatch)
    monkeypatch.setattr(tabular, "claim_chunks", functools.partial(claim_chunks, chunk_size=chunk))
    got = export_bytes("csv", evil.project, layer="all", csv_raw=raw)
    path = GOLDEN / f"hostile{'-raw' if raw else ''}.csv.golden"
    if WRITE:
        path.write_bytes(got)
    assert got == path.read_bytes()
