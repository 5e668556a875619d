from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, column): a foreign key's own one-column index, which an index beginning with the
# same column already covers (named after the arrow).
COVERED = {
    ("annotate_assignment", "annotator_id"): "assignment_annotator",
    ("annotate_assignment", "article_id"): "assignment_unique_annotator",
    ("annotate_claim", "article_id"): "claim_article_annotator",
    ("annotate_claimstance", "claim_id"): "stance_unique_target",
    ("annotate_history", "project_id"): "history_project",
}


def _single_column_indexes(editor: Any, table: str, column: str) -> list[str]:
    """The plain (not unique, not partial) one-column btree indexes of ``table`` on
    ``column``, by name."""
    with editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "JOIN pg_am m ON m.oid = c.relam "
            "WHERE i.indrelid = to_regclass(%s) AND i.indnatts = 1 AND NOT i.indisunique "
            "AND i.indpred IS NULL AND i.indexprs IS NULL AND m.amname = 'btree' "
            "AND a.attname = %s",
            [table, column],
        )
        return [name for (name,) in cursor.fetchall()]


def drop(apps: Any, editor: Any) -> None:
    if editor.connection.vendor != "postgresql":
        return
    for table, column in COVERED:
        for name in _single_column_indexes(editor, table, column):
            editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {editor.quote_name(name)}")


def create(apps: Any, editor: Any) -> None:
    if editor.connection.vendor != "postgresql":
        return
    for table, column in COVERED:
        if not _single_column_indexes(editor, table, column):
            name = editor._create_index_name(table, [column], suffix="")
            editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {editor.quote_name(name)} "
                f"ON {editor.quote_name(table)} ({editor.quote_name(column)})"
            )


class Migration(migrations.Migration):
    """Five foreign keys lose the one-column index Django gives a foreign key, where an
    index of the table already begins with that column (``COVERED``): the claims' article,
    the stances' claim, the history's project, the assignments' article and annotator.
    Every query and every foreign-key check that looked one up finds it through the wider
    index; a bulk import writes one index entry less per claim, stance, history row and
    assignment (~70,000 for a layer of 19,729 claims, ~70 ms of PostgreSQL's CPU; issue 21,
    bench/RESULTS.md, bulk31).

    PostgreSQL only (``DROP INDEX CONCURRENTLY``, hence not atomic: reads and writes go on;
    dropping takes milliseconds whatever the table's size). On SQLite the indexes stay
    (a bulk import there is another helper's measure): its schema keeps them until a
    migration rebuilds one of these tables from the models. Reversed, PostgreSQL gets them
    back (``CREATE INDEX CONCURRENTLY``)."""

    atomic = False

    dependencies = [
        ("annotate", "0026_claim_live_annotator_updated"),
        ("corpus", "0013_analyze_article_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name="assignment",
                    name="annotator",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="article",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="corpus.article",
                    ),
                ),
                migrations.AlterField(
                    model_name="claim",
                    name="article",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="claims",
                        to="corpus.article",
                    ),
                ),
                migrations.AlterField(
                    model_name="claimstance",
                    name="claim",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stances",
                        to="annotate.claim",
                    ),
                ),
                migrations.AlterField(
                    model_name="history",
                    name="project",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="history",
                        to="corpus.project",
                    ),
                ),
            ],
        )
    ]
