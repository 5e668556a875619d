"""W3C Web Annotation (JSON-LD): one ``Annotation`` per claim, in an
``AnnotationCollection`` whose first (and only) ``AnnotationPage`` holds them all.

Each annotation's ``target`` is the article's text, named by its SHA-256 as an RFC 6920
``ni:`` IRI, with a ``TextPositionSelector`` (code-point offsets: the model counts
characters, not UTF-16 code units) and a ``TextQuoteSelector`` (the quote with its
prefix and suffix); ``scope`` is the article's URL. Bodies are ``TextualBody``\\ s: the
source (purpose ``identifying``), attribution, one stance per target, reliability,
credibility, claim type (purpose ``classifying``) and the note (``commenting``); the
source mention is a ``SpecificResource`` body that selects the words naming the source.
A claim with an attribution chain has more bodies: each carrier (purpose
``identifying``, ``cd:field`` "chain", its ``cd:position`` and ``cd:reliability``), the
words naming it (a ``SpecificResource``, ``cd:field`` "chain_mention") and the chain's
weakest link (``classifying``, ``cd:field`` "chain_reliability").
Claimdesk's own terms (``cd:field``, ``cd:stanceTarget`` …) are compact IRIs under the
prefix ``cd:`` that the second context defines; the first context is the model's own,
``http://www.w3.org/ns/anno.jsonld``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any

from annotate.exchange.jsonl import json_column
from annotate.exchange.options import ExportOptions
from annotate.exchange.provenance import json_default, manifest
from annotate.exchange.rows import Chunk, StanceKey, claim_chunks, claims_queryset
from corpus.models import Project
from corpus.scheme import LABEL_FIELDS as SCHEME_LABELS

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CD = "urn:claimdesk:ns#"
CONTEXT: list[Any] = [
    ANNO_CONTEXT,
    {
        "cd": CD,
        "cd:provenance": {"@type": "@json"},
        "cd:aliases": {"@container": "@list"},
    },
]
# (field, column): the claim's labels, by the same names.
LABEL_FIELDS = tuple((name, name) for name in SCHEME_LABELS)
FLUSH_BYTES = 256 * 1024


def text_iri(sha256: str) -> str:
    """The article text as an RFC 6920 named-information IRI (``ni:///sha-256;…``)."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256)).rstrip(b"=").decode()
    return f"ni:///sha-256;{digest}"


def sha256_of_iri(iri: str) -> str | None:
    """The hex SHA-256 that a ``text_iri`` names, or None for any other IRI."""
    prefix = "ni:///sha-256;"
    if not iri.startswith(prefix):
        return None
    encoded = iri[len(prefix) :]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        return None
    return raw.hex() if len(raw) == 32 else None


def _classifying(field: str, value: str) -> dict[str, Any]:
    return {"type": "TextualBody", "purpose": "classifying", "value": value, "cd:field": field}


def chain_bodies(row: dict[str, Any], source_iri: str) -> list[dict[str, Any]]:
    """The bodies of a claim's attribution chain (none for a claim without one)."""
    bodies: list[dict[str, Any]] = []
    for link in row.get("chain", ()):
        carrier: dict[str, Any] = {
            "type": "TextualBody",
            "purpose": "identifying",
            "value": link["source_name"],
            "cd:field": "chain",
            "cd:position": link["position"],
            "cd:sourceKind": link["source_kind"],
            "cd:sourceStatus": link["source_status"],
            "cd:aliases": link["source_aliases"],
        }
        if link["source_external_id"]:
            carrier["cd:externalId"] = link["source_external_id"]
        if link["reliability"]:
            carrier["cd:reliability"] = link["reliability"]
        bodies.append(carrier)
        if link["mention_start"] is not None:
            bodies.append(
                {
                    "type": "SpecificResource",
                    "purpose": "identifying",
                    "cd:field": "chain_mention",
                    "cd:position": link["position"],
                    "source": source_iri,
                    "selector": [
                        {
                            "type": "TextPositionSelector",
                            "start": link["mention_start"],
                            "end": link["mention_end"],
                        },
                        {"type": "TextQuoteSelector", "exact": link["mention_text"]},
                    ],
                }
            )
    if row.get("chain_reliability"):
        bodies.append(_classifying("chain_reliability", row["chain_reliability"]))
    return bodies


def annotation(row: dict[str, Any], slug: str) -> dict[str, Any]:
    """One claim row as a Web Annotation."""
    source_iri = text_iri(row["article_sha256"])
    bodies: list[dict[str, Any]] = []
    if row["source_id"] is not None:
        body = {
            "type": "TextualBody",
            "purpose": "identifying",
            "value": row["source_name"],
            "cd:field": "source",
            "cd:sourceKind": row["source_kind"],
            "cd:sourceStatus": row["source_status"],
            "cd:aliases": row["source_aliases"],
        }
        if row["source_external_id"]:
            body["cd:externalId"] = row["source_external_id"]
        bodies.append(body)
    if row["mention_start"] is not None:
        bodies.append(
            {
                "type": "SpecificResource",
                "purpose": "identifying",
                "cd:field": "source_mention",
                "source": source_iri,
                "selector": [
                    {
                        "type": "TextPositionSelector",
                        "start": row["mention_start"],
                        "end": row["mention_end"],
                    },
                    {"type": "TextQuoteSelector", "exact": row["mention_text"]},
                ],
            }
        )
    for stance in row["stances"]:
        body = _classifying("stance", stance["stance"])
        body["cd:stanceTarget"] = stance["target"]
        bodies.append(body)
    for field, column in LABEL_FIELDS:
        if row[column]:
            bodies.append(_classifying(field, row[column]))
    bodies += chain_bodies(row, source_iri)
    if row["note"]:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "value": row["note"],
                "cd:field": "note",
            }
        )
    out: dict[str, Any] = {
        "id": f"urn:claimdesk:{slug}:claim:{row['claim_id']}",
        "type": "Annotation",
        "motivation": "classifying",
        "created": row["created"],
        "modified": row["updated"],
    }
    if row["annotator"] is not None:
        out["creator"] = {
            "id": f"urn:claimdesk:user:{row['annotator']}",
            "type": "Person",
            "nickname": row["annotator"],
        }
    out.update(
        {
            "cd:layer": row["layer"],
            "cd:status": row["status"],
            "cd:claimId": row["claim_id"],
            "body": bodies,
            "target": {
                "type": "SpecificResource",
                "source": source_iri,
                "selector": [
                    {"type": "TextPositionSelector", "start": row["start"], "end": row["end"]},
                    {
                        "type": "TextQuoteSelector",
                        "exact": row["quote"],
                        "prefix": row["prefix"],
                        "suffix": row["suffix"],
                    },
                ],
            },
        }
    )
    if row["decision"]:
        out["cd:decision"] = row["decision"]
    if row["split"]:
        out["cd:split"] = row["split"]
    if row["article_url"]:
        out["target"]["scope"] = row["article_url"]
    return out


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=json_default)


# What ``_dump`` writes, built once.
_encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode


def _value(value: Any) -> str:
    """One value as ``_dump`` writes it (strings and integers without the encoder's walk)."""
    kind = type(value)
    if kind is str:
        return str(encode_basestring(value))
    if kind is int:
        return int.__repr__(value)
    return _encode(value)


def _json_column(values: list[Any]) -> list[str]:
    """Each value as ``_value`` writes it, for a whole column at once."""
    return json_column(values, _encode)


def _mention(iri: str, start: Any, end: Any, text: Any) -> str:
    """The source mention's body in JSON ("" for a claim without one)."""
    if start is None:
        return ""
    return (
        '{"type": "SpecificResource", "purpose": "identifying", '
        f'"cd:field": "source_mention", "source": {iri}, "selector": '
        f'[{{"type": "TextPositionSelector", "start": {_value(start)}, '
        f'"end": {_value(end)}}}, {{"type": "TextQuoteSelector", '
        f'"exact": {_value(text)}}}]}}'
    )


def _note(note: Any) -> str:
    """The note's body in JSON ("" for none)."""
    if not note:
        return ""
    return (
        '{"type": "TextualBody", "purpose": "commenting", "value": '
        f'{_value(note)}, "cd:field": "note"}}'
    )


# An annotation, as ``_dump(annotation(row, slug))`` writes it, from its pieces in JSON:
# id, created, modified, creator (", …" or ""), layer and status, claim id, bodies,
# the text's IRI, start, end, quote, prefix, suffix, scope, decision, split (each of the
# last three ", …" or "").
_ANNOTATION = (
    '{"id": %s, "type": "Annotation", "motivation": "classifying", "created": %s, '
    '"modified": %s%s, %s, "cd:claimId": %s, "body": [%s], "target": {"type": '
    '"SpecificResource", "source": %s, "selector": [{"type": "TextPositionSelector", '
    '"start": %s, "end": %s}, {"type": "TextQuoteSelector", "exact": %s, "prefix": %s, '
    '"suffix": %s}]%s}%s%s}'
).__mod__


class _Writer:
    """The annotations of a chunk's claims as ``_dump(annotation(row, slug))`` writes
    them, put together from pieces: what an article, a source, a set of stances or of
    labels, an annotator gives every claim that has it is encoded once (the dict per
    claim and the encoder's walk over it were two thirds of the export's time)."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        # The annotation's ``id`` up to the claim's id: ``"urn:claimdesk:<slug>:claim:``.
        self.id_head = _value(f"urn:claimdesk:{slug}:claim:")[:-1]
        self.sources: dict[int | None, str] = {}
        self.stances: dict[StanceKey, str] = {}
        self.labels: dict[tuple[Any, ...], str] = {}
        self.creators: dict[str | None, str] = {None: ""}
        self.outcomes: dict[tuple[Any, ...], tuple[str, str]] = {}
        self.articles: dict[int, tuple[str, str, str]] = {}

    def chunk(self, chunk: Chunk) -> list[str]:
        """The chunk's annotations, column by column: each piece of JSON made for a whole
        column at once (``_json_column``) or once per distinct article, source, set of
        stances or labels, annotator and outcome; then one %-format per claim (a loop of
        f-strings and calls per claim took three times as long)."""
        columns = chunk.columns
        claim_ids = columns["claim_id"]
        articles = {pk: self._article(chunk, pk) for pk in chunk.articles}
        per_article = list(map(articles.__getitem__, columns["article_id"]))
        iris = [found[0] for found in per_article]
        outcomes = list(
            map(
                self._outcome,
                zip(columns["layer"], columns["status"], columns["decision"], strict=True),
            )
        )
        bodies = [
            ", ".join(filter(None, claim_bodies))
            for claim_bodies in zip(
                map(self._source_of(chunk), columns["source_id"]),
                map(
                    _mention,
                    iris,
                    columns["mention_start"],
                    columns["mention_end"],
                    columns["mention_text"],
                ),
                map(self._stances, chunk.stance_keys),
                map(
                    self._labels,
                    zip(*(columns[column] for _, column in LABEL_FIELDS), strict=True),
                ),
                self._chains(chunk) if chunk.chains else [""] * len(claim_ids),
                map(_note, columns["note"]),
                strict=True,
            )
        ]
        ids = _json_column(claim_ids)
        return list(
            map(
                _ANNOTATION,
                zip(
                    [f'{self.id_head}{pk}"' for pk in ids]
                    if all(type(pk) is int for pk in claim_ids)
                    else [_value(f"urn:claimdesk:{self.slug}:claim:{pk}") for pk in claim_ids],
                    _json_column(columns["created"]),
                    _json_column(columns["updated"]),
                    map(self._creator, columns["annotator"]),
                    [outcome[0] for outcome in outcomes],
                    ids,
                    bodies,
                    iris,
                    _json_column(columns["start"]),
                    _json_column(columns["end"]),
                    _json_column(columns["quote"]),
                    _json_column(columns["prefix"]),
                    _json_column(columns["suffix"]),
                    [found[1] for found in per_article],
                    [outcome[1] for outcome in outcomes],
                    [found[2] for found in per_article],
                    strict=True,
                ),
            )
        )

    def _source_of(self, chunk: Chunk) -> Any:
        """Source id → its body in JSON ("" for none), made once per source."""

        def source(pk: int | None) -> str:
            found = self.sources.get(pk)
            if found is None:
                found = self.sources[pk] = self._source(chunk, pk)
            return found

        return source

    def _stances(self, key: StanceKey) -> str:
        """A set of stances → their bodies in JSON, joined ("" for none)."""
        found = self.stances.get(key)
        if found is None:
            found = self.stances[key] = ", ".join(
                _encode({**_classifying("stance", stance), "cd:stanceTarget": target})
                for target, stance in key
            )
        return found

    def _labels(self, values: tuple[Any, ...]) -> str:
        """A claim's labels → their bodies in JSON, joined ("" for none)."""
        found = self.labels.get(values)
        if found is None:
            found = self.labels[values] = ", ".join(
                _encode(_classifying(field, value))
                for (field, _), value in zip(LABEL_FIELDS, values, strict=True)
                if value
            )
        return found

    def _creator(self, annotator: str | None) -> str:
        """The ``creator`` piece of an annotator's claims ("" for gold)."""
        found = self.creators.get(annotator)
        if found is None:
            found = self.creators[annotator] = ', "creator": ' + _encode(
                {
                    "id": f"urn:claimdesk:user:{annotator}",
                    "type": "Person",
                    "nickname": annotator,
                }
            )
        return found

    def _outcome(self, key: tuple[Any, ...]) -> tuple[str, str]:
        """(layer, status, decision) → the ``cd:layer`` and ``cd:status`` piece, and the
        ``cd:decision`` one ("" without a decision)."""
        found = self.outcomes.get(key)
        if found is None:
            layer, status, decision = key
            found = self.outcomes[key] = (
                f'"cd:layer": {_value(layer)}, "cd:status": {_value(status)}',
                f', "cd:decision": {_value(decision)}' if decision else "",
            )
        return found

    @staticmethod
    def _chains(chunk: Chunk) -> list[str]:
        """Each claim's chain bodies in JSON, joined ("" for a claim without a chain)."""
        out = []
        for claim_id, article_id in zip(
            chunk.columns["claim_id"], chunk.columns["article_id"], strict=True
        ):
            if claim_id not in chunk.chains:
                out.append("")
                continue
            chained = {
                "chain": chunk.chain_of(claim_id),
                "chain_reliability": chunk.chain_reliability[claim_id],
            }
            text = text_iri(chunk.articles[article_id]["sha256"])
            out.append(", ".join(_encode(body) for body in chain_bodies(chained, text)))
        return out

    def _article(self, chunk: Chunk, pk: int) -> tuple[str, str, str]:
        """The article's text IRI in JSON, its ``scope`` and ``cd:split`` pieces."""
        found = self.articles.get(pk)
        if found is None:
            article = chunk.articles[pk]
            found = self.articles[pk] = (
                _value(text_iri(article["sha256"])),
                f', "scope": {_value(article["url"])}' if article["url"] else "",
                f', "cd:split": {_value(article["split"])}' if article["split"] else "",
            )
        return found

    @staticmethod
    def _source(chunk: Chunk, pk: int | None) -> str:
        """The source's body in JSON, or "" for a claim without a source."""
        if pk is None:
            return ""
        name, kind, external_id, aliases = chunk.sources[pk]
        body = {
            "type": "TextualBody",
            "purpose": "identifying",
            "value": name,
            "cd:field": "source",
            "cd:sourceKind": kind,
            "cd:sourceStatus": chunk.source_statuses[pk],
            "cd:aliases": aliases,
        }
        if external_id:
            body["cd:externalId"] = external_id
        return _encode(body)


def stream(project: Project, options: ExportOptions, *, on_chunk: Any = None) -> Iterator[bytes]:
    """The collection as UTF-8 JSON-LD, written as the claims are read: each claim as
    ``annotation`` makes it, encoded as ``json.dumps`` would (``_Writer``)."""
    info = manifest(project, options, "w3c")
    total = claims_queryset(project, options).count()
    head = {
        "@context": CONTEXT,
        "id": f"urn:claimdesk:{project.slug}:export:{info['exported_at']}",
        "type": "AnnotationCollection",
        "label": f"Claims of {project.name}",
        "total": total,
        "generator": {
            "id": "urn:claimdesk",
            "type": "Software",
            "name": f"Claimdesk {info['tool_version']}",
        },
        "generated": info["exported_at"],
        "cd:provenance": info,
    }
    opening = _dump(head)[:-1] + ', "first": {"type": "AnnotationPage", "startIndex": 0, '
    writer = _Writer(project.slug)
    parts = [(opening + '"items": [\n').encode()]
    separator = b""
    for chunk in claim_chunks(project, options):
        annotations = writer.chunk(chunk)
        if annotations:
            # Each to UTF-8 on its own: joined first, one annotation with an emoji made
            # the whole chunk's string four bytes a character (a third of the writing).
            parts.append(separator + b",\n".join([a.encode() for a in annotations]))
            separator = b",\n"
        if on_chunk is not None:
            on_chunk(len(chunk))
        if sum(map(len, parts)) >= FLUSH_BYTES:
            yield b"".join(parts)
            parts = []
    parts.append(b"\n]}}\n")
    yield b"".join(parts)
