from typing import Any

from django.db import migrations, models

_CREATE = "CREATE INDEX {how} IF NOT EXISTS article_project_title ON corpus_article (project_id, title, id)"


def create(apps: Any, schema_editor: Any) -> None:
    # SQLite has it since 0012 (IF NOT EXISTS: nothing to do there).
    postgres = schema_editor.connection.vendor == "postgresql"
    schema_editor.execute(_CREATE.format(how="CONCURRENTLY" if postgres else ""))


def drop(apps: Any, schema_editor: Any) -> None:
    # Back to 0012's state: SQLite keeps it, PostgreSQL never had it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS article_project_title")


class Migration(migrations.Migration):
    """The article list's order, (project, title, id), as a model index on both databases
    (issue 21; SQLite had it from 0012, outside the model). On PostgreSQL the list without
    a search reads its first page in order from it instead of sorting every article of
    the project, and the annotator's queue reads the articles' keys from it alone
    (xlarge bench, 20,001 articles: the list's page 40 -> 0.2 ms, the queue's page ids
    78 -> 26 ms at load 12). Article search keeps the GIN index and a sort: its order is written so that this index cannot serve it (``corpus.search``), as
    the planner, misjudging how many articles a word's prefix matches, walked it testing
    each article's to_tsvector() (1.4 s for "Rahmon"). A model index: a rebuild of the
    table on SQLite makes it again. Built concurrently on PostgreSQL (not in a
    transaction; 0.2 s at 20,001 articles); a failed build leaves an INVALID index: DROP
    INDEX CONCURRENTLY article_project_title and migrate again."""

    atomic = False

    dependencies = [
        ("corpus", "0013_analyze_article_search"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="article",
                    index=models.Index(
                        fields=["project", "title", "id"], name="article_project_title"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
