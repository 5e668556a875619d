from typing import Any

from django.db import migrations

from annotate.db_network_counts import (
    ALL_LAYER,
    COUNT_TABLE,
    all_layer_by_month_sql,
    drop_network_triggers,
    install_network_triggers,
)
from annotate.db_triggers import operation


def forwards(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        # The triggers' writers wait until this commits (as ``manage.py recount``'s rebuild).
        schema_editor.execute(f"LOCK TABLE {COUNT_TABLE} IN SHARE ROW EXCLUSIVE MODE")
    install_network_triggers(schema_editor)
    schema_editor.execute(f"DELETE FROM {COUNT_TABLE} WHERE layer = {ALL_LAYER} AND month <> 0")
    schema_editor.execute(all_layer_by_month_sql())
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ANALYZE {COUNT_TABLE}")


def backwards(schema_editor: Any) -> None:
    drop_network_triggers(schema_editor)
    schema_editor.execute(f"DELETE FROM {COUNT_TABLE} WHERE layer = {ALL_LAYER} AND month <> 0")


class Migration(migrations.Migration):
    """The "all annotators" layer of the networks' counts (−1, 0025's) keeps the year and
    month buckets too (issue 21): a time window of all annotators reads that layer's rows
    instead of summing every annotator's (bench/RESULTS.md, xl32). The triggers are
    installed anew and the layer's new rows summed from the annotators' kept rows (not a
    recount of the stances). Reversed, the triggers are dropped (as 0025's: migrate
    forwards again) and those rows deleted."""

    dependencies = [("annotate", "0027_drop_covered_foreign_key_indexes")]

    operations = [operation(forwards, backwards)]
