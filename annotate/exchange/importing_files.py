"""Reading annotation files for the import (``annotate.exchange.importing``): JSONL or W3C
Web Annotation text in, one ``Item`` per claim out, each with where it is in the file and
the problems its shape already has. Nothing here looks at the database.

- JSONL: one article per line, found by ``sha256`` (or ``id``, an article of the
  project), with ``claims``: ``start``, ``end`` (code points), ``quote``, ``source``
  (``{"name": …}``, ``{"id": …}``, ``{"external_id": …}`` or a name), ``attribution``,
  ``source_mention`` (``{"start", "end"}``), ``stances`` (``[{"target": name, "stance"}]``),
  ``source_reliability``, ``information_credibility``, ``claim_type``, ``checkworthy``,
  ``note``, ``chain`` (the attribution chain as exported: ``[{"source": …, "source_mention":
  {"start", "end"}, "reliability": …}]``, first carrier first) and, for suggestions,
  ``score`` (or ``confidence``). Other keys (``claim_id``, ``status``,
  ``chain_reliability`` …) are ignored.
- W3C: an ``AnnotationCollection``, an ``AnnotationPage``, a list of annotations or one
  annotation. The target's ``source`` names the text (``ni:///sha-256;…`` as exported, or
  the article's URL); a ``TextPositionSelector`` gives the offsets, a ``TextQuoteSelector``
  the quote to check; bodies are read by ``cd:field`` (a ``TextualBody`` whose purpose is
  ``identifying`` is the source); ``cd:score`` (or ``score``, ``confidence``) on the
  annotation is a suggestion's score.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError

from annotate.exchange.w3c import sha256_of_iri
from annotate.scheme import LABEL_FIELDS
from common.jsonload import NOT_PLAIN, loads_bounded, loads_plain
from common.text import json_text_problem

BRAT = "brat"
LABEL_STUDIO, DOCCANO = "label-studio", "doccano"
TEXT_FORMATS = ("jsonl", "w3c")
# Formats that carry each text with its spans, read like brat (``importing_tools``).
TOOL_FORMATS = (LABEL_STUDIO, DOCCANO)
FORMATS = (*TEXT_FORMATS, BRAT, *TOOL_FORMATS)
SCORE_KEYS = ("score", "confidence")
W3C_SCORE_KEYS = ("cd:score", *SCORE_KEYS)


@dataclass
class Item:
    """One claim as the file gives it. ``claim`` has ``start end quote source mention
    stances note score`` and the label fields; ``article`` how the file names the text."""

    where: str  # "line 3, claim 2" / "annotation 5 (urn:…)"
    article: dict[str, Any]
    claim: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    # Its strings are known to be storable (its line held nothing that could decode to a
    # character the text check refuses): ``read_items`` needn't walk them.
    storable: bool = False


def decode(data: Content) -> str:
    """The file's text (UTF-8, a byte-order mark dropped); ``ValidationError`` if it isn't."""
    data = content_bytes(data)
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"The file is not UTF-8 (byte {exc.start + 1}).") from exc


# A file's content: its bytes, its text, or a binary file open at its start (an upload
# on disk), read line by line where the format allows.
Content = bytes | str | IO[bytes]


def content_bytes(data: Content) -> bytes | str:
    """The content whole (a file is read)."""
    return data if isinstance(data, bytes | str) else data.read()


def lines(data: Content) -> Iterator[str]:
    """The file's lines (ending at "\n" only), each decoded on its own (UTF-8, a
    byte-order mark dropped): a big file is never held as one string, nor, from a file,
    whole at all. ``ValidationError`` when the file is not UTF-8, as ``decode`` says it,
    once the reading gets there."""
    if isinstance(data, str):
        data = data.removeprefix("\ufeff")
        at = 0
        while at <= len(data):
            end = data.find("\n", at)
            end = len(data) if end < 0 else end
            yield data[at:end]
            at = end + 1
        return
    raws: Iterable[bytes] = data if not isinstance(data, bytes) else _byte_lines(data)
    offset = 0  # bytes before the line
    for number, raw in enumerate(raws):
        line = raw[:-1] if raw.endswith(b"\n") else raw
        skip = len(codecs.BOM_UTF8) if number == 0 and line.startswith(codecs.BOM_UTF8) else 0
        try:
            yield line[skip:].decode("utf-8")
        except UnicodeDecodeError as exc:
            at = offset + skip + exc.start + 1
            raise ValidationError(f"The file is not UTF-8 (byte {at}).") from exc
        offset += len(raw)


def _byte_lines(data: bytes) -> Iterator[bytes]:
    at = 0
    while at < len(data):
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end + 1
        yield data[at:end]
        at = end


_FIRST_CHARACTER = re.compile(rb"[^ \t\r\n]")


def head(data: Content) -> str:
    """The file's text up to the end of its first line that is not blank: enough for
    ``guess_format`` to tell JSON Lines from doccano's (``decode``'s error if that part
    is not UTF-8). A file is left at its start."""
    if isinstance(data, str):
        return data
    if not isinstance(data, bytes):
        read = b""
        for raw in data:
            read += raw
            if raw.strip():
                break
        data.seek(0)
        return decode(read)
    found = _FIRST_CHARACTER.search(data)
    end = data.find(b"\n", found.start()) if found else -1
    return decode(data if end < 0 else data[:end])


def guess_format(name: str, text: str | None = None) -> str:
    """The format by the file's extension (``.jsonl``/``.ndjson``: Claimdesk's JSONL, or
    doccano's when its first line has a ``text`` and spans; ``.jsonld``), else by its
    content when given (a JSON document of annotations, a list of Label Studio tasks,
    lines of articles with ``claims``), else ``.json`` means W3C. ``ValidationError`` when
    it can't tell."""
    lowered = name.lower()
    if lowered.endswith(".zip"):
        return BRAT
    sniffed = _sniff(text) if text is not None else None
    if lowered.endswith((".jsonl", ".ndjson")):
        return DOCCANO if sniffed == DOCCANO else "jsonl"
    if lowered.endswith(".jsonld"):
        return "w3c"
    if sniffed is not None:
        return sniffed
    if lowered.endswith(".json"):
        return "w3c"
    raise ValidationError(
        f"Can't tell the format of “{name}”: name it .jsonl or .jsonld, or give the format."
    )


def _is_label_studio_task(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("data"), dict)
        and ("annotations" in value or "predictions" in value or "completions" in value)
    )


def _sniff(text: str) -> str | None:
    stripped = text.lstrip(" \t\r\n")
    if stripped.startswith("["):
        try:
            document = loads_bounded(stripped)
        except (json.JSONDecodeError, RecursionError):
            return "w3c"
        if isinstance(document, list) and document and _is_label_studio_task(document[0]):
            return LABEL_STUDIO
        return "w3c"
    if not stripped.startswith("{"):
        return None
    try:
        first = loads_bounded(stripped.split("\n", 1)[0])
    except (json.JSONDecodeError, RecursionError):
        first = None
    if isinstance(first, dict):
        if "claims" in first:
            return "jsonl"
        if "type" in first or "@context" in first:
            return "w3c"
        if _is_label_studio_task(first):
            return LABEL_STUDIO
        if isinstance(first.get("text"), str) and (
            "label" in first or "labels" in first or "entities" in first
        ):
            return DOCCANO
        return None
    try:  # a document over several lines: JSON-LD, not JSON Lines
        loads_bounded(stripped)
    except json.JSONDecodeError:
        return None
    return "w3c"


def read_items(data: Content, fmt: str) -> Iterator[Item]:
    """The file's claims, in file order (JSON Lines read line by line, as the items are
    asked for). An item whose strings hold what no database column can (NUL, a lone
    surrogate from a ``\\ud800`` escape) has that problem. ``ValidationError`` if the
    file is not UTF-8."""
    if fmt not in TEXT_FORMATS:
        raise ValidationError(f"Unknown format “{fmt}”: use one of {', '.join(TEXT_FORMATS)}.")
    items = _jsonl_items(_jsonl_records(data)) if fmt == "jsonl" else _w3c_items(decode(data))
    for item in items:
        if not item.storable and not item.problems and (why := unstorable_problem(item)):
            item.problems.append(why)
        if item.claim.get("quote") is not None and not isinstance(item.claim["quote"], str):
            item.problems.append("quote: the quote must be a string")
        yield item


def unstorable_problem(item: Item) -> str:
    """Why the item's strings can't be stored (the one text check: a NUL, a lone
    surrogate, a control character in a one-line value), or ""."""
    return (
        json_text_problem(item.claim, "claim") or json_text_problem(item.article, "article") or ""
    )


def printable(text: str) -> str:
    """``text`` safe to show (in HTML or JSON): lone surrogates escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _score(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((record[k] for k in keys if record.get(k) is not None), None)


# --- JSONL --------------------------------------------------------------------------------


# What, in a line of JSON, could decode to a character that ``text_problem`` refuses (in
# a key: a control character; anywhere: NUL, a lone surrogate): an escape of a C0 control
# character, of DEL or of a surrogate, and DEL itself (JSON refuses the other control
# characters unescaped, and a line decoded from UTF-8 holds no surrogate). A line without
# any needs no walk over its strings (an escaped backslash before "u" or "b" only costs
# that walk).
_RISKY = re.compile(r"\\(?:[bf]|u(?:00[01][0-9a-fA-F]|007[fF]|[dD][89a-fA-F][0-9a-fA-F]{2}))|\x7f")


# The same, for a line still in UTF-8 bytes.
_RISKY_BYTES = re.compile(_RISKY.pattern.encode("ascii"))


def _jsonl_records(data: Content) -> Iterator[tuple[int, Any, bool]]:
    """(line number, its record or the ``JSONDecodeError`` that refuses it, whether its
    strings are known to be storable) for each line that is not blank. Lines of bytes
    are read by ``loads_plain`` (orjson) straight from the bytes: no decoded copy of the
    line, no standard parser's pass over it; a line it does not plainly read (a float, a
    lone surrogate escape, not UTF-8, too deep …) is decoded and read by
    ``loads_bounded`` as before, for its value or its error and message. The same lines
    (``lines``: "\n" only, a byte-order mark dropped), the same records, the same
    ``ValidationError`` for a file that is not UTF-8."""
    if isinstance(data, str):
        for number, line in enumerate(lines(data), start=1):
            if line.strip():
                yield _bounded(number, line)
        return
    raws: Iterable[bytes] = data if not isinstance(data, bytes) else _byte_lines(data)
    offset = 0  # bytes before the line
    for number, raw in enumerate(raws, start=1):
        ended = raw[:-1] if raw.endswith(b"\n") else raw
        skip = len(codecs.BOM_UTF8) if number == 1 and ended.startswith(codecs.BOM_UTF8) else 0
        body = ended[skip:] if skip else ended
        at, offset = offset, offset + len(raw)
        # ASCII blanks only: a line of other white space is decoded below, and skipped.
        if not body.strip():
            continue
        record = loads_plain(body)
        if record is not NOT_PLAIN:
            # The same matches as in the decoded line: the pattern is ASCII, and no byte
            # of a multi-byte UTF-8 character is ASCII.
            yield number, record, _RISKY_BYTES.search(body) is None
            continue
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"The file is not UTF-8 (byte {at + skip + exc.start + 1})."
            ) from exc
        if text.strip():
            yield _bounded(number, text)


def _bounded(number: int, line: str) -> tuple[int, Any, bool]:
    storable = _RISKY.search(line) is None
    try:
        return number, loads_bounded(line), storable
    except json.JSONDecodeError as exc:
        return number, exc, storable


def _jsonl_items(records: Iterable[tuple[int, Any, bool]]) -> Iterator[Item]:
    # Lines end at "\n" only: U+2028, U+0085 … may stand unescaped inside JSON strings
    # (the exports write them so), where ``str.splitlines`` would cut the line.
    for number, record, storable in records:
        where = f"line {number}"
        if isinstance(record, json.JSONDecodeError):
            exc = record
            yield Item(where, {}, {}, [f"not valid JSON ({exc.msg} at column {exc.colno})"])
            continue
        if not isinstance(record, dict) or not isinstance(record.get("claims", []), list):
            yield Item(where, {}, {}, ["expected an article object with a list of “claims”"])
            continue
        article = {k: record.get(k) for k in ("sha256", "id", "url")}
        for index, claim in enumerate(record.get("claims", []), start=1):
            item_where = f"{where}, claim {index}"
            if not isinstance(claim, dict):
                yield Item(item_where, article, {}, ["a claim must be a JSON object"])
                continue
            source = claim.get("source")
            if isinstance(source, dict):
                source = {k: source.get(k) for k in ("id", "name", "external_id") if source.get(k)}
            mention = claim.get("source_mention")
            yield Item(
                item_where,
                article,
                {
                    "start": claim.get("start"),
                    "end": claim.get("end"),
                    "quote": claim.get("quote"),
                    "source": source,
                    "mention": (
                        [mention.get("start"), mention.get("end")]
                        if isinstance(mention, dict)
                        else None
                    ),
                    "stances": claim.get("stances") or [],
                    "chain": claim.get("chain") or [],
                    "note": claim.get("note") or "",
                    "score": _score(claim, SCORE_KEYS),
                    **{name: claim.get(name) or "" for name in LABEL_FIELDS},
                },
                storable=storable,
            )


# --- W3C Web Annotation ----------------------------------------------------------------


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _w3c_annotations(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if document.get("type") == "AnnotationCollection":
            first = document.get("first") or {}
            return _listed(first.get("items")) if isinstance(first, dict) else []
        if document.get("type") == "AnnotationPage":
            return _listed(document.get("items"))
        return [document]
    raise ValidationError("The file holds neither annotations nor a collection of them.")


def _selectors(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    selectors = resource.get("selector") or []
    if isinstance(selectors, dict):
        selectors = [selectors]
    return {str(s.get("type")): s for s in _listed(selectors) if isinstance(s, dict)}


def _w3c_items(text: str) -> Iterator[Item]:
    try:
        document = loads_bounded(text)
    except json.JSONDecodeError as exc:
        yield Item(
            "the file",
            {},
            {},
            [f"not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"],
        )
        return
    except RecursionError:
        yield Item("the file", {}, {}, ["not valid JSON (nested too deeply)"])
        return
    for index, annotation in enumerate(_w3c_annotations(document), start=1):
        where = f"annotation {index}"
        if not isinstance(annotation, dict) or annotation.get("type") != "Annotation":
            yield Item(where, {}, {}, ["not an object of type “Annotation”"])
            continue
        if annotation.get("id"):
            where += f" ({annotation['id']})"
        target = annotation.get("target")
        if not isinstance(target, dict):
            yield Item(where, {}, {}, ["the target must be a SpecificResource with selectors"])
            continue
        source_iri = str(target.get("source") or "")
        article = {"sha256": sha256_of_iri(source_iri), "url": source_iri}
        selectors = _selectors(target)
        position = selectors.get("TextPositionSelector")
        quote = selectors.get("TextQuoteSelector")
        problems = [] if position else ["the target has no TextPositionSelector"]
        claim: dict[str, Any] = {
            "start": (position or {}).get("start"),
            "end": (position or {}).get("end"),
            "quote": (quote or {}).get("exact"),
            "source": None,
            "mention": None,
            "stances": [],
            "note": "",
            "score": _score(annotation, W3C_SCORE_KEYS),
            **dict.fromkeys(LABEL_FIELDS, ""),
        }
        bodies = annotation.get("body") or []
        for body in bodies if isinstance(bodies, list) else [bodies]:
            if isinstance(body, dict):
                _read_body(body, claim)
        yield Item(where, article, claim, problems)


def _read_body(body: dict[str, Any], claim: dict[str, Any]) -> None:
    kind = body.get("cd:field")
    if kind == "source" or (
        kind is None and body.get("type") == "TextualBody" and body.get("purpose") == "identifying"
    ):
        claim["source"] = {"name": body.get("value")}
        if body.get("cd:externalId"):
            claim["source"]["external_id"] = body["cd:externalId"]
    elif kind == "source_mention":
        at = _selectors(body).get("TextPositionSelector") or {}
        claim["mention"] = [at.get("start"), at.get("end")]
    elif kind == "stance":
        claim["stances"].append(
            {"target": body.get("cd:stanceTarget"), "stance": body.get("value")}
        )
    elif kind in LABEL_FIELDS:
        claim[kind] = body.get("value") or ""
    elif kind == "note" or body.get("purpose") == "commenting":
        claim["note"] = body.get("value") or ""
