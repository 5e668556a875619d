from __future__ import annotations

import inspect
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.exports.rows import (
    COLUMNS,
    ExportOptions,
    article_groups,
    claim_rows,
    manifest,
    split_of,
)
from tests.annotate.exports.conftest import Corpus


def rows(corpus: Corpus, **options: Any) -> list[dict[str, Any]]:
    return list(claim_rows(corpus.project, ExportOptions(**options)))


def test_gold_layer_is_the_default_and_holds_only_gold_claims(corpus: Corpus) -> None:
    found = rows(corpus)
    assert [r["claim_id"] for r in found] == sorted(
        (g.pk for g in corpus.gold), key=lambda pk: [r["claim_id"] for r in found].index(pk)
    )
    assert {r["claim_id"] for r in found} == {g.pk for g in corpus.gold}
    assert {r["layer"] for r in found} == {"gold"}
    assert {r["annotator"] for r in found} == {None}
    assert {r["status"] for r in found} == {"gold"}
    assert sorted(r["decision"] for r in found) == ["accept", "accept", "merge"]


def test_annotators_layer_has_one_row_per_live_annotator_claim(corpus: Corpus) -> None:
    found = rows(corpus, layer="annotators")
    assert {r["claim_id"] for r in found} == {c.pk for c in corpus.claims}
    assert len(found) == 7  # the deleted claim is left out
    by_quote = {(r["annotator"], r["quote"][:20]): r["status"] for r in found}
    assert by_quote[("anna", "Turkey’s influence i")] == "accepted"
    assert by_quote[("boris", "Turkey’s influence i")] == "accepted"
    assert by_quote[("anna", "Akıncı disagreed")] == "pending"
    assert by_quote[("anna", "Experts doubt the CS")] == "rejected"


def test_layer_all_has_gold_and_annotator_claims(corpus: Corpus) -> None:
    assert len(rows(corpus, layer="all")) == 10


def test_chosen_annotators_only(corpus: Corpus) -> None:
    found = rows(corpus, layer="annotators", annotators=("boris",))
    assert {r["annotator"] for r in found} == {"boris"}
    assert len(found) == 3


def test_unknown_annotator_or_bad_layer_is_a_clear_error(corpus: Corpus) -> None:
    with pytest.raises(ValidationError, match="No such user: nobody"):
        rows(corpus, layer="annotators", annotators=("nobody",))
    with pytest.raises(ValidationError, match="Unknown layer"):
        ExportOptions(layer="silver")
    with pytest.raises(ValidationError, match="gold layer has no annotators"):
        ExportOptions(layer="gold", annotators=("anna",))


def test_filters_by_article_source_stance_and_status(corpus: Corpus) -> None:
    a1 = corpus.articles[1]
    assert {r["article_id"] for r in rows(corpus, layer="all", articles=(a1.pk,))} == {a1.pk}
    akar = corpus.sources["akar"].pk
    assert {r["source_name"] for r in rows(corpus, layer="all", sources=(akar,))} == {"Hulusi Akar"}
    against = rows(corpus, layer="annotators", stances=("against",))
    assert {r["source_name"] for r in against} == {"Experts", "Daria Isachenko"}
    pending = rows(corpus, layer="annotators", statuses=("pending",))
    assert {r["quote"] for r in pending} == {
        "Akıncı disagreed",
        "China’s influence grows in Kazakhstan 🇰🇿 and beyond",
    }
    assert rows(corpus, layer="annotators", statuses=("gold",)) == []


def test_rows_come_in_article_order_then_offsets(corpus: Corpus) -> None:
    found = rows(corpus, layer="all")
    titles = [r["article_title"] for r in found]
    assert titles == sorted(titles)
    keys = [(r["article_title"], r["start"], r["end"], r["claim_id"]) for r in found]
    assert keys == sorted(keys)
    assert list(found[0]) == list(COLUMNS)


def test_rows_carry_source_stances_mention_and_provenance(corpus: Corpus) -> None:
    (row,) = [r for r in rows(corpus) if r["source_name"] == "Яна Орехова"]
    assert row["source_aliases"] == ["Orekhova", "Yana Orekhova"]
    assert row["source_external_id"] == "Q4000001"
    assert row["mention_text"] == "Яна Орехова"
    text = corpus.articles[0].text
    assert text[row["mention_start"] : row["mention_end"]] == "Яна Орехова"
    assert text[row["start"] : row["end"]] == row["quote"]
    assert row["stances"] == [{"target": "Turkey's influence in Central Asia", "stance": "favor"}]
    assert row["article_sha256"] == corpus.articles[0].sha256
    assert row["scheme_version"] == 1
    two = [r for r in rows(corpus) if r["source_name"] == "Hulusi Akar"][0]
    assert [s["target"] for s in two["stances"]] == [
        "Turkey's influence in Central Asia",
        "the CSTO",
    ]


def test_split_is_by_article_seeded_and_reproducible(corpus: Corpus) -> None:
    first = rows(corpus, layer="all", split=True, split_seed=7)
    again = rows(corpus, layer="all", split=True, split_seed=7)
    assert [r["split"] for r in first] == [r["split"] for r in again]
    by_article: dict[int, set[str]] = {}
    for r in first:
        by_article.setdefault(r["article_id"], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_article.values())
    assert {r["split"] for r in rows(corpus)} == {None}
    # The shares follow the ratios, and another seed moves articles.
    shas = [f"{n:064x}" for n in range(3000)]
    options = ExportOptions(split=True, split_seed=1)
    counts = dict.fromkeys(("train", "dev", "test"), 0)
    for sha in shas:
        counts[split_of(sha, options)] += 1
    assert 2250 < counts["train"] < 2550 and 200 < counts["dev"] < 400
    other = ExportOptions(split=True, split_seed=2)
    assert [split_of(s, options) for s in shas] != [split_of(s, other) for s in shas]
    assert [split_of(s, options) for s in shas] == [
        split_of(s, ExportOptions(split=True, split_seed=1)) for s in shas
    ]


def test_options_from_query(corpus: Corpus) -> None:
    options = ExportOptions.from_query(
        {"layer": "annotators", "annotator": "anna,boris", "split": "on", "seed": "3"}
    )
    assert options.annotators == ("anna", "boris") and options.split and options.split_seed == 3
    with pytest.raises(ValidationError):
        ExportOptions.from_query({"article": "x1"})
    with pytest.raises(ValidationError):
        ExportOptions.from_query({"ratios": "0.5,0.5,0.5"})


def test_manifest_names_scheme_tool_time_and_filters(corpus: Corpus) -> None:
    info = manifest(corpus.project, ExportOptions(layer="annotators"), "csv")
    assert info["scheme_version"] == 1
    assert info["tool_version"] == "0.1.0"
    assert info["filters"]["layer"] == "annotators"
    assert info["exported_at"].endswith("+00:00")
    assert len(info["scheme_sha256"]) == 64


def test_row_source_is_a_generator_with_a_bounded_number_of_queries(corpus: Corpus) -> None:
    options = ExportOptions(layer="all")
    generator = claim_rows(corpus.project, options, chunk_size=3)
    assert inspect.isgenerator(generator)
    with CaptureQueriesContext(connection) as first:
        next(generator)
    # The claims, their stances, their sources (with aliases) and their articles (for the
    # mention texts, which used to be cut out of every text by the claims query): nothing
    # read ahead of the chunk.
    assert len(first) <= 4
    with CaptureQueriesContext(connection) as rest:
        remaining = list(generator)
    assert len(remaining) == 9
    chunks = 4  # 10 rows in chunks of 3
    # Per later chunk: stances, and the sources and articles it is the first to bring.
    assert len(rest) <= 3 * (chunks - 1) + 1


def test_article_groups_hold_each_article_once_with_its_text(corpus: Corpus) -> None:
    options = ExportOptions(layer="all")
    with CaptureQueriesContext(connection) as queries:
        groups = list(article_groups(corpus.project, options, chunk_size=4))
    assert len(queries) <= 1 + 3 * 3  # claims, then per chunk: stances, sources, articles
    assert [a["title"] for a, _ in groups] == sorted(a.title for a in corpus.articles)
    for article, claims in groups:
        assert claims and all(c["article_id"] == article["id"] for c in claims)
        assert all(article["text"][c["start"] : c["end"]] == c["quote"] for c in claims)
