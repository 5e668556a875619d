"""Flat exports, one row per claim: CSV (for spreadsheets) and Parquet (typed, for
pandas, ``datasets`` and Arrow tools).

Both have the columns of ``rows.COLUMNS`` with lists flattened for CSV, then one column
per stance target (``stance: <target name>``), then the provenance columns
``exported_at``, ``tool_version`` and (CSV) ``filters``. Parquet also carries the whole
provenance manifest as JSON in the file's key-value metadata under ``claimdesk``.

CSV is RFC 4180: comma-separated, CRLF between records, fields quoted when they hold a
comma, a quote or a line break (line breaks inside quotes stay as they are), UTF-8 with
an optional byte-order mark so that Excel reads the text right.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from annotate.exports.rows import (
    COLUMNS,
    ByteSink,
    ExportOptions,
    claim_rows,
    json_default,
    manifest,
    project_targets,
)
from corpus.models import Project

FLUSH_BYTES = 256 * 1024
ROW_GROUP = 20_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def stance_column(target: str) -> str:
    return f"stance: {target}"


def _flat(row: dict[str, Any], targets: list[str]) -> dict[str, Any]:
    by_target = {s["target"]: s["stance"] for s in row["stances"]}
    for target in targets:
        row[stance_column(target)] = by_target.get(target)
    return row


# --- CSV ------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        if value and isinstance(value[0], dict):  # stances
            return "; ".join(f"{s['target']}: {s['stance']}" for s in value)
        return " | ".join(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def stream_csv(
    project: Project, options: ExportOptions, *, on_chunk: Any = None
) -> Iterator[bytes]:
    """The CSV export as UTF-8 bytes (with a BOM first if ``options.bom``)."""
    info = manifest(project, options, "csv")
    targets = project_targets(project)
    header = [*COLUMNS, *(stance_column(t) for t in targets), "exported_at", "tool_version"]
    header.append("filters")
    constant = [info["exported_at"], info["tool_version"], json.dumps(info["filters"])]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    first = True
    for row in claim_rows(project, options, on_chunk=on_chunk):
        flat = _flat(row, targets)
        writer.writerow([_cell(flat[name]) for name in header[: -len(constant)]] + constant)
        if buffer.tell() >= FLUSH_BYTES:
            yield _encode(buffer, options.bom and first)
            first = False
    yield _encode(buffer, options.bom and first)


def _encode(buffer: io.StringIO, bom: bool) -> bytes:
    data = buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


# --- Parquet --------------------------------------------------------------------------

_TYPES: dict[str, pa.DataType] = {
    "claim_id": pa.int64(),
    "article_id": pa.int64(),
    "article_published": pa.date32(),
    "start": pa.int64(),
    "end": pa.int64(),
    "source_id": pa.int64(),
    "source_aliases": pa.list_(pa.string()),
    "mention_start": pa.int64(),
    "mention_end": pa.int64(),
    "stances": pa.list_(pa.struct([("target", pa.string()), ("stance", pa.string())])),
    "version": pa.int64(),
    "created": pa.timestamp("us", tz="UTC"),
    "updated": pa.timestamp("us", tz="UTC"),
    "scheme_version": pa.int64(),
}


def parquet_schema(targets: list[str], info: dict[str, Any]) -> pa.Schema:
    fields = [pa.field(name, _TYPES.get(name, pa.string())) for name in COLUMNS]
    fields += [pa.field(stance_column(t), pa.string()) for t in targets]
    fields += [
        pa.field("exported_at", pa.timestamp("us", tz="UTC")),
        pa.field("tool_version", pa.string()),
    ]
    metadata = {"claimdesk": json.dumps(info, ensure_ascii=False, default=json_default)}
    return pa.schema(fields, metadata=metadata)


def stream_parquet(
    project: Project, options: ExportOptions, *, on_chunk: Any = None, row_group: int = ROW_GROUP
) -> Iterator[bytes]:
    """The Parquet export, written a row group at a time and sent as each is done."""
    info = manifest(project, options, "parquet")
    targets = project_targets(project)
    schema = parquet_schema(targets, info)
    exported_at = dt.datetime.fromisoformat(info["exported_at"])
    sink = ByteSink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    batch: list[dict[str, Any]] = []
    written = 0

    def flush() -> None:
        nonlocal written
        # Column by column: much faster than ``from_pylist``, which goes row by row.
        columns = {}
        for f in schema:
            values = [row[f.name] for row in batch]
            if pa.types.is_timestamp(f.type):
                # As microseconds: pyarrow converts aware datetimes through pandas, slowly.
                values = [None if v is None else (v - _EPOCH) // _MICROSECOND for v in values]
            columns[f.name] = pa.array(values, type=f.type)
        table = pa.Table.from_pydict(columns, schema=schema)
        writer.write_table(table, row_group_size=row_group)
        written += len(batch)
        batch.clear()

    for row in claim_rows(project, options, on_chunk=on_chunk):
        flat = _flat(row, targets)
        flat["exported_at"] = exported_at
        flat["tool_version"] = info["tool_version"]
        batch.append(flat)
        if len(batch) >= row_group:
            flush()
            yield sink.drain()
    if batch or not written:
        flush()
    writer.close()
    yield sink.drain()
