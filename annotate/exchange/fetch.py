"""Reading many rows fast: the SQL the ORM writes, run straight on the cursor.

The ORM's row handling (a converter call per value, a model or dict per row) would be
most of an export's time, so the exports compile their querysets to SQL once and read
the cursor themselves. What this module gives them:

* ``fetch_rows``: a query's rows in batches, each with the result of the queries it
  needs, from a server-side cursor on PostgreSQL — read ahead by a thread with a
  connection of its own when the caller is not inside a transaction (``prefetched``;
  on PostgreSQL streamed instead, the batches' queries on a third connection in the
  same snapshot: ``_streaming``),
  so that the database computes the next rows while Python formats the current ones
  (SQLite too: its module lets go of the GIL while SQLite steps through the rows) — and
  without PostgreSQL's JIT compiler (``no_jit``);
* ``IsoText`` and ``isoformat_column``: timestamps as the text of ``datetime.isoformat()``
  without making datetimes;
* ``StancePairs``: a claim's stances as one JSON text in its row;
* ``IdsQuery``: a query by ids (a chunk's articles) written once and run per chunk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import re
import threading
from collections.abc import Callable, Collection, Generator, Iterator, Sequence
from typing import Any

from django.db import DatabaseError, NotSupportedError, connections, transaction
from django.db.models import Aggregate, Func, QuerySet, TextField


class IsoText(Func):
    """A timestamp as text that turns into ``datetime.isoformat()`` with string
    operations (``isoformat_column``): SQLite's stored text (``YYYY-MM-DD HH:MM:SS[.ffffff]``,
    UTC), or PostgreSQL's ``to_char`` in UTC with six digits of microseconds. Building
    datetimes only to print them again was a fifth of the export's time (on PostgreSQL,
    psycopg's time-zone-aware loader alone took 0.9 s for 140,000 values)."""

    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS text)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        return self.as_sql(compiler, connection, template=template, **extra)


class IsoFormat(Func):
    """A timestamp as the text ``datetime.isoformat()`` writes for it in UTC
    (``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00``, the microseconds left out when they are
    zero), written by PostgreSQL (``to_char``; ``.000000`` can only be the end of its
    text): Python takes the column as it comes. ``isoformat_column``'s regular
    expression and replaces over ``IsoText``'s were a third of the export's main thread
    CPU left on PostgreSQL (exp30 in bench/RESULTS.md)."""

    output_field = TextField()

    def as_sql(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSupportedError("IsoFormat is written for PostgreSQL only.")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            "(replace(to_char(%(expressions)s AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || '+00:00')"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


class StancePairs(Aggregate):
    """A claim's stances as JSON text, ``[[target id, stance], …]`` in no particular
    order and with no fixed spacing (``rows_chunks._StanceKeys`` parses it and puts them
    in the targets' order): read with the claim's row,
    which costs the database less than a query per chunk for them costs both sides.
    Without the targets: joining them in took PostgreSQL 0.3 s (a hash per claim).
    Measured again (medium, 70,180 claims, one process A/B): one grouped query per
    2,000 claims by their ids was no faster on SQLite (0.37 → 0.42 s CPU for the SQL)
    and slower on PostgreSQL (1.76 → 1.99 s wall); see bench/RESULTS.md, issue 21."""

    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "json_group_array(json_array(%(expressions)s))"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The JSON text put together with string_agg (the stance through to_json, which
        # escapes it as JSON does): the same pairs as json_agg(json_build_array(…)) but
        # for the spaces, for about a third less of the subquery's server CPU (medium,
        # the claims' cursor: 0.55 → 0.47 s, the subquery ~0.22 s of it; exp26 in
        # bench/RESULTS.md).
        sqls, params = [], []
        for expression in self.source_expressions:  # the two arguments (not filter, order)
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        if len(sqls) != 2 or self.filter or getattr(self, "order_by", None):  # pragma: no cover
            raise TypeError("StancePairs takes a target id and a stance, nothing else")
        target, stance = sqls
        pair = f"'[' || {target} || ',' || CAST(to_json({stance}) AS text) || ']'"
        return f"('[' || string_agg({pair}, ',') || ']')", params


# Whole columns of what IsoText gives, one per line, checked with one regular expression.
_ISO_TEXTS = re.compile(r"(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{6})?\n)*")


def isoformat_column(values: Sequence[Any], tz: Any) -> list[str]:
    """Timestamps as ``datetime.isoformat()`` writes them: from the text ``IsoText``
    selects (in UTC), by string operations on the whole column when it has the expected
    shape; otherwise (or from datetimes) value by value."""
    if all(isinstance(v, str) for v in values[:1]):
        joined = "\n".join(values) + "\n" if values else ""
        if _ISO_TEXTS.fullmatch(joined) and joined.count("\n") == len(values):
            # isoformat leaves out zero microseconds and writes UTC as +00:00.
            out = joined.replace(" ", "T").replace(".000000\n", "\n").replace("\n", "+00:00\n")
            return out.split("\n")[:-1]
    return [_aware(v, tz).isoformat() for v in values]


def _aware(value: Any, tz: Any) -> dt.datetime:
    """An aware datetime, as the ORM gives it (SQLite hands back naive ones, or text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


Batch = list[tuple[Any, ...]]


def fetch_rows(
    alias: str,
    sql: str,
    params: Any,
    size: int,
    then: Callable[[Batch], Any],
    *,
    snapshot: SqliteSnapshot | None = None,
) -> Generator[tuple[Batch, Any]]:
    """The rows of ``sql``, ``size`` at a time, each batch with what ``then(batch)``
    (run on a connection in the rows' snapshot: the queries a batch needs, such as its
    articles) made of it. From a server-side cursor on PostgreSQL, read ahead by a
    thread of its own when it can be (``prefetched``: then streamed on PostgreSQL; on
    SQLite as well, where the query and the rows' tuples, about half of a JSON Lines
    export's CPU, then run beside the formatting on a second core); otherwise stepped
    through as they are read. ``snapshot``: the SQLite readers this one shares a
    snapshot with (``SqliteSnapshot``)."""
    db = connections[alias]
    if db.vendor in ("postgresql", "sqlite") and not db.in_atomic_block:
        yield from prefetched(alias, sql, params, size, then, snapshot=snapshot)
        return
    if snapshot is not None:
        snapshot.began()  # read in the caller's transaction: its snapshot is the caller's
    with db.chunked_cursor() as cursor:
        with no_jit(db):
            cursor.execute(sql, params)
        while batch := cursor.fetchmany(size):
            yield batch, then(batch)


@contextlib.contextmanager
def no_jit(db: Any) -> Iterator[None]:
    """PostgreSQL without its JIT compiler while the claims' query is planned. The
    query's estimated cost (the subqueries run per claim) passes the JIT's thresholds,
    and compiling it took 1.1–1.7 s for a query that runs in 0.5 s; a server-side
    cursor's plan is made when it is declared, so the setting goes back right after."""
    if db.vendor != "postgresql":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        # After a failure inside a transaction this can't run, but the rollback undoes the SET.
        with contextlib.suppress(DatabaseError), db.cursor() as cursor:
            cursor.execute("RESET jit")


class SqliteSnapshot:
    """Several SQLite readers (``prefetched``'s threads, each with a connection of its
    own) in one snapshot, and the caller's reads between ``with`` and their start too.

    A SQLite reader's snapshot is taken by its transaction's first read, so readers that
    start one after the other may see different data: a write committed between two of
    them would be in one half of an export and not in the other. Inside ``with``, a
    connection of this object's own holds the write lock (``BEGIN IMMEDIATE``: it waits
    out a writer, then lets readers in and no writer) until ``readers`` readers have said
    they ``began`` (or the ``with`` ends: a caller that stops early), so every write
    commits before all of them or after all of them. Writers wait that long — the first
    batch of each reader, milliseconds — not while the rows are read."""

    def __init__(self, alias: str, readers: int) -> None:
        self.alias = alias
        self.waiting = readers
        self.lock = threading.Lock()
        self.guard: Any = None

    def __enter__(self) -> SqliteSnapshot:
        db = connections[self.alias]
        guard = db.get_new_connection(db.get_connection_params())
        guard.isolation_level = None  # the BEGIN below is its only transaction
        try:
            guard.execute("BEGIN IMMEDIATE")
        except BaseException:
            guard.close()
            raise
        self.guard = guard
        if self.waiting <= 0:
            self.release()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def began(self) -> None:
        """One reader's snapshot is taken (or it failed before): the lock goes once the
        last one has said so."""
        with self.lock:
            self.waiting -= 1
            last = self.waiting == 0
        if last:
            self.release()

    def release(self) -> None:
        with self.lock:
            guard, self.guard = self.guard, None
        if guard is not None:
            try:
                with contextlib.suppress(Exception):
                    guard.execute("ROLLBACK")
            finally:
                guard.close()


_DONE = object()


def prefetched(
    alias: str,
    sql: str,
    params: Any,
    size: int,
    then: Callable[[Batch], Any],
    *,
    snapshot: SqliteSnapshot | None = None,
) -> Generator[tuple[Batch, Any]]:
    """``fetch_rows`` by a thread with a connection of its own, a batch or two ahead of
    the caller: PostgreSQL works out the next rows (the per-claim subqueries, the
    output) and ``then``'s queries on the other core while this one formats the current
    ones, so the export takes about the longer of the two instead of their sum (JSON
    Lines of 70,000 claims: 1.4 s → 1.0 s on two idle cores). The cursor is in a
    transaction of the thread's own and without ``WITH HOLD``, which would run the whole
    query before the first row; the plan PostgreSQL makes for a cursor leaves the
    subqueries to each fetch. Not from inside a transaction (the other connection would
    not see its writes): ``fetch_rows`` reads in the caller's there. ``snapshot``: on
    SQLite, told once this reader's snapshot is taken (its query's first step), or once
    it failed before."""
    batches: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item: Any) -> None:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                batches.put(item, timeout=0.05)
                return

    def fetch() -> None:
        db = connections[alias]  # this thread's own connection
        told = False  # whether ``snapshot`` was told this reader began
        try:
            if db.vendor == "sqlite":
                # A reader's snapshot, not the write lock: the settings' IMMEDIATE would
                # have made every writer (a background export's own progress, in the
                # database cache) wait out the busy timeout, 20 s, while the rows were read.
                db.ensure_connection()
                db.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
            with transaction.atomic(using=alias):
                if db.vendor == "postgresql":
                    with db.cursor() as cursor:
                        cursor.execute("SET LOCAL jit = off")  # see no_jit
                with db.chunked_cursor() as cursor:
                    cursor.execute(sql, params)
                    if snapshot is not None:
                        told = True
                        snapshot.began()  # (sqlite3 steps to the first row in execute)
                    while not stop.is_set() and (batch := cursor.fetchmany(size)):
                        put((batch, then(batch)))
            put(_DONE)
        except BaseException as exc:  # handed to the caller, raised there
            put(exc)
        finally:
            if snapshot is not None and not told:
                snapshot.began()  # (a reader that failed first does not hold the others)
            db.close()

    if connections[alias].vendor == "postgresql" and STREAMED:
        threads = _streaming(alias, sql, params, size, then, put, stop)
    else:
        threads = [threading.Thread(target=fetch, name="claimdesk-export-rows", daemon=True)]
    for thread in threads:
        thread.start()
    try:
        while (item := batches.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join()


# PostgreSQL: the rows streamed (``_streaming``) rather than fetched from a cursor.
STREAMED = True


def _streaming(
    alias: str,
    sql: str,
    params: Any,
    size: int,
    then: Callable[[Batch], Any],
    put: Callable[[Any], None],
    stop: threading.Event,
) -> list[threading.Thread]:
    """``prefetched``'s threads on PostgreSQL: one reads the rows as the server sends
    them, as it makes them (libpq's chunked mode, ``Cursor.stream``), where a cursor's
    ``FETCH`` left the server idle while this side read each batch and the server's
    next batch waited for it: the server's work runs beside the reading (the rows of
    the claims' query alone: 3.46 → 2.54 s wall, medium, load 12; exp30 in
    bench/RESULTS.md). The connection is busy until the last row, so ``then`` runs on a
    second thread, with a connection of its own in the first one's snapshot
    (``pg_export_snapshot``; both transactions repeatable read, read only): the same
    data as one connection's. The first streams as soon as its snapshot is exported and
    keeps its transaction open until the second has imported it; the second connects
    meanwhile (before, the query waited for both: a connection's set-up and a round trip
    before the first row). Batches reach ``put`` in order, with ``then``'s result,
    then ``_DONE`` or the first failure."""
    from psycopg import pq  # PostgreSQL's driver, imported only for PostgreSQL

    rows: queue.Queue[Any] = queue.Queue(maxsize=2)
    snapshot: list[str] = []
    exported = threading.Event()  # or the first thread failed before (no snapshot)
    imported = threading.Event()
    failed = threading.Event()  # the second thread stopped: the first stops too

    def hand(item: Any) -> bool:
        while not stop.is_set() and not failed.is_set():
            with contextlib.suppress(queue.Full):
                rows.put(item, timeout=0.05)
                return True
        return False

    def read() -> None:
        db = connections[alias]  # this thread's own connection
        try:
            with transaction.atomic(using=alias):
                with db.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cursor.execute("SET LOCAL jit = off")  # see no_jit
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot.append(cursor.fetchone()[0])
                exported.set()
                # The rows streamed at once, the snapshot imported meanwhile (it lives as
                # long as this transaction: the transaction waits for the import below).
                batch: Batch = []
                # psycopg's own cursor (its errors as Django's, as a Django cursor gives them).
                with db.wrap_database_errors, db.connection.cursor() as cursor:
                    # Rows in batches of ``size`` from libpq 17 on, else one at a time.
                    chunked = size if pq.version() >= 170000 else 1
                    stream = cursor.stream(sql, params, size=chunked)
                    try:
                        for row in stream:
                            batch.append(row)
                            if len(batch) == size:
                                if not hand(batch):
                                    return
                                batch = []
                    finally:
                        stream.close()  # an export left halfway: the query cancelled
                if batch and not hand(batch):
                    return
                while not imported.wait(0.05):
                    if stop.is_set() or failed.is_set():
                        return
            hand(_DONE)
        except BaseException as exc:  # handed on to the caller, raised there
            hand(exc)
        finally:
            exported.set()
            db.close()

    def forward() -> None:
        while not stop.is_set():
            with contextlib.suppress(queue.Empty):
                item = rows.get(timeout=0.05)
                if item is _DONE or isinstance(item, BaseException):
                    put(item)
                    return
                put((item, then(item)))

    def then_in_snapshot() -> None:
        db = connections[alias]  # this thread's own connection
        try:
            # Connected while the first thread connects and exports its snapshot.
            db.ensure_connection()
            while not exported.wait(0.05):
                if stop.is_set():
                    return
            if not snapshot:  # the first thread failed: its failure is on its way
                forward()
                return
            with transaction.atomic(using=alias):
                with db.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", snapshot)
                imported.set()
                forward()
        except BaseException as exc:  # handed to the caller, raised there
            failed.set()
            put(exc)
        finally:
            db.close()

    return [
        threading.Thread(target=read, name="claimdesk-export-rows", daemon=True),
        threading.Thread(target=then_in_snapshot, name="claimdesk-export-rows", daemon=True),
    ]


class IdsQuery:
    """Rows of many ids (a chunk's), from ``queryset.filter(<field>__in=[0])`` compiled
    once and then run with each chunk's ids: building the queryset again for each chunk
    cost more than the query. On PostgreSQL the ids go as one array (``= ANY(%s)``): an
    ``IN`` list of 2,000 parameters took longer to plan than to run."""

    def __init__(self, queryset: QuerySet[Any], field: str) -> None:
        queryset = queryset.filter(**{f"{field}__in": [0]})
        self.alias = queryset.db
        sql, params = queryset.query.get_compiler(using=self.alias).as_sql()
        head, marker, tail = sql.partition("IN (%s)")
        if not marker or "%s" in head + tail or list(params) != [0]:  # pragma: no cover
            raise RuntimeError(f"Unexpected SQL for a query by ids: {sql}")
        self.head, self.tail = head, tail

    def __call__(self, ids: Collection[int]) -> list[tuple[Any, ...]]:
        """The rows, on this thread's connection."""
        db = connections[self.alias]
        params: list[Any] = list(ids)
        if db.vendor == "postgresql":
            sql, params = f"{self.head}= ANY(%s){self.tail}", [params]
        else:
            sql = f"{self.head}IN ({', '.join(['%s'] * len(params))}){self.tail}"
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
