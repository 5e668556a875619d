"""A version counter per project that the database bumps on every write to the rows the
agreement report reads — the agreement cache's key in one indexed read, however many
claims there are (``annotate.review.data.cache_key``).

``annotate_projectversion`` holds one row per project (``ProjectVersion``): triggers on
each table of ``VERSIONED`` add one to the ``value`` of the project of the rows written,
on INSERT, UPDATE and DELETE, whatever issued the write (a service, ``bulk_create``, COPY,
raw SQL, a restore, the admin), and create the row on a project's first write.

* PostgreSQL: statement-level AFTER triggers with transition tables, one bump per project
  per statement (a bulk insert of 20,000 claims is one upsert, not 20,000). The UPDATE of
  the counter row locks it until the transaction ends: writes to one project's annotations
  are serialised at their end (each saved claim waits for the previous one to commit),
  which is what makes the counter follow the commit order — a reader never sees a version
  without the writes counted before it. Projects are bumped in id order (no deadlock
  between two multi-project statements). In bulk mode (``annotate.db_bulk``) the INSERT
  triggers of claims and stances wait and the bulk writer bumps each project of their new
  rows once at its end (``pg_bulk_bump_sql``), before any count row.
* SQLite: row-level AFTER triggers (SQLite has no statement triggers): one upsert per row
  written, ~2 µs each; SQLite serialises writers anyway. In bulk mode (``annotate.db_bulk``)
  the INSERT triggers of claims, stances and chain links wait, and the bulk writer adds
  the rows it inserted to each project's counter at its end (the same value).

The row outlives its project (no foreign key, nothing deletes it): a project restored
under the same id (``exchange.restoring`` keeps primary keys) counts on from where the
deleted one stopped, so no cache entry of the old project is ever taken for the new one.

What is *not* versioned: article titles (shown by the dashboard; an edited title shows
after the next annotation change), user names, the scheme (``cache_key`` hashes
``project.scheme`` itself). A new table whose rows change agreement (as the chains' links did)
joins ``VERSIONED`` with a migration that calls ``version_triggers_operation`` for it.

SQLite alters a table by creating it anew, dropping the old one and renaming the new
one, with two consequences for a migration (as for the FTS5 table of claim search,
``db_indexes``, and the text freeze, ``db_guards``):

* altering a table of ``VERSIONED`` drops its triggers silently: end the migration with
  ``reinstall_version_triggers_operation((table,))``;
* altering a table the triggers read (``corpus_article``, ``annotate_claim``,
  ``annotate_decision``) fails at the rename ("error in trigger …: no such table"): begin
  the migration with ``drop_version_triggers_operation(tables)`` for the tables whose
  triggers read it and end it with ``reinstall_version_triggers_operation(tables)``.

``tests/annotate/review/test_agreement_version.py`` checks that every trigger exists after
the migrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.migrations.operations import RunPython

from annotate import db_triggers

VERSION_TABLE = "annotate_projectversion"


@dataclass(frozen=True)
class Versioned:
    """How a table's rows lead to their project: ``column`` of the row, and the SQL
    (``FROM … WHERE …``, with ``{ids}`` where the row's values of ``column`` go as
    ``= value`` or ``IN (…)``) in which ``project`` is the project's id."""

    column: str
    rows: str = ""  # "": ``column`` is the project's id itself
    project: str = "a.project_id"


_BY_ARTICLE = Versioned("article_id", "FROM corpus_article a WHERE a.id {ids}")
_BY_CLAIM = Versioned(
    "claim_id",
    "FROM annotate_claim c JOIN corpus_article a ON a.id = c.article_id WHERE c.id {ids}",
)
VERSIONED: dict[str, Versioned] = {
    "annotate_claim": _BY_ARTICLE,
    "annotate_claimstance": _BY_CLAIM,
    "annotate_chainlink": _BY_CLAIM,
    "annotate_assignment": _BY_ARTICLE,
    "annotate_decision": _BY_ARTICLE,
    "annotate_decisionorigin": Versioned(
        "decision_id",
        "FROM annotate_decision d JOIN corpus_article a ON a.id = d.article_id WHERE d.id {ids}",
    ),
    "annotate_source": Versioned("project_id"),
}
EVENTS = ("insert", "update", "delete")
_UPSERT = (
    f"INSERT INTO {VERSION_TABLE} (project_id, value) {{select}} "
    f"ON CONFLICT (project_id) DO UPDATE SET value = {VERSION_TABLE}.value + 1"
)


# PostgreSQL's bulk mode: the tables whose INSERT trigger waits (their new rows are in the
# session's tables ``db_triggers.PG_BULK_CLAIMS`` and ``PG_BULK_STANCES``).
PG_BULK_WAITING = ("annotate_claim", "annotate_claimstance")


def pg_bulk_bump_sql() -> str:
    """PostgreSQL's bulk mode: bump once, in id order, each project of the claims and
    stances waiting in the session's tables (a stance's claim read from the waiting claims
    when it is one of them, else from ``annotate_claim``)."""
    claims, stances = db_triggers.PG_BULK_CLAIMS, db_triggers.PG_BULK_STANCES
    articles = (
        f"SELECT article_id FROM {claims} UNION SELECT c.article_id FROM annotate_claim c "
        f"WHERE c.id IN (SELECT claim_id FROM {stances} EXCEPT SELECT id FROM {claims})"
    )
    return _UPSERT.format(
        select=f"SELECT DISTINCT a.project_id, 1 FROM corpus_article a WHERE a.id IN ({articles}) "
        "ORDER BY 1"
    )


def trigger_name(table: str, event: str) -> str:
    return f"{table}_version_{event}"


def _postgres_sql(table: str) -> list[str]:
    """Per event a function and a statement-level trigger: the projects of the statement's
    rows (its transition tables), each bumped once, in id order."""
    versioned = VERSIONED[table]
    statements = []
    tables = {"insert": ["new_rows"], "update": ["new_rows", "old_rows"], "delete": ["old_rows"]}
    referencing = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    for event in EVENTS:
        name = trigger_name(table, event)
        values = " UNION ".join(f"SELECT {versioned.column} FROM {t}" for t in tables[event])
        if versioned.rows:
            rows = versioned.rows.format(ids=f"IN ({values})")
            select = f"SELECT DISTINCT {versioned.project}, 1 {rows} ORDER BY 1"
        else:
            select = f"SELECT DISTINCT r.{versioned.column}, 1 FROM ({values}) r ORDER BY 1"
        body = f"{_UPSERT.format(select=select)};"
        if table in PG_BULK_WAITING and event == "insert":
            # Bulk mode (annotate.db_bulk): the new rows wait in the session's tables (the
            # overview and network triggers put them there); the bulk writer bumps their
            # projects once at the block's end (pg_bulk_bump_sql).
            body = f"IF {db_triggers.PG_BULK_CLAIMS_OFF} THEN {body} END IF;"
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
            f"BEGIN {body} RETURN NULL; END $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {referencing[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite_sql(table: str) -> list[str]:
    """Per event a row-level trigger (an UPDATE counts the new row's project, and the old
    one's if it moved)."""
    versioned = VERSIONED[table]
    column = versioned.column
    ids = {
        "insert": f"= NEW.{column}",
        "update": f"IN (NEW.{column}, OLD.{column})",
        "delete": f"= OLD.{column}",
    }
    statements = []
    for event in EVENTS:
        name = trigger_name(table, event)
        if versioned.rows:
            rows = versioned.rows.format(ids=ids[event])
            select = f"SELECT DISTINCT {versioned.project}, 1 {rows}"
        else:  # (WHERE: an upsert's SELECT needs one, to be told from a join's ON)
            values = {"insert": ["NEW"], "update": ["NEW", "OLD"], "delete": ["OLD"]}[event]
            union = " UNION ".join(f"SELECT {row}.{column} AS p" for row in values)
            select = f"SELECT DISTINCT r.p, 1 FROM ({union}) r WHERE true"
        # Bulk mode counts the inserted rows itself (annotate.db_bulk).
        bulk = table in db_triggers.BULK_TABLES and event == "insert"
        when = f"WHEN {db_triggers.BULK_OFF} " if bulk else ""
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW "
            f"{when}BEGIN {_UPSERT.format(select=select)}; END",
        ]
    return statements


def _statements(vendor: str, table: str) -> list[str]:
    return _postgres_sql(table) if vendor == "postgresql" else _sqlite_sql(table)


def install_version_triggers(schema_editor: Any, tables: tuple[str, ...]) -> None:
    """The counting triggers on ``tables`` (replaced if they exist)."""
    db_triggers.install(schema_editor, "version", _statements, tables)


def drop_version_triggers(schema_editor: Any, tables: tuple[str, ...]) -> None:
    db_triggers.drop(schema_editor, [(t, trigger_name(t, e)) for t in tables for e in EVENTS])


def version_triggers_operation(tables: tuple[str, ...]) -> RunPython:
    """Install the triggers on ``tables`` (spelled out in each migration, so that an old
    migration keeps doing what it did when ``VERSIONED`` grows); reversed, drop them."""
    return db_triggers.operation(
        lambda editor: install_version_triggers(editor, tables),
        lambda editor: drop_version_triggers(editor, tables),
    )


def reinstall_version_triggers_operation(tables: tuple[str, ...]) -> RunPython:
    """For a migration that alters one of ``tables`` (SQLite rebuilds it, dropping its
    triggers): put it last. Installs the triggers again, forwards and backwards."""

    def reinstall(editor: Any) -> None:
        install_version_triggers(editor, tables)

    return db_triggers.operation(reinstall, reinstall)


def drop_version_triggers_operation(tables: tuple[str, ...]) -> RunPython:
    """For a migration that alters a table the triggers on ``tables`` read: put it first
    (and ``reinstall_version_triggers_operation(tables)`` last)."""
    return db_triggers.operation(
        lambda editor: drop_version_triggers(editor, tables),
        lambda editor: install_version_triggers(editor, tables),
    )
