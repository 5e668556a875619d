"""The counts the database keeps for the analysis pages — the networks' and stance map's
(``annotate.db_network_counts``) and the corpus overview's (``annotate.db_overview_counts``)
— checked against a full recount, and rebuilt from it (``manage.py recount``).

Triggers keep both tables equal to a recount whatever writes the claims, so a difference
means something went around them: a write while the triggers were dropped (a failed
migration on SQLite, a hand-made table copy), a restore of a dump taken with
``--disable-triggers``, or old code on a newer schema during a rolling deploy (the bulk
import's end step of a release before annotate 0025 leaves out the "all annotators" layer,
one before 0028 that layer's year and month rows).

``drift`` counts the keys whose kept value differs from the recount (a kept row whose count
is 0 counts as absent: the triggers leave those behind and the readers skip them).
``rebuild`` replaces a table's rows with the recount in one transaction, after locking the
table against the triggers' writes, so a claim written meanwhile waits and is counted once:
either in the recount (committed before the lock was granted) or by its trigger (after the
rebuild commits). Claim writes of every project wait while it runs — 74 s for the network
counts at the xlarge bench (2.1 M claims), ~1 s at 70,000 claims.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from annotate import db_network_counts, db_overview_counts


@dataclass(frozen=True)
class Kept:
    name: str  # as the command names it
    table: str
    key: str  # the key's columns
    values: str  # the counted columns

    def recount_sql(self) -> str:
        if self.name == "network":
            return db_network_counts.recount_sql(connection.vendor)
        return db_overview_counts.recount_sql()

    @property
    def order(self) -> str:
        # The network counts go in the order the migration writes them (a layer's
        # whole-project rows together); the overview's in its key's.
        return "ORDER BY 1, 3, 2, 4, 5, 6" if self.name == "network" else "ORDER BY 1, 2, 3, 4, 5"


KEPT = {
    "network": Kept("network", db_network_counts.COUNT_TABLE, db_network_counts.KEY, "n"),
    "overview": Kept(
        "overview", db_overview_counts.COUNT_TABLE, db_overview_counts.KEY, "n, unsourced"
    ),
}


@dataclass(frozen=True)
class Drift:
    kept: Kept
    wrong: int  # kept rows whose key the recount lacks or counts differently
    missing: int  # recounted rows the table lacks or counts differently

    @property
    def ok(self) -> bool:
        return not (self.wrong or self.missing)


def drift(kept: Kept) -> Drift:
    """How far ``kept``'s rows are from a recount (two queries, nothing written)."""
    rows = f"SELECT {kept.key}, {kept.values} FROM {kept.table} WHERE n <> 0"
    recounted = kept.recount_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({rows} EXCEPT {recounted}) d")
        wrong = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM ({recounted} EXCEPT {rows}) d")
        missing = cursor.fetchone()[0]
    return Drift(kept, wrong, missing)


def rebuild(kept: Kept) -> int:
    """Replace ``kept``'s rows with a recount; how many rows it now holds."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Blocks the triggers' upserts (ROW EXCLUSIVE) until the rebuild commits, and
            # waits for the transactions that already wrote counts to finish first.
            cursor.execute(f"LOCK TABLE {kept.table} IN SHARE ROW EXCLUSIVE MODE")
        # SQLite: the DELETE takes the database's one write lock for the transaction.
        cursor.execute(f"DELETE FROM {kept.table}")
        cursor.execute(
            f"INSERT INTO {kept.table} ({kept.key}, {kept.values}) "
            f"{kept.recount_sql()} {kept.order}"
        )
        written = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {kept.table}")
    return written
