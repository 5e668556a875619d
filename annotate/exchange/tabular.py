"""Flat exports, one row per claim: CSV (for spreadsheets) here, and Parquet (typed, for
pandas, ``datasets`` and Arrow tools) in ``parquet``, which shares the columns.

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

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from annotate.chains.links import CSV_POSITIONS, JOINER
from annotate.exchange.options import ExportOptions
from annotate.exchange.provenance import manifest
from annotate.exchange.rows import (
    ARTICLE_COLUMNS,
    COLUMNS,
    SOURCE_COLUMNS,
    Chunk,
    StanceKey,
    claim_chunks,
    project_has_chains,
    project_targets,
    stance_list,
)
from annotate.exchange.rows_query import CSV_CELLS
from common.spreadsheet import formula_safe_cells
from corpus.models import Project

FLUSH_BYTES = 256 * 1024


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
    # One look at the whole column first, joined once for both questions: most columns
    # need neither. (The ``'`` of a formula-safe cell changes nothing about quotes.)
    joined = "\0".join(["", *cells])
    if safe:
        cells = formula_safe_cells(cells, joined)
    if not _needs_quotes(joined):
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


# Runs of adjacent columns whose cells are the same for every claim with the same values
# of a few of its columns: written once per distinct value (``_Blocks``), so that a row
# is put together from fewer, longer pieces (each piece costs every row a place in a
# tuple and in a join). Each run's name → the columns it stands for:
_BLOCKS: dict[str, tuple[str, ...]] = {
    # The article's id, ARTICLE_COLUMNS, then the layer and the annotator: by (article,
    # annotator).
    "head": ("article_id", *ARTICLE_COLUMNS, "layer", "annotator"),
    # The source's id and SOURCE_COLUMNS: by source.
    "source_block": ("source_id", *SOURCE_COLUMNS),
    # The mention (when no claim of the chunk has one: the empty cells) and the
    # stances: by set of stances.
    "stances": ("mention_start", "mention_end", "mention_text", "stances"),
    # By (status, decision, version).
    "state": ("status", "decision", "version"),
    # The scheme version, ``source_status`` (the last of COLUMNS), a cell per target,
    # the provenance and the line's end: by (set of stances, source status).
    "tail": ("scheme_version",),
}
_BLOCK_OF = {fields[0]: name for name, fields in _BLOCKS.items()}
_IN_BLOCKS = frozenset(field for fields in _BLOCKS.values() for field in fields) | {"source_status"}
_ROW_PIECES = tuple(
    _BLOCK_OF.get(name, name) for name in COLUMNS if name in _BLOCK_OF or name not in _IN_BLOCKS
)

# The same with the runs of cells the query writes (``rows_query.CSV_CELLS``), each
# in place of its columns.
_RUN_OF = {fields[0]: name for name, fields in CSV_CELLS.items()}
_IN_RUNS = frozenset(field for fields in CSV_CELLS.values() for field in fields)
_ROW_PIECES_WRITTEN = tuple(
    _RUN_OF.get(name, name) for name in _ROW_PIECES if name in _RUN_OF or name not in _IN_RUNS
)
_NO_MENTION = ",,"  # mention_start, mention_end and mention_text of a claim without one


class _Blocks:
    """The cells of the blocks: people, sources, stances and the rest by key for the
    whole export (the registry, the sets of stances and the rest are few), articles per
    chunk. Each is a dict that makes a missing entry (``_Made``), so that a column of
    them is one ``map`` of its lookups (a method call per row was a tenth of the
    writer's time). ``end``: what ends each tail (the line's end, unless the chain's
    columns follow)."""

    def __init__(
        self,
        targets: list[str],
        scheme_version: Any,
        constant: list[str],
        safe: bool,
        end: str = "\r\n",
    ) -> None:
        self.safe = safe
        self.targets = targets
        self.scheme_version = scheme_version
        self.constant = constant
        self.end = end
        # The row source's sources by id (the same dict for the whole export), from the
        # first chunk on.
        self.registry: dict[int | None, tuple[Any, ...]] = {}
        # The chunk's articles' blocks by id (``chunk``).
        self.articles: dict[int, str] = {}
        self.people: _Made[str | None] = _Made(self._person)
        self.sources: _Made[int | None] = _Made(self._source)
        self.stances: _Made[StanceKey] = _Made(self._stance)
        self.unmentioned: _Made[StanceKey] = _Made(self._unmentioned)
        self.states: _Made[tuple[str, str | None, int]] = _Made(self._state)
        self.tails: _Made[tuple[StanceKey, str | None]] = _Made(self._tail)
        self.heads: _Made[tuple[int, str | None]] = _Made(self._head)

    def chunk(self, chunk: Chunk) -> None:
        """Take the chunk's articles and the sources seen so far."""
        self.registry = chunk.sources
        self.articles = {
            pk: _csv_cells((pk, *article["_meta"]), self.safe)
            for pk, article in chunk.articles.items()
        }
        # The (article, annotator) runs are made anew per chunk, as the articles' cells.
        self.heads = _Made(self._head)

    def _head(self, key: tuple[int, str | None]) -> str:
        article_id, annotator = key
        return self.articles[article_id] + "," + self.people[annotator]

    def _person(self, annotator: str | None) -> str:
        return _csv_cells(("gold" if annotator is None else "annotator", annotator), self.safe)

    def _source(self, pk: int | None) -> str:
        name, kind, external_id, aliases = self.registry[pk]
        return _csv_cells((pk, name, kind, external_id, aliases), self.safe)

    def _stance(self, key: StanceKey) -> str:
        return _csv_cells([stance_list(key)], self.safe)

    def _unmentioned(self, key: StanceKey) -> str:
        return _NO_MENTION + "," + self.stances[key]

    def _state(self, key: tuple[str, str | None, int]) -> str:
        return _csv_cells(key, self.safe)

    def _tail(self, key_status: tuple[StanceKey, str | None]) -> str:
        key, status = key_status
        by_target = dict(key)
        values = [self.scheme_version, status, *(by_target.get(t, "") for t in self.targets)]
        return ",".join([_csv_cells(values, self.safe), *self.constant]) + self.end


_K = TypeVar("_K")


class _Made(dict[_K, str]):
    """A dict that makes a missing entry with ``make(key)`` and keeps it."""

    def __init__(self, make: Callable[[_K], str]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: _K) -> str:
        value = self[key] = self.make(key)
        return value


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
    empty = ",".join([""] * (CSV_POSITIONS + 3)) + "\r\n"
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
        out.append(_csv_cells(cells, safe) + "\r\n")
    return out


def _csv_rows(chunk: Chunk, blocks: _Blocks, chained: bool = False) -> str:
    """The chunk's records: column by column, then the rows at once (csv.writer, a
    Python call per cell, would alone take more time than everything else), each
    ending with its tail's (or, with chains, its chain cells') line end."""
    columns = chunk.columns
    blocks.chunk(chunk)
    cells: list[Iterable[str]] = []
    written = "span_csv" in columns  # the query wrote runs of cells
    for name in _ROW_PIECES_WRITTEN if written else _ROW_PIECES:
        if name in CSV_CELLS:
            cells.append(columns[name])
        elif name == "head":
            heads = zip(columns["article_id"], columns["annotator"], strict=True)
            cells.append(map(blocks.heads.__getitem__, heads))
        elif name == "source_block":
            cells.append(map(blocks.sources.__getitem__, columns["source_id"]))
        elif name == "stances":
            starts, ends = columns["mention_start"], columns["mention_end"]
            if starts.count(None) == len(starts) and ends.count(None) == len(ends):
                cells.append(map(blocks.unmentioned.__getitem__, chunk.stance_keys))
                continue
            for mention in ("mention_start", "mention_end", "mention_text"):
                cells.append(_csv_column(mention, columns[mention], blocks.safe))
            cells.append(map(blocks.stances.__getitem__, chunk.stance_keys))
        elif name == "state":
            states = zip(columns["status"], columns["decision"], columns["version"], strict=True)
            cells.append(map(blocks.states.__getitem__, states))
        elif name == "tail":
            tails = zip(chunk.stance_keys, columns["source_status"], strict=True)
            cells.append(map(blocks.tails.__getitem__, tails))
        else:
            cells.append(_csv_column(name, columns[name], blocks.safe))
    if chained:
        cells.append(_chain_cells(chunk, blocks.safe))
    return "".join(map(",".join, zip(*cells, strict=True)))


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
    blocks = _Blocks(
        targets, project.scheme.get("version"), constant, safe, end="" if chained else "\r\n"
    )
    # Each chunk's text goes to UTF-8 at once: strings joined across chunks would be
    # copied at four bytes a character (an emoji anywhere widens the whole string).
    parts = [(("\ufeff" if options.bom else "") + _csv_line(header, safe)).encode()]
    size = 0
    # Runs of cells as the query writes them where it can (``rows_query.CsvCells``).
    written = "csv" if safe else "csv_raw"
    for chunk in claim_chunks(project, options, chained=chained, written=written):
        data = _csv_rows(chunk, blocks, chained).encode()
        parts.append(data)
        size += len(data)
        if on_chunk is not None:
            on_chunk(len(chunk))
        if size >= FLUSH_BYTES:
            yield b"".join(parts)
            parts, size = [], 0
    yield b"".join(parts)
