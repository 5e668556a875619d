from typing import Any

from django.db import migrations


def analyze(apps: Any, schema_editor: Any) -> None:
    """On PostgreSQL, statistics for the articles and their search index's expression."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE corpus_article")


class Migration(migrations.Migration):
    """Statistics for article search's expression index (issue 21). Migration 0010 rebuilt
    the GIN index ``article_search`` on an expression; PostgreSQL keeps statistics for an
    index expression only after an ANALYZE, and autovacuum analyzes a table only once a
    tenth of its rows changed — a corpus imported before 0010 and left alone never got
    them. Without them the planner guessed 2 matches for a word in 19,754 of 20,001
    articles and chose plans that took seconds. ANALYZE reads a sample (a few seconds at
    most); nothing on SQLite; nothing to undo."""

    dependencies = [
        ("corpus", "0012_article_project_title"),
    ]

    operations = [
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
