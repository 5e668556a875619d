"""Full-text search on both databases, shared by claim search (``annotate.db_indexes``) and
article search (``corpus.search``): PostgreSQL's ``to_tsvector('simple', …)`` through a GIN
index, SQLite's FTS5 with a tokenizer that finds the same words (``annotate/db_indexes.py``
says how the two tokenizers compare, and where they still differ).

Model-less: the SQL of the FTS5 tables and the index class, no app imported.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.db.backends.ddl_references import Statement
from django.db.migrations.operations.base import Operation

SEARCH_CONFIG = "simple"  # no stemming: a word finds the same rows as SQLite's FTS5
FTS_TOKENIZER = "unicode61 remove_diacritics 0"


def _postgres(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


def _nothing(index: GinIndex, schema_editor: Any) -> Statement:
    vendor = schema_editor.connection.vendor
    return Statement(
        "-- %(name)s: a PostgreSQL index, none on %(vendor)s", name=index.name, vendor=vendor
    )


class Deferred:
    """An index expression made when first asked for (``PostgresGinIndex``): a model's
    ``Meta.indexes`` can name a search vector without importing
    ``django.contrib.postgres.search``, which imports psycopg (issue 21: a fresh
    ``manage.py export`` on SQLite loaded ~75 psycopg modules for it)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make

    def __repr__(self) -> str:
        return f"Deferred({self.make.__qualname__})"


class PostgresGinIndex(GinIndex):
    """A GIN index on PostgreSQL; on other databases no index (its SQL is a comment, also
    when SQLite rebuilds the table in a later migration and recreates every index).

    An expression may be ``Deferred``: it is made the first time the index's
    ``expressions`` are read (by the migrations' autodetector, a check, the schema
    editor), so that the index deconstructs, compares and builds as if it had been given
    the expression itself."""

    def __init__(self, *expressions: Any, **kwargs: Any) -> None:
        super().__init__(*expressions, **kwargs)  # (``Deferred`` ones too)

    @property
    def expressions(self) -> tuple[Any, ...]:
        made: tuple[Any, ...] = self.__dict__["_expressions"]
        if self.__dict__.get("_cloning"):
            return made  # a copy gets them as they are (still deferred)
        if any(isinstance(e, Deferred) for e in made):
            made = tuple(e.make() if isinstance(e, Deferred) else e for e in made)
            self.__dict__["_expressions"] = made
        return made

    @expressions.setter
    def expressions(self, value: Iterable[Any]) -> None:
        self.__dict__["_expressions"] = tuple(value)

    def clone(self) -> Any:
        """A copy, its expressions still ``Deferred`` if they are (Django clones a
        model's indexes when it makes the model class)."""
        self.__dict__["_cloning"] = True
        try:
            copy = super().clone()
        finally:
            del self.__dict__["_cloning"]
        return copy

    def check(self, model: Any, connection: Any) -> list[Any]:
        # postgres.E005 asks for django.contrib.postgres in INSTALLED_APPS, which sets up
        # the package's field types and lookups. A GIN index over a tsvector expression
        # uses neither (the searches run without the app).
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


def __getattr__(name: str) -> Any:
    """``AddIndexConcurrentlyOnPostgres`` (the migrations' name for it) from
    ``common.fulltext_operations``, imported when a migration first asks: its base,
    Django's ``AddIndexConcurrently``, imports psycopg, which a process on SQLite (a
    fresh ``manage.py export``) would otherwise load for nothing (issue 21)."""
    if name == "AddIndexConcurrentlyOnPostgres":
        from common.fulltext_operations import AddIndexConcurrentlyOnPostgres

        return AddIndexConcurrentlyOnPostgres
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def fts5_available() -> bool:
    """Whether this process's SQLite has FTS5 (a compile option, asked once)."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()
    return True


def fts_tokens(words: list[str]) -> list[str]:
    """The tokens of ``words`` both databases index: runs of letters and digits (an
    underscore separates words, as in PostgreSQL's parser), the capital dotted İ as i
    (which unicode61 does not fold, and PostgreSQL's ``lower()`` does)."""
    return [part.replace("İ", "i") for word in words for part in re.findall(r"[^\W_]+", word)]


def fts_text(column: str) -> str:
    """The SQL of what an FTS5 index holds for a column: its text, İ as i."""
    return f"replace({column}, 'İ', 'i')"


def fts_query(words: list[str], *, prefix: bool = False) -> str:
    """The FTS5 query finding the rows that have every word (with ``prefix``: a word
    starting with each): each token as a quoted string (``"word"``), so that nothing
    typed is ever FTS5 syntax (no OR, NOT, NEAR, ``*``, ``^`` or ``column:``). "" when no
    word has a letter or a digit."""
    star = "*" if prefix else ""
    return " ".join('"' + t.replace('"', '""') + '"' + star for t in fts_tokens(words))


def tsquery_prefix(words: list[str]) -> str:
    """PostgreSQL's ``to_tsquery`` text finding the rows with a word starting with each
    token: ``'tok':* & …``, each token quoted (tokens have no quote: letters and
    digits only). "" when there is no token."""
    return " & ".join(f"'{t}':*" for t in fts_tokens(words))


# --- SQLite: a contentless FTS5 table kept in step by triggers -------------------------------


@dataclass(frozen=True)
class Fts5Index:
    """The FTS5 table ``name`` indexing ``columns`` of ``table`` (claim search's
    ``annotate_claim_fts``, article search's ``corpus_article_fts``). It is contentless
    (``content=''``): only the index, under the row's id as rowid. Three triggers on
    ``table`` keep it in step with every write, whatever issued it: AFTER INSERT adds the
    row, AFTER UPDATE of its id or one of the columns (only when one changed) replaces it,
    AFTER DELETE removes it with FTS5's ``'delete'`` command, which must be given the very
    text that was indexed — so every path indexes ``fts_text()`` of the columns.

    With ``pending`` (a column of ``table``): a row whose ``pending`` is not NULL is left
    out of the index (a bulk import's rows, whose entries a background task builds);
    setting it to NULL adds the row, and the triggers remove only rows that are in.

    The statements are the ones the migrations ran (byte for byte): a migration applied
    before they were generated here installs the same table and triggers."""

    name: str
    table: str
    columns: tuple[str, ...]
    pending: str = ""
    # A further condition of the INSERT trigger (claim search: not in bulk mode, whose
    # writer adds its rows itself with ``add_rows_sql``).
    insert_when: str = ""

    def triggers(self) -> dict[str, str]:
        """Each trigger's event (its name's suffix) and its ``AFTER … ON …`` clause."""
        keyed = ("id", *self.columns, *([self.pending] if self.pending else []))
        if self.pending:
            changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in keyed)
            return {
                "insert": f"AFTER INSERT ON {self.table} WHEN NEW.{self.pending} IS NULL",
                "update": f"AFTER UPDATE OF {', '.join(keyed)} ON {self.table} WHEN {changed}",
                "delete": f"AFTER DELETE ON {self.table} WHEN OLD.{self.pending} IS NULL",
            }
        changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in keyed)
        insert_when = f" WHEN {self.insert_when}" if self.insert_when else ""
        return {
            "insert": f"AFTER INSERT ON {self.table}{insert_when}",
            "update": f"AFTER UPDATE OF {', '.join(keyed)} ON {self.table} WHEN {changed}",
            "delete": f"AFTER DELETE ON {self.table}",
        }

    def _row(self, row: str) -> str:
        return ", ".join(fts_text(f"{row}.{column}") for column in self.columns)

    def sql(self) -> list[str]:
        """The statements creating the FTS5 table and its triggers and filling it. They
        may run again: the table stays, the triggers are replaced, the index is filled
        anew."""
        name, columns = self.name, ", ".join(self.columns)
        add = f"INSERT INTO {name}(rowid, {columns}) VALUES (NEW.id, {self._row('NEW')});"
        remove = (
            f"INSERT INTO {name}({name}, rowid, {columns}) "
            f"VALUES ('delete', OLD.id, {self._row('OLD')});"
        )
        bodies = {"insert": add, "update": f"{remove} {add}", "delete": remove}
        fill_where = ""
        if self.pending:  # the update removes and adds only rows that are (to be) indexed
            p = self.pending
            add_if = (
                f"INSERT INTO {name}(rowid, {columns}) "
                f"SELECT NEW.id, {self._row('NEW')} WHERE NEW.{p} IS NULL;"
            )
            remove_if = (
                f"INSERT INTO {name}({name}, rowid, {columns}) "
                f"SELECT 'delete', OLD.id, {self._row('OLD')} WHERE OLD.{p} IS NULL;"
            )
            bodies["update"] = f"{remove_if} {add_if}"
            fill_where = f" WHERE {p} IS NULL"
        statements = [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5("
            f"{columns}, content='', tokenize='{FTS_TOKENIZER}')"
        ]
        for event, when in self.triggers().items():
            statements.append(f"DROP TRIGGER IF EXISTS {name}_{event}")
            statements.append(f"CREATE TRIGGER {name}_{event} {when} BEGIN {bodies[event]} END")
        statements.append(f"INSERT INTO {name}({name}) VALUES ('delete-all')")
        statements.append(self.add_rows_sql(fill_where))
        return statements

    def add_rows_sql(self, where: str) -> str:
        """The statement indexing the rows of ``table`` that ``where`` (`` WHERE …``, or
        "") picks."""
        columns = ", ".join(self.columns)
        return (
            f"INSERT INTO {self.name}(rowid, {columns}) "
            f"SELECT id, {self._row(self.table)} FROM {self.table}{where}"
        )

    def install(self, schema_editor: Any) -> None:
        """On SQLite with FTS5: the table, its triggers, the index of every row."""
        if schema_editor.connection.vendor == "sqlite" and fts5_available():
            for sql in self.sql():
                schema_editor.execute(sql)

    def drop(self, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for event in self.triggers():
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {self.name}_{event}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {self.name}")


class CreateFtsOnSqlite(Operation):
    """A migration operation installing ``fts`` (an ``Fts5Index``) on SQLite with FTS5;
    nothing on PostgreSQL nor on a SQLite without FTS5. Reversed, it drops it. A subclass
    names the index (``fts``) and what it is for (``purpose``)."""

    fts: Fts5Index
    purpose = "search"
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # no model changes: the table is unknown to the ORM

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self.fts.install(schema_editor)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self.fts.drop(schema_editor)

    def describe(self) -> str:
        return f"Create the FTS5 table {self.fts.name} of {self.purpose} (SQLite only)"
