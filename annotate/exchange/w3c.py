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


class _Writer:
    """The annotations of a chunk's claims as ``_dump(annotation(row, slug))`` writes
    them, put together from pieces: what an article, a source, a set of stances or of
    labels, an annotator gives every claim that has it is encoded once (the dict per
    claim and the encoder's walk over it were two thirds of the export's time)."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.sources: dict[int | None, str] = {}
        self.stances: dict[StanceKey, list[str]] = {}
        self.labels: dict[tuple[Any, ...], list[str]] = {}
        self.creators: dict[str | None, str] = {None: ""}
        self.outcomes: dict[tuple[Any, ...], tuple[str, str]] = {}
        self.articles: dict[int, tuple[str, str, str]] = {}

    def chunk(self, chunk: Chunk) -> list[str]:
        columns = chunk.columns
        labels = zip(*(columns[column] for _, column in LABEL_FIELDS), strict=True)
        rows = zip(
            columns["claim_id"],
            columns["article_id"],
            columns["created"],
            columns["updated"],
            columns["annotator"],
            columns["layer"],
            columns["status"],
            columns["decision"],
            columns["source_id"],
            columns["mention_start"],
            columns["mention_end"],
            columns["mention_text"],
            chunk.stance_keys,
            labels,
            columns["note"],
            columns["start"],
            columns["end"],
            columns["quote"],
            columns["prefix"],
            columns["suffix"],
            strict=True,
        )
        self.articles = {}
        out = []
        for (
            claim_id,
            article_id,
            created,
            updated,
            annotator,
            layer,
            status,
            decision,
            source_id,
            mention_start,
            mention_end,
            mention_text,
            stance_key,
            label_values,
            note,
            start,
            end,
            quote,
            prefix,
            suffix,
        ) in rows:
            iri, scope, split = self._article(chunk, article_id)
            bodies = []
            source = self.sources.get(source_id)
            if source is None:
                source = self.sources[source_id] = self._source(chunk, source_id)
            if source:
                bodies.append(source)
            if mention_start is not None:
                bodies.append(
                    '{"type": "SpecificResource", "purpose": "identifying", '
                    f'"cd:field": "source_mention", "source": {iri}, "selector": '
                    f'[{{"type": "TextPositionSelector", "start": {_value(mention_start)}, '
                    f'"end": {_value(mention_end)}}}, {{"type": "TextQuoteSelector", '
                    f'"exact": {_value(mention_text)}}}]}}'
                )
            stances = self.stances.get(stance_key)
            if stances is None:
                stances = self.stances[stance_key] = [
                    _encode({**_classifying("stance", stance), "cd:stanceTarget": target})
                    for target, stance in stance_key
                ]
            bodies += stances
            label_bodies = self.labels.get(label_values)
            if label_bodies is None:
                label_bodies = self.labels[label_values] = [
                    _encode(_classifying(field, value))
                    for (field, _), value in zip(LABEL_FIELDS, label_values, strict=True)
                    if value
                ]
            bodies += label_bodies
            if claim_id in chunk.chains:
                chained = {
                    "chain": chunk.chain_of(claim_id),
                    "chain_reliability": chunk.chain_reliability[claim_id],
                }
                text = text_iri(chunk.articles[article_id]["sha256"])
                bodies += [_encode(body) for body in chain_bodies(chained, text)]
            if note:
                bodies.append(
                    '{"type": "TextualBody", "purpose": "commenting", "value": '
                    f'{_value(note)}, "cd:field": "note"}}'
                )
            creator = self.creators.get(annotator)
            if creator is None:
                creator = self.creators[annotator] = ', "creator": ' + _encode(
                    {
                        "id": f"urn:claimdesk:user:{annotator}",
                        "type": "Person",
                        "nickname": annotator,
                    }
                )
            outcome = self.outcomes.get((layer, status, decision))
            if outcome is None:
                outcome = self.outcomes[(layer, status, decision)] = (
                    f'"cd:layer": {_value(layer)}, "cd:status": {_value(status)}',
                    f', "cd:decision": {_value(decision)}' if decision else "",
                )
            out.append(
                f'{{"id": {_value(f"urn:claimdesk:{self.slug}:claim:{claim_id}")}, '
                f'"type": "Annotation", "motivation": "classifying", "created": '
                f'{_value(created)}, "modified": {_value(updated)}{creator}, {outcome[0]}, '
                f'"cd:claimId": {_value(claim_id)}, "body": [{", ".join(bodies)}], '
                f'"target": {{"type": "SpecificResource", "source": {iri}, "selector": '
                f'[{{"type": "TextPositionSelector", "start": {_value(start)}, "end": '
                f'{_value(end)}}}, {{"type": "TextQuoteSelector", "exact": {_value(quote)}, '
                f'"prefix": {_value(prefix)}, "suffix": {_value(suffix)}}}]{scope}}}'
                f"{outcome[1]}{split}}}"
            )
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
    separator = ""
    for chunk in claim_chunks(project, options):
        annotations = writer.chunk(chunk)
        if annotations:
            parts.append((separator + ",\n".join(annotations)).encode())
            separator = ",\n"
        if on_chunk is not None:
            on_chunk(len(chunk))
        if sum(map(len, parts)) >= FLUSH_BYTES:
            yield b"".join(parts)
            parts = []
    parts.append(b"\n]}}\n")
    yield b"".join(parts)
