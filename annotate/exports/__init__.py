"""Exports and imports of labelled data.

``rows`` is the one streamed source of claim rows, selected by ``options.ExportOptions``
(layer, filters, split); ``jsonl``, ``tabular`` (CSV, Parquet), ``w3c`` and ``brat`` turn
its rows into files, each with the ``provenance`` manifest;
``archive`` backs a whole project up and restores it; ``importing`` reads annotations
back in. Every writer is a generator of bytes that reads the rows a chunk at a time and
yields its output as it goes (the views stream it, the command and the background task
write it to a file), so memory stays flat whatever the size of the project.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError

FORMATS = ("jsonl", "csv", "parquet", "w3c", "brat", "archive")
# The formats by article, which can hold articles without claims (``all_articles``); the
# others have a row or an annotation per claim.
ALL_ARTICLES_FORMATS = ("jsonl", "brat")

# File name suffix and media type of each format's download.
SUFFIX = {
    "jsonl": ".jsonl",
    "csv": ".csv",
    "parquet": ".parquet",
    "w3c": ".jsonld",
    "brat": ".zip",
    "archive": ".zip",
}
MEDIA_TYPE = {
    "jsonl": "application/jsonl",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "w3c": 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
    "brat": "application/zip",
    "archive": "application/zip",
}


def check_options(fmt: str, options: Any) -> None:
    """``ValidationError`` if the options don't apply to the format: the one check of
    the two together, for the Export page, the API, the command and the tasks."""
    if getattr(options, "all_articles", False) and fmt not in ALL_ARTICLES_FORMATS:
        raise ValidationError(
            {
                "all_articles": "“Every article, also those without claims” applies to "
                f"JSONL and brat only (a line or a file per article), not to {fmt}."
            }
        )


def stream(fmt: str, project: Any, options: Any, *, on_chunk: Any = None) -> Iterator[bytes]:
    """The export of ``project`` in ``fmt`` as a stream of byte strings (imports the
    format's module only when asked: pyarrow is slow to import). ``ValidationError``
    (at once, not when the stream is read) if the options don't apply to the format."""
    check_options(fmt, options)
    if fmt == "jsonl":
        from annotate.exports import jsonl

        return jsonl.stream(project, options, on_chunk=on_chunk)
    if fmt == "csv":
        from annotate.exports import tabular

        return tabular.stream_csv(project, options, on_chunk=on_chunk)
    if fmt == "parquet":
        from annotate.exports import tabular

        return tabular.stream_parquet(project, options, on_chunk=on_chunk)
    if fmt == "w3c":
        from annotate.exports import w3c

        return w3c.stream(project, options, on_chunk=on_chunk)
    if fmt == "brat":
        from annotate.exports import brat

        return brat.stream(project, options, on_chunk=on_chunk)
    if fmt == "archive":
        from annotate.exports.archive import stream as archive_stream

        return archive_stream(project, on_chunk=on_chunk)
    raise ValueError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")


def filename(fmt: str, project: Any, when: Any) -> str:
    """``<slug>-<format>-<UTC time>.<suffix>``."""
    return f"{project.slug}-{fmt}-{when:%Y%m%dT%H%M%SZ}{SUFFIX[fmt]}"
