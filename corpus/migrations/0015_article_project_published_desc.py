from typing import Any

from django.db import migrations

_CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS article_project_published_desc "
    "ON corpus_article (project_id, published DESC NULLS LAST, id)"
)
_DROP = "DROP INDEX CONCURRENTLY IF EXISTS article_project_published_desc"


def _on_postgres(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    """On PostgreSQL, the articles in claim search's order (newest first, undated last,
    then by id: ``annotate.analysis.search``), issue 21. The first page of a common word
    then walks the project's articles newest first, testing each one's claims, and stops
    at the page, instead of reading and sorting every match (xlarge bench, 2.45 million
    claims: "pipeline", 206,000 matches, page ids 880 -> 8 ms; "said" 10 s -> 2 ms; a rare
    word keeps the GIN index and the sort). Not on SQLite (its CREATE INDEX has no NULLS
    LAST) and not a model index, for that reason. Built concurrently (not in a
    transaction); a failed build leaves an INVALID index: DROP INDEX CONCURRENTLY
    article_project_published_desc and migrate again."""

    atomic = False

    dependencies = [
        ("corpus", "0014_article_project_title_everywhere"),
    ]

    operations = [
        migrations.RunPython(_on_postgres(_CREATE), _on_postgres(_DROP)),
    ]
