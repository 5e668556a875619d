"""Set-based INSERTs of many new rows, without ``bulk_create``'s per-value compiling (for
a bulk write of 20,000 claims, most of its time went into building the SQL: a
``get_db_prep_save`` call and a few generator steps per cell).

- ``insert_rows`` writes plain rows (tuples, one value per named field: ids for foreign
  keys) without making model instances, and answers their new primary keys when asked;
- ``insert_many`` writes model instances as ``bulk_create`` does (no ``save()``, no
  signals) and sets their primary keys.

Values that are ``str``, ``int``, ``bool`` or ``None`` go as they are (what the fields'
conversion gives them; for a JSON field, a ``str`` is taken as its JSON text); others
(dates, dicts, decimals) through their field's own ``get_db_prep_save``.
``auto_now``/``auto_now_add`` times are one ``now`` per call, converted once
(``insert_rows`` adds them: leave them out of ``fields``).

On SQLite the rows go in two statements whatever their number (``_sqlite_rows``): one of
``SQLITE_ROWS`` rows run for each full group (``executemany``), one of one row run for each
row left; the new keys, when wanted, from ``last_insert_rowid()`` (a query more).
On PostgreSQL the rows go through one ``COPY … FROM STDIN`` (psycopg 3's
``cursor.copy()``; up to ``COPY_FROM_ROWS`` rows whose keys are wanted, one INSERT …
RETURNING): Django's client-side binding
parsed an INSERT of 2,000 rows' placeholders and quoted every value in Python, most of a
bulk write's time there. The new primary keys are taken from the table's sequence first
(one query, ``nextval`` × n) and written with the rows. The COPY is one statement, so
the statement-level triggers (``annotate.db_versions``) fire once; it is logged as a
query where Django logs queries (``connection.queries``, ``CaptureQueriesContext``).
With ``binary`` (a caller's choice: its values must be of their columns' Python types)
the COPY is in PostgreSQL's binary format, each column dumped by its type's dumper: no
escaping of the texts on either side (an article upload's 6.7 MB: the client's COPY
23 -> 9 ms CPU, the server's 47 -> 40 ms); a column of a type psycopg does not know
sends the whole COPY in text as before.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import batched, chain, islice
from typing import Any

from django.db import connections, models, router
from django.db.models.fields import DateField
from django.utils import timezone

_PLAIN = frozenset({str, int, bool, type(None)})


# PostgreSQL: N new keys of a table's serial column, in order. The sequence is looked up
# once (the MATERIALIZED CTE): written inside nextval() the catalog lookup ran for every key
# (5 ms of server CPU and 15-20 ms of wall per 2,000 keys: the claim import draws 19,729).
PG_KEYS_SQL = (
    "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
    "SELECT nextval(s.seq) FROM s, generate_series(1, %s) ORDER BY 1"
)


def _is_stamp(field: models.Field[Any, Any]) -> bool:
    return isinstance(field, DateField) and bool(field.auto_now or field.auto_now_add)


def _converted(
    row: Sequence[Any], converters: list[Callable[[Any], Any]], all_plain: Callable[[Any], bool]
) -> Sequence[Any]:
    """The row's values as the database takes them: the row itself when every value is
    plain (one C-level check of the row, not one Python step per value)."""
    if len(row) != len(converters):
        raise ValueError(f"A row of {len(row)} values for {len(converters)} fields.")
    if all_plain(map(type, row)):
        return row
    return [convert(raw) for convert, raw in zip(converters, row, strict=True)]


def _converter(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    prep = field.get_db_prep_save
    plain = _PLAIN

    def value(raw: Any) -> Any:
        return raw if type(raw) in plain else prep(raw, connection)

    return value


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    returning: bool = False,
    max_rows: int = 2000,
    now: dt.datetime | None = None,
    binary: bool = False,
) -> list[Any]:
    """INSERT ``rows`` into ``model``'s table: each a value per field of ``fields`` (by
    name; a foreign key takes the id), the model's ``auto_now``/``auto_now_add`` times
    added (``now``, by default the time of the call). The new primary keys in the order
    of the rows when ``returning`` (else []). ``binary``: PostgreSQL's COPY in binary
    (``_binary_types``), for values that are what their fields' ``get_db_prep_save``
    gives (a ``str`` for a text column only; for a JSON column, its JSON text)."""
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    stamps = [f for f in meta.concrete_fields if _is_stamp(f) and f.name not in fields]
    now = now or timezone.now()
    stamped = tuple(f.get_db_prep_save(now, connection) for f in stamps)
    all_plain = _PLAIN.issuperset
    converters = [_converter(f, connection) for f in given]  # type: ignore[arg-type]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        if returning:
            rows = list(rows)
        # A few rows with their keys (a claim made in the workspace) are one INSERT …
        # RETURNING: a COPY would take a query more, for the keys.
        if not returning or len(rows) > COPY_FROM_ROWS:  # type: ignore[arg-type]
            names = [str(f.column) for f in [*given, *stamps]]  # type: ignore[union-attr]
            types = _binary_types(connection, meta, [*given, *stamps]) if binary else None
            if types is not None:
                converters = [_binary_json(c) if f.get_internal_type() == "JSONField" else c
                              for f, c in zip(given, converters, strict=True)]  # fmt: skip
            return _copy_rows(connection, meta, names, rows, converters, stamped, returning, types)
    columns = ", ".join(quote(str(f.column)) for f in [*given, *stamps])  # type: ignore[union-attr]
    pk = meta.pk
    assert pk is not None
    width = len(given) + len(stamps)
    one = "(" + ", ".join(["%s"] * width) + ")"
    limit = connection.features.max_query_params or 60_000
    size = max(1, min(max_rows, limit // width))
    if connection.vendor == "sqlite":
        # Python's sqlite3 keeps a connection's last 128 statements prepared, with the
        # values last bound to them: a statement of 2,000 rows held megabytes (the
        # worker kept 50 MB after a claim import). Small statements, few shapes.
        size = min(size, SQLITE_ROWS)
    table = quote(meta.db_table)
    rowid = pk.db_returning and pk not in given and _rowid_key(pk)
    if connection.vendor == "sqlite" and (not returning or rowid):
        insert = f"INSERT INTO {table} ({columns}) VALUES"
        return _sqlite_rows(
            connection,
            insert,
            one,
            size,
            rows,
            converters,
            stamped,
            returning,
            quote(str(pk.column)),
        )
    tail = f" RETURNING {quote(str(pk.column))}" if returning else ""
    keys: list[Any] = []
    with connection.cursor() as cursor:
        for chunk in _statements(rows, size):
            params: list[Any] = []
            for row in chunk:
                params.extend(_converted(row, converters, all_plain))
                params.extend(stamped)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}{tail}",
                params,
            )
            if returning:
                # Both databases answer in the order of the VALUES (bulk_create relies on it).
                keys.extend(key for (key,) in cursor.fetchall())
    return keys


SQLITE_ROWS = 64
# PostgreSQL: from how many rows with ``returning`` a COPY (ids drawn first) beats an INSERT.
COPY_FROM_ROWS = 64


def _copy_rows(
    connection: Any,
    meta: Any,
    columns: list[str],
    rows: Iterable[Sequence[Any]],
    converters: list[Callable[[Any], Any]],
    stamped: tuple[Any, ...],
    returning: bool,
    types: list[str] | None = None,
) -> list[Any]:
    """PostgreSQL: the rows in one ``COPY … FROM STDIN``; with ``returning``, their new
    primary keys drawn from the sequence first (in the rows' order) and written too.
    ``types``: the columns' types (``_binary_types``) for a binary COPY, else text."""
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    plain = _PLAIN
    keys: list[Any] = []
    wanted = 0
    if returning:
        rows = list(rows)
        wanted = len(rows)
    else:  # no COPY (no statement) for no rows
        iterator = iter(rows)
        first = next(iterator, None)
        rows = chain([first], iterator) if first is not None else []
    if not rows:
        return []
    if returning:
        pk = str(meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(PG_KEYS_SQL, [meta.db_table, pk, wanted])
            keys = [key for (key,) in cursor.fetchall()]
        columns = [pk, *columns]
        if types is not None:
            types = [_pk_type(connection, meta), *types]
    sql = f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    if types is not None:
        sql += " (FORMAT BINARY)"
    began = time.monotonic()
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        if types is not None:
            copy.set_types(types)
        write = copy.write_row
        numbered = iter(keys)
        all_plain = plain.issuperset
        if types is not None and ("jsonb" in types or "json" in types):
            all_plain = _never  # a str for a JSON column is its JSON text (``_binary_json``)
        for row in rows:
            values = _converted(row, converters, all_plain)
            if returning:
                values = (next(numbered), *values, *stamped)
            elif stamped:
                values = (*values, *stamped)
            write(values)
            count += 1
    if count and connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- {count} rows", "time": f"{time.monotonic() - began:.3f}"}
        )
    return keys


def _type_name(connection: Any, field: models.Field[Any, Any]) -> str | None:
    """The PostgreSQL type psycopg knows ``field``'s column by (``varchar`` of
    ``varchar(500)``, ``timestamptz`` of ``timestamp with time zone``), or None."""
    declared = field.db_type(connection)
    if not declared:
        return None
    info = connection.connection.adapters.types.get(declared.split("(", 1)[0].strip())
    return info.name if info is not None else None


def _binary_types(connection: Any, meta: Any, fields: list[Any]) -> list[str] | None:
    """The types of the columns of ``fields`` for a binary COPY, or None when psycopg
    knows one of them not (an array, a range: then the COPY goes in text)."""
    connection.ensure_connection()
    names = [_type_name(connection, field) for field in fields]
    return None if None in names else names  # type: ignore[return-value]


def _pk_type(connection: Any, meta: Any) -> str:
    found = _type_name(connection, meta.pk)
    return found or "int8"


def _binary_json(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON column's converter for a binary COPY: a ``str`` is the value's JSON text
    (the text COPY sends it so), not a JSON string to encode."""
    from psycopg.types.json import Jsonb  # PostgreSQL only: loaded when a COPY needs it

    def value(raw: Any) -> Any:
        return Jsonb(raw, dumps=_as_is) if type(raw) is str else convert(raw)

    return value


def _as_is(text: str) -> str:
    return text


def _never(types: Any) -> bool:
    return False


def _rowid_key(pk: Any) -> bool:
    """Whether ``pk`` is SQLite's rowid (an integer primary key the database numbers)."""
    return isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)


def _sqlite_rows(
    connection: Any,
    insert: str,
    one: str,
    size: int,
    rows: Iterable[Sequence[Any]],
    converters: list[Callable[[Any], Any]],
    stamped: tuple[Any, ...],
    returning: bool,
    pk_column: str,
) -> list[Any]:
    """SQLite: fewer than ``size`` rows (a claim made in the workspace, a small batch) in
    one INSERT of them all (``RETURNING`` their keys when asked); more in two statements
    whatever their number: an INSERT of ``size`` rows run by ``executemany`` for every full
    group (a statement prepared once, logged as one query), then one INSERT of the rows
    left, or, when none is left and the keys are asked, ``last_insert_rowid()``.
    Multi-row statements: SQLite steps through a statement's rows faster than it re-binds
    one row's (``executemany`` of one row per run took ~10 % more CPU over a 19,729-claim
    import). The statement cache keeps the values last bound: a group's, not a batch's.
    The full groups' keys follow from the keys after them: the transaction holds SQLite's
    one write lock (``transaction_mode`` IMMEDIATE) and nothing else inserts into the table
    meanwhile, so the rows got consecutive rowids, each past the table's highest
    (AUTOINCREMENT: past the highest ever used)."""
    iterator = iter(rows)
    head = list(islice(iterator, size))
    if not head:  # no statement for no rows
        return []
    all_plain = _PLAIN.issuperset
    tail = f" RETURNING {pk_column}" if returning else ""

    def values(chunk: Sequence[Sequence[Any]]) -> list[Any]:
        params: list[Any] = []
        for row in chunk:
            params.extend(_converted(row, converters, all_plain))
            params.extend(stamped)
        return params

    def in_one(chunk: Sequence[Sequence[Any]]) -> list[Any]:
        cursor.execute(f"{insert} {', '.join([one] * len(chunk))}{tail}", values(chunk))
        return [key for (key,) in cursor.fetchall()] if returning else []

    with connection.cursor() as cursor:
        if len(head) < size:
            return in_one(head)
        count = 0
        rest: list[Sequence[Any]] = []

        def groups() -> Iterator[list[Any]]:
            nonlocal count
            for group in batched(chain(head, iterator), size):
                if len(group) < size:
                    rest.extend(group)
                    return
                count += size
                yield values(group)

        cursor.executemany(f"{insert} {', '.join([one] * size)}", groups())
        if rest:
            keys = in_one(rest)
            if not returning:
                return []
            return list(range(keys[0] - count, keys[0])) + keys
        if not returning:
            return []
        cursor.execute("SELECT last_insert_rowid()")
        (last,) = cursor.fetchone()
    return list(range(last - count + 1, last + 1))


def _statements(rows: Iterable[Sequence[Any]], size: int) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows in statements of ``size`` rows; the last few in statements of a power of
    two rows each (a handful of statement shapes, whatever the number of rows)."""
    for chunk in batched(rows, size):
        at = 0
        while at < len(chunk):
            n = size if len(chunk) == size else 1 << ((len(chunk) - at).bit_length() - 1)
            yield chunk[at : at + n]
            at += n


def insert_many(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    max_rows: int = 2000,
    binary: bool = False,
    columns: dict[str, Sequence[Any]] | None = None,
) -> None:
    """INSERT ``objs`` (new instances of ``model``, their automatic primary key unset) and
    set their primary keys; their ``auto_now``/``auto_now_add`` times become one now.
    ``binary``: see ``insert_rows``. ``columns``: the values written for some fields (by
    attribute name, one per object) in place of the objects' own, which stay as they
    are: a JSON field's JSON text already made, say (a ``str``, see ``insert_rows``)."""
    if not objs:
        return
    alias = router.db_for_write(model)
    meta = model._meta
    fields = [
        f
        for f in meta.concrete_fields
        if not (f.primary_key and f.db_returning) and not f.generated and not _is_stamp(f)
    ]
    attnames = [f.attname for f in fields]
    stamps = [f.attname for f in meta.concrete_fields if _is_stamp(f)]
    rows = []
    for obj in objs:
        values = obj.__dict__
        rows.append([values[name] for name in attnames])
    for name, given in (columns or {}).items():
        at = attnames.index(name)
        for row, value in zip(rows, given, strict=True):
            row[at] = value
    now = timezone.now()
    names = [f.name for f in fields]
    keys = insert_rows(
        model, names, rows, returning=True, max_rows=max_rows, now=now, binary=binary
    )
    pk = meta.pk
    assert pk is not None
    for obj, key in zip(objs, keys, strict=True):
        values = obj.__dict__
        values[pk.attname] = key
        for name in stamps:
            values[name] = now
        obj._state.adding = False
        obj._state.db = alias
