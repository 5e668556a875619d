"""The ``all_articles`` export option: JSON Lines and brat with every selected article,
also those without selected claims, in export order; refused for the formats that
have a row or an annotation per claim."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate.exchange import formats, jsonl, jsonl_sql, rows, rows_articles, tasks
from annotate.exchange.options import ExportOptions
from annotate.exchange.provenance import json_default, manifest
from annotate.exchange.rows import article_groups
from corpus.models import Article, Project
from corpus.services import article_create
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes
from tests.conftest import login
from tests.factories import ProjectFactory

NOW = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
LINE_KEYS = (
    "id",
    "title",
    "byline",
    "outlet",
    "url",
    "published",
    "language",
    "sha256",
    "char_count",
    "metadata",
    "split",
    "text",
)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def add_article(project: Project, title: str) -> Article:
    return article_create(
        project=project, title=title, text=f"{title}: nobody said a thing."
    ).article


def export_order(project: Project, ids: Any = None) -> list[int]:
    """The articles' ids in the database's own order (title, id): the test does not
    compare titles in Python either."""
    articles = Article.objects.filter(project=project)
    if ids is not None:
        articles = articles.filter(pk__in=ids)
    return list(articles.order_by("title", "id").values_list("id", flat=True))


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines()]


def claims_by_article(data: bytes) -> dict[int, list[int]]:
    return {line["id"]: [c["claim_id"] for c in line["claims"]] for line in lines(data)}


@pytest.fixture
def unclaimed(corpus: Corpus) -> list[Article]:
    """Articles without claims whose titles sort before, between and after the
    corpus's ("Ankara…", "Bishkek notes", "Zhenis")."""
    return [add_article(corpus.project, title) for title in ("Aktau", "Baku", "Tashkent", "Zyx")]


# --- Options ---------------------------------------------------------------------------


def test_option_from_query_dict_and_old_task_options() -> None:
    assert ExportOptions.from_query({"all_articles": "true"}).all_articles
    assert ExportOptions.from_query({"all_articles": "1"}).all_articles
    assert not ExportOptions.from_query({}).all_articles
    on = ExportOptions(layer="all", all_articles=True)
    assert on.as_dict()["all_articles"] is True
    assert ExportOptions.from_dict(on.as_dict()) == on
    # Left out when off: the manifests of other exports stay byte for byte what they were.
    assert "all_articles" not in ExportOptions().as_dict()
    # Options stored by a task queued before the option existed.
    old = {
        "layer": "all",
        "annotators": [],
        "articles": [],
        "sources": [],
        "stances": [],
        "statuses": [],
        "split": False,
        "split_seed": 0,
        "split_ratios": [0.8, 0.1, 0.1],
        "bom": False,
    }
    assert ExportOptions.from_dict(old) == ExportOptions(layer="all")
    assert ExportOptions(layer="all").as_dict() == old
    assert ExportOptions.from_dict({}) == ExportOptions()


def test_option_applies_to_jsonl_and_brat_only() -> None:
    on = ExportOptions(all_articles=True)
    for fmt in ("jsonl", "brat"):
        formats.check_options(fmt, on)
    for fmt in ("csv", "parquet", "w3c", "archive"):
        formats.check_options(fmt, ExportOptions())
        with pytest.raises(ValidationError, match="JSONL and brat only"):
            formats.check_options(fmt, on)


def test_stream_refuses_the_option_for_csv_at_once(corpus: Corpus) -> None:
    with pytest.raises(ValidationError, match="JSONL and brat only"):
        formats.stream("csv", corpus.project, ExportOptions(all_articles=True))


# --- JSON Lines ------------------------------------------------------------------------


def test_unannotated_project_has_a_line_per_article_with_provenance(db: Any) -> None:
    project = ProjectFactory()
    for title in ("Charlie", "alpha", "Bravo"):
        add_article(project, title)
    assert export_bytes("jsonl", project) == b""
    got = lines(export_bytes("jsonl", project, all_articles=True))
    assert [line["id"] for line in got] == export_order(project)
    for line in got:
        assert line["claims"] == []
        assert line["text"].endswith("nobody said a thing.")
        assert line["provenance"]["filters"]["all_articles"] is True
        assert line["provenance"]["project"]["slug"] == project.slug


def test_articles_without_claims_come_in_their_place(
    corpus: Corpus, unclaimed: list[Article]
) -> None:
    data = export_bytes("jsonl", corpus.project, all_articles=True)
    got = claims_by_article(data)
    assert list(got) == export_order(corpus.project)
    # The gold layer has no claim on "Zhenis" (only an annotator's).
    zhenis = corpus.articles[2]
    empty = {a.pk for a in unclaimed} | {zhenis.pk}
    assert {pk for pk, claims in got.items() if not claims} == empty
    # The empty ones are between the others, not after them.
    ids = list(got)
    assert ids.index(unclaimed[1].pk) < ids.index(corpus.articles[1].pk) < ids.index(zhenis.pk)
    # The articles with claims carry what they carry without the option.
    without = lines(export_bytes("jsonl", corpus.project))
    with_all = {line["id"]: line for line in lines(data)}
    for line in without:
        other = with_all[line["id"]]
        assert {k: v for k, v in line.items() if k != "provenance"} == {
            k: v for k, v in other.items() if k != "provenance"
        }


def test_an_empty_line_is_what_json_dumps_writes_for_it(
    corpus: Corpus, unclaimed: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both readers by article (the fast JSON Lines one and ``article_groups``) merge
    alike, and an empty line has the shape of the others, byte for byte."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    options = ExportOptions(layer="annotators", split=True, all_articles=True)
    provenance = manifest(corpus.project, options, "jsonl")
    expected = []
    for article, claims in article_groups(corpus.project, options, chunk_size=2):
        line = {key: article[key] for key in LINE_KEYS}
        line["claims"] = [jsonl.claim_record(claim) for claim in claims]
        line["provenance"] = provenance
        expected.append(json.dumps(line, ensure_ascii=False, default=json_default) + "\n")
    assert len(expected) == 7
    data = b"".join(jsonl.stream(corpus.project, options))
    assert data.decode() == "".join(expected)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 50])
def test_chunks_and_batches_do_not_change_the_merge(
    corpus: Corpus, unclaimed: list[Article], monkeypatch: pytest.MonkeyPatch, chunk_size: int
) -> None:
    monkeypatch.setattr(rows_articles, "ARTICLE_BATCH", 2)
    options = ExportOptions(layer="all", all_articles=True)
    groups = list(article_groups(corpus.project, options, chunk_size=chunk_size))
    assert [a["id"] for a, _ in groups] == export_order(corpus.project)
    claims = {a["id"]: [c["claim_id"] for c in cs] for a, cs in groups}
    assert sum(map(len, claims.values())) == 10
    assert all(not claims[a.pk] for a in unclaimed)
    for article, group in groups:
        assert article["text"] and all(c["article_id"] == article["id"] for c in group)


def test_article_filter_limits_the_articles_without_claims(
    corpus: Corpus, unclaimed: list[Article]
) -> None:
    wanted = (corpus.articles[0].pk, corpus.articles[2].pk, unclaimed[1].pk)
    got = claims_by_article(
        export_bytes("jsonl", corpus.project, articles=wanted, all_articles=True)
    )
    assert list(got) == export_order(corpus.project, wanted)
    assert got[corpus.articles[0].pk] and not got[corpus.articles[2].pk]
    assert not got[unclaimed[1].pk]


def test_other_filters_leave_articles_without_matching_claims_empty(corpus: Corpus) -> None:
    a0, a1, a2 = corpus.articles
    # Boris's claim on a2 is deleted: a2 has none of his.
    got = claims_by_article(
        export_bytes(
            "jsonl", corpus.project, layer="annotators", annotators=("boris",), all_articles=True
        )
    )
    assert list(got) == export_order(corpus.project)
    assert got[a0.pk] and got[a1.pk] and got[a2.pk] == []
    # Only a1 has claims with an "against" stance.
    got = claims_by_article(
        export_bytes("jsonl", corpus.project, layer="all", stances=("against",), all_articles=True)
    )
    assert list(got) == export_order(corpus.project)
    assert got[a0.pk] == [] and got[a1.pk] and got[a2.pk] == []


def test_without_the_option_the_bytes_are_unchanged(
    corpus: Corpus, unclaimed: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    off = export_bytes("jsonl", corpus.project, layer="all")
    assert off == export_bytes("jsonl", corpus.project, layer="all", all_articles=False)
    assert b"all_articles" not in off
    assert {line["id"] for line in lines(off)} == {a.pk for a in corpus.articles}


def test_progress_counts_claims_only(corpus: Corpus, unclaimed: list[Article]) -> None:
    told: list[int] = []
    options = ExportOptions(layer="all", all_articles=True)
    for fmt in ("jsonl", "brat"):
        told.clear()
        b"".join(formats.stream(fmt, corpus.project, options, on_chunk=told.append))
        assert sum(told) == 10


# --- Queries ---------------------------------------------------------------------------


def _interleaved(project: Project, corpus: Corpus, n: int, start: int) -> None:
    """``n`` articles without claims, each followed (in title order) by one with one."""
    for k in range(start, start + n):
        add_article(project, f"Empty {k:03}")
        article = article_create(
            project=project, title=f"Empty {k:03} claimed", text=f"Temur Umarov said {k} things."
        ).article
        corpus.claim(article, None, f"said {k} things", source="umarov")


@pytest.mark.parametrize("fmt", ["jsonl", "brat"])
def test_queries_do_not_grow_with_the_articles_without_claims(
    corpus: Corpus, fmt: str, django_assert_max_num_queries: Any
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export_bytes(fmt, corpus.project, layer="all", all_articles=True)
        return len(captured)

    _interleaved(corpus.project, corpus, 30, 0)
    few = queries()
    _interleaved(corpus.project, corpus, 30, 30)
    assert Article.objects.filter(project=corpus.project).count() == 123
    with django_assert_max_num_queries(few):
        export_bytes(fmt, corpus.project, layer="all", all_articles=True)
    # The ids, the claims (with two statements around them on PostgreSQL), the targets,
    # the chunk's sources and articles, the articles without claims (one batch); for
    # brat the layers and the targets by name too; for JSONL the project's claim clusters.
    setup = 2 if connection.vendor == "postgresql" else 0
    # + 1: whether the project has attribution chains; + 2: the project's decisions (gold,
    # origins), read once
    assert few <= (7 if fmt == "jsonl" else 8) + 1 + 2 + setup


def test_unannotated_project_of_many_articles_reads_them_in_batches(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Python path (``jsonl_sql`` off): the articles without claims are read 10 at
    a time, not one query each."""
    monkeypatch.setattr(rows_articles, "ARTICLE_BATCH", 10)
    monkeypatch.setattr(jsonl_sql, "applies", lambda *args, **kwargs: False)
    project = ProjectFactory()
    for k in range(45):
        add_article(project, f"Article {k:02}")
    with CaptureQueriesContext(connection) as captured:
        data = export_bytes("jsonl", project, all_articles=True)
    assert len(data.splitlines()) == 45
    # (Not the claims' query: on PostgreSQL it names the text in ``EXPORT_ORDER_PREDICATE``.)
    article_reads = [
        q
        for q in captured
        if '"corpus_article"."text"' in q["sql"] and "annotate_claim" not in q["sql"]
    ]
    assert len(article_reads) == 5  # 45 articles, 10 at a time
    # The batches, the ids, the manifest, the claim clusters (none here), PostgreSQL's two;
    # + 1: whether the project has attribution chains.
    assert len(captured) <= 5 + 1 + 1 + 1 + 1 + (2 if connection.vendor == "postgresql" else 0)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite writes JSON Lines")
def test_articles_written_by_the_database_come_in_export_order_from_two_readers(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``jsonl_sql``: the articles go in blocks to two queries alternately (two threads
    outside a transaction) and are merged back in export order; one query each, however
    many blocks. Titles in reverse of their ids: the merge must follow the export's
    order, not the ids'."""
    project = ProjectFactory()
    for k in range(45):
        add_article(project, f"Article {44 - k:02}")
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC))
    monkeypatch.setattr(jsonl_sql, "BLOCK", 4)
    with CaptureQueriesContext(connection) as captured:
        data = export_bytes("jsonl", project, all_articles=True)
    titles = [json.loads(line)["title"] for line in data.splitlines()]
    assert titles == [f"Article {k:02}" for k in range(45)]
    article_reads = [q for q in captured if '"corpus_article"."text"' in q["sql"]]
    assert len(article_reads) == 2
    monkeypatch.setattr(jsonl_sql, "applies", lambda *args, **kwargs: False)
    assert export_bytes("jsonl", project, all_articles=True) == data


# --- brat ------------------------------------------------------------------------------


def test_brat_has_the_text_and_an_empty_ann_for_an_article_without_claims(
    corpus: Corpus, unclaimed: list[Article]
) -> None:
    archive = zipfile.ZipFile(io.BytesIO(export_bytes("brat", corpus.project, all_articles=True)))
    names = archive.namelist()
    for article in [*unclaimed, corpus.articles[2]]:
        name = f"gold/{article.sha256[:16]}"
        assert archive.read(f"{name}.txt").decode() == article.text
        assert archive.read(f"{name}.ann") == b""
    with_claims = archive.read(f"gold/{corpus.articles[0].sha256[:16]}.ann").decode()
    assert with_claims.startswith("T1\tClaim ")
    assert {n.split("/")[0] for n in names if n.endswith(".ann")} == {"gold"}
    info = json.loads(archive.read("manifest.json"))
    by_id = dict(Article.objects.filter(project=corpus.project).values_list("id", "sha256"))
    assert info["article_hashes"] == [by_id[pk] for pk in export_order(corpus.project)]
    assert info["filters"]["all_articles"] is True
    # Without the option: only the articles with gold claims.
    archive = zipfile.ZipFile(io.BytesIO(export_bytes("brat", corpus.project)))
    assert len(json.loads(archive.read("manifest.json"))["article_hashes"]) == 2


def test_brat_every_layer_folder_holds_every_article(
    corpus: Corpus, unclaimed: list[Article]
) -> None:
    data = export_bytes("brat", corpus.project, layer="all", all_articles=True)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    every = Article.objects.filter(project=corpus.project).count()
    for layer in ("gold", "anna", "boris"):
        assert len([n for n in names if n.startswith(f"{layer}/") and n.endswith(".ann")]) == every
    data = export_bytes(
        "brat", corpus.project, layer="annotators", annotators=("anna",), all_articles=True
    )
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {n.split("/")[0] for n in names if n.endswith(".txt")} == {"anna"}


def test_brat_of_an_unannotated_project(db: Any) -> None:
    project = ProjectFactory()
    articles = [add_article(project, title) for title in ("One", "Two")]
    for layer, folder in (("gold", "gold"), ("all", "gold"), ("annotators", "annotators")):
        data = export_bytes("brat", project, layer=layer, all_articles=True)
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        assert {f"{folder}/{a.sha256[:16]}.ann" for a in articles} <= names


# --- Page, API, command, task ----------------------------------------------------------


def test_export_page_has_the_checkbox_and_passes_it_through(
    client: Client, corpus: Corpus, unclaimed: list[Article]
) -> None:
    login(client, corpus.curator)
    page = client.get(reverse("annotate:export", args=[corpus.project.slug]))
    assert 'name="all_articles"' in page.content.decode()
    url = reverse("annotate:export-download", args=[corpus.project.slug])
    response = client.get(url, {"format": "jsonl", "all_articles": "1"})
    assert response.status_code == 200
    assert len(response.getvalue().splitlines()) == 7
    response = client.get(url, {"format": "csv", "all_articles": "1"})
    assert response.status_code == 400
    assert "JSONL and brat only" in response.content.decode()


def test_background_export_keeps_the_option(
    client: Client, corpus: Corpus, unclaimed: list[Article], monkeypatch: Any
) -> None:
    monkeypatch.setattr(tasks, "DIRECT_LIMIT", 0)
    login(client, corpus.curator)
    url = reverse("annotate:export-download", args=[corpus.project.slug])
    response = client.get(url, {"format": "jsonl", "all_articles": "on"})
    assert response.status_code == 302
    job = response["Location"].rstrip("/").split("/")[-1]
    status = tasks.job_status(job)
    assert status is not None and status["state"] == "done" and status["done"] == 3
    file_url = reverse("annotate:export-job-file", args=[corpus.project.slug, job])
    assert len(client.get(file_url).getvalue().splitlines()) == 7
    with pytest.raises(ValidationError):
        tasks.start_export(
            project=corpus.project,
            fmt="w3c",
            options=ExportOptions(all_articles=True),
            user=corpus.curator,
        )


@pytest.mark.parametrize("fmt", ["csv", "parquet", "w3c"])
def test_api_refuses_the_option_for_per_claim_formats(
    client: Client, corpus: Corpus, fmt: str
) -> None:
    login(client, corpus.curator)
    api = f"/api/projects/{corpus.project.slug}/export/"
    response = client.get(api, {"format": fmt, "all_articles": "true"})
    assert response.status_code == 400
    assert "JSONL and brat only" in json.dumps(response.json()["errors"]["all_articles"])
    assert client.get(api, {"format": fmt}).status_code == 200


def test_api_exports_every_article(
    client: Client, corpus: Corpus, unclaimed: list[Article]
) -> None:
    login(client, corpus.curator)
    api = f"/api/projects/{corpus.project.slug}/export/"
    response = client.get(api, {"format": "jsonl", "all_articles": "true"})
    assert response.status_code == 200
    assert list(claims_by_article(response.getvalue())) == export_order(corpus.project)
    response = client.get(api, {"format": "brat", "all_articles": "true"})
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(response.getvalue())).namelist()


def test_api_schema_documents_the_parameter(client: Client, db: Any) -> None:
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    parameters = schema["paths"]["/api/projects/{slug}/export/"]["get"]["parameters"]
    assert "all_articles" in {p["name"] for p in parameters}


def test_command_all_articles(corpus: Corpus, unclaimed: list[Article], tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    err = io.StringIO()
    call_command(
        "export", "turkic", "--format", "jsonl", "--all-articles", "-o", str(path), stderr=err
    )
    assert list(claims_by_article(path.read_bytes())) == export_order(corpus.project)
    assert "Exported 3 claims" in err.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "w3c"])
def test_command_refuses_the_option_for_per_claim_formats(
    corpus: Corpus, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / "out"
    with pytest.raises(CommandError, match="JSONL and brat only"):
        call_command("export", "turkic", "--format", fmt, "--all-articles", "-o", str(path))
    assert not path.exists()


def test_articles_added_or_deleted_while_exporting(
    corpus: Corpus, unclaimed: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article with claims the ids were read without (added meanwhile) still comes;
    one deleted after its id was read is left out; none comes twice."""
    real = rows.selected_article_ids
    gone, added = 10**9, corpus.articles[1].pk

    def ids_read_earlier(project: Project, options: ExportOptions) -> list[int]:
        ids = [pk for pk in real(project, options) if pk != added]
        return [*ids[:2], gone, *ids[2:]]

    monkeypatch.setattr(rows_articles, "selected_article_ids", ids_read_earlier)
    got = list(claims_by_article(export_bytes("jsonl", corpus.project, all_articles=True)))
    assert sorted(got) == sorted(export_order(corpus.project))


@pytest.mark.django_db(transaction=True)
def test_read_ahead_outside_a_transaction_merges_alike(
    corpus: Corpus, unclaimed: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the claims are read by a thread with a connection of its own
    outside a transaction, the articles without claims by the caller's."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    ahead = export_bytes("jsonl", corpus.project, layer="all", all_articles=True)
    with transaction.atomic():  # the caller's connection reads the claims itself
        inside = export_bytes("jsonl", corpus.project, layer="all", all_articles=True)
    assert ahead == inside
    assert list(claims_by_article(ahead)) == export_order(corpus.project)
