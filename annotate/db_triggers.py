"""What the tables kept by database triggers share (``annotate.db_versions``' project
versions, ``annotate.db_network_counts``' network counts): running a vendor's statements,
dropping triggers (and, on PostgreSQL, their functions) by name, and the migrations'
operations that install or drop them.

Bulk mode (``annotate.db_bulk``): on SQLite the per-row INSERT triggers of claims, stances
and chain links (search entries, versions, network counts) do nothing while ``BULK_FLAG``
has a row — a row one transaction writes and deletes itself, so no other connection ever
sees it — and the bulk writer does their work once, set-based. Every installer creates
the table first (``BULK_FLAG_SQL``): a trigger installed by any migration may read it.

Each module says which statements make its triggers (``statements(vendor, table)``) and
which triggers there are (``names(tables)``: (table, trigger name) pairs); only PostgreSQL
and SQLite are supported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.migrations.operations import RunPython

VENDORS = ("postgresql", "sqlite")
BULK_FLAG = "annotate_bulkmode"
BULK_FLAG_SQL = f"CREATE TABLE IF NOT EXISTS {BULK_FLAG} (id integer PRIMARY KEY)"
# A SQLite trigger's condition: not in bulk mode.
BULK_OFF = f"NOT EXISTS (SELECT 1 FROM {BULK_FLAG})"
# PostgreSQL's bulk mode: a transaction-local setting (``set_config(…, true)``), so only the
# writing transaction sees it, and two temporary tables (dropped at commit) where the INSERT
# triggers leave the new stances (the network counts') and the new claims (the overview
# counts'; the versions' of both) for the bulk writer to count.
PG_BULK_SETTING = "claimdesk.bulk"
PG_BULK_ON = f"current_setting('{PG_BULK_SETTING}', true) = 'on'"
PG_BULK_STANCES = "pg_temp.claimdesk_bulk_stances"
PG_BULK_CLAIMS = "pg_temp.claimdesk_bulk_claims"
# The claim columns the waiting claims keep (what the overview counts and versions read).
PG_BULK_CLAIM_COLUMNS = (
    "id, article_id, annotator_id, claim_type, attribution, source_id, deleted_at"
)
# The claims wait only where the writer made their table too: code from before it (a
# rolling deploy) turns bulk mode on for the stances alone, and its claims are then
# counted and versioned by the triggers as before. The negation is true also where the
# setting was never set (the condition is then NULL).
PG_BULK_CLAIMS_ON = f"{PG_BULK_ON} AND to_regclass('{PG_BULK_CLAIMS}') IS NOT NULL"
PG_BULK_CLAIMS_OFF = f"({PG_BULK_CLAIMS_ON}) IS NOT TRUE"
# The tables whose INSERT triggers bulk mode skips (on SQLite).
BULK_TABLES = ("annotate_claim", "annotate_claimstance", "annotate_chainlink")
Statements = Callable[[str, str], list[str]]  # (vendor, table) → SQL
Step = Callable[[Any], None]  # a schema editor → None


def install(schema_editor: Any, what: str, statements: Statements, tables: Iterable[str]) -> None:
    """Run ``statements(vendor, table)`` for each of ``tables`` (they replace the triggers
    if they exist)."""
    vendor = schema_editor.connection.vendor
    if vendor not in VENDORS:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"No {what} triggers for the {vendor} database.")
    if vendor == "sqlite":
        schema_editor.execute(BULK_FLAG_SQL, params=None)
    for table in tables:
        for sql in statements(vendor, table):
            schema_editor.execute(sql, params=None)


def drop(schema_editor: Any, names: Iterable[tuple[str, str]]) -> None:
    """Drop the triggers ``names`` ((table, trigger) pairs) and PostgreSQL's functions of
    the same names, if they exist."""
    postgres = schema_editor.connection.vendor == "postgresql"
    for table, name in names:
        if postgres:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def operation(forwards: Step, backwards: Step) -> RunPython:
    """A migration step calling ``forwards`` (``backwards`` when reversed) with the schema
    editor."""

    def run_forwards(apps: Any, schema_editor: Any) -> None:
        forwards(schema_editor)

    def run_backwards(apps: Any, schema_editor: Any) -> None:
        backwards(schema_editor)

    return RunPython(run_forwards, run_backwards)
