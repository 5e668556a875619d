"""The export formats in one table: their names, file suffixes and media types, the options
each allows, and the one ``stream`` that turns a project's rows into any of them."""

from __future__ import annotations

import gc
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Format:
    """One export format: what the Export page calls it, its download's file suffix and
    media type, and whether it is by article (so it can hold articles without claims,
    ``all_articles``); the others have a row or an annotation per claim."""

    name: str
    label: str
    suffix: str
    media_type: str
    by_article: bool = False


TABLE: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "jsonl",
            "JSONL — one line per article with its claims",
            ".jsonl",
            "application/jsonl",
            by_article=True,
        ),
        Format("csv", "CSV — one row per claim (spreadsheets)", ".csv", "text/csv; charset=utf-8"),
        Format(
            "parquet",
            "Parquet — typed, one row per claim (pandas, datasets)",
            ".parquet",
            "application/vnd.apache.parquet",
        ),
        Format(
            "w3c",
            "W3C Web Annotation (JSON-LD)",
            ".jsonld",
            'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
        ),
        Format(
            "brat",
            "brat standoff (.txt + .ann, zipped)",
            ".zip",
            "application/zip",
            by_article=True,
        ),
        Format(
            "archive", "Project archive (backup / restore; managers)", ".zip", "application/zip"
        ),
    )
}
FORMATS = tuple(TABLE)


def check_options(fmt: str, options: Any) -> None:
    """``ValidationError`` if the options don't apply to the format: the one check of
    the two together, for the Export page, the API, the command and the tasks."""
    if getattr(options, "all_articles", False) and not (fmt in TABLE and TABLE[fmt].by_article):
        raise ValidationError(
            {
                "all_articles": "“Every article, also those without claims” applies to "
                f"JSONL and brat only (a line or a file per article), not to {fmt}."
            }
        )


def stream(fmt: str, project: Any, options: Any, *, on_chunk: Any = None) -> Iterator[bytes]:
    """The export of ``project`` in ``fmt`` as a stream of byte strings, each piece made
    with the cyclic garbage collector paused (``collector_paused``). ``ValidationError``
    (at once, not when the stream is read) if the options don't apply to the format."""
    check_options(fmt, options)
    return collector_paused(_writer(fmt, project, options, on_chunk))


def collector_paused(pieces: Iterator[bytes]) -> Generator[bytes, None, None]:
    """``pieces`` with Python's cyclic garbage collector paused while each piece is made,
    and as it was while the reader has it. An export makes millions of short-lived tuples
    and strings (rows, cells), few cycles if any: reference counting frees them, and the
    collections their numbers set off (~110 per export of 70,000 claims, each walking the
    young rows, and a full one over every object of the process) were 7-10 % of the
    export's CPU (issue 21). Memory stays flat: a piece is a few hundred kilobytes, and
    what it leaves behind is collected as usual once the collector runs again. The
    collector is only turned back on if it was on, so a process that keeps it off ends
    as it was; exports in several threads share one pause (``_paused``)."""
    try:
        while True:
            with _paused():
                piece = next(pieces, None)
            if piece is None:
                return
            yield piece
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()


# The collector's switch is the process's, not a thread's: two exports in threads of one
# process (the development server, a threaded worker) share one pause. The first to start a
# piece notes whether the collector was on and turns it off; the last to finish turns it
# back on if it was. (Each noting and restoring on its own could leave it off for good:
# one thread reads "off" while another's piece runs, the other turns it back on, then the
# first turns it off and, having read "off", never on again.)
_PAUSE_LOCK = threading.Lock()
_pause = {"depth": 0, "was_on": False}


@contextmanager
def _paused() -> Iterator[None]:
    with _PAUSE_LOCK:
        if _pause["depth"] == 0:
            _pause["was_on"] = gc.isenabled()
            gc.disable()
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _pause["depth"] -= 1
            if _pause["depth"] == 0 and _pause["was_on"]:
                gc.enable()


def _writer(fmt: str, project: Any, options: Any, on_chunk: Any) -> Iterator[bytes]:
    """The format's own stream (imports its module only when asked: pyarrow is slow to
    import)."""
    if fmt == "jsonl":
        from annotate.exchange import jsonl

        return jsonl.stream(project, options, on_chunk=on_chunk)
    if fmt == "csv":
        from annotate.exchange import tabular

        return tabular.stream_csv(project, options, on_chunk=on_chunk)
    if fmt == "parquet":
        from annotate.exchange import parquet

        return parquet.stream_parquet(project, options, on_chunk=on_chunk)
    if fmt == "w3c":
        from annotate.exchange import w3c

        return w3c.stream(project, options, on_chunk=on_chunk)
    if fmt == "brat":
        from annotate.exchange import brat

        return brat.stream(project, options, on_chunk=on_chunk)
    if fmt == "archive":
        from annotate.exchange.archive import stream as archive_stream

        return archive_stream(project, on_chunk=on_chunk)
    raise ValueError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")


def filename(fmt: str, project: Any, when: Any) -> str:
    """``<slug>-<format>-<UTC time>.<suffix>``."""
    return f"{project.slug}-{fmt}-{when:%Y%m%dT%H%M%SZ}{TABLE[fmt].suffix}"
