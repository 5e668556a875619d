from typing import Any

from django.db import migrations

from annotate import db_indexes, db_network_counts, db_triggers, db_versions


def _install(schema_editor: Any) -> None:
    """On SQLite: the flag table, and the INSERT triggers of claims, stances and chain
    links anew (their other triggers are replaced by the same ones; the FTS5 index is not
    refilled: only its INSERT trigger changes)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(db_triggers.BULK_FLAG_SQL)
    db_versions.install_version_triggers(schema_editor, db_triggers.BULK_TABLES)
    db_network_counts.install_network_triggers(schema_editor)
    fts = db_indexes.CLAIM_FTS_INDEX
    exists = schema_editor.connection.introspection.table_names()
    if fts.name in exists:
        for sql in fts.sql():
            if f"TRIGGER IF EXISTS {fts.name}_insert" in sql or f"TRIGGER {fts.name}_insert " in sql:
                schema_editor.execute(sql)


class Migration(migrations.Migration):
    """Bulk mode (issue 21, ``annotate.db_bulk``): on SQLite the per-row INSERT triggers of
    claims, stances and chain links (claim search's FTS5 entries, the versions, the
    network counts) wait while the flag table ``annotate_bulkmode`` has a row, which a bulk
    import writes and deletes inside its own transaction, doing their work once at its end.
    Nothing on PostgreSQL (statement-level triggers there). Reversed, the triggers stay as
    they are: with the flag table empty they do what they did before."""

    dependencies = [("annotate", "0019_network_count_months")]

    operations = [db_triggers.operation(_install, lambda editor: None)]
