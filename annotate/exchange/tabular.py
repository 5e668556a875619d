"""Flat exports, one row per claim: CSV (for spreadsheets) and Parquet (typed, for
pandas, ``datasets`` and Arrow tools).

Both have the columns of ``rows.COLUMNS`` with lists flattened for CSV, then one column
per stance target (``stance: <target name>``), then the provenance columns
``exported_at``, ``tool_version`` and (CSV) ``filters``. Parquet also carries the whole
provenance manifest as JSON in the file's key-value metadata under ``claimdesk``.

CSV is RFC 4180: comma-separated, CRLF between records, fields quoted when they hold a
comma, a quote or a line break (line breaks inside quotes stay as they are), UTF-8 with
an optional byte-order mark so that Excel reads the text right. A text cell that a
spreadsheet would run as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: a note, a quote, a source name or alias, a title, a target name in a
header) gets a leading ``'`` (``common.spreadsheet``), unless ``options.csv_raw``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from annotate.chains.links import CSV_POSITIONS, JOINER
from annotate.exchange.options import ExportOptions
from annotate.exchange.provenance import json_default, manifest
from annotate.exchange.rows import (
    ARTICLE_COLUMNS,
    COLUMNS,
    SOURCE_COLUMNS,
    Chunk,
    StanceKey,
    claim_chunks,
    project_has_chains,
    project_targets,
)
from annotate.exchange.sink import ByteSink
from common.spreadsheet import formula_safe_cells
from corpus.models import Project

FLUSH_BYTES = 256 * 1024
ROW_GROUP = 20_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def stance_column(target: str) -> str:
    return f"stance: {target}"


# --- CSV ------------------------------------------------------------------------------


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


def _needs_quotes(text: str) -> bool:
    """Whether a cell needs quotes (RFC 4180, and what ``csv.writer`` quotes with
    QUOTE_MINIMAL and a CRLF line terminator): a comma, a double quote or a line break."""
    # Four scans for a character run several times faster than one regular expression.
    return "," in text or '"' in text or "\n" in text or "\r" in text


def _quoted(cells: list[str], safe: bool) -> list[str]:
    """The cells quoted where needed, and (``safe``) formula-safe first."""
    if safe:
        cells = formula_safe_cells(cells)
    # One look at the whole column first: most columns need no quotes at all.
    if not _needs_quotes("\0".join(cells)):
        return cells
    return [
        '"' + c.replace('"', '""') + '"' if "," in c or '"' in c or "\n" in c or "\r" in c else c
        for c in cells
    ]


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


def _csv_column(name: str, values: list[Any], safe: bool) -> list[str]:
    """A column as CSV cells: empty for None, lists joined, dates in ISO 8601, quoted
    where needed; text formula-safe if ``safe`` (numbers are never negative)."""
    if name in _NUMBERS:
        return list(map(str, values))
    if name in _TEXTS:
        return _quoted(values, safe)
    if name in _NULLABLE_TEXTS:
        return _quoted(["" if v is None else v for v in values], safe)
    if name in _NULLABLE_NUMBERS:
        return ["" if v is None else str(v) for v in values]
    if name == "source_aliases":
        return _quoted([" | ".join(v) for v in values], safe)
    if name == "stances":
        return _quoted(
            ["; ".join(f"{s['target']}: {s['stance']}" for s in v) for v in values], safe
        )
    if name in {"created", "updated"}:
        return values  # ISO 8601 already
    if name == "scheme_version" and values.count(values[0]) == len(values):
        return [_quoted([_cell(values[0])], safe)[0]] * len(values)
    return _quoted([_cell(v) for v in values], safe)


def _csv_line(cells: list[Any], safe: bool) -> str:
    return ",".join(_quoted([_cell(c) for c in cells], safe)) + "\r\n"


def _csv_cells(values: Iterable[Any], safe: bool) -> str:
    """Adjacent cells, written as one piece."""
    return ",".join(_quoted([_cell(v) for v in values], safe))


# Runs of adjacent columns that hold the same cells for every claim of an article (its
# id and ARTICLE_COLUMNS), of a source (its id and SOURCE_COLUMNS) or with the same
# stances (the scheme version, a cell per target and the provenance at the end): written
# once per article, source or set of stances (``_Blocks``), so that a row is put together
# from fewer, longer pieces.
_BLOCKS = {"article_id": "article_block", "source_id": "source_block", "scheme_version": "tail"}
# ``source_status``, the last of COLUMNS, is in the tail (after the scheme version).
_ROW_PIECES = tuple(
    _BLOCKS.get(name, name)
    for name in COLUMNS
    if name not in ARTICLE_COLUMNS and name not in SOURCE_COLUMNS and name != "source_status"
)


class _Blocks:
    """The cells of the blocks: sources and stances by key for the whole export (the
    registry and the sets of stances are few), articles per chunk."""

    def __init__(
        self, targets: list[str], scheme_version: Any, constant: list[str], safe: bool
    ) -> None:
        self.safe = safe
        self.targets = targets
        self.scheme_version = scheme_version
        self.constant = constant
        self.sources: dict[int | None, str] = {}
        self.stances: dict[StanceKey, str] = {}
        self.tails: dict[tuple[StanceKey, str | None], str] = {}

    def source(self, chunk: Chunk, pk: int | None) -> str:
        cells = self.sources.get(pk)
        if cells is None:
            name, kind, external_id, aliases = chunk.sources[pk]
            cells = self.sources[pk] = _csv_cells((pk, name, kind, external_id, aliases), self.safe)
        return cells

    def stance(self, key: StanceKey) -> str:
        cells = self.stances.get(key)
        if cells is None:
            listed = [{"target": t, "stance": s} for t, s in key]
            cells = self.stances[key] = _csv_cells([listed], self.safe)
        return cells

    def tail(self, key: StanceKey, status: str | None) -> str:
        cells = self.tails.get((key, status))
        if cells is None:
            by_target = dict(key)
            values = [self.scheme_version, status, *(by_target.get(t, "") for t in self.targets)]
            cells = ",".join([_csv_cells(values, self.safe), *self.constant])
            self.tails[(key, status)] = cells
        return cells


def chain_header() -> list[str]:
    """The chain's columns, after all the others (only in a project with chains): the
    carrier at each position up to ``CSV_POSITIONS``, the whole chain joined, its
    weakest link, and the carriers' statuses joined as the chain is (added last, as
    ``source_status`` was, so that every chain column before it keeps its place)."""
    return [
        *(f"chain_{n}" for n in range(1, CSV_POSITIONS + 1)),
        "chain",
        "chain_reliability",
        "chain_source_status",
    ]


def _chain_cells(chunk: Chunk, safe: bool) -> list[str]:
    empty = ",".join([""] * (CSV_POSITIONS + 3))
    out = []
    for claim_id in chunk.columns["claim_id"]:
        if claim_id not in chunk.chains:
            out.append(empty)
            continue
        links = chunk.chain_of(claim_id)
        names = [link["source_name"] for link in links]
        cells = [*names[:CSV_POSITIONS], *[""] * (CSV_POSITIONS - len(names[:CSV_POSITIONS]))]
        cells += [JOINER.join(names), chunk.chain_reliability[claim_id]]
        cells.append(JOINER.join(link["source_status"] for link in links))
        out.append(_csv_cells(cells, safe))
    return out


def _csv_rows(chunk: Chunk, blocks: _Blocks, chained: bool = False) -> str:
    """The chunk's records: column by column, then the rows at once (csv.writer, a
    Python call per cell, would alone take more time than everything else)."""
    columns = chunk.columns
    articles = {
        pk: _csv_cells((pk, *article["_meta"]), blocks.safe)
        for pk, article in chunk.articles.items()
    }
    cells: list[Iterable[str]] = []
    for name in _ROW_PIECES:
        if name == "article_block":
            cells.append(map(articles.__getitem__, columns["article_id"]))
        elif name == "source_block":
            cells.append([blocks.source(chunk, pk) for pk in columns["source_id"]])
        elif name == "stances":
            cells.append(map(blocks.stance, chunk.stance_keys))
        elif name == "tail":
            cells.append(map(blocks.tail, chunk.stance_keys, columns["source_status"]))
        else:
            cells.append(_csv_column(name, columns[name], blocks.safe))
    if chained:
        cells.append(_chain_cells(chunk, blocks.safe))
    return "\r\n".join(map(",".join, zip(*cells, strict=True))) + "\r\n"


def stream_csv(
    project: Project, options: ExportOptions, *, on_chunk: Any = None
) -> Iterator[bytes]:
    """The CSV export as UTF-8 bytes (with a BOM first if ``options.bom``; formula-safe
    text cells unless ``options.csv_raw``)."""
    info = manifest(project, options, "csv")
    targets = project_targets(project)
    header = [*COLUMNS, *(stance_column(t) for t in targets), "exported_at", "tool_version"]
    header.append("filters")
    chained = project_has_chains(project)
    if chained:
        header += chain_header()
    safe = not options.csv_raw
    constant = _quoted(
        [info["exported_at"], info["tool_version"], json.dumps(info["filters"], allow_nan=False)],
        safe,
    )
    blocks = _Blocks(targets, project.scheme.get("version"), constant, safe)
    # Each chunk's text goes to UTF-8 at once: strings joined across chunks would be
    # copied at four bytes a character (an emoji anywhere widens the whole string).
    parts = [(("\ufeff" if options.bom else "") + _csv_line(header, safe)).encode()]
    size = 0
    for chunk in claim_chunks(project, options, chained=chained):
        data = _csv_rows(chunk, blocks, chained).encode()
        parts.append(data)
        size += len(data)
        if on_chunk is not None:
            on_chunk(len(chunk))
        if size >= FLUSH_BYTES:
            yield b"".join(parts)
            parts, size = [], 0
    yield b"".join(parts)


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


# A chain in Parquet (projects with chains only): its links in order, each carrier named
# as a claim's source is (id, name, kind) with its mention and reliability, and its
# status ("confirmed" or "proposed").
_CHAIN_TYPE = pa.list_(
    pa.struct(
        [
            ("position", pa.int64()),
            ("source_id", pa.int64()),
            ("source_name", pa.string()),
            ("source_kind", pa.string()),
            ("mention_start", pa.int64()),
            ("mention_end", pa.int64()),
            ("mention_text", pa.string()),
            ("reliability", pa.string()),
            # Added last, so that the fields before it keep their places.
            ("source_status", pa.string()),
        ]
    )
)
_CHAIN_KEYS = [field.name for field in _CHAIN_TYPE.value_type]


def parquet_schema(targets: list[str], info: dict[str, Any], chained: bool = False) -> pa.Schema:
    """The export's columns; ``chain`` and ``chain_reliability`` after the others only in
    a project with chains (so that other exports keep their schema)."""
    fields = [pa.field(name, _TYPES.get(name, pa.string())) for name in COLUMNS]
    fields += [pa.field(stance_column(t), pa.string()) for t in targets]
    fields += [
        pa.field("exported_at", pa.timestamp("us", tz="UTC")),
        pa.field("tool_version", pa.string()),
    ]
    if chained:
        fields += [pa.field("chain", _CHAIN_TYPE), pa.field("chain_reliability", pa.string())]
    metadata = {
        "claimdesk": json.dumps(info, ensure_ascii=False, default=json_default, allow_nan=False)
    }
    return pa.schema(fields, metadata=metadata)


_ARROW_READY = threading.Lock()
_arrow_ready = False


def without_pandas() -> None:
    """Keep pyarrow from importing pandas in a process that has not: the first
    ``pa.array`` of a list asks pyarrow's lazy pandas shim whether the list is a pandas
    object, and the shim imports pandas to know — 0.8 s on an idle machine (the "first
    ``take``" the issue measured, 5–15k claims/s from ``manage.py export --format
    parquet``) and ~60 MB of memory in every process that ever wrote Parquet. Nothing in
    Claimdesk converts between Arrow and pandas; so where pandas is not imported yet, the
    shim is asked once with ``import pandas`` failing, and it remembers that it has no
    pandas: that process's pyarrow then never converts to or from pandas (``to_pandas``
    raises). Where pandas is already imported (a notebook, the test suite) nothing
    changes."""
    global _arrow_ready
    with _ARROW_READY:
        if _arrow_ready:
            return
        _arrow_ready = True
        if "pandas" in sys.modules:
            return
        sys.meta_path.insert(0, _NoPandas)
        try:
            pa.array([0], pa.int64())  # the shim's one look for pandas
        finally:
            sys.meta_path.remove(_NoPandas)


class _NoPandas:
    """An import finder for which pandas is not there (``None`` in ``sys.modules`` would
    not do: pyarrow's compiled import takes it as the module)."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ImportError("pandas is kept from pyarrow in this process")


def _indexed(keys: Iterable[Any]) -> tuple[list[Any], pa.Array]:
    """The distinct keys in order of first sight, and each row's index into them."""
    positions: dict[Any, int] = {}
    indices = [positions.setdefault(key, len(positions)) for key in keys]
    return list(positions), pa.array(indices, pa.int32())


def _record_batch(
    chunk: Chunk, schema: pa.Schema, targets: list[str], constants: dict[str, Any]
) -> pa.RecordBatch:
    """The chunk as Arrow arrays, column by column (much faster than ``from_pylist``,
    which goes row by row). What the claims of an article, a source or a set of stances
    share is made once per distinct one and repeated with ``take``."""
    n = len(chunk)
    columns = chunk.columns
    types = {field.name: field.type for field in schema}
    arrays: dict[str, pa.Array] = {}

    def repeated(names: list[str], rows: list[tuple[Any, ...]], indices: pa.Array) -> None:
        for name, values in zip(names, zip(*rows, strict=True), strict=True):
            arrays[name] = pa.array(values, type=types[name]).take(indices)

    article_ids, indices = _indexed(columns["article_id"])
    repeated(list(ARTICLE_COLUMNS), [chunk.articles[pk]["_meta"] for pk in article_ids], indices)
    source_ids, indices = _indexed(columns["source_id"])
    repeated(list(SOURCE_COLUMNS), [chunk.sources[pk] for pk in source_ids], indices)
    keys, indices = _indexed(chunk.stance_keys)
    stances = []
    for key in keys:
        by_target = dict(key)
        stances.append(
            ([{"target": t, "stance": s} for t, s in key], *(by_target.get(t) for t in targets))
        )
    repeated(["stances", *(stance_column(t) for t in targets)], stances, indices)
    for name, value in constants.items():
        arrays[name] = pa.repeat(pa.scalar(value, types[name]), n)
    for name in ("created", "updated"):
        arrays[name] = pa.array(columns[name], pa.string()).cast(types[name])
    if "chain" in types:
        ids = columns["claim_id"]
        arrays["chain"] = pa.array(
            [
                [{key: link[key] for key in _CHAIN_KEYS} for link in chunk.chain_of(pk)]
                for pk in ids
            ],
            types["chain"],
        )
        arrays["chain_reliability"] = pa.array(
            [chunk.chain_reliability.get(pk, "") for pk in ids], pa.string()
        )
    return pa.RecordBatch.from_arrays(
        [
            arrays[field.name]
            if field.name in arrays
            else pa.array(columns[field.name], field.type)
            for field in schema
        ],
        schema=schema,
    )


def stream_parquet(
    project: Project, options: ExportOptions, *, on_chunk: Any = None, row_group: int = ROW_GROUP
) -> Iterator[bytes]:
    """The Parquet export, written a row group at a time and sent as each is done."""
    without_pandas()
    info = manifest(project, options, "parquet")
    targets = project_targets(project)
    chained = project_has_chains(project)
    schema = parquet_schema(targets, info, chained)
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

    constants = {
        "scheme_version": project.scheme.get("version"),
        "exported_at": exported_at,
        "tool_version": info["tool_version"],
    }
    for chunk in claim_chunks(project, options, chained=chained):
        n = len(chunk)
        pending.append(_record_batch(chunk, schema, targets, constants))
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
