"""The corpus overview's counts, kept up to date by the database: ``annotate_overviewcount``
(``OverviewCount``) holds, per article, layer (0 for the gold layer, else the annotator's
id), claim type and attribution, how many live claims there are (``n``) and how many of them
have no source (``unsourced``); and per article and layer (``total`` 1, the labels empty),
all of them.

That is what ``annotate.analysis.overview`` otherwise groups from every claim of the layer,
five times over (the labels, claims per article, the top articles, the outlets, the gold
articles: 10–14 s for all annotators of the xlarge bench on PostgreSQL). With this table
the overview groups by label at most articles × layers × types × attributions narrow rows,
and reads one row per article and layer for the claims per article, the top articles, the
outlets and the gold articles; the outlet and date filters join the articles.

Triggers keep it on ``annotate_claim`` only, whatever issued the write (a service,
``bulk_create``, COPY, a restore, the admin, a source merge): insert +1, delete −1, and an
update that changes whether the claim is live, its annotator, article, claim type,
attribution or whether it has a source moves it from its old key to its new one. An
article's outlet, date or project are read from the article at read time, so its edits
need no trigger; a deleted article's claims are deleted with it (their rows go to 0).

* PostgreSQL: statement-level AFTER triggers with transition tables (one grouped upsert per
  statement, keys in order). Their names sort after the version and network triggers'
  (PostgreSQL fires a table's triggers in name order), so a transaction takes its
  project's version row first: no deadlock. In bulk mode (``annotate.db_bulk``) the INSERT
  trigger copies the new claims to a session table and the bulk writer counts them all in
  one grouped upsert at its end (``pg_bulk_add_counts_sql``).
* SQLite: row-level AFTER triggers. In bulk mode (``annotate.db_bulk``) the INSERT trigger
  waits and the bulk writer adds its new claims in one grouped upsert (``add_counts_sql``).

A row whose counts reach 0 stays (the readers skip it). No foreign key constraint: the
triggers write in whatever order a transaction does. The key (article, layer, total, claim
type, attribution) is the primary key, no surrogate ``id`` (annotate 0031: one B-tree per
upserted row, as ``annotate.db_network_counts``).

Migrations: as for ``annotate.db_network_counts``, a migration that alters
``annotate_claim`` on SQLite (which rebuilds the table) drops these triggers: end it with
``reinstall_overview_triggers_operation()``; one that alters this table on SQLite drops
these triggers first (they write into it: SQLite's rename checks them) and reinstalls them
after, as 0031 does.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations import RunPython

from annotate import db_triggers

COUNT_TABLE = "annotate_overviewcount"
TABLE = "annotate_claim"
KEY = "article_id, layer, total, claim_type, attribution"
# Each claim counts twice: under its labels (``total`` 0) and in its article's total for the
# layer (``total`` 1, labels ''): claims per article read one row per article and layer.
_TOTALS = "CROSS JOIN (SELECT 0 AS total UNION ALL SELECT 1) b"
_LABELS = (
    "b.total, CASE WHEN b.total = 1 THEN '' ELSE {c}.claim_type END, "
    "CASE WHEN b.total = 1 THEN '' ELSE {c}.attribution END"
)
EVENTS = ("insert", "update", "delete")
_UNSOURCED = "CASE WHEN {c}.source_id IS NULL THEN 1 ELSE 0 END"
_UPSERT = (
    f"INSERT INTO {COUNT_TABLE} ({KEY}, n, unsourced) {{select}} "
    f"ON CONFLICT ({KEY}) DO UPDATE SET n = {COUNT_TABLE}.n + excluded.n, "
    f"unsourced = {COUNT_TABLE}.unsourced + excluded.unsourced"
)
# The columns whose change moves a claim's count (SQLite's and PostgreSQL's spellings).
_CHANGED = (
    "({o}.deleted_at IS NULL) <> ({n}.deleted_at IS NULL) "
    "OR {o}.annotator_id {distinct} {n}.annotator_id "
    "OR {o}.article_id <> {n}.article_id "
    "OR {o}.claim_type <> {n}.claim_type "
    "OR {o}.attribution <> {n}.attribution "
    "OR ({o}.source_id IS NULL) <> ({n}.source_id IS NULL)"
)


def recount_sql(claims: str = "", table: str = TABLE, *, indexed: bool = True) -> str:
    """(article, layer, claim type, attribution, claims, unsourced) of every live claim,
    counted afresh (with ``claims``, a condition on the claim row ``c``: of those only; with
    ``table``, the claims of that table). The same SQL on both databases, but for
    ``indexed=False`` (SQLite's ``NOT INDEXED``: the rows by rowid or a scan, no index)."""
    only = f" AND {claims}" if claims else ""
    hint = "" if indexed else " NOT INDEXED"
    return (
        f"SELECT c.article_id, COALESCE(c.annotator_id, 0), {_LABELS.format(c='c')}, "
        f"COUNT(*), SUM({_UNSOURCED.format(c='c')}) FROM {table} c{hint} {_TOTALS} "
        f"WHERE c.deleted_at IS NULL{only} GROUP BY 1, 2, 3, 4, 5"
    )


def add_counts_sql(claims: str, *, indexed: bool = True) -> str:
    """Add the live claims that match ``claims`` (a condition on ``c``) to the counts: one
    grouped upsert (bulk mode's, ``annotate.db_bulk``). ``indexed=False`` (SQLite): the
    claims read without an index, i.e. by rowid for a range of ids (through
    ``claim_live_article``, which gives the GROUP BY's order, SQLite read every live claim
    of the database: 90,000 at the medium bench for the 19,729 an import added)."""
    return _UPSERT.format(select=recount_sql(claims, indexed=indexed))


def pg_bulk_add_counts_sql() -> str:
    """PostgreSQL's bulk mode: add the live claims waiting in ``db_triggers.PG_BULK_CLAIMS``
    (the INSERT trigger put them there, as they were inserted) to the counts, in one grouped
    upsert, keys in order, as the trigger does for one statement."""
    return _UPSERT.format(
        select=recount_sql(table=db_triggers.PG_BULK_CLAIMS) + " ORDER BY 1, 2, 3, 4, 5"
    )


def trigger_name(event: str) -> str:
    # "zoverview": after "{table}_version_{event}" and "{table}_znetwork_{event}".
    return f"{TABLE}_zoverview_{event}"


def _postgres_sql() -> list[str]:
    columns = "{x}.article_id, {x}.annotator_id, {x}.claim_type, {x}.attribution, {x}.source_id"
    changed = (
        "FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE ("
        + _CHANGED.format(o="o", n="n", distinct="IS DISTINCT FROM")
        + ")"
    )
    rows = {
        "insert": f"SELECT {columns.format(x='r')}, 1 AS d FROM new_rows r "
        "WHERE r.deleted_at IS NULL",
        "delete": f"SELECT {columns.format(x='r')}, -1 AS d FROM old_rows r "
        "WHERE r.deleted_at IS NULL",
        "update": f"SELECT {columns.format(x='n')}, 1 AS d {changed} AND n.deleted_at IS NULL "
        f"UNION ALL SELECT {columns.format(x='o')}, -1 {changed} AND o.deleted_at IS NULL",
    }
    referencing = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    statements = []
    for event in EVENTS:
        name = trigger_name(event)
        grouped = (
            f"SELECT r.article_id, COALESCE(r.annotator_id, 0), {_LABELS.format(c='r')}, "
            f"SUM(r.d), SUM(r.d * {_UNSOURCED.format(c='r')}) FROM ({rows[event]}) r {_TOTALS} "
            "GROUP BY 1, 2, 3, 4, 5 HAVING SUM(r.d) <> 0 "
            f"OR SUM(r.d * {_UNSOURCED.format(c='r')}) <> 0 ORDER BY 1, 2, 3, 4, 5"
        )
        body = f"{_UPSERT.format(select=grouped)};"
        if event == "insert":
            # Bulk mode (annotate.db_bulk): the new claims wait in the session's table,
            # counted once at the block's end (pg_bulk_add_counts_sql).
            claims, kept = db_triggers.PG_BULK_CLAIMS, db_triggers.PG_BULK_CLAIM_COLUMNS
            body = (
                f"IF {db_triggers.PG_BULK_CLAIMS_ON} THEN INSERT INTO {claims} ({kept}) "
                f"SELECT {kept} FROM new_rows; ELSE {body} END IF;"
            )
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
            f"BEGIN {body} RETURN NULL; END $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {name} ON {TABLE}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {TABLE} {referencing[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite_row(row: str, d: int) -> str:
    select = (
        f"SELECT {row}.article_id, COALESCE({row}.annotator_id, 0), {_LABELS.format(c=row)}, "
        f"{d}, {d} * {_UNSOURCED.format(c=row)} FROM (SELECT 0 AS total UNION ALL SELECT 1) b "
        f"WHERE {row}.deleted_at IS NULL"
    )
    return _UPSERT.format(select=select) + ";"


def _sqlite_sql() -> list[str]:
    bodies = {
        "insert": _sqlite_row("NEW", 1),
        "delete": _sqlite_row("OLD", -1),
        "update": _sqlite_row("OLD", -1) + " " + _sqlite_row("NEW", 1),
    }
    when = {
        # bulk mode counts the inserted rows itself (annotate.db_bulk)
        "insert": f"WHEN {db_triggers.BULK_OFF} ",
        "update": "WHEN " + _CHANGED.format(o="OLD", n="NEW", distinct="IS NOT") + " ",
        "delete": "",
    }
    statements = []
    for event in EVENTS:
        name = trigger_name(event)
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {TABLE} FOR EACH ROW "
            f"{when[event]}BEGIN {bodies[event]} END",
        ]
    return statements


def _statements(vendor: str, table: str) -> list[str]:
    return _postgres_sql() if vendor == "postgresql" else _sqlite_sql()


def trigger_names() -> list[tuple[str, str]]:
    """(table, trigger) of every trigger that keeps the counts."""
    return [(TABLE, trigger_name(e)) for e in EVENTS]


def install_overview_triggers(schema_editor: Any) -> None:
    db_triggers.install(schema_editor, "overview count", _statements, (TABLE,))


def drop_overview_triggers(schema_editor: Any) -> None:
    db_triggers.drop(schema_editor, trigger_names())


def recount(schema_editor: Any) -> None:
    """Fill the table afresh from the claims (the migration's backfill)."""
    schema_editor.execute(f"DELETE FROM {COUNT_TABLE}")
    schema_editor.execute(f"INSERT INTO {COUNT_TABLE} ({KEY}, n, unsourced) {recount_sql()}")


def overview_triggers_operation() -> RunPython:
    """Install the triggers and count the existing claims; reversed, drop the triggers."""

    def forwards(schema_editor: Any) -> None:
        install_overview_triggers(schema_editor)
        recount(schema_editor)
        if schema_editor.connection.vendor == "postgresql":  # estimates for the first read
            schema_editor.execute(f"ANALYZE {COUNT_TABLE}")

    return db_triggers.operation(forwards, drop_overview_triggers)


def reinstall_overview_triggers_operation() -> RunPython:
    """For a migration that alters ``annotate_claim`` (SQLite rebuilds it): put it last."""
    return db_triggers.operation(install_overview_triggers, install_overview_triggers)
