"""The discourse networks' counts, kept up to date by the database: ``annotate_networkcount``
(``NetworkCount``) holds, per project, layer (0 for the gold layer, else the annotator's id),
month, source, target and stance value, how many live claims of that source in that layer
have that stance toward that target — ``month`` 0 for all the project's claims, −YYYY for
those of the articles published in that year, YYYYMM in that month (an undated article's
claims are only in 0). Layer −1 (``ALL_LAYER``) holds every annotator's claims together, in
the same buckets: the stance map and the networks of "all annotators" read its rows (7,500
a bucket at the xlarge bench) instead of summing every annotator's (22,500 over 3,811
heap blocks, 30–140 ms on PostgreSQL, all time; a window of 22 months summed 90,000 rows,
130–250 ms: bench/RESULTS.md, xl32), however many annotators the project has.

That is what ``annotate.analysis.networks.stance_rows`` otherwise groups from every stance
of the layer (1,050,000 rows for all annotators at 600,000 claims: 0.4–2.8 s on either
database). With this table a whole project's network reads at most layers × sources ×
targets × stance values rows (30,000 at that scale), and a time window the rows of its
whole years and of its other whole months (the days of a month it covers in part are
grouped from the stances).

Triggers keep it, whatever issued the write (a service, ``bulk_create``, COPY, a restore, the
admin, a source merge), like ``annotate.db_versions``' counters: on ``annotate_claimstance``
(insert +1, delete −1, update −1 for the old row and +1 for the new), on ``annotate_claim``
(a claim whose ``deleted_at`` being null, ``annotator_id``, ``source_id`` or ``article_id``
changes moves its stances' counts; a claim inserted or deleted while it has stances adds or
removes theirs) and on ``corpus_article`` (an article whose ``published`` or ``project_id``
changes moves its claims' counts). Each trigger counts against the current rows of the
other tables, so the table equals a full recount (``recount``) in whichever order a
transaction writes claims and stances (``tests/annotate/analysis/test_network_counts.py``).

* PostgreSQL: statement-level AFTER triggers with transition tables (one grouped upsert per
  statement, keys in order). Their names sort after the version triggers' (PostgreSQL fires
  a table's triggers in name order), so a transaction first takes its project's version row
  (which serialises a project's writers) and then the count rows: no deadlock. In bulk mode
  the stance INSERT trigger only copies the new rows to a session table and the bulk writer
  counts them all in one grouped upsert (``pg_bulk_add_counts_sql``) at its end: each
  statement's upsert hashed every live claim (a seq scan) and upserted ~8,000 rows for
  ~3,000 stances, ~100 ms per 2,000 claims at 90,000 claims.
* SQLite: row-level AFTER triggers. In bulk mode (``annotate.db_bulk``) the INSERT
  triggers wait and the bulk writer adds its new stances in one grouped upsert
  (``add_counts_sql``) at its end.

A row whose count reaches 0 stays (the readers skip it). The key (project, month, layer,
source, target, stance) is the table's primary key, no surrogate ``id`` (annotate 0031): an
upserted row writes the table and that one B-tree (PostgreSQL: −0.3 to −0.6 s of the
server's CPU of a 19,729-claim import's 2.6 s upsert; bench/RESULTS.md, net35).

Migrations: the same caveats as ``annotate.db_versions`` (SQLite rebuilds an altered table):
altering ``annotate_claim``, ``annotate_claimstance`` or ``corpus_article`` drops their
triggers (end the migration with ``reinstall_network_triggers_operation()``); altering one of
them fails at the rename while another table's triggers read it (begin with
``drop_network_triggers_operation()``, end with the reinstall). Altering this table on
SQLite fails at the rename too (the triggers of the three tables write into it): drop these
triggers first and reinstall them after, as 0031 does.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations import RunPython

from annotate import db_triggers

COUNT_TABLE = "annotate_networkcount"
KEY = "project_id, layer, month, source_id, target_id, stance"
EVENTS = ("insert", "update", "delete")
TABLE_EVENTS = {
    "annotate_claim": EVENTS,
    "annotate_claimstance": EVENTS,
    "corpus_article": ("update",),
}
TABLES = tuple(TABLE_EVENTS)
# The live claims with a source count; a stance row is (claim, target, stance).
_LIVE = "{c}.deleted_at IS NULL AND {c}.source_id IS NOT NULL"
# An article's publication year and month as YYYYMM, and its year (NULL without a date).
_MONTH = {
    "postgresql": "(EXTRACT(YEAR FROM {a}.published) * 100 + EXTRACT(MONTH FROM {a}.published))"
    "::integer",
    "sqlite": "CAST(substr({a}.published, 1, 4) || substr({a}.published, 6, 2) AS INTEGER)",
}
_YEAR = {
    "postgresql": "EXTRACT(YEAR FROM {a}.published)::integer",
    "sqlite": "CAST(substr({a}.published, 1, 4) AS INTEGER)",
}
# The layer of every annotator's claims together ("all annotators"): their sum, kept.
ALL_LAYER = -1
# Each counted row goes to up to six buckets: all time (kind 0), its article's year (1:
# −YYYY) and month (2: YYYYMM), those two if the article has a date; an annotator's claim
# also to ``ALL_LAYER``'s same three (3, 4, 5).
_BUCKETS = (
    "CROSS JOIN (SELECT 0 AS kind UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 "
    "UNION ALL SELECT 4 UNION ALL SELECT 5) b"
)
_UPSERT = (
    f"INSERT INTO {COUNT_TABLE} ({KEY}, n) {{select}} "
    f"ON CONFLICT ({KEY}) DO UPDATE SET n = {COUNT_TABLE}.n + excluded.n"
)


def _bucket(vendor: str, a: str, c: str) -> tuple[str, str, str]:
    """The layer and month columns' values and the condition on the buckets, for article
    ``a`` and claim ``c``."""
    year, month = _YEAR[vendor].format(a=a), _MONTH[vendor].format(a=a)
    layer = f"CASE WHEN b.kind >= 3 THEN {ALL_LAYER} ELSE COALESCE({c}.annotator_id, 0) END"
    value = f"CASE WHEN b.kind IN (1, 4) THEN -{year} WHEN b.kind IN (2, 5) THEN {month} ELSE 0 END"
    dated = (
        f"(b.kind = 0 OR (b.kind IN (1, 2) AND {a}.published IS NOT NULL) "
        f"OR (b.kind >= 3 AND {c}.annotator_id IS NOT NULL "
        f"AND (b.kind = 3 OR {a}.published IS NOT NULL)))"
    )
    return layer, value, dated


def recount_sql(vendor: str, stances: str = "") -> str:
    """(project, layer, month, source, target, stance, claims) of every live claim's
    stances, counted afresh (with ``stances``, a condition on the stance row ``s``: of
    those stances only)."""
    layer, month, dated = _bucket(vendor, "a", "c")
    only = f" AND {stances}" if stances else ""
    return (
        f"SELECT a.project_id, {layer}, {month}, c.source_id, s.target_id, "
        "s.stance, COUNT(*) FROM annotate_claimstance s JOIN annotate_claim c ON c.id = s.claim_id "
        f"JOIN corpus_article a ON a.id = c.article_id {_BUCKETS} WHERE "
        + _LIVE.format(c="c")
        + f" AND {dated}{only} GROUP BY 1, 2, 3, 4, 5, 6"
    )


def add_counts_sql(vendor: str, stances: str) -> str:
    """Add the stances that match ``stances`` (a condition on ``s``) to the counts: one
    grouped upsert (bulk mode's, ``annotate.db_bulk``)."""
    return _UPSERT.format(select=recount_sql(vendor, stances))


def pg_bulk_add_counts_sql() -> str:
    """PostgreSQL's bulk mode: add the stances waiting in ``db_triggers.PG_BULK_STANCES``
    (those its stance INSERT trigger put there) to the counts, in one grouped upsert, keys
    in order, as the trigger does for one statement.

    A stance of a claim the block inserted reads that claim where it waits,
    ``db_triggers.PG_BULK_CLAIMS`` (the block inserts, it does not update: the row as
    inserted is the row now; the writer always makes both tables), the import's claims in
    the session's buffers, where joining ``annotate_claim`` scanned and hashed every live
    claim of the database (89,909 at the medium bench: bench/RESULTS.md, pgnet34). Any
    other stance (one added to an existing claim in bulk mode) reads its claim in
    ``annotate_claim`` by id: the lateral subquery, kept apart by ``OFFSET 0``, is one
    index lookup per such stance whatever the planner guesses of the session's tables
    (they have no statistics), and none for the others."""
    layer, month, dated = _bucket("postgresql", "a", "c")
    stances, waiting = db_triggers.PG_BULK_STANCES, db_triggers.PG_BULK_CLAIMS
    columns = "{c}.article_id, {c}.annotator_id, {c}.source_id"
    rows = (
        f"SELECT r.target_id, r.stance, {columns.format(c='w')} FROM {stances} r "
        f"JOIN {waiting} w ON w.id = r.claim_id WHERE "
        + _LIVE.format(c="w")
        + f" UNION ALL SELECT r.target_id, r.stance, {columns.format(c='c')} FROM {stances} r "
        f"CROSS JOIN LATERAL (SELECT {columns.format(c='c')} FROM annotate_claim c "
        "WHERE c.id = r.claim_id AND "
        + _LIVE.format(c="c")
        + f" OFFSET 0) c WHERE NOT EXISTS (SELECT 1 FROM {waiting} w WHERE w.id = r.claim_id)"
    )
    return _UPSERT.format(
        select=f"SELECT a.project_id, {layer}, {month}, c.source_id, "
        f"c.target_id, c.stance, COUNT(*) FROM ({rows}) c "
        f"JOIN corpus_article a ON a.id = c.article_id {_BUCKETS} WHERE {dated} "
        "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
    )


def trigger_name(table: str, event: str) -> str:
    # "z": after "{table}_version_{event}" in PostgreSQL's firing order (by name).
    return f"{table}_znetwork_{event}"


def _postgres_sql(table: str) -> list[str]:
    if table == "annotate_claimstance":
        # (claim_id, target_id, stance, d) per changed stance row, d = ±1.
        rows = {
            "insert": "SELECT claim_id, target_id, stance, 1 AS d FROM new_rows",
            "delete": "SELECT claim_id, target_id, stance, -1 AS d FROM old_rows",
            "update": "SELECT claim_id, target_id, stance, 1 AS d FROM new_rows UNION ALL "
            "SELECT claim_id, target_id, stance, -1 FROM old_rows",
        }
        layer, month, dated = _bucket("postgresql", "a", "c")
        select = (
            f"SELECT a.project_id, {layer}, {month}, c.source_id, "
            "r.target_id, r.stance, SUM(r.d) FROM ({rows}) r "
            "JOIN annotate_claim c ON c.id = r.claim_id "
            f"JOIN corpus_article a ON a.id = c.article_id {_BUCKETS} WHERE "
            + _LIVE.format(c="c")
            + f" AND {dated}"
        )
    elif table == "annotate_claim":
        # (claim columns, d) per changed claim; an update only for the columns counted.
        changed = (
            "FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE "
            "(o.deleted_at IS NULL) <> (n.deleted_at IS NULL) "
            "OR o.annotator_id IS DISTINCT FROM n.annotator_id "
            "OR o.source_id IS DISTINCT FROM n.source_id OR o.article_id <> n.article_id"
        )
        columns = "{x}.id, {x}.article_id, {x}.annotator_id, {x}.source_id, {x}.deleted_at"
        rows = {
            "insert": f"SELECT {columns.format(x='r')}, 1 AS d FROM new_rows r",
            "delete": f"SELECT {columns.format(x='r')}, -1 AS d FROM old_rows r",
            "update": f"SELECT {columns.format(x='n')}, 1 AS d {changed} UNION ALL "
            f"SELECT {columns.format(x='o')}, -1 {changed}",
        }
        layer, month, dated = _bucket("postgresql", "a", "r")
        select = (
            f"SELECT a.project_id, {layer}, {month}, r.source_id, "
            "s.target_id, s.stance, SUM(r.d) FROM ({rows}) r "
            "JOIN annotate_claimstance s ON s.claim_id = r.id "
            f"JOIN corpus_article a ON a.id = r.article_id {_BUCKETS} WHERE "
            + _LIVE.format(c="r")
            + f" AND {dated}"
        )
    else:  # corpus_article: an update of the date or the project moves its claims' counts
        changed = (
            "FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE "
            "o.published IS DISTINCT FROM n.published OR o.project_id <> n.project_id"
        )
        columns = "{x}.id, {x}.project_id, {x}.published"
        rows = {
            "update": f"SELECT {columns.format(x='n')}, 1 AS d {changed} UNION ALL "
            f"SELECT {columns.format(x='o')}, -1 {changed}",
        }
        layer, month, dated = _bucket("postgresql", "a", "c")
        select = (
            f"SELECT a.project_id, {layer}, {month}, c.source_id, "
            "s.target_id, s.stance, SUM(a.d) FROM ({rows}) a "
            "JOIN annotate_claim c ON c.article_id = a.id "
            f"JOIN annotate_claimstance s ON s.claim_id = c.id {_BUCKETS} WHERE "
            + _LIVE.format(c="c")
            + f" AND {dated}"
        )
    referencing = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    d = "a.d" if table == "corpus_article" else "r.d"
    statements = []
    for event in TABLE_EVENTS[table]:
        name = trigger_name(table, event)
        grouped = (
            select.format(rows=rows[event])
            + f" GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM({d}) <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
        )
        body = f"{_UPSERT.format(select=grouped)};"
        if table == "annotate_claimstance" and event == "insert":
            # Bulk mode (annotate.db_bulk): the new stances wait in the session's table,
            # counted once at the block's end (pg_bulk_add_counts_sql).
            body = (
                f"IF {db_triggers.PG_BULK_ON} THEN INSERT INTO {db_triggers.PG_BULK_STANCES} "
                f"(claim_id, target_id, stance) SELECT claim_id, target_id, stance FROM new_rows; "
                f"ELSE {body} END IF;"
            )
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
            f"BEGIN {body} RETURN NULL; END $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {referencing[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite_stance(row: str, d: int) -> str:
    layer, month, dated = _bucket("sqlite", "a", "c")
    select = (
        f"SELECT a.project_id, {layer}, {month}, c.source_id, "
        f"{row}.target_id, {row}.stance, {d} FROM annotate_claim c "
        f"JOIN corpus_article a ON a.id = c.article_id {_BUCKETS} "
        f"WHERE c.id = {row}.claim_id AND " + _LIVE.format(c="c") + f" AND {dated}"
    )
    return _UPSERT.format(select=select) + ";"


def _sqlite_claim(row: str, d: int) -> str:
    layer, month, dated = _bucket("sqlite", "a", row)
    select = (
        f"SELECT a.project_id, {layer}, {month}, {row}.source_id, "
        f"s.target_id, s.stance, {d} * COUNT(*) FROM annotate_claimstance s "
        f"JOIN corpus_article a ON a.id = {row}.article_id {_BUCKETS} "
        f"WHERE s.claim_id = {row}.id AND "
        + _LIVE.format(c=row)
        + f" AND {dated} GROUP BY 1, 2, 3, 4, 5, 6"
    )
    return _UPSERT.format(select=select) + ";"


def _sqlite_article(row: str, d: int) -> str:
    layer, month, dated = _bucket("sqlite", row, "c")
    select = (
        f"SELECT {row}.project_id, {layer}, {month}, c.source_id, "
        f"s.target_id, s.stance, {d} * COUNT(*) FROM annotate_claim c "
        f"JOIN annotate_claimstance s ON s.claim_id = c.id {_BUCKETS} "
        f"WHERE c.article_id = {row}.id AND "
        + _LIVE.format(c="c")
        + f" AND {dated} GROUP BY 1, 2, 3, 4, 5, 6"
    )
    return _UPSERT.format(select=select) + ";"


_SQLITE_BODIES = {
    "annotate_claimstance": _sqlite_stance,
    "annotate_claim": _sqlite_claim,
    "corpus_article": _sqlite_article,
}
_SQLITE_UPDATED = {  # an update's condition: the columns counted changed
    "annotate_claimstance": "",
    "annotate_claim": "WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) "
    "OR OLD.annotator_id IS NOT NEW.annotator_id OR OLD.source_id IS NOT NEW.source_id "
    "OR OLD.article_id <> NEW.article_id ",
    "corpus_article": "WHEN OLD.published IS NOT NEW.published "
    "OR OLD.project_id <> NEW.project_id ",
}


def _sqlite_sql(table: str) -> list[str]:
    body = _SQLITE_BODIES[table]
    bodies = {
        "insert": body("NEW", 1),
        "delete": body("OLD", -1),
        "update": body("OLD", -1) + " " + body("NEW", 1),
    }
    statements = []
    for event in TABLE_EVENTS[table]:
        name = trigger_name(table, event)
        when = _SQLITE_UPDATED[table] if event == "update" else ""
        if event == "insert":  # bulk mode counts the inserted rows itself (annotate.db_bulk)
            when = f"WHEN {db_triggers.BULK_OFF} "
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW "
            f"{when}BEGIN {bodies[event]} END",
        ]
    return statements


def _statements(vendor: str, table: str) -> list[str]:
    return _postgres_sql(table) if vendor == "postgresql" else _sqlite_sql(table)


def trigger_names() -> list[tuple[str, str]]:
    """(table, trigger) of every trigger that keeps the counts."""
    return [(t, trigger_name(t, e)) for t, events in TABLE_EVENTS.items() for e in events]


def install_network_triggers(schema_editor: Any) -> None:
    db_triggers.install(schema_editor, "network count", _statements, TABLES)


def drop_network_triggers(schema_editor: Any) -> None:
    db_triggers.drop(schema_editor, trigger_names())


def recount(schema_editor: Any) -> None:
    """Fill the table afresh from the claims and stances (the migrations' backfill), in
    the order of its key (a layer's whole-project rows, which the pages read, then lie
    together)."""
    vendor = schema_editor.connection.vendor
    schema_editor.execute(f"DELETE FROM {COUNT_TABLE}")
    schema_editor.execute(
        f"INSERT INTO {COUNT_TABLE} ({KEY}, n) {recount_sql(vendor)} ORDER BY 1, 3, 2, 4, 5, 6"
    )


def network_triggers_operation() -> RunPython:
    """Install the triggers and count the existing rows; reversed, drop the triggers."""

    def forwards(schema_editor: Any) -> None:
        install_network_triggers(schema_editor)
        recount(schema_editor)
        if schema_editor.connection.vendor == "postgresql":  # estimates for the first read
            schema_editor.execute(f"ANALYZE {COUNT_TABLE}")

    return db_triggers.operation(forwards, drop_network_triggers)


def reinstall_network_triggers_operation() -> RunPython:
    """For a migration that alters ``annotate_claim``, ``annotate_claimstance`` or
    ``corpus_article`` (SQLite rebuilds it): put it last."""
    return db_triggers.operation(install_network_triggers, install_network_triggers)


def drop_network_triggers_operation() -> RunPython:
    """For a migration that alters a table the triggers read: put it first."""
    return db_triggers.operation(drop_network_triggers, install_network_triggers)


def all_layer_by_month_sql() -> str:
    """``ALL_LAYER``'s year and month rows as the sums of the annotators' (0028's backfill:
    ~400,000 kept rows read at the xlarge bench, not its 3.68 M stances recounted)."""
    return (
        f"INSERT INTO {COUNT_TABLE} ({KEY}, n) SELECT project_id, {ALL_LAYER}, month, "
        f"source_id, target_id, stance, SUM(n) FROM {COUNT_TABLE} WHERE layer > 0 AND month <> 0 "
        "GROUP BY project_id, month, source_id, target_id, stance HAVING SUM(n) <> 0 "
        "ORDER BY 1, 3, 2, 4, 5, 6"
    )
