from typing import Any

import django.db.models.deletion
from django.db import migrations, models

TABLE = "annotate_claim"
NEW = "claim_source_deleted"
PARTIAL = "claim_live_source"


def _fk_indexes(editor: Any) -> list[str]:
    """The foreign key's own index on ``source_id``: plain (not unique, not partial) and
    of that one column, by name, on either database."""
    with editor.connection.cursor() as cursor:
        found = editor.connection.introspection.get_constraints(cursor, TABLE)
    names = []
    for name, info in found.items():
        if not info["index"] or info["unique"] or info["columns"] != ["source_id"]:
            continue
        if name == PARTIAL:
            continue
        names.append(name)
    return names


def _concurrently(editor: Any) -> str:
    return " CONCURRENTLY" if editor.connection.vendor == "postgresql" else ""


def forwards(apps: Any, editor: Any) -> None:
    # The new index first: the reads always have one of them.
    c, q = _concurrently(editor), editor.quote_name
    editor.execute(
        f"CREATE INDEX{c} IF NOT EXISTS {q(NEW)} ON {q(TABLE)} ({q('source_id')}, {q('deleted_at')})"
    )
    for name in [PARTIAL, *_fk_indexes(editor)]:
        editor.execute(f"DROP INDEX{c} IF EXISTS {q(name)}")


def backwards(apps: Any, editor: Any) -> None:
    c, q = _concurrently(editor), editor.quote_name
    editor.execute(
        f"CREATE INDEX{c} IF NOT EXISTS {q(PARTIAL)} ON {q(TABLE)} ({q('source_id')}) "
        f"WHERE {q('deleted_at')} IS NULL"
    )
    if not _fk_indexes(editor):
        name = editor._create_index_name(TABLE, ["source_id"], suffix="")
        editor.execute(f"CREATE INDEX{c} IF NOT EXISTS {q(name)} ON {q(TABLE)} ({q('source_id')})")
    editor.execute(f"DROP INDEX{c} IF EXISTS {q(NEW)}")


class Migration(migrations.Migration):
    """The claims' two indexes on ``source_id`` — the foreign key's own and the partial
    ``claim_live_source`` (live claims only) — become one, ``claim_source_deleted`` on
    (source_id, deleted_at), on both databases. It serves every read that used either:
    the registry's live counts (index-only, ``deleted_at IS NULL`` in the index's
    condition), the source profile, the merge preview and a source's delete (every claim,
    deleted ones too), the sources an annotator may see, and each database's own
    foreign-key check of a deleted source. A bulk import writes one index entry less per
    claim, on a random leaf page (a claim's source is any of the project's): the costly
    kind (issue 21, bench/RESULTS.md, bulk32 and idx33).

    PostgreSQL: CREATE / DROP INDEX CONCURRENTLY, hence not atomic (reads and writes go
    on). If the build fails it leaves an INVALID index: DROP INDEX CONCURRENTLY
    claim_source_deleted and migrate again. SQLite: plain CREATE / DROP INDEX (no table
    rebuild, so the FTS triggers stay). Reversed, both old indexes come back."""

    atomic = False

    dependencies = [
        ("annotate", "0029_sqlite_drop_covered_foreign_key_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name="claim",
                    name="source",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="claims",
                        to="annotate.source",
                    ),
                ),
                migrations.RemoveIndex(model_name="claim", name=PARTIAL),
                migrations.AddIndex(
                    model_name="claim",
                    index=models.Index(fields=["source", "deleted_at"], name=NEW),
                ),
            ],
        )
    ]
