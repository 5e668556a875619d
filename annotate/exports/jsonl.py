"""JSON Lines: one line per article, with its metadata, text, SHA-256 and claims.

Each line is a JSON object::

    {"id": 7, "title": "…", "byline": "…", "outlet": "…", "url": "…", "published": "2024-05-01",
     "language": "en", "sha256": "…", "char_count": 5120, "metadata": {…}, "split": "train",
     "text": "…", "claims": [{"claim_id": 31, "layer": "gold", "annotator": null,
     "start": 120, "end": 188, "quote": "…", "source": {"id": 4, "name": "Яна Орехова",
     "kind": "person", "aliases": ["Orekhova"], "external_id": "Q123"}, …}],
     "provenance": {"tool_version": "…", "scheme_version": 1, "exported_at": "…", …}}

Offsets are code points (Python ``str`` indices) into ``text``: ``text[start:end] ==
quote``. ``pandas.read_json(path, lines=True)`` and ``datasets.load_dataset("json", …)``
read it as it is; ``annotate.exports.importing`` reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from annotate.exports.rows import (
    COLUMNS,
    ExportOptions,
    article_tuples,
    json_default,
    manifest,
)
from corpus.models import Project

FLUSH_BYTES = 256 * 1024


def claim_record(row: dict[str, Any]) -> dict[str, Any]:
    """A claim row as it appears inside an article line."""
    source = None
    if row["source_id"] is not None:
        source = {
            "id": row["source_id"],
            "name": row["source_name"],
            "kind": row["source_kind"],
            "aliases": row["source_aliases"],
            "external_id": row["source_external_id"],
        }
    mention = None
    if row["mention_start"] is not None:
        mention = {
            "start": row["mention_start"],
            "end": row["mention_end"],
            "text": row["mention_text"],
        }
    return {
        "claim_id": row["claim_id"],
        "layer": row["layer"],
        "annotator": row["annotator"],
        "start": row["start"],
        "end": row["end"],
        "quote": row["quote"],
        "source": source,
        "attribution": row["attribution"],
        "source_mention": mention,
        "stances": row["stances"],
        "source_reliability": row["source_reliability"],
        "information_credibility": row["information_credibility"],
        "claim_type": row["claim_type"],
        "checkworthy": row["checkworthy"],
        "note": row["note"],
        "status": row["status"],
        "decision": row["decision"],
        "version": row["version"],
        "created": row["created"],
        "updated": row["updated"],
    }


_FIELDS = (
    "claim_id",
    "layer",
    "annotator",
    "start",
    "end",
    "quote",
    "source_id",
    "source_name",
    "source_kind",
    "source_aliases",
    "source_external_id",
    "attribution",
    "mention_start",
    "mention_end",
    "mention_text",
    "stances",
    "source_reliability",
    "information_credibility",
    "claim_type",
    "checkworthy",
    "note",
    "status",
    "decision",
    "version",
    "created",
    "updated",
)
_pick = itemgetter(*(COLUMNS.index(name) for name in _FIELDS))
# json.dumps(..., ensure_ascii=False, default=json_default), built once.
_encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode


def _records(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """``claim_record`` for rows as tuples (``COLUMNS`` order), without a call per row."""
    out = []
    for (
        claim_id,
        layer,
        annotator,
        start,
        end,
        quote,
        source_id,
        source_name,
        source_kind,
        source_aliases,
        source_external_id,
        attribution,
        mention_start,
        mention_end,
        mention_text,
        stances,
        source_reliability,
        information_credibility,
        claim_type,
        checkworthy,
        note,
        status,
        decision,
        version,
        created,
        updated,
    ) in map(_pick, rows):
        out.append(
            {
                "claim_id": claim_id,
                "layer": layer,
                "annotator": annotator,
                "start": start,
                "end": end,
                "quote": quote,
                "source": None
                if source_id is None
                else {
                    "id": source_id,
                    "name": source_name,
                    "kind": source_kind,
                    "aliases": source_aliases,
                    "external_id": source_external_id,
                },
                "attribution": attribution,
                "source_mention": None
                if mention_start is None
                else {"start": mention_start, "end": mention_end, "text": mention_text},
                "stances": stances,
                "source_reliability": source_reliability,
                "information_credibility": information_credibility,
                "claim_type": claim_type,
                "checkworthy": checkworthy,
                "note": note,
                "status": status,
                "decision": decision,
                "version": version,
                "created": created.isoformat(),
                "updated": updated.isoformat(),
            }
        )
    return out


def stream(project: Project, options: ExportOptions, *, on_chunk: Any = None) -> Iterator[bytes]:
    """The export as UTF-8 bytes, a few hundred kilobytes at a time."""
    provenance = manifest(project, options, "jsonl")
    parts: list[str] = []
    size = 0
    for article, claims in article_tuples(project, options, on_chunk=on_chunk):
        line = {
            "id": article["id"],
            "title": article["title"],
            "byline": article["byline"],
            "outlet": article["outlet"],
            "url": article["url"],
            "published": article["published"],
            "language": article["language"],
            "sha256": article["sha256"],
            "char_count": article["char_count"],
            "metadata": article["metadata"],
            "split": article["split"],
            "text": article["text"],
            "claims": _records(claims),
            "provenance": provenance,
        }
        text = _encode(line) + "\n"
        parts.append(text)
        size += len(text)
        if size >= FLUSH_BYTES:
            yield "".join(parts).encode()
            parts, size = [], 0
    if parts:
        yield "".join(parts).encode()
