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

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from annotate.exports.rows import (
    COLUMNS,
    ByteSink,
    Chunk,
    ExportOptions,
    claim_chunks,
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


def _stance_columns(chunk: Chunk, targets: list[str], missing: Any) -> list[list[Any]]:
    """One column per target: the claim's stance toward it, or ``missing``."""
    by_target = [{s["target"]: s["stance"] for s in row} for row in chunk.columns["stances"]]
    return [[stances.get(t, missing) for stances in by_target] for t in targets]


# --- CSV ------------------------------------------------------------------------------


# Cells that need quotes (RFC 4180, and what ``csv.writer`` quotes with QUOTE_MINIMAL and
# a CRLF line terminator): those holding a comma, a double quote or a line break.
_SPECIAL = re.compile('[,"\r\n]')
_NUMBERS = frozenset({"claim_id", "article_id", "start", "end", "version"})
# Text that is never empty, as stored.
_TEXTS = frozenset(
    {
        "article_title",
        "article_outlet",
        "article_byline",
        "article_url",
        "article_language",
        "article_sha256",
        "layer",
        "quote",
        "prefix",
        "suffix",
        "attribution",
        "source_reliability",
        "information_credibility",
        "claim_type",
        "checkworthy",
        "note",
        "status",
    }
)


def _quoted(cells: list[str]) -> list[str]:
    # One search over the whole column first: most columns need no quotes at all.
    if _SPECIAL.search("\0".join(cells)) is None:
        return cells
    search = _SPECIAL.search
    return ['"' + c.replace('"', '""') + '"' if search(c) else c for c in cells]


def _cell(value: Any) -> str:
    """Any value as csv.writer writes it (before quoting)."""
    if value is None:
        return ""
    if isinstance(value, list):
        if value and isinstance(value[0], dict):  # stances
            return "; ".join(f"{s['target']}: {s['stance']}" for s in value)
        return " | ".join(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float):
        return repr(value)
    return str(value)


_NULLABLE_TEXTS = frozenset(
    {
        "split",
        "annotator",
        "source_name",
        "source_kind",
        "source_external_id",
        "mention_text",
        "decision",
    }
)
_NULLABLE_NUMBERS = frozenset({"source_id", "mention_start", "mention_end"})


def _csv_column(name: str, values: list[Any]) -> list[str]:
    """A column as CSV cells: empty for None, lists joined, dates in ISO 8601, quoted
    where needed."""
    if name in _NUMBERS:
        return list(map(str, values))
    if name in _TEXTS:
        return _quoted(values)
    if name in _NULLABLE_TEXTS:
        return _quoted(["" if v is None else v for v in values])
    if name in _NULLABLE_NUMBERS:
        return ["" if v is None else str(v) for v in values]
    if name == "source_aliases":
        return _quoted([" | ".join(v) for v in values])
    if name == "stances":
        return _quoted(["; ".join(f"{s['target']}: {s['stance']}" for s in v) for v in values])
    if name in {"created", "updated"}:
        return [v.isoformat() for v in values]
    if name == "scheme_version" and values.count(values[0]) == len(values):
        return [_quoted([_cell(values[0])])[0]] * len(values)
    return _quoted([_cell(v) for v in values])


def _csv_line(cells: list[Any]) -> str:
    return ",".join(_quoted([_cell(c) for c in cells])) + "\r\n"


def stream_csv(
    project: Project, options: ExportOptions, *, on_chunk: Any = None
) -> Iterator[bytes]:
    """The CSV export as UTF-8 bytes (with a BOM first if ``options.bom``)."""
    info = manifest(project, options, "csv")
    targets = project_targets(project)
    header = [*COLUMNS, *(stance_column(t) for t in targets), "exported_at", "tool_version"]
    header.append("filters")
    constant = _quoted([info["exported_at"], info["tool_version"], json.dumps(info["filters"])])
    parts = [_csv_line(header)]
    size = 0
    first = True
    for chunk in claim_chunks(project, options):
        n = len(chunk)
        # Column by column, then the rows at once: no Python call per cell (csv.writer
        # alone would take more time than everything else).
        cells = [_csv_column(name, chunk.columns[name]) for name in COLUMNS]
        cells += [_quoted(c) for c in _stance_columns(chunk, targets, "")]
        cells += [[value] * n for value in constant]
        text = "\r\n".join(map(",".join, zip(*cells, strict=True))) + "\r\n"
        parts.append(text)
        size += len(text)
        if on_chunk is not None:
            on_chunk(n)
        if size >= FLUSH_BYTES:
            yield _encode(parts, options.bom and first)
            parts, size, first = [], 0, False
    yield _encode(parts, options.bom and first)


def _encode(parts: list[str], bom: bool) -> bytes:
    return "".join(parts).encode("utf-8-sig" if bom else "utf-8")


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


def _micros(values: list[Any]) -> list[Any]:
    # Microseconds since the epoch: pyarrow converts aware datetimes through pandas, slowly.
    return [None if v is None else (v - _EPOCH) // _MICROSECOND for v in values]


def stream_parquet(
    project: Project, options: ExportOptions, *, on_chunk: Any = None, row_group: int = ROW_GROUP
) -> Iterator[bytes]:
    """The Parquet export, written a row group at a time and sent as each is done."""
    info = manifest(project, options, "parquet")
    targets = project_targets(project)
    schema = parquet_schema(targets, info)
    exported_at = (dt.datetime.fromisoformat(info["exported_at"]) - _EPOCH) // _MICROSECOND
    sink = ByteSink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    pending: list[pa.RecordBatch] = []
    held = 0
    written = 0

    def write(rows: int) -> None:
        """Write the first ``rows`` held rows as one row group."""
        nonlocal pending, held, written
        table = pa.Table.from_batches(pending, schema=schema)
        writer.write_table(table.slice(0, rows), row_group_size=row_group)
        rest = table.slice(rows)
        pending = rest.to_batches() if rest.num_rows else []
        held -= rows
        written += rows

    for chunk in claim_chunks(project, options):
        n = len(chunk)
        columns = chunk.columns
        # Column by column: much faster than ``from_pylist``, which goes row by row.
        values = [columns[name] for name in COLUMNS]
        values += _stance_columns(chunk, targets, None)
        values += [[exported_at] * n, [info["tool_version"]] * n]
        arrays = [
            pa.array(
                _micros(v) if pa.types.is_timestamp(f.type) and f.name != "exported_at" else v,
                type=f.type,
            )
            for f, v in zip(schema, values, strict=True)
        ]
        pending.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
        held += n
        if on_chunk is not None:
            on_chunk(n)
        while held >= row_group:
            write(row_group)
            yield sink.drain()
    if held or not written:
        write(held)
    writer.close()
    yield sink.drain()
