"""Claim search's indexes — a GIN index on PostgreSQL, an FTS5 table on SQLite — and how
migrations add indexes to big tables.

* ``claim_search_vector()`` is the text that claim search matches on PostgreSQL
  (``analysis.text_match``). The GIN index ``claim_search`` (``Claim.Meta.indexes``) is
  built over the very same expression: PostgreSQL uses an expression index only for a
  query that repeats the expression exactly, so both must come from this one function.
* ``PostgresGinIndex`` is a GIN index on PostgreSQL and nothing elsewhere: SQLite has no
  GIN. "Nothing" must also hold when SQLite rebuilds the table in a later migration (it
  recreates every index of ``Meta.indexes``), so on SQLite the index's SQL is a comment,
  not an error.
* ``AddIndexConcurrentlyOnPostgres`` adds an index with ``CREATE INDEX CONCURRENTLY`` on
  PostgreSQL — writes to the table go on while the index is built, which on a table of
  a million claims takes a while — and with a plain ``CREATE INDEX`` elsewhere. A
  migration using it must set ``atomic = False`` (CONCURRENTLY can't run in a
  transaction). Neither operation rewrites the table, so the article-text freeze trigger
  (``db_guards``) can stay in place.
* On SQLite claim search reads the FTS5 table ``annotate_claim_fts`` (``claim_fts_ids()``),
  created by ``CreateClaimFtsOnSqlite`` (migration 0009; nothing on PostgreSQL). It is
  *contentless* (``content=''``): it holds only the index of each claim's quote and note,
  under the claim's id as rowid, and three triggers on ``annotate_claim`` keep it in step
  with every write, whatever issued it (ORM, ``bulk_create``, raw SQL, a restore): AFTER
  INSERT adds the claim, AFTER UPDATE of its id, quote or note (only when one changed)
  replaces it, AFTER DELETE removes it with FTS5's ``'delete'`` command, which must be
  given the very text that was indexed — so every path indexes ``fts_text()`` of the
  columns. A soft delete leaves the claim indexed; the search's other filters drop it.

  The tokenizer is ``unicode61 remove_diacritics 0``, the closest to PostgreSQL's
  "simple" configuration (its parser, then ``lower()``; compared letter by letter on a
  ``C.UTF-8`` cluster — an ICU or another libc locale may lowercase a few letters
  otherwise): words are runs of letters and digits, case is folded, diacritics are kept
  ("şentop" finds "ŞENTOP" but not "sentop"; "akıncı" finds "AKıNCı", not "AKINCI": the
  dotless ı is a letter of its own on both databases). Cyrillic, CJK and nearly all of
  Greek fold the same way; emoji and other symbols separate words on both.
  ``remove_diacritics 1`` or ``2`` would find "sentop" for "Şentop" and "cafe" for
  "café", which PostgreSQL doesn't. One letter needs help:
  unicode61 leaves the capital dotted İ (U+0130) as it is, where ``lower()`` makes it
  "i", so "İstanbul" would not be found as "istanbul"; ``fts_text()`` and
  ``fts_query()`` replace İ by i on both sides. Differences that remain (SQLite answers
  as the regex search did): PostgreSQL keeps a decimal number ("3.14"), an e-mail
  address, a host name, a URL or a path as one word, so a part of one ("example" in
  "user@example.com") is found on SQLite only; unicode61 counts superscripts, subscripts
  and fractions as letters ("CO₂" is a word of its own on SQLite, "co" on PostgreSQL);
  it folds the final ς, µ and a few Greek symbol forms to their plain letters
  (PostgreSQL does not), and its Unicode tables are older (letters added to Unicode
  after 6.1, as Cherokee or Georgian capitals, don't fold).

  If SQLite lacks FTS5 (``fts5_available()``, asked once per process), the migration
  creates nothing and the search matches each word with a regular expression instead.
  A database migrated that way and opened later by a SQLite with FTS5 must run the
  migration again (``migrate annotate 0008`` then ``migrate``). The other way round a
  SQLite without FTS5 can't write claims into a database that has the triggers.

  SQLite alters a table by creating it anew and dropping the old one, which drops the
  triggers with it (silently, unlike the freeze trigger): a migration that alters
  ``annotate_claim`` must install them again, with ``reinstall_claim_fts_operations()``
  (one operation first, one last). ``tests/annotate/test_claim_search_fts.py`` checks
  that the triggers exist after the migrations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.migrations.operations import RunPython
from django.db.models.expressions import RawSQL

from annotate import db_triggers
from common import fulltext
from common.fulltext import (  # noqa: F401 - re-exported: claim search and migrations use them
    FTS_TOKENIZER,
    SEARCH_CONFIG,
    Deferred,
    fts5_available,
    fts_query,
    fts_text,
)

if TYPE_CHECKING:
    from django.contrib.postgres.search import SearchVector


def claim_search_vector() -> SearchVector:
    """The words of a claim that search matches: its quote and its note. (Imported here:
    ``django.contrib.postgres.search`` imports psycopg, which a process on SQLite need not
    load; ``Claim.Meta.indexes`` names it ``Deferred``.)"""
    from django.contrib.postgres.search import SearchVector

    return SearchVector("quote", "note", config=SEARCH_CONFIG)


def __getattr__(name: str) -> Any:
    """``AddIndexConcurrentlyOnPostgres``, as the migrations name it, imported when one
    asks (``common.fulltext_operations``: its base imports psycopg)."""
    if name == "AddIndexConcurrentlyOnPostgres":
        from common.fulltext_operations import AddIndexConcurrentlyOnPostgres

        return AddIndexConcurrentlyOnPostgres
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PostgresGinIndex(fulltext.PostgresGinIndex):
    """A GIN index on PostgreSQL; on other databases no index (``common.fulltext``; this
    name is the one migration 0008 recorded)."""


# --- claim search on SQLite: the FTS5 table ------------------------------------------------

CLAIM_FTS = "annotate_claim_fts"
FTS_COLUMNS = ("quote", "note")
# Its INSERT trigger waits in bulk mode (annotate.db_bulk adds the rows itself).
CLAIM_FTS_INDEX = fulltext.Fts5Index(
    CLAIM_FTS, "annotate_claim", FTS_COLUMNS, insert_when=db_triggers.BULK_OFF
)


def claim_fts_ids(query: str) -> RawSQL:
    """The ids of the claims whose quote or note match ``query`` (``fts_query``)."""
    return RawSQL(f"SELECT rowid FROM {CLAIM_FTS} WHERE {CLAIM_FTS} MATCH %s", [query])


def claim_fts_sql() -> list[str]:
    """The statements creating the FTS5 table and its triggers and filling it
    (``common.fulltext.Fts5Index``). They may run again: the table stays, the triggers
    are replaced, the index is filled anew."""
    return CLAIM_FTS_INDEX.sql()


def install_claim_fts(schema_editor: Any) -> None:
    """On SQLite with FTS5: the FTS5 table, its triggers, the index of every claim (and
    the bulk mode's flag table, which the INSERT trigger reads)."""
    if schema_editor.connection.vendor == "sqlite" and fulltext.fts5_available():
        schema_editor.execute(db_triggers.BULK_FLAG_SQL)
    CLAIM_FTS_INDEX.install(schema_editor)


def drop_claim_fts(schema_editor: Any) -> None:
    CLAIM_FTS_INDEX.drop(schema_editor)


def reinstall_claim_fts_operations() -> tuple[RunPython, RunPython]:
    """For a migration that alters ``annotate_claim``, which SQLite rebuilds, dropping the
    FTS triggers with the old table: put the first operation first and the second last.
    Each installs the triggers again after the rebuild (and refills the index), the
    second migrating forwards, the first backwards."""

    def reinstall(apps: Any, schema_editor: Any) -> None:
        install_claim_fts(schema_editor)

    return RunPython(RunPython.noop, reinstall), RunPython(reinstall, RunPython.noop)


class CreateClaimFtsOnSqlite(fulltext.CreateFtsOnSqlite):
    """The FTS5 table of claim search on SQLite (``install_claim_fts``); nothing on
    PostgreSQL, nor on a SQLite without FTS5. Reversed, it drops them."""

    fts = CLAIM_FTS_INDEX
    purpose = "claim search"

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        install_claim_fts(schema_editor)

    @property
    def migration_name_fragment(self) -> str:
        return "claim_search_fts"
