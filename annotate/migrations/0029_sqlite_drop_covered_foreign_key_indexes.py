from typing import Any

from django.db import migrations

# The same foreign keys as 0027 (PostgreSQL): each one's own one-column index, which an
# index beginning with the same column covers.
COVERED = {
    ("annotate_assignment", "annotator_id"): "assignment_annotator",
    ("annotate_assignment", "article_id"): "assignment_unique_annotator",
    ("annotate_claim", "article_id"): "claim_article_annotator",
    ("annotate_claimstance", "claim_id"): "stance_unique_target",
    ("annotate_history", "project_id"): "history_project",
}


def single_column_indexes(cursor: Any, table: str, column: str) -> list[str]:
    """SQLite: the plain (not unique, not partial, made by CREATE INDEX) one-column
    indexes of ``table`` on ``column``, by name."""
    found = []
    for _, name, unique, origin, partial in cursor.execute(
        f'PRAGMA index_list("{table}")'
    ).fetchall():
        if unique or partial or origin != "c":
            continue
        columns = [row[2] for row in cursor.execute(f'PRAGMA index_info("{name}")').fetchall()]
        if columns == [column]:
            found.append(name)
    return found


def drop(apps: Any, editor: Any) -> None:
    if editor.connection.vendor != "sqlite":
        return
    with editor.connection.cursor() as cursor:
        for table, column in COVERED:
            for name in single_column_indexes(cursor, table, column):
                editor.execute(f"DROP INDEX IF EXISTS {editor.quote_name(name)}")


def create(apps: Any, editor: Any) -> None:
    if editor.connection.vendor != "sqlite":
        return
    with editor.connection.cursor() as cursor:
        for table, column in COVERED:
            if not single_column_indexes(cursor, table, column):
                name = editor._create_index_name(table, [column], suffix="")
                editor.execute(
                    f"CREATE INDEX IF NOT EXISTS {editor.quote_name(name)} "
                    f"ON {editor.quote_name(table)} ({editor.quote_name(column)})"
                )


class Migration(migrations.Migration):
    """SQLite's side of 0027: the five foreign keys whose column begins a wider index lose
    their own one-column index on SQLite too (the models say so since 0027; SQLite kept
    them until a migration rebuilt the table). Every lookup by one of these columns,
    SQLite's own foreign-key checks of a deleted parent included, goes through the wider
    index; a bulk import writes ~70,000 index entries less for a layer of 19,729 claims
    (issue 21, bench/RESULTS.md, bulk32). PostgreSQL: nothing (0027 did it). Reversed,
    SQLite gets them back."""

    dependencies = [
        ("annotate", "0028_network_count_all_annotators_by_month"),
    ]

    operations = [migrations.RunPython(drop, create, elidable=False)]
