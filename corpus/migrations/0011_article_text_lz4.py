from typing import Any

from django.db import migrations

_LZ4_AVAILABLE = (
    "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def _compression(method: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(_LZ4_AVAILABLE)
            if cursor.fetchone() is None:
                return  # a server built without lz4: pglz, as before
        schema_editor.execute(
            f"ALTER TABLE corpus_article ALTER COLUMN text SET COMPRESSION {method}"
        )

    return run


class Migration(migrations.Migration):
    """Article texts compressed with lz4 on PostgreSQL (issue 21): the server's CPU time
    for an upload of 1,000 texts of ~6,000 characters went from ~140 ms (pglz, the
    default: half of it compressing) to ~70 ms (bench/RESULTS.md). New rows only; stored
    ones keep pglz (both read back alike). Nothing on SQLite, or on a server built
    without lz4."""

    dependencies = [
        ("corpus", "0010_article_search_pending"),
    ]

    operations = [
        migrations.RunPython(_compression("lz4"), _compression("pglz")),
    ]
