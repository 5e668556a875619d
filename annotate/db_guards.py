"""Database-level guards that the models alone can't hold: the article-text freeze.

Once any row that anchors offsets (a claim) points into an article, an UPDATE that
changes the article's text or hash is rejected by the database itself, whatever code
issued it (admin, shell, raw SQL, a bug). Offsets therefore never drift.
Installed and removed by migrations; ``ANCHOR_TABLES`` grows as anchoring tables appear.

A migration that alters a table the trigger names must drop the trigger first and install
it again last (``drop_trigger_operation()`` … ``install_trigger_operation(...)``): SQLite
alters a table by rebuilding and renaming it, and refuses while a trigger names it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

ANCHOR_TABLES = ("annotate_claim",)
FREEZE_MESSAGE = "article text is frozen: annotations point into it"


def _exists_clause(tables: tuple[str, ...]) -> str:
    return " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE article_id = OLD.id)" for t in tables)


def install_freeze_trigger(schema_editor: Any, tables: tuple[str, ...] = ANCHOR_TABLES) -> None:
    vendor = schema_editor.connection.vendor
    exists = _exists_clause(tables)
    if vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION corpus_article_freeze() RETURNS trigger AS $$
            BEGIN
                IF (NEW.text IS DISTINCT FROM OLD.text OR NEW.sha256 IS DISTINCT FROM OLD.sha256)
                   AND ({exists}) THEN
                    RAISE EXCEPTION '{FREEZE_MESSAGE} (article %%)', OLD.id
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql;
            """
        )
        schema_editor.execute("DROP TRIGGER IF EXISTS corpus_article_freeze ON corpus_article")
        schema_editor.execute(
            "CREATE TRIGGER corpus_article_freeze BEFORE UPDATE ON corpus_article "
            "FOR EACH ROW EXECUTE FUNCTION corpus_article_freeze()"
        )
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS corpus_article_freeze")
        schema_editor.execute(
            f"""
            CREATE TRIGGER corpus_article_freeze BEFORE UPDATE ON corpus_article
            FOR EACH ROW WHEN (NEW.text IS NOT OLD.text OR NEW.sha256 IS NOT OLD.sha256)
                AND ({exists})
            BEGIN
                SELECT RAISE(ABORT, '{FREEZE_MESSAGE}');
            END
            """
        )
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"No text-freeze trigger for the {vendor} database.")


def drop_freeze_trigger(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS corpus_article_freeze ON corpus_article")
        schema_editor.execute("DROP FUNCTION IF EXISTS corpus_article_freeze()")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS corpus_article_freeze")


def drop_trigger_operation() -> migrations.RunPython:
    def forwards(apps: Any, schema_editor: Any) -> None:
        drop_freeze_trigger(schema_editor)

    def backwards(apps: Any, schema_editor: Any) -> None:
        install_freeze_trigger(schema_editor)

    return migrations.RunPython(forwards, backwards)


def install_trigger_operation(tables: tuple[str, ...]) -> migrations.RunPython:
    """Install the trigger over ``tables`` (spelled out in each migration, so that an old
    migration keeps doing what it did when ``ANCHOR_TABLES`` grows)."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        install_freeze_trigger(schema_editor, tables)

    def backwards(apps: Any, schema_editor: Any) -> None:
        drop_freeze_trigger(schema_editor)

    return migrations.RunPython(forwards, backwards)
