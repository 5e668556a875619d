from __future__ import annotations

import datetime as dt
import inspect
import threading
import time
from collections.abc import Generator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.test.utils import CaptureQueriesContext

from annotate.exchange import fetch
from annotate.exchange.fetch import isoformat_column
from annotate.exchange.options import ExportOptions, split_of
from annotate.exchange.provenance import manifest
from annotate.exchange.rows import COLUMNS, article_groups, claim_rows, claims_queryset
from annotate.models import Claim, ClaimStance, Decision, DecisionAction
from corpus.models import Article, Membership, Role
from tests.annotate.exchange.conftest import Corpus, decide
from tests.factories import MembershipFactory, TargetFactory


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
    with pytest.raises(ValidationError, match="No annotator of this project is called: nobody"):
        rows(corpus, layer="annotators", annotators=("nobody",))
    with pytest.raises(ValidationError, match="Unknown layer"):
        ExportOptions(layer="silver")
    with pytest.raises(ValidationError, match="gold layer has no annotators"):
        ExportOptions(layer="gold", annotators=("anna",))


def test_an_annotator_of_another_project_is_answered_as_a_name_nobody_has(
    corpus: Corpus,
) -> None:
    elsewhere = MembershipFactory(role=Role.ANNOTATOR).user
    answers = []
    for name in (elsewhere.username, "nobody-at-all"):
        with pytest.raises(ValidationError) as refused:
            rows(corpus, layer="annotators", annotators=(name,))
        answers.append(refused.value.message_dict["annotator"][0].replace(name, "<name>"))
    assert answers[0] == answers[1] == "No annotator of this project is called: <name>."


def test_a_former_member_with_claims_can_still_be_chosen(corpus: Corpus) -> None:
    boris = corpus.annotators[1]
    Membership.objects.filter(project=corpus.project, user=boris).delete()
    found = rows(corpus, layer="annotators", annotators=("boris",))
    assert len(found) == 3


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


def test_stances_with_characters_json_escapes_come_back_as_stored(corpus: Corpus) -> None:
    # PostgreSQL puts the stances' JSON text together with string_agg and to_json
    # (fetch.StancePairs): a stance with a quote, a backslash, a control character or
    # non-ASCII letters must come back as it was written, with each target's.
    odd = ['say "no"', "back\\slash", "tab\there", "Ёж 😀", "[1, 2]"]
    claim = corpus.claims[0]
    ClaimStance.objects.filter(claim=claim).delete()
    targets = list(corpus.targets[: len(odd)])
    targets += [TargetFactory(project=corpus.project) for _ in range(len(odd) - len(targets))]
    for target, stance in zip(targets, odd, strict=True):
        ClaimStance.objects.create(claim=claim, target=target, stance=stance)
    (row,) = [r for r in rows(corpus, layer="all") if r["claim_id"] == claim.pk]
    by_target = {t.name: stance for t, stance in zip(targets, odd, strict=True)}
    assert {s["target"]: s["stance"] for s in row["stances"]} == by_target
    assert len(row["stances"]) == len(by_target)


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


def _setup_queries() -> int:
    """Statements around the claims' query: on PostgreSQL it is planned without the JIT
    compiler (``SET jit = off`` before, ``RESET jit`` after)."""
    return 2 if connection.vendor == "postgresql" else 0


def test_row_source_is_a_generator_with_a_bounded_number_of_queries(corpus: Corpus) -> None:
    options = ExportOptions(layer="all")
    generator = claim_rows(corpus.project, options, chunk_size=3)
    assert inspect.isgenerator(generator)
    with CaptureQueriesContext(connection) as first:
        next(generator)
    # The claims (with their stances), the project's targets, the chunk's sources (with
    # aliases) and articles (for the mention texts), and once the project's decisions
    # (gold, origins), and whether the project has attribution chains: nothing read
    # ahead of the chunk.
    assert len(first) <= 4 + 2 + 1 + _setup_queries()
    with CaptureQueriesContext(connection) as rest:
        remaining = list(generator)
    assert len(remaining) == 9
    chunks = 4  # 10 rows in chunks of 3
    # Per later chunk: the sources and the articles it is the first to bring.
    assert len(rest) <= 2 * (chunks - 1)


def test_article_groups_hold_each_article_once_with_its_text(corpus: Corpus) -> None:
    options = ExportOptions(layer="all")
    with CaptureQueriesContext(connection) as queries:
        groups = list(article_groups(corpus.project, options, chunk_size=4))
    # The claims, the decisions (two) and the targets, then per chunk: sources, articles.
    assert (
        len(queries) <= 2 + 2 + 2 * 3 + 1 + _setup_queries()
    )  # + 1: whether the project has attribution chains
    assert [a["title"] for a, _ in groups] == sorted(a.title for a in corpus.articles)
    for article, claims in groups:
        assert claims and all(c["article_id"] == article["id"] for c in claims)
        assert all(article["text"][c["start"] : c["end"]] == c["quote"] for c in claims)


def test_times_are_written_as_isoformat_writes_them() -> None:
    texts = [
        "2024-06-01 08:00:00",  # SQLite's text, whole seconds
        "2024-06-01 08:00:00.000007",
        "2024-06-01T08:00:00.120000",  # PostgreSQL's to_char
        "2024-06-01T08:00:00.000000",
    ]
    expected = [dt.datetime.fromisoformat(t).replace(tzinfo=dt.UTC).isoformat() for t in texts]
    assert isoformat_column(texts, dt.UTC) == expected
    assert expected[0] == "2024-06-01T08:00:00+00:00" and expected[3] == expected[0]
    # Any other shape goes value by value, as do datetimes.
    odd = [*texts, "2024-06-01 08:00:00.5"]
    assert isoformat_column(odd, dt.UTC)[-1] == "2024-06-01T08:00:00.500000+00:00"
    berlin = dt.timezone(dt.timedelta(hours=1))
    aware = [dt.datetime(2024, 6, 1, 9, 0, 0, 5, tzinfo=berlin)]
    assert isoformat_column(aware, dt.UTC) == ["2024-06-01T09:00:00.000005+01:00"]
    assert isoformat_column([], dt.UTC) == []
    with pytest.raises(ValueError):  # not two values for one
        isoformat_column(["2024-06-01 08:00:00\n2024-06-01 08:00:00"], dt.UTC)


def test_rows_carry_the_claims_times_in_iso_8601(corpus: Corpus) -> None:
    base = dt.datetime(2024, 6, 1, 8, 0, 0, tzinfo=dt.UTC)
    for n, pk in enumerate(Claim.objects.order_by("id").values_list("id", flat=True)):
        created = base + dt.timedelta(hours=n, microseconds=0 if n % 2 else 1000 * n + 7)
        updated = created + dt.timedelta(days=400, microseconds=n % 3)
        Claim.objects.filter(pk=pk).update(created=created, updated=updated)
    times = {pk: (c, u) for pk, c, u in Claim.objects.values_list("id", "created", "updated")}
    found = rows(corpus, layer="all")
    # On PostgreSQL the query writes them whole (``fetch.IsoFormat``), on SQLite Python.
    assert [r["created"] for r in found] == [times[r["claim_id"]][0].isoformat() for r in found]
    assert [r["updated"] for r in found] == [times[r["claim_id"]][1].isoformat() for r in found]
    assert any(r["created"].endswith(":00+00:00") for r in found)  # whole seconds


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "claimdesk-export-rows"]


@pytest.mark.django_db(transaction=True)
def test_rows_read_ahead_outside_a_transaction_are_the_same_rows(corpus: Corpus) -> None:
    options = ExportOptions(layer="all", split=True)
    ahead = list(claim_rows(corpus.project, options, chunk_size=3))
    with transaction.atomic():  # the caller's connection reads them itself
        inside = list(claim_rows(corpus.project, options, chunk_size=3))
    assert ahead == inside and len(ahead) == 10
    assert not _readers()


@pytest.mark.django_db(transaction=True)
def test_an_export_left_halfway_stops_its_reader(corpus: Corpus) -> None:
    generator = claim_rows(corpus.project, ExportOptions(layer="all"), chunk_size=2)
    assert isinstance(generator, Generator)
    next(generator)
    assert _readers()
    generator.close()
    assert not _readers()


@pytest.mark.django_db(transaction=True)
def test_a_failure_of_the_reader_reaches_the_export() -> None:
    with pytest.raises(DatabaseError):  # SQLite's OperationalError, PostgreSQL's ProgrammingError
        list(fetch.prefetched("default", "SELECT * FROM no_such_table", [], 10, len))
    assert not _readers()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's test database: shared-cache table locks"
)
@pytest.mark.django_db(transaction=True)
def test_what_a_batch_reads_beside_the_rows_is_in_the_rows_snapshot(corpus: Corpus) -> None:
    """``then`` (a batch's articles) reads the data the rows' query reads, whatever is
    committed meanwhile: on PostgreSQL it runs on a second connection while the first
    streams the rows (``fetch._streaming``), in the first one's snapshot (imported: the
    second's own first query comes after the change); before, on one connection at
    read committed, each batch's queries saw what was committed since."""
    ids = sorted(article.pk for article in corpus.articles)
    stored = Article.objects.get(pk=ids[-1]).title
    changed = threading.Event()

    def title(batch: list[tuple[Any, ...]]) -> str | None:
        if batch[0][0] == ids[0]:
            return None  # the first batch reads nothing
        changed.wait(10)
        return str(Article.objects.get(pk=ids[-1]).title)

    batches = fetch.prefetched("default", "SELECT id FROM corpus_article ORDER BY id", [], 1, title)
    assert next(batches)[1] is None
    Article.objects.filter(pk=ids[-1]).update(title="Changed after the rows' snapshot")
    changed.set()
    titles = [found for _, found in batches]
    assert len(titles) == len(ids) - 1 >= 1
    assert set(titles) == {stored}
    assert not _readers()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's streamed rows")
@pytest.mark.django_db(transaction=True)
def test_rows_streamed_before_the_snapshot_is_imported_keep_it_until_then(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first connection streams the rows as soon as it has exported its snapshot (not
    after the second connection imported it: that was a round trip and a connection's
    set-up before the first row); its transaction, which the snapshot lives in, stays
    open until the import. Here the import comes after the last row was read: ending the
    transaction then made the import fail ("invalid snapshot identifier")."""
    execute = CursorWrapper.execute

    def slow_import(self: Any, sql: str, params: Any = None) -> Any:
        if sql.startswith("SET TRANSACTION SNAPSHOT"):
            time.sleep(0.5)  # every row read and handed on (one batch) before the import
        return execute(self, sql, params)

    def then(batch: list[tuple[Any, ...]]) -> int:
        return len(batch)

    monkeypatch.setattr(CursorWrapper, "execute", slow_import)
    sql = "SELECT id FROM corpus_article ORDER BY id"
    batches = fetch.prefetched("default", sql, [], 1000, then)
    found = [(batch, n) for batch, n in batches]
    assert [row[0] for batch, _ in found for row in batch] == sorted(
        article.pk for article in corpus.articles
    )
    assert [n for _, n in found] == [len(corpus.articles)]
    assert not _readers()


@pytest.mark.django_db(transaction=True)
def test_a_failure_beside_the_reader_reaches_the_export(corpus: Corpus) -> None:
    def fail(batch: list[tuple[Any, ...]]) -> None:
        raise DatabaseError("a batch's own query failed")

    with pytest.raises(DatabaseError, match="a batch's own query"):
        list(fetch.prefetched("default", "SELECT id FROM corpus_article", [], 1, fail))
    assert not _readers()


@pytest.mark.django_db(transaction=True)
def test_the_reader_leaves_writers_free(corpus: Corpus) -> None:
    """While the rows are read ahead, the caller's connection can still write: on SQLite the
    reader's transaction used to take the write lock (the settings' ``BEGIN IMMEDIATE``),
    so a background export's progress note in the database cache waited 20 s each time."""
    generator = claim_rows(corpus.project, ExportOptions(layer="all"), chunk_size=2)
    assert isinstance(generator, Generator)
    next(generator)
    assert _readers()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 200")
        try:
            with transaction.atomic():
                Membership.objects.filter(project=corpus.project).update(role=Role.MANAGER)
        finally:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA busy_timeout = 20000")
    generator.close()
    assert not _readers()


def test_decisions_read_once_are_what_the_queryset_annotates(corpus: Corpus) -> None:
    """The rows' ``decision`` (read once per export, not per claim by the query) is
    ``claims_queryset``'s: the latest gold decision, else the latest one the claim is an
    origin of, ties on time broken by id."""
    curator = corpus.curator
    first, second = corpus.claims[0], corpus.claims[1]
    earlier = decide(curator, DecisionAction.MERGE, corpus.gold[0], [first])
    later = decide(curator, DecisionAction.REJECT, None, [first, second])
    tied = decide(curator, DecisionAction.ACCEPT, corpus.gold[0], [second])
    same = Decision.objects.get(pk=tied.pk).created
    Decision.objects.filter(pk__in=[earlier.pk, later.pk, tied.pk]).update(created=same)
    options = ExportOptions(layer="all")
    annotated: Any = claims_queryset(corpus.project, options)  # (annotations mypy can't see)
    expected = dict(annotated.values_list("pk", "decision"))
    statuses = dict(annotated.values_list("pk", "status"))
    found = list(claim_rows(corpus.project, options, chunk_size=3))
    assert {r["claim_id"]: r["decision"] for r in found} == expected
    assert {r["claim_id"]: r["status"] for r in found} == statuses
    # Ties on time go by id: the rejection after the merge, the accept after it.
    assert expected[first.pk] == DecisionAction.REJECT
    assert expected[second.pk] == DecisionAction.ACCEPT
    assert expected[corpus.gold[0].pk] == DecisionAction.ACCEPT


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL reads them per article")
@pytest.mark.parametrize(
    "options",
    [
        {"layer": "all"},
        {"layer": "gold"},
        {"layer": "annotators", "annotators": ("boris",)},
        {"layer": "annotators", "stances": ("against",)},
        {"layer": "all", "statuses": ("pending", "gold")},
        {"layer": "all", "sources": "akar"},
    ],
)
def test_stances_read_per_article_are_those_read_per_claim(
    corpus: Corpus, monkeypatch: Any, options: dict[str, Any]
) -> None:
    """``rows_stances.by_article`` (PostgreSQL): each article's claims beside one read of
    their stances gives the rows of the per-claim subquery, filtered or not, a deleted
    claim's stances left out and a claim without stances still there."""
    from annotate.exchange import rows_query

    if options.get("sources") == "akar":
        options = {**options, "sources": (corpus.sources["akar"].pk,)}
    deleted = corpus.claims[1]
    Claim.objects.filter(pk=deleted.pk).update(deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    ClaimStance.objects.filter(claim=corpus.claims[2]).delete()
    by_article = rows(corpus, **options)
    monkeypatch.setattr(rows_query, "STANCES_BY_ARTICLE", frozenset())
    per_claim = rows(corpus, **options)
    assert by_article == per_claim
    assert by_article
    assert deleted.pk not in {r["claim_id"] for r in by_article}
