"""Indexes only PostgreSQL builds, and how migrations add indexes to big tables.

* ``claim_search_vector()`` is the text that claim search matches (``analysis.text_match``).
  The GIN index ``claim_search`` (``Claim.Meta.indexes``) is built over the very same
  expression: PostgreSQL uses an expression index only for a query that repeats the
  expression exactly, so both must come from this one function.
* ``PostgresGinIndex`` is a GIN index on PostgreSQL and nothing elsewhere: SQLite has no
  GIN, and its claim search is a regex over every row anyway. "Nothing" must also hold
  when SQLite rebuilds the table in a later migration (it recreates every index of
  ``Meta.indexes``), so on SQLite the index's SQL is a comment, not an error.
* ``AddIndexConcurrentlyOnPostgres`` adds an index with ``CREATE INDEX CONCURRENTLY`` on
  PostgreSQL — writes to the table go on while the index is built, which on a table of
  a million claims takes a while — and with a plain ``CREATE INDEX`` elsewhere. A
  migration using it must set ``atomic = False`` (CONCURRENTLY can't run in a
  transaction). Neither operation rewrites the table, so the article-text freeze trigger
  (``db_guards``) can stay in place.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import AddIndexConcurrently
from django.contrib.postgres.search import SearchVector
from django.db.backends.ddl_references import Statement
from django.db.migrations.operations import AddIndex

SEARCH_CONFIG = "simple"  # no stemming: a word finds the same claims as SQLite's regex


def claim_search_vector() -> SearchVector:
    """The words of a claim that search matches: its quote and its note."""
    return SearchVector("quote", "note", config=SEARCH_CONFIG)


def _postgres(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


def _nothing(index: PostgresGinIndex, schema_editor: Any) -> Statement:
    vendor = schema_editor.connection.vendor
    return Statement(
        "-- %(name)s: a PostgreSQL index, none on %(vendor)s", name=index.name, vendor=vendor
    )


class PostgresGinIndex(GinIndex):
    """A GIN index on PostgreSQL; on other databases no index (its SQL is a comment)."""

    def check(self, model: Any, connection: Any) -> list[Any]:
        # postgres.E005 asks for django.contrib.postgres in INSTALLED_APPS, which sets up
        # the package's field types and lookups. A GIN index over a tsvector expression
        # uses neither (claim search already runs without the app).
        errors: list[Any] = super().check(model, connection)
        return [error for error in errors if error.id != "postgres.E005"]

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if not _postgres(schema_editor):
            return _nothing(self, schema_editor)
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model: Any, schema_editor: Any, **kwargs: Any) -> Any:
        if not _postgres(schema_editor):
            return _nothing(self, schema_editor)
        return super().remove_sql(model, schema_editor, **kwargs)


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """``AddIndexConcurrently`` on PostgreSQL, ``AddIndex`` on other databases."""

    def describe(self) -> str:
        return f"{AddIndex.describe(self)} (concurrently on PostgreSQL)"

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if _postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if _postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
