"""Exports and imports of labelled data.

``rows`` is the one streamed source of claim rows (filters, layer, split, provenance);
``jsonl``, ``tabular`` (CSV, Parquet), ``w3c`` and ``brat`` turn its rows into files;
``archive`` backs a whole project up and restores it; ``importing`` reads annotations
back in. Every writer takes a binary file-like object and writes to it as it goes, so
memory stays flat whatever the size of the project.
"""

from __future__ import annotations

FORMATS = ("jsonl", "csv", "parquet", "w3c", "brat", "archive")

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
