"""The discourse networks' counts, kept up to date by the database: ``annotate_networkcount``
(``NetworkCount``) holds, per project, layer (0 for the gold layer, else the annotator's id),
source, target and stance value, how many live claims of that source in that layer have that
stance toward that target — what ``annotate.analysis.networks.stance_rows`` otherwise groups
from every stance of the layer (1,050,000 rows for all annotators at 600,000 claims: 0.4–2.8
s on either database). With this table a whole project's network reads at most
layers × sources × targets × stance values rows (30,000 at that scale).

Triggers keep it, whatever issued the write (a service, ``bulk_create``, COPY, a restore, the
admin, a source merge), like ``annotate.db_versions``' counters: on ``annotate_claimstance``
(insert +1, delete −1, update −1 for the old row and +1 for the new) and on
``annotate_claim`` (a claim whose ``deleted_at`` being null, ``annotator_id``, ``source_id``
or ``article_id`` changes moves its stances' counts; a claim inserted or deleted while it has
stances adds or removes theirs). Each trigger counts against the current rows of the other
table, so the table equals a full recount (``recount``) in whichever order a transaction
writes claims and stances (``tests/annotate/analysis/test_network_counts.py``).

* PostgreSQL: statement-level AFTER triggers with transition tables (one grouped upsert per
  statement, keys in order). Their names sort after the version triggers' (PostgreSQL fires
  a table's triggers in name order), so a transaction first takes its project's version row
  (which serialises a project's writers) and then the count rows: no deadlock.
* SQLite: row-level AFTER triggers.

A row whose count reaches 0 stays (the readers skip it). An article moved to another project
is not followed (no service moves one).

Migrations: the same caveats as ``annotate.db_versions`` (SQLite rebuilds an altered table):
altering ``annotate_claim`` or ``annotate_claimstance`` drops their triggers (end the
migration with ``reinstall_network_triggers_operation()``); altering ``corpus_article`` or
``annotate_claim`` fails at the rename while the other table's triggers read it (begin with
``drop_network_triggers_operation()``, end with the reinstall).
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations import RunPython

COUNT_TABLE = "annotate_networkcount"
KEY = "project_id, layer, source_id, target_id, stance"
EVENTS = ("insert", "update", "delete")
TABLES = ("annotate_claim", "annotate_claimstance")
# The live claims with a source count; a stance row is (claim, target, stance).
_LIVE = "{c}.deleted_at IS NULL AND {c}.source_id IS NOT NULL"
_UPSERT = (
    f"INSERT INTO {COUNT_TABLE} ({KEY}, n) {{select}} "
    f"ON CONFLICT ({KEY}) DO UPDATE SET n = {COUNT_TABLE}.n + excluded.n"
)
RECOUNT_SQL = (
    "SELECT a.project_id, COALESCE(c.annotator_id, 0), c.source_id, s.target_id, s.stance, "
    "COUNT(*) FROM annotate_claimstance s JOIN annotate_claim c ON c.id = s.claim_id "
    "JOIN corpus_article a ON a.id = c.article_id WHERE "
    + _LIVE.format(c="c")
    + " GROUP BY a.project_id, COALESCE(c.annotator_id, 0), c.source_id, s.target_id, s.stance"
)


def trigger_name(table: str, event: str) -> str:
    # "z": after "{table}_version_{event}" in PostgreSQL's firing order (by name).
    return f"{table}_znetwork_{event}"


def _postgres_sql(table: str) -> list[str]:
    if table == "annotate_claimstance":
        # (claim_id, target_id, stance, d) per changed stance row, d = ±1.
        rows = {
            "insert": "SELECT claim_id, target_id, stance, 1 AS d FROM new_rows",
            "delete": "SELECT claim_id, target_id, stance, -1 AS d FROM old_rows",
            "update": "SELECT claim_id, target_id, stance, 1 AS d FROM new_rows UNION ALL "
            "SELECT claim_id, target_id, stance, -1 FROM old_rows",
        }
        select = (
            "SELECT a.project_id, COALESCE(c.annotator_id, 0), c.source_id, r.target_id, "
            "r.stance, SUM(r.d) FROM ({rows}) r JOIN annotate_claim c ON c.id = r.claim_id "
            "JOIN corpus_article a ON a.id = c.article_id WHERE " + _LIVE.format(c="c")
        )
    else:
        # (claim columns, d) per changed claim; an update only for the columns counted.
        changed = (
            "FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE "
            "(o.deleted_at IS NULL) <> (n.deleted_at IS NULL) "
            "OR o.annotator_id IS DISTINCT FROM n.annotator_id "
            "OR o.source_id IS DISTINCT FROM n.source_id OR o.article_id <> n.article_id"
        )
        columns = "{x}.id, {x}.article_id, {x}.annotator_id, {x}.source_id, {x}.deleted_at"
        rows = {
            "insert": f"SELECT {columns.format(x='r')}, 1 AS d FROM new_rows r",
            "delete": f"SELECT {columns.format(x='r')}, -1 AS d FROM old_rows r",
            "update": f"SELECT {columns.format(x='n')}, 1 AS d {changed} UNION ALL "
            f"SELECT {columns.format(x='o')}, -1 {changed}",
        }
        select = (
            "SELECT a.project_id, COALESCE(r.annotator_id, 0), r.source_id, s.target_id, "
            "s.stance, SUM(r.d) FROM ({rows}) r "
            "JOIN annotate_claimstance s ON s.claim_id = r.id "
            "JOIN corpus_article a ON a.id = r.article_id WHERE " + _LIVE.format(c="r")
        )
    referencing = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    statements = []
    for event in EVENTS:
        name = trigger_name(table, event)
        grouped = (
            select.format(rows=rows[event])
            + " GROUP BY 1, 2, 3, 4, 5 HAVING SUM(r.d) <> 0 ORDER BY 1, 2, 3, 4, 5"
        )
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
            f"BEGIN {_UPSERT.format(select=grouped)}; RETURN NULL; END $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {referencing[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite_stance(row: str, d: int) -> str:
    select = (
        f"SELECT a.project_id, COALESCE(c.annotator_id, 0), c.source_id, {row}.target_id, "
        f"{row}.stance, {d} FROM annotate_claim c JOIN corpus_article a ON a.id = c.article_id "
        f"WHERE c.id = {row}.claim_id AND " + _LIVE.format(c="c")
    )
    return _UPSERT.format(select=select) + ";"


def _sqlite_claim(row: str, d: int) -> str:
    select = (
        f"SELECT a.project_id, COALESCE({row}.annotator_id, 0), {row}.source_id, s.target_id, "
        f"s.stance, {d} * COUNT(*) FROM annotate_claimstance s "
        f"JOIN corpus_article a ON a.id = {row}.article_id "
        f"WHERE s.claim_id = {row}.id AND " + _LIVE.format(c=row) + " GROUP BY 1, 2, 3, 4, 5"
    )
    return _UPSERT.format(select=select) + ";"


def _sqlite_sql(table: str) -> list[str]:
    body = _sqlite_stance if table == "annotate_claimstance" else _sqlite_claim
    bodies = {
        "insert": body("NEW", 1),
        "delete": body("OLD", -1),
        "update": body("OLD", -1) + " " + body("NEW", 1),
    }
    when = {"insert": "", "delete": "", "update": ""}
    if table == "annotate_claim":
        when["update"] = (
            "WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) "
            "OR OLD.annotator_id IS NOT NEW.annotator_id OR OLD.source_id IS NOT NEW.source_id "
            "OR OLD.article_id <> NEW.article_id "
        )
    statements = []
    for event in EVENTS:
        name = trigger_name(table, event)
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW "
            f"{when[event]}BEGIN {bodies[event]} END",
        ]
    return statements


def install_network_triggers(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            statements = _postgres_sql(table)
        elif vendor == "sqlite":
            statements = _sqlite_sql(table)
        else:  # pragma: no cover - only the two supported databases
            raise NotImplementedError(f"No network count triggers for the {vendor} database.")
        for sql in statements:
            schema_editor.execute(sql, params=None)


def drop_network_triggers(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        for event in EVENTS:
            name = trigger_name(table, event)
            if vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def recount(schema_editor_or_cursor: Any) -> None:
    """Fill the table afresh from the claims and stances (the migration's backfill)."""
    schema_editor_or_cursor.execute(f"DELETE FROM {COUNT_TABLE}")
    schema_editor_or_cursor.execute(f"INSERT INTO {COUNT_TABLE} ({KEY}, n) {RECOUNT_SQL}")


def network_triggers_operation() -> RunPython:
    """Install the triggers and count the existing rows; reversed, drop the triggers."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        install_network_triggers(schema_editor)
        recount(schema_editor)
        if schema_editor.connection.vendor == "postgresql":  # estimates for the first read
            schema_editor.execute(f"ANALYZE {COUNT_TABLE}")

    def backwards(apps: Any, schema_editor: Any) -> None:
        drop_network_triggers(schema_editor)

    return RunPython(forwards, backwards)


def reinstall_network_triggers_operation() -> RunPython:
    """For a migration that alters ``annotate_claim``, ``annotate_claimstance`` or
    ``corpus_article`` (SQLite rebuilds it): put it last."""

    def reinstall(apps: Any, schema_editor: Any) -> None:
        install_network_triggers(schema_editor)

    return RunPython(reinstall, reinstall)


def drop_network_triggers_operation() -> RunPython:
    """For a migration that alters a table the triggers read: put it first."""

    def drop(apps: Any, schema_editor: Any) -> None:
        drop_network_triggers(schema_editor)

    def install(apps: Any, schema_editor: Any) -> None:
        install_network_triggers(schema_editor)

    return RunPython(drop, install)
