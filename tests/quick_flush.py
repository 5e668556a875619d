"""The flush after a transactional test, quicker on PostgreSQL and complete on both
databases (tests only).

After a test marked ``django_db(transaction=True)`` (every browser test, through
``live_server``), Django empties the database. On PostgreSQL it does so with one
``TRUNCATE`` of every table, which gives each table and each of its indexes a new file
whether it held rows or not: ~0.4 s for the 36 tables here, most of them empty after a
test, where deleting the rows of the few tables a test wrote takes ~0.05 s (measured on a
loaded 2-core machine). ``install()`` makes the PostgreSQL backend's ``sql_flush`` answer
``DELETE FROM`` each table that holds a row (one query finds them). Django's foreign keys
are deferred: they are checked at the end of the flush's transaction, when every row is
gone. A flush that resets sequences (``reset_sequences=True``) or cascades keeps the
TRUNCATE.

Deletes fire the triggers of the projects' version counters (``annotate.db_versions``),
which write ``annotate_projectversion``, and of the networks' and the overview's counts
(``annotate.db_network_counts``, ``annotate.db_overview_counts``): on both databases those
tables are emptied last (SQLite's flush is a DELETE per table already, and left a counter
row behind when a versioned table came after it). ``tests/test_quick_flush.py`` checks that a flush
empties every table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotate.db_network_counts import COUNT_TABLE
from annotate.db_overview_counts import COUNT_TABLE as OVERVIEW_TABLE
from annotate.db_versions import VERSION_TABLE

# Written by triggers as the other tables are emptied: last, in this order.
LAST = (COUNT_TABLE, OVERVIEW_TABLE, VERSION_TABLE)


def _version_table_last(tables: Sequence[str]) -> list[str]:
    return [t for t in tables if t not in LAST] + [t for t in LAST if t in tables]


def _postgres_sql_flush(
    self: Any,
    style: Any,
    tables: Sequence[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    if reset_sequences or allow_cascade or not tables:
        return list(
            _ORIGINAL["postgresql"](
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        )
    tables = _version_table_last(list(tables))
    quoted = [self.quote_name(table) for table in tables]
    probe = " UNION ALL ".join(
        f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {name})" for i, name in enumerate(quoted)
    )
    with self.connection.cursor() as cursor:
        cursor.execute(probe)
        filled = {i for (i,) in cursor.fetchall()}
    # The version and count tables even when empty now: the other deletes write them.
    return [
        f"DELETE FROM {name};"
        for i, (table, name) in enumerate(zip(tables, quoted, strict=True))
        if i in filled or table in LAST
    ]


def _sqlite_sql_flush(
    self: Any,
    style: Any,
    tables: Sequence[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    return list(
        _ORIGINAL["sqlite"](
            self,
            style,
            _version_table_last(list(tables)),
            reset_sequences=reset_sequences,
            allow_cascade=allow_cascade,
        )
    )


_ORIGINAL: dict[str, Any] = {}


def install() -> None:
    """Patch both backends' ``sql_flush`` for this (test) process, once."""
    if _ORIGINAL:
        return
    import django.db.backends.sqlite3.base  # noqa: F401 - first (its operations import it)
    from django.db.backends.postgresql.operations import DatabaseOperations as Postgres
    from django.db.backends.sqlite3.operations import DatabaseOperations as Sqlite

    _ORIGINAL["postgresql"] = Postgres.sql_flush
    _ORIGINAL["sqlite"] = Sqlite.sql_flush
    Postgres.sql_flush = _postgres_sql_flush  # type: ignore[method-assign]
    Sqlite.sql_flush = _sqlite_sql_flush  # type: ignore[method-assign]
