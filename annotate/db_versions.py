"""A version counter per project that the database bumps on every write to the rows the
agreement report reads — the agreement cache's key in one indexed read, however many
claims there are (``annotate.review.data.cache_key``).

``annotate_projectversion`` holds one row per project (``ProjectVersion``): triggers on
each table of ``VERSIONED`` add one to the ``value`` of the project of the rows written,
on INSERT, UPDATE and DELETE, whatever issued the write (a service, ``bulk_create``, COPY,
raw SQL, a restore, the admin), and create the row on a project's first write.

* PostgreSQL: statement-level AFTER triggers with transition tables, one bump per project
  per statement (a bulk insert of 20,000 claims is one upsert, not 20,000). The UPDATE of
  the counter row locks it until the transaction ends: writes to one project's annotations
  are serialised at their end (each saved claim waits for the previous one to commit),
  which is what makes the counter follow the commit order — a reader never sees a version
  without the writes counted before it. Projects are bumped in id order (no deadlock
  between two multi-project statements).
* SQLite: row-level AFTER triggers (SQLite has no statement triggers): one upsert per row
  written, ~2 µs each; SQLite serialises writers anyway.

The row outlives its project (no foreign key, nothing deletes it): a project restored
under the same id (``exchange.restoring`` keeps primary keys) counts on from where the
deleted one stopped, so no cache entry of the old project is ever taken for the new one.

What is *not* versioned: article titles (shown by the dashboard; an edited title shows
after the next annotation change), user names, the scheme (``cache_key`` hashes
``project.scheme`` itself). A new table whose rows change agreement (the chains' links
of issue 21, when they come) joins ``VERSIONED`` with a migration that calls
``install_version_triggers`` for it.

SQLite alters a table by creating it anew and dropping the old one, which drops its
triggers silently: a migration that alters a table of ``VERSIONED`` must install its
triggers again (``reinstall_version_triggers_operation``), as for the FTS5 table of claim
search (``db_indexes``). ``tests/annotate/review/test_agreement_version.py`` checks that
every trigger exists after the migrations.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations import RunPython

VERSION_TABLE = "annotate_projectversion"

# table → the SQL of the project id(s) of the rows in ``{rows}``: a table (PostgreSQL's
# transition table) or, on SQLite, one row (NEW or OLD) as ``(SELECT NEW.x AS x, …)``.
_ARTICLE = "SELECT a.project_id FROM {rows} r JOIN corpus_article a ON a.id = r.article_id"
VERSIONED: dict[str, str] = {
    "annotate_claim": _ARTICLE,
    "annotate_claimstance": (
        "SELECT a.project_id FROM {rows} r JOIN annotate_claim c ON c.id = r.claim_id "
        "JOIN corpus_article a ON a.id = c.article_id"
    ),
    "annotate_assignment": _ARTICLE,
    "annotate_decision": _ARTICLE,
    "annotate_decisionorigin": (
        "SELECT a.project_id FROM {rows} r JOIN annotate_decision d ON d.id = r.decision_id "
        "JOIN corpus_article a ON a.id = d.article_id"
    ),
    "annotate_source": "SELECT r.project_id FROM {rows} r",
}
# The columns of each table the SQLite triggers read from NEW/OLD.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "annotate_claim": ("article_id",),
    "annotate_claimstance": ("claim_id",),
    "annotate_assignment": ("article_id",),
    "annotate_decision": ("article_id",),
    "annotate_decisionorigin": ("decision_id",),
    "annotate_source": ("project_id",),
}
EVENTS = ("insert", "update", "delete")


def trigger_name(table: str, event: str) -> str:
    return f"{table}_version_{event}"


def _bump(projects: str) -> str:
    """An upsert adding one to the counter of each project in ``projects`` (a query)."""
    return (
        f"INSERT INTO {VERSION_TABLE} (project_id, value) "
        f"SELECT DISTINCT p.project_id, 1 FROM ({projects}) p "
        "WHERE p.project_id IS NOT NULL ORDER BY p.project_id "
        f"ON CONFLICT (project_id) DO UPDATE SET value = {VERSION_TABLE}.value + 1"
    )


def _postgres_sql(table: str) -> list[str]:
    statements = []
    rows = {"insert": ["new_rows"], "update": ["new_rows", "old_rows"], "delete": ["old_rows"]}
    referencing = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    for event in EVENTS:
        name = trigger_name(table, event)
        projects = " UNION ".join(VERSIONED[table].format(rows=r) for r in rows[event])
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
            f"BEGIN {_bump(projects)}; RETURN NULL; END $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {referencing[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite_row(table: str, row: str) -> str:
    return "(SELECT " + ", ".join(f"{row}.{c} AS {c}" for c in _COLUMNS[table]) + ")"


def _sqlite_sql(table: str) -> list[str]:
    statements = []
    rows = {"insert": ["NEW"], "update": ["NEW", "OLD"], "delete": ["OLD"]}
    for event in EVENTS:
        name = trigger_name(table, event)
        projects = " UNION ".join(
            VERSIONED[table].format(rows=_sqlite_row(table, r)) for r in rows[event]
        )
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW "
            f"BEGIN {_bump(projects)}; END",
        ]
    return statements


def install_version_triggers(schema_editor: Any, tables: tuple[str, ...]) -> None:
    """The counting triggers on ``tables`` (replaced if they exist)."""
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            statements = _postgres_sql(table)
        elif vendor == "sqlite":
            statements = _sqlite_sql(table)
        else:  # pragma: no cover - only the two supported databases
            raise NotImplementedError(f"No version triggers for the {vendor} database.")
        for sql in statements:
            schema_editor.execute(sql, params=None)


def drop_version_triggers(schema_editor: Any, tables: tuple[str, ...]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        for event in EVENTS:
            name = trigger_name(table, event)
            if vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def version_triggers_operation(tables: tuple[str, ...]) -> RunPython:
    """Install the triggers on ``tables`` (spelled out in each migration, so that an old
    migration keeps doing what it did when ``VERSIONED`` grows); reversed, drop them."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        install_version_triggers(schema_editor, tables)

    def backwards(apps: Any, schema_editor: Any) -> None:
        drop_version_triggers(schema_editor, tables)

    return RunPython(forwards, backwards)


def reinstall_version_triggers_operation(tables: tuple[str, ...]) -> RunPython:
    """For a migration that alters one of ``tables`` (SQLite rebuilds it, dropping its
    triggers): put it last. Installs the triggers again, forwards and backwards."""

    def reinstall(apps: Any, schema_editor: Any) -> None:
        install_version_triggers(schema_editor, tables)

    return RunPython(reinstall, reinstall)
