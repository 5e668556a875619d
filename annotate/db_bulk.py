"""Bulk mode: a big write of new claims (an import) keeps claim search's index, the projects'
versions and the network counts up to date once, set-based, instead of row by row.

On SQLite the per-row INSERT triggers of ``annotate_claim``, ``annotate_claimstance`` and
``annotate_chainlink`` (``annotate.db_indexes``' FTS5 entries, ``annotate.db_versions``'
counters, ``annotate.db_network_counts``' counts: four buckets per stance row, ~50 µs a
stance; ``annotate.db_overview_counts``' counts: one per claim) do nothing while the flag
table ``db_triggers.BULK_FLAG`` has a row. ``bulk_inserts()`` writes that row inside its own
savepoint, notes the tables' highest ids, runs the block, then does the triggers' work for
the rows inserted since — four statements, whatever their number — and deletes the row.
SQLite serialises writers and no other connection sees an uncommitted row, so only this
transaction's inserts skip their triggers. The tables use AUTOINCREMENT ids: the rows
inserted in the block are the ones above the ids noted. An exception rolls the savepoint
back, flag and rows with it.

What it does equals what the triggers would have done
(``tests/annotate/test_bulk_mode.py``): the same FTS5 entries, each project's counter raised
by the number of rows inserted, the same network counts in every bucket, the same overview
counts. It holds for *inserts*: the block must not update or delete a claim or stance it
inserted (an import does neither; updates and deletes fire their triggers as always, and
those would take away counts never added).

On PostgreSQL the version, network and overview triggers are statement-level (one grouped
upsert per INSERT statement) and claim search is a GIN index. Bulk mode there sets
``db_triggers.PG_BULK_SETTING`` for the transaction (``set_config(…, true)``: no other
session sees it) and creates two temporary tables (dropped at commit): the stance INSERT
trigger of the network counts copies its new rows to ``db_triggers.PG_BULK_STANCES``
instead of counting them (its grouped upsert hashed every live claim and wrote ~8,000 rows
per 2,000 claims), the claim INSERT trigger of the overview counts copies the new claims
(as inserted) to ``db_triggers.PG_BULK_CLAIMS``, and the version INSERT triggers of
claims and stances do nothing. The end step bumps each project of those rows once, counts
the stances and the claims in one grouped upsert each (the new stances' claims read
where they wait, not in ``annotate_claim``), then drops the tables and sets the
setting off. Only the rows this transaction inserts wait: a concurrent writer's go through
its own triggers (an unset setting is off). An exception rolls the savepoint back, setting
and tables with it. Chain links' versions, the claims' network INSERT trigger (it finds no
stances yet) and the GIN entries stay per statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from annotate import db_indexes, db_network_counts, db_overview_counts, db_triggers, db_versions

# The new rows of each table, their project, and how many: a version upsert's rows.
_NEW_ROWS = {
    "annotate_claim": "FROM annotate_claim r JOIN corpus_article a ON a.id = r.article_id",
    "annotate_claimstance": "FROM annotate_claimstance r JOIN annotate_claim c "
    "ON c.id = r.claim_id JOIN corpus_article a ON a.id = c.article_id",
    "annotate_chainlink": "FROM annotate_chainlink r JOIN annotate_claim c "
    "ON c.id = r.claim_id JOIN corpus_article a ON a.id = c.article_id",
}
_ACTIVE = "_claimdesk_bulk_mode"  # set on the connection while a block runs


def versions_sql() -> str:
    """Raise each project's counter by the number of rows inserted in its claims, stances
    and chain links (above the ids given as parameters, in ``BULK_TABLES`` order)."""
    counted = " UNION ALL ".join(
        f"SELECT a.project_id AS p, COUNT(*) AS n {_NEW_ROWS[t]} WHERE r.id > %s GROUP BY 1"
        for t in db_triggers.BULK_TABLES
    )
    table = db_versions.VERSION_TABLE
    return (
        f"INSERT INTO {table} (project_id, value) SELECT p, SUM(n) FROM ({counted}) "
        f"WHERE true GROUP BY p ORDER BY p "
        f"ON CONFLICT (project_id) DO UPDATE SET value = {table}.value + excluded.value"
    )


def _maintain(cursor: Any, since: tuple[int, int, int], fts: bool) -> None:
    """The triggers' work for the rows above the ids ``since`` (claims, stances, links)."""
    claims, stances, links = since
    if fts:
        cursor.execute(db_indexes.CLAIM_FTS_INDEX.add_rows_sql(" WHERE id > %s"), [claims])
    cursor.execute(db_network_counts.add_counts_sql("sqlite", "s.id > %s"), [stances])
    # By rowid: through an index (claim_live_article, for the GROUP BY's order) SQLite read
    # every live claim of the database to find the new ones.
    cursor.execute(db_overview_counts.add_counts_sql("c.id > %s", indexed=False), [claims])
    cursor.execute(versions_sql(), [claims, stances, links])


@contextmanager
def bulk_inserts() -> Iterator[None]:
    """Insert claims, stances and chain links in the block with their per-row triggers
    waiting (PostgreSQL: the stances' network counts), and do their work once at its end
    (inside another block, the block just runs)."""
    if getattr(connection, _ACTIVE, False) or connection.vendor not in ("sqlite", "postgresql"):
        yield
        return
    if connection.vendor == "postgresql":
        with _postgres_bulk():
            yield
        return
    flag = db_triggers.BULK_FLAG
    highest = ", ".join(f"(SELECT COALESCE(MAX(id), 0) FROM {t})" for t in db_triggers.BULK_TABLES)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {flag} (id) VALUES (1)")
            cursor.execute(
                f"SELECT {highest}, EXISTS (SELECT 1 FROM sqlite_master WHERE name = %s)",
                [db_indexes.CLAIM_FTS],
            )
            *since, fts = cursor.fetchone()
        with _active():
            with _page_cache():
                yield
            # The end step at the connection's own cache size: it gained nothing from the
            # wider one, whose pages (and its GROUP BYs' sorters, sized by it) were ~3.5 MB
            # of the worker's peak.
            with connection.cursor() as cursor:
                _maintain(cursor, (since[0], since[1], since[2]), bool(fts))
                cursor.execute(f"DELETE FROM {flag}")


# SQLite's page cache in a block, in KiB (the connection's own is 2 MiB by default). Each
# MiB is about a MB of the worker's peak during a 19,729-claim import (16 MiB: 47 MB of
# growth, over the 50 MB target once the probe measured from a trimmed heap; 8 MiB: ~36 MB;
# bench/RESULTS.md, bulk30).
PAGE_CACHE_KB = 8 * 1024


@contextmanager
def _page_cache() -> Iterator[None]:
    """SQLite: the connection's page cache widened to ``PAGE_CACHE_KB`` while the block's
    inserts run, then set back (before the end step). A bulk write's rows stream through
    a small cache and push out the pages of the claims' six indexes, which the next rows
    need again (each read back through the WAL: ~0.3 s of 3 s CPU for 20,000 claims;
    2 → 16 MiB took ~0.1 s off the claims' INSERTs, 8 MiB about half that). Setting it back frees
    the clean pages above the old size at once, the dirty ones when the transaction
    ends (SQLite drops unpinned pages beyond the cache's size)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(PAGE_CACHE_KB)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def _active() -> Iterator[None]:
    """The connection marked as in a block while it runs (a block inside just runs)."""
    setattr(connection, _ACTIVE, True)
    try:
        yield
    finally:
        setattr(connection, _ACTIVE, False)


# PostgreSQL: the session's tables where the INSERT triggers leave the new rows, and what
# each keeps of them.
_PG_WAITING = {
    db_triggers.PG_BULK_STANCES: ("claim_id, target_id, stance", "annotate_claimstance"),
    db_triggers.PG_BULK_CLAIMS: (db_triggers.PG_BULK_CLAIM_COLUMNS, "annotate_claim"),
}


@contextmanager
def _postgres_bulk() -> Iterator[None]:
    """PostgreSQL: the new claims' and stances' counts and versions once, at the block's
    end."""
    setting = db_triggers.PG_BULK_SETTING
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table, (columns, source) in _PG_WAITING.items():
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {table.removeprefix('pg_temp.')} ON COMMIT DROP "
                    f"AS SELECT {columns} FROM {source} WITH NO DATA"
                )
            cursor.execute("SELECT set_config(%s, 'on', true)", [setting])
        with _active():
            yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [setting])
            _maintain_postgres(cursor)
            cursor.execute(f"DROP TABLE {', '.join(_PG_WAITING)}")


def _maintain_postgres(cursor: Any) -> None:
    """The INSERT triggers' work for the rows they left in the session's tables: the
    projects' versions first (as the triggers fire: the version row is this transaction's
    first lock), then the network and overview counts."""
    cursor.execute(db_versions.pg_bulk_bump_sql())
    cursor.execute(db_network_counts.pg_bulk_add_counts_sql())
    cursor.execute(db_overview_counts.pg_bulk_add_counts_sql())
