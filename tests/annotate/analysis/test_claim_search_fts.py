"""Claim search's words: the same answers on PostgreSQL (the GIN index over the "simple"
full-text configuration) and SQLite (the FTS5 table ``annotate_claim_fts`` kept in step by
triggers), whatever the script, and with no way for a query to be FTS5 syntax. SQLite's
own checks: the table and its triggers exist after the migrations, follow every write
(the ORM, ``update()``, raw SQL, a hard delete, an archive restore), and a SQLite without
FTS5 falls back to the regex search."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from annotate import db_guards, db_indexes, db_network_counts, db_overview_counts, db_versions
from annotate.analysis import search as analysis_search
from annotate.analysis.filters import ClaimFilters
from annotate.analysis.search import claims_matching, text_match
from annotate.exchange import archive, restoring
from annotate.models import (
    Assignment,
    Claim,
    ClaimStance,
    Decision,
    DecisionOrigin,
    History,
    Source,
    SourceAlias,
    Target,
)
from common import fulltext
from corpus.models import Article, Membership, Project
from tests.factories import ArticleFactory, ClaimFactory

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 table")

QUOTES = {
    "pipeline": "Turkey expands its pipeline network",
    "steppe": "Russia's influence wanes in the steppe",
    "orekhova": "Яна Орехова заявила, что ЯНА не уйдёт",
    "akinci": "Tahsin Akıncı said AKıNCı twice",
    "AKINCI": "AKINCI is the capital form of another name",
    "sentop": "Mustafa Şentop and ŞENTOP again",
    "istanbul": "İstanbul awaits",
    "ISTANBUL": "ISTANBUL AWAITS",
    "emoji": "Great news 🎉🎉 for the corridor👍 today",
    "underscore": "the north_south corridor",
}
NOTES = {"pipeline": "Checked against Reuters", "steppe": "summit in Astana"}


def search(article: Any, query: str) -> set[str]:
    names = {claim.pk: name for name, claim in article.named.items()}
    claims = text_match(Claim.objects.filter(article=article), query)
    return {names[pk] for pk in claims.values_list("pk", flat=True)}


@pytest.fixture
def article(project: Any) -> Any:
    article = ArticleFactory(project=project)
    article.named = {
        name: ClaimFactory(article=article, annotator=None, quote=quote, note=NOTES.get(name, ""))
        for name, quote in QUOTES.items()
    }
    return article


@pytest.mark.django_db
def test_whole_words_of_quote_and_note_ignoring_case(article: Any) -> None:
    assert search(article, "pipeline") == {"pipeline"}
    assert search(article, "PIPELINE") == {"pipeline"}
    assert search(article, "reuters") == {"pipeline"}  # in the note
    assert search(article, "Russia") == {"steppe"}  # "Russia's"
    assert search(article, "corridor") == {"emoji", "underscore"}


@pytest.mark.django_db
def test_every_word_must_be_there_in_the_quote_or_the_note(article: Any) -> None:
    assert search(article, "pipeline turkey") == {"pipeline"}
    assert search(article, "pipeline steppe") == set()
    assert search(article, "steppe ASTANA") == {"steppe"}  # one in the quote, one in the note
    assert search(article, "corridor north") == {"underscore"}


@pytest.mark.django_db
def test_no_part_of_a_word_matches(article: Any) -> None:
    assert search(article, "Turk") == set()
    assert search(article, "pipe") == set()
    assert search(article, "line") == set()
    assert search(article, "Орех") == set()


@pytest.mark.django_db
def test_cyrillic_words(article: Any) -> None:
    assert search(article, "Яна Орехова") == {"orekhova"}
    assert search(article, "ОРЕХОВА яна") == {"orekhova"}
    assert search(article, "уйдёт") == {"orekhova"}
    assert search(article, "уйдет") == set()  # ё is not е: diacritics count


@pytest.mark.django_db
def test_turkish_letters_fold_as_on_postgresql(article: Any) -> None:
    # The dotless ı is a letter of its own on both databases: "AKINCI" lowercases to
    # "akinci", which is not "akıncı".
    assert search(article, "akıncı") == {"akinci"}
    assert search(article, "AKıNCı") == {"akinci"}
    assert search(article, "AKINCI") == {"AKINCI"}
    assert search(article, "Şentop") == {"sentop"}
    assert search(article, "şentop") == {"sentop"}
    assert search(article, "sentop") == set()  # the cedilla counts, as on PostgreSQL
    # The dotted capital İ lowercases to i.
    assert search(article, "istanbul") == {"istanbul", "ISTANBUL"}
    assert search(article, "İstanbul") == {"istanbul", "ISTANBUL"}
    assert search(article, "İSTANBUL awaits") == {"istanbul", "ISTANBUL"}


@pytest.mark.django_db
def test_emoji_separate_words(article: Any) -> None:
    assert search(article, "news") == {"emoji"}
    assert search(article, "corridor👍") == {"emoji", "underscore"}
    assert search(article, "🎉 today") == {"emoji"}
    assert search(article, "🎉") == set(QUOTES)  # no words: no filter


@pytest.mark.django_db
def test_an_underscore_separates_words_as_on_postgresql(article: Any) -> None:
    assert search(article, "north_south") == {"underscore"}
    assert search(article, "south_north") == {"underscore"}  # both words, in any order
    assert search(article, "___") == set()  # a word without letters finds nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', set(QUOTES)),
        ("-", set(QUOTES)),
        ("*", set(QUOTES)),
        ("OR", set()),
        ("a*", set()),
        ("pipe*", set()),
        ("pipeline*", {"pipeline"}),
        ("-pipeline", {"pipeline"}),
        ("NOT pipeline", set()),
        ("pipeline OR steppe", set()),  # "or" is a word the claims don't have
        ("pipeline AND turkey", set()),
        ("quote:pipeline", set()),
        ("note:reuters", set()),
        ("^turkey", {"pipeline"}),
        ("NEAR(pipeline turkey)", set()),
        ('"pipeline network"', {"pipeline"}),
        ('pipeline"', {"pipeline"}),
        ("(pipeline", {"pipeline"}),
        ("{quote note}: pipeline", set()),
        ("pipeline + turkey", {"pipeline"}),
        ("%' OR 1=1 --", set()),
        ("\\ ' ; )", set(QUOTES)),
    ],
)
def test_no_query_is_search_syntax(article: Any, query: str, expected: set[str]) -> None:
    assert search(article, query) == expected


@pytest.mark.django_db
def test_an_edited_quote_or_note_is_found_by_its_new_words_only(article: Any) -> None:
    claim = article.named["pipeline"]
    claim.quote, claim.note = "Gas flows again", "Verified by Interfax"
    claim.save()
    assert search(article, "gas") == {"pipeline"}
    assert search(article, "interfax") == {"pipeline"}
    assert search(article, "pipeline") == set()
    assert search(article, "reuters") == set()
    # An UPDATE of the rows, not of a model instance.
    Claim.objects.filter(pk=claim.pk).update(note="Confirmed by TASS")
    assert search(article, "tass gas") == {"pipeline"}
    assert search(article, "interfax") == set()
    # Changing other fields keeps the words.
    Claim.objects.filter(pk=claim.pk).update(attribution="direct", version=2)
    assert search(article, "tass") == {"pipeline"}


@pytest.mark.django_db
def test_deleted_claims_are_not_found(project: Any, article: Any) -> None:
    def found(q: str) -> set[int]:
        claims = claims_matching(project, ClaimFilters(q=q))
        return {c.pk for c in claims}

    soft, hard = article.named["pipeline"], article.named["steppe"]
    assert found("pipeline") == {soft.pk}
    soft.deleted_at = timezone.now()
    soft.save()
    assert found("pipeline") == set()
    assert search(article, "pipeline") == {"pipeline"}  # still indexed: the filters drop it
    hard_id = hard.pk
    hard.delete()
    article.named.pop("steppe")
    assert search(article, "steppe") == set()
    # A new claim can't inherit the words of the deleted one.
    ClaimFactory(article=article, annotator=None, quote="unrelated words")
    assert not Claim.objects.filter(pk=hard_id).exists()
    assert search(article, "steppe astana") == set()


@pytest.mark.django_db
def test_bulk_created_claims_are_found(article: Any) -> None:
    Claim.objects.bulk_create(
        Claim(article=article, start=0, end=4, quote=f"bulk claim number{i}") for i in range(30)
    )
    claims = text_match(Claim.objects.filter(article=article), "bulk number7")
    assert [c.quote for c in claims] == ["bulk claim number7"]
    assert text_match(Claim.objects.all(), "bulk claim").count() == 30


# --- SQLite: the FTS5 table ------------------------------------------------------------


def fts_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {db_indexes.CLAIM_FTS}")
        return int(cursor.fetchone()[0])


def fts_objects() -> dict[str, str]:
    """The FTS5 table and its triggers (not FTS5's own shadow tables), by name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, type FROM sqlite_master WHERE name = 'annotate_claim_fts' "
            "OR (type = 'trigger' AND name LIKE 'annotate_claim_fts%')"
        )
        return dict(cursor.fetchall())


def search_sql(query: str) -> str:
    claims = text_match(Claim.objects.all(), query)
    sql, params = claims.query.sql_with_params()
    return sql % tuple(repr(p) for p in params)


@sqlite_only
@pytest.mark.django_db
def test_the_fts_table_and_its_triggers_exist_after_the_migrations() -> None:
    # A later migration that rebuilds annotate_claim drops the triggers with the old
    # table: it must install them again (db_indexes.reinstall_claim_fts_operations).
    assert db_indexes.fts5_available()
    assert fts_objects() == {
        "annotate_claim_fts": "table",
        "annotate_claim_fts_insert": "trigger",
        "annotate_claim_fts_update": "trigger",
        "annotate_claim_fts_delete": "trigger",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'annotate_claim_fts'")
        definition = cursor.fetchone()[0]
    assert "content=''" in definition
    assert "tokenize='unicode61 remove_diacritics 0'" in definition


@sqlite_only
@pytest.mark.django_db
def test_the_fts_table_holds_one_row_per_claim_through_every_write(article: Any) -> None:
    assert fts_rows() == Claim.objects.count() == len(QUOTES)
    claim = article.named["pipeline"]
    claim.quote = "new words"
    claim.save()
    Claim.objects.filter(pk=claim.pk).update(note="newer words")
    claim.deleted_at = timezone.now()
    claim.save()
    assert fts_rows() == len(QUOTES)  # edits and soft deletes replace, never add
    claim.delete()
    assert fts_rows() == len(QUOTES) - 1
    Claim.objects.filter(article=article).delete()
    assert fts_rows() == 0
    with connection.cursor() as cursor:  # raw SQL fires the triggers too
        cursor.execute(
            'INSERT INTO annotate_claim (article_id, start, "end", quote, prefix, suffix, '
            "attribution, source_reliability, information_credibility, claim_type, "
            "checkworthy, note, version, created, updated) VALUES "
            "(%s, 0, 4, 'raw insert', '', '', '', '', '', '', '', '', 1, %s, %s)",
            [article.pk, timezone.now(), timezone.now()],
        )
    assert fts_rows() == 1
    assert search_names(article, "raw insert") == ["raw insert"]


# The agreement counter's triggers on the claims and on the stances, which read the claims.
VERSION_TABLES = ("annotate_claim", "annotate_claimstance", "annotate_chainlink")


@sqlite_only
@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses to run in one
def test_a_migration_rebuilding_the_claim_table_installs_the_triggers_again(
    article: Any,
) -> None:
    first, last = db_indexes.reinstall_claim_fts_operations()
    state = MigrationLoader(connection).project_state()
    old = Claim._meta.get_field("prefix")
    new = models.CharField(max_length=99, blank=True)
    new.set_attributes_from_name("prefix")
    new.model = Claim
    triggers = {name for name, kind in fts_objects().items() if kind == "trigger"}
    with connection.schema_editor() as editor:
        db_guards.drop_freeze_trigger(editor)  # SQLite refuses to rebuild a table it names
        db_versions.drop_version_triggers(editor, VERSION_TABLES)  # (stances and links read it)
        db_network_counts.drop_network_triggers(editor)  # (the stances' read it too)
        first.database_forwards("annotate", editor, state, state)
        editor.alter_field(Claim, old, new)
        assert fts_objects() == {"annotate_claim_fts": "table"}  # dropped with the old table
        last.database_forwards("annotate", editor, state, state)
        assert set(fts_objects()) == {"annotate_claim_fts", *triggers}
        # And back.
        last.database_backwards("annotate", editor, state, state)
        editor.alter_field(Claim, new, old)
        assert fts_objects() == {"annotate_claim_fts": "table"}
        first.database_backwards("annotate", editor, state, state)
        db_guards.install_freeze_trigger(editor)
        db_versions.install_version_triggers(editor, VERSION_TABLES)
        db_network_counts.install_network_triggers(editor)
        db_overview_counts.install_overview_triggers(editor)  # (dropped with the old table)
    assert set(fts_objects()) == {"annotate_claim_fts", *triggers}
    assert fts_rows() == len(QUOTES)
    Claim.objects.filter(pk=article.named["steppe"].pk).update(quote="rebuilt")
    assert search(article, "rebuilt") == {"steppe"}
    assert search(article, "steppe") == set()


def search_names(article: Any, query: str) -> list[str]:
    claims = text_match(Claim.objects.filter(article=article), query)
    return [c.quote for c in claims]


@sqlite_only
@pytest.mark.django_db
def test_the_search_reads_the_fts_table_with_the_words_quoted() -> None:
    sql = search_sql('pipeline OR "turkey" a* quote:x NEAR(y)')
    assert "annotate_claim_fts MATCH" in sql
    assert "REGEXP" not in sql.upper()
    assert """'"pipeline" "OR" "turkey" "a" "quote" "x" "NEAR" "y"'""" in sql


@sqlite_only
@pytest.mark.django_db
def test_without_fts5_the_search_falls_back_to_the_regex(
    article: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {q: search(article, q) for q in ("pipeline", "steppe astana", "Турк", "yana")}
    monkeypatch.setattr(analysis_search, "fts5_available", lambda: False)
    assert "annotate_claim_fts" not in search_sql("pipeline")
    assert "REGEXP" in search_sql("pipeline").upper()
    assert {q: search(article, q) for q in expected} == expected
    assert search(article, "Яна Орехова") == {"orekhova"}
    assert search(article, "Turk") == set()


@sqlite_only
def test_fts5_is_detected_once() -> None:
    db_indexes.fts5_available.cache_clear()
    assert db_indexes.fts5_available() is True
    assert db_indexes.fts5_available.cache_info().misses == 1
    assert db_indexes.fts5_available() is True
    assert db_indexes.fts5_available.cache_info().hits >= 1


@sqlite_only
def test_fts5_is_not_available_when_sqlite_lacks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoFts5:
        def execute(self, sql: str) -> None:
            raise fulltext.sqlite3.OperationalError("no such module: fts5")

        def close(self) -> None:
            pass

    db_indexes.fts5_available.cache_clear()
    monkeypatch.setattr(fulltext.sqlite3, "connect", lambda name: NoFts5())
    try:
        assert db_indexes.fts5_available() is False
    finally:
        db_indexes.fts5_available.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_migration_creates_the_fts_table_on_sqlite_only(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    call_command("sqlmigrate", "annotate", "0009", stdout=out)
    sql = out.getvalue()
    if connection.vendor == "sqlite":
        assert "CREATE VIRTUAL TABLE IF NOT EXISTS annotate_claim_fts USING fts5(" in sql
        assert "CREATE TRIGGER annotate_claim_fts_delete AFTER DELETE ON annotate_claim" in sql
        assert "SELECT id, replace(annotate_claim.quote, 'İ', 'i')" in sql
    else:
        assert "CREATE" not in sql and "TRIGGER" not in sql
    # Without FTS5 it creates nothing (and doesn't fail).
    monkeypatch.setattr(fulltext, "fts5_available", lambda: False)
    out = io.StringIO()
    call_command("sqlmigrate", "annotate", "0009", stdout=out)
    assert "CREATE" not in out.getvalue() and "TRIGGER" not in out.getvalue()


@pytest.fixture
def unmigrated_fts() -> Iterator[None]:
    """Unapply 0009 for a test; apply it again afterwards, whatever happened."""
    call_command("migrate", "annotate", "0008", verbosity=0)
    try:
        yield
    finally:
        call_command("migrate", "annotate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_existing_claims_and_reverses(
    project: Any, unmigrated_fts: None
) -> None:
    article = ArticleFactory(project=project)
    article.named = {"old": ClaimFactory(article=article, annotator=None, quote="before FTS")}
    if connection.vendor == "sqlite":
        assert fts_objects() == {}  # reversed: no table, no triggers
    call_command("migrate", "annotate", verbosity=0)
    article.named["new"] = ClaimFactory(article=article, annotator=None, quote="after FTS")
    assert search(article, "fts") == {"old", "new"}
    assert search(article, "before") == {"old"}
    if connection.vendor == "sqlite":
        assert fts_rows() == 2


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_without_fts5_migrates_and_searches_by_regex(
    project: Any, unmigrated_fts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulltext, "fts5_available", lambda: False)
    monkeypatch.setattr(analysis_search, "fts5_available", lambda: False)
    call_command("migrate", "annotate", verbosity=0)
    assert fts_objects() == {}
    article = ArticleFactory(project=project)
    article.named = {"one": ClaimFactory(article=article, annotator=None, quote="Akıncı said")}
    assert search(article, "akıncı") == {"one"}
    # Migrated again with FTS5 (unmigrated_fts's teardown), the claims are indexed.
    monkeypatch.undo()
    call_command("migrate", "annotate", "0008", verbosity=0)
    call_command("migrate", "annotate", verbosity=0)
    assert fts_rows() == 1
    assert search(article, "akıncı") == {"one"}


def empty_instance() -> None:
    for model in (
        History,
        DecisionOrigin,
        Decision,
        ClaimStance,
        Claim,
        Assignment,
        SourceAlias,
        Source,
        Target,
        Article,
        Membership,
        Project,
    ):
        model._default_manager.all().delete()


@pytest.mark.django_db
def test_restored_claims_are_found(project: Any, article: Any) -> None:
    data = b"".join(archive.stream(project))
    empty_instance()
    assert not text_match(Claim.objects.all(), "pipeline").exists()
    if connection.vendor == "sqlite":
        assert fts_rows() == 0
    restored = restoring.restore(io.BytesIO(data)).project
    claims = text_match(Claim.objects.filter(article__project=restored), "pipeline")
    assert [c.quote for c in claims] == [QUOTES["pipeline"]]
    assert text_match(Claim.objects.all(), "İstanbul").count() == 2
    if connection.vendor == "sqlite":
        assert fts_rows() == len(QUOTES)
