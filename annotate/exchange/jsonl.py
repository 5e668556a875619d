"""JSON Lines: one line per article, with its metadata, text, SHA-256 and claims.

The lines are those of the articles with selected claims; with the ``all_articles``
option, of every selected article (an article without selected claims has
``"claims": []``), so that a dataset keeps its true negatives and the export of a
project nobody has annotated yet still says where it came from.

Each line is a JSON object::

    {"id": 7, "title": "…", "byline": "…", "outlet": "…", "url": "…", "published": "2024-05-01",
     "language": "en", "sha256": "…", "char_count": 5120, "metadata": {…}, "split": "train",
     "text": "…", "claims": [{"claim_id": 31, "layer": "gold", "annotator": null,
     "start": 120, "end": 188, "quote": "…", "source": {"id": 4, "name": "Яна Орехова",
     "kind": "person", "aliases": ["Orekhova"], "external_id": "Q123"}, …}],
     "provenance": {"tool_version": "…", "scheme_version": 1, "exported_at": "…", …}}

Offsets are code points (Python ``str`` indices) into ``text``: ``text[start:end] ==
quote``. A project with claim clusters adds ``"clusters"`` as each claim's last key: the clusters it
is in, ``[{"id": 3, "layer": "gold", "annotator": null, "statement": "…", "relation":
"member"}]`` (``"contradicts"`` for a claim contradicting the cluster), ``[]`` for none.
``pandas.read_json(path, lines=True)`` and ``datasets.load_dataset("json", …)``
read it as it is; ``annotate.exchange.importing`` reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring
from typing import Any

from django.db import connections

from annotate.clusters.selectors import export_memberships
from annotate.exchange import jsonl_sql
from annotate.exchange.fields import ARTICLE_VALUES
from annotate.exchange.options import ExportOptions, split_of
from annotate.exchange.provenance import json_default, manifest
from annotate.exchange.rows import (
    DEFAULT_CHUNK,
    Chunk,
    StanceKey,
    chunk_runs,
    project_has_chains,
    stance_list,
)
from corpus.models import Article, Project

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
            "status": row["source_status"],
        }
    mention = None
    if row["mention_start"] is not None:
        mention = {
            "start": row["mention_start"],
            "end": row["mention_end"],
            "text": row["mention_text"],
        }
    record = {
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
    if "chain" in row:
        record["chain"] = [link_record(link) for link in row["chain"]]
        record["chain_reliability"] = row["chain_reliability"]
    return record


def link_record(link: dict[str, Any]) -> dict[str, Any]:
    """A link of a claim's attribution chain (a row's ``chain`` item) as exported: its
    position, its carrier (a source, as a claim's, its status included), its mention and
    its reliability."""
    return {
        "position": link["position"],
        "source": {
            "id": link["source_id"],
            "name": link["source_name"],
            "kind": link["source_kind"],
            "aliases": link["source_aliases"],
            "external_id": link["source_external_id"],
            "status": link["source_status"],
        },
        "source_mention": None
        if link["mention_start"] is None
        else {
            "start": link["mention_start"],
            "end": link["mention_end"],
            "text": link["mention_text"],
        },
        "reliability": link["reliability"],
    }


# json.dumps(..., ensure_ascii=False, default=json_default), built once; a NaN or an
# infinity is an error here rather than a bare ``NaN`` that is not JSON.
_encode = json.JSONEncoder(ensure_ascii=False, default=json_default, allow_nan=False).encode
# A claim inside an article line, in claim_record's keys and order: the values go in
# already in JSON (what the encoder above writes for each of them). Runs of keys whose
# values few claims tell apart (layer and annotator; the labels; status, decision and
# version) go in as one piece each (``_Pieces``), made once per distinct run.
_CLAIM = (
    '{"claim_id": %s, %s, "start": %s, "end": %s, "quote": %s, "source": %s, %s, '
    '"source_mention": %s, "stances": %s, %s, "note": %s, %s, '
    '"created": "%s", "updated": "%s"}'
).__mod__
# The same from the members the query wrote (``rows_query.JSON_MEMBERS``): the
# span (start, end, quote), the attribution, and the labels with the note, each one
# piece already.
_CLAIM_MEMBERS = (
    '{"claim_id": %s, %s, %s, "source": %s, %s, "source_mention": %s, "stances": %s, '
    '%s, %s, "created": "%s", "updated": "%s"}'
).__mod__


class _Pieces(dict[tuple[Any, ...], str]):
    """The values of a few keys of ``claim_record`` (``keys``) → those keys with their
    values in JSON, as the encoder writes them, made once per distinct set of values."""

    def __init__(self, *keys: str) -> None:
        super().__init__()
        self.template = ", ".join(f"{encode_basestring(key)}: %s" for key in keys)

    def __missing__(self, values: tuple[Any, ...]) -> str:
        value = self[values] = self.template % tuple(map(_encode, values))
        return value

    def column(self, *columns: list[Any]) -> list[str]:
        return list(map(self.__getitem__, zip(*columns, strict=True)))


def json_column(values: list[Any], encode: Callable[[Any], str] | None = None) -> list[str]:
    """Each value as ``encode`` (by default this module's encoder) writes it, for a whole
    column at once: strings and integers through the encoder's own C functions (None as
    ``null``), anything else one by one through ``encode``. W3C's writer uses it too."""
    kind = next((type(v) for v in values if v is not None), None)
    convert = encode_basestring if kind is str else int.__repr__ if kind is int else None
    if convert is not None:
        try:
            if None not in values:
                return list(map(convert, values))
            return ["null" if v is None else convert(v) for v in values]
        except TypeError:  # a value of another type further down the column
            pass
    return list(map(encode or _encode, values))


class _SourceJson(dict[int | None, str]):
    """Source id → the ``source`` object of a claim in JSON, made once per source."""

    def __init__(
        self,
        sources: dict[int | None, tuple[Any, ...]],
        statuses: dict[int | None, str | None],
    ) -> None:
        super().__init__({None: "null"})
        self.sources = sources
        self.statuses = statuses

    def __missing__(self, pk: int) -> str:
        name, kind, external_id, aliases = self.sources[pk]
        value = self[pk] = _encode(
            {
                "id": pk,
                "name": name,
                "kind": kind,
                "aliases": aliases,
                "external_id": external_id,
                "status": self.statuses[pk],
            }
        )
        return value


class _StancesJson(dict[StanceKey, str]):
    """A claim's stances (``StanceKey``) → its ``stances`` list in JSON, made once per
    distinct set of stances."""

    def __missing__(self, key: StanceKey) -> str:
        value = self[key] = _encode(stance_list(key))
        return value


def _mention(start: Any, end: Any, text: Any) -> str:
    """A claim's ``source_mention`` in JSON."""
    if start is None:
        return "null"
    if type(start) is int and type(end) is int and type(text) is str:
        return f'{{"start": {start}, "end": {end}, "text": {encode_basestring(text)}}}'
    return _encode({"start": start, "end": end, "text": text})


class _ClaimPieces:
    """The ``_Pieces`` of an export's claims, kept from chunk to chunk."""

    def __init__(self) -> None:
        self.who = _Pieces("layer", "annotator")
        self.attribution = _Pieces("attribution")
        self.labels = _Pieces(
            "source_reliability", "information_credibility", "claim_type", "checkworthy"
        )
        self.outcome = _Pieces("status", "decision", "version")


def _claims_json(
    chunk: Chunk, sources: _SourceJson, stances: _StancesJson, pieces: _ClaimPieces
) -> list[str]:
    """Each claim of the chunk as ``claim_record`` would be encoded, column by column:
    a dict per claim and the encoder's walk over it took most of the time."""
    columns = chunk.columns
    who = pieces.who.column(columns["layer"], columns["annotator"])
    source = map(sources.__getitem__, columns["source_id"])
    mention = map(
        _mention, columns["mention_start"], columns["mention_end"], columns["mention_text"]
    )
    outcome = pieces.outcome.column(columns["status"], columns["decision"], columns["version"])
    # One %-format per claim of a tuple of ready-made JSON values: the fastest way.
    if "span_json" in columns:  # written by the query
        encoded = list(
            map(
                _CLAIM_MEMBERS,
                zip(
                    json_column(columns["claim_id"]),
                    who,
                    columns["span_json"],
                    source,
                    columns["attribution_json"],
                    mention,
                    map(stances.__getitem__, chunk.stance_keys),
                    columns["labels_json"],
                    outcome,
                    columns["created"],
                    columns["updated"],
                    strict=True,
                ),
            )
        )
    else:
        encoded = list(
            map(
                _CLAIM,
                zip(
                    json_column(columns["claim_id"]),
                    who,
                    json_column(columns["start"]),
                    json_column(columns["end"]),
                    json_column(columns["quote"]),
                    source,
                    pieces.attribution.column(columns["attribution"]),
                    mention,
                    map(stances.__getitem__, chunk.stance_keys),
                    pieces.labels.column(
                        columns["source_reliability"],
                        columns["information_credibility"],
                        columns["claim_type"],
                        columns["checkworthy"],
                    ),
                    json_column(columns["note"]),
                    outcome,
                    columns["created"],
                    columns["updated"],
                    strict=True,
                ),
            )
        )
    if chunk.chains:
        # The few chained claims get their chain after ``updated`` (claims without one
        # keep the bytes they had before chains existed).
        for index, claim_id in enumerate(columns["claim_id"]):
            if claim_id in chunk.chains:
                links = [link_record(link) for link in chunk.chain_of(claim_id)]
                encoded[index] = (
                    f'{encoded[index][:-1]}, "chain": {_encode(links)}, '
                    f'"chain_reliability": {_encode(chunk.chain_reliability[claim_id])}}}'
                )
    return encoded


# An article line's keys before its claims, in order.
_ARTICLE_KEYS = (*ARTICLE_VALUES, "split", "text")


def _article_head(article: dict[str, Any]) -> str:
    """The article line up to its claims: the encoded object without its closing brace."""
    head = _encode({name: article[name] for name in _ARTICLE_KEYS})
    return head[:-1] + ', "claims": ['


def stream(project: Project, options: ExportOptions, *, on_chunk: Any = None) -> Iterator[bytes]:
    """The export as UTF-8 bytes, a few hundred kilobytes at a time. Each line is
    ``{article…, "claims": [...], "provenance": {...}}`` as the encoder writes the whole
    object, put together from the article's head, its claims and the provenance, each
    encoded once. The pieces go to bytes one by one: a string joined from them all
    would take four bytes a character (every text has an emoji) to be copied again.
    With ``options.all_articles`` an article without selected claims is a line like the
    others, with ``"claims": []``. On SQLite, for a project without chains and clusters,
    the database writes each article's claims (``jsonl_sql``), the same bytes."""
    tail = ('], "provenance": ' + _encode(manifest(project, options, "jsonl")) + "}\n").encode()
    # Claim clusters (annotate/clusters): a "clusters" list on every claim, only when the
    # project has any, so that a project without them exports the same bytes as before.
    memberships = {pk: _encode(found) for pk, found in export_memberships(project).items()}
    chained = project_has_chains(project)
    alias = Article.objects.db
    if jsonl_sql.applies(project, alias, chained=chained, clustered=bool(memberships)):
        yield from _stream_written(project, options, tail, on_chunk)
        return
    parts: list[bytes] = []
    size = 0
    sources: _SourceJson | None = None
    stances = _StancesJson()
    pieces = _ClaimPieces()
    current: int | None = None  # the article whose line is open (it may go on in the next chunk)
    claims: list[str] = []
    # Lines have no quote context: the claims' prefix and suffix are not read.
    # The claims' span, attribution, labels and note as JSON from the query where it can.
    for chunk, runs in chunk_runs(
        project, options, omit=("prefix", "suffix"), written="json", chained=chained
    ):
        encoded: list[str] = []
        if chunk is not None:
            if sources is None:
                sources = _SourceJson(chunk.sources, chunk.source_statuses)
            encoded = _claims_json(chunk, sources, stances, pieces)
            if memberships:
                encoded = _with_clusters(encoded, chunk.columns["claim_id"], memberships)
        for article, first, stop in runs:
            if article["id"] != current:
                if current is not None:
                    size += _close(parts, claims, tail)
                current, claims = article["id"], []
                head = _article_head(article).encode()
                parts.append(head)
                size += len(head)
                if size >= FLUSH_BYTES:  # a long run of articles without claims
                    yield b"".join(parts)
                    parts, size = [], 0
            claims += encoded[first:stop]
        if on_chunk is not None and chunk is not None:
            on_chunk(len(chunk))
        if size >= FLUSH_BYTES:
            yield b"".join(parts)
            parts, size = [], 0
    if current is not None:
        _close(parts, claims, tail)
    if parts:
        yield b"".join(parts)


def _stream_written(
    project: Project, options: ExportOptions, tail: bytes, on_chunk: Any
) -> Iterator[bytes]:
    """``stream`` with each article's claims written and joined by the database
    (``jsonl_sql``): a row per article, its head made here as in ``stream``."""
    metadata = Article._meta.get_field("metadata")
    db = connections[Article.objects.db]
    parts: list[bytes] = []
    size = 0
    counted = 0  # claims not yet told to ``on_chunk``
    for row in jsonl_sql.article_rows(project, options):
        article = dict(zip(jsonl_sql.ARTICLE_FIELDS, row, strict=False))
        written = row[-1]
        if written is None:
            if not options.all_articles:
                continue
            count, claims = 0, b""
        else:
            number, _, text = written.partition(",")
            count, claims = int(number), text.encode()
        article["metadata"] = metadata.from_db_value(article["metadata"], metadata.cached_col, db)
        article["split"] = split_of(article["sha256"], options) if options.split else None
        head = _article_head(article).encode()
        parts += (head, claims, tail)
        size += len(head) + len(claims) + len(tail)
        counted += count
        if size >= FLUSH_BYTES:
            yield b"".join(parts)
            parts, size = [], 0
        if on_chunk is not None and counted >= DEFAULT_CHUNK:
            on_chunk(counted)
            counted = 0
    if parts:
        yield b"".join(parts)
    if on_chunk is not None and counted:
        on_chunk(counted)


def _with_clusters(
    encoded: list[str], claim_ids: list[int], memberships: dict[int, str]
) -> list[str]:
    """Each encoded claim with its ``"clusters"`` (``[]`` when in none) as the last key."""
    return [
        f'{claim[:-1]}, "clusters": {memberships.get(pk, "[]")}}}'
        for claim, pk in zip(encoded, claim_ids, strict=True)
    ]


def _close(parts: list[bytes], claims: list[str], tail: bytes) -> int:
    """End an article's line: its claims and the tail. The bytes added. Each claim goes
    to UTF-8 on its own: joined first, one claim with an emoji made the whole line's
    string four bytes a character (half the time of this step)."""
    body = b", ".join([claim.encode() for claim in claims])
    parts += (body, tail)
    return len(body) + len(tail)
