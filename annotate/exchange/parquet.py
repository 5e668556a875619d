"""The Parquet export, one row per claim (typed, for pandas, ``datasets`` and Arrow
tools): the columns of ``rows.COLUMNS`` and ``tabular``'s stance columns with their
types, the provenance manifest as JSON in the file's key-value metadata under
``claimdesk``. A module of its own so that the CSV export never imports pyarrow (~60 MB
and a few hundred milliseconds of a fresh process's start).
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

from annotate.exchange.options import ExportOptions
from annotate.exchange.provenance import json_default, manifest
from annotate.exchange.rows import (
    ARTICLE_COLUMNS,
    COLUMNS,
    SOURCE_COLUMNS,
    Chunk,
    claim_chunks,
    project_has_chains,
    project_targets,
    stance_list,
)
from annotate.exchange.sink import ByteSink
from annotate.exchange.tabular import stance_column
from corpus.models import Project

FLUSH_BYTES = 256 * 1024
ROW_GROUP = 20_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)

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
        stances.append((stance_list(key), *(by_target.get(t) for t in targets)))
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
