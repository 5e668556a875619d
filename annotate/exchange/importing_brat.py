# One module: one format, brat (mapping file, .ann parser, pairing of .txt and .ann).
"""Reading brat standoff for the import (``annotate.exchange.importing``): a zip of
``.txt``/``.ann`` pairs (any folders; a ``.txt`` pairs with the ``.ann`` of the same name
beside it) and, optionally, a mapping file in it (``mapping.json`` or ``mapping.toml`` at
the top) that says which brat types become what. Without one, the mapping of Claimdesk's
own brat export (``annotate.exchange.brat``) is used, so an export imports back.

The mapping (JSON, or TOML with the same keys)::

    {
      "claim": ["Content"],              # text-bound types whose span is a claim
      "source_mention": ["Source"],      # types whose span names the claim's source
      "links": ["Attribution"],          # relation or event types that join the two
                                         #   (empty: any relation or event that does)
      "labels": {"Attribution": "attribution",                  # attribute → field
                 "Kind": {"field": "claim_type", "values": {"Fact": "factual"}}},
      "attribution_by_quotes": false,    # no attribution label: direct if quoted, else reported
      "discontinuous": "refuse",         # "0 5;7 9": "refuse" (a per-line error) or "hull"
      "unknown_sources": "refuse"        # a source name the registry lacks: "refuse",
                                         #   "create" (a new registry entry; needs create_sources)
                                         #   or "mention_only" (the claim keeps the mention)
    }

**Offsets.** brat counts characters of the ``.txt`` as Python ``str`` indices: code
points, as Claimdesk does (an emoji is one). The ``.txt`` is stored in Claimdesk's form
(``corpus.text.clean_text``: NFC, LF, no trailing spaces, no runs of blank lines); its
offsets are mapped through that cleaning, and every span's text is checked against the
``.txt`` at its offsets before it is mapped.

**Articles.** A pair is matched to the project's article with the same (cleaned) text by
SHA-256. A text the project lacks is created as an article when the import may
(``create_articles``, managers only), else each of its claims is rejected.

Each claim (a text-bound annotation of a claim type) becomes one ``Item``, whose
``where`` names the ``.ann`` file and line; a line that can't be read is an item with
that problem, so one bad line is reported as such among good ones.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.exceptions import ValidationError

from annotate.exchange.importing_files import Item, unstorable_problem
from annotate.scheme import LABEL_FIELDS
from corpus.text import clean_text, sha256_text

MAPPING_NAMES = ("mapping.json", "mapping.toml")
MAX_FILES = 20_000
HULL, REFUSE = "hull", "refuse"
CREATE, MENTION_ONLY = "create", "mention_only"
OFFSET_UNITS = ("auto", "code_points", "utf16")
_QUOTE_CHARS = '"“”„«»'


@dataclass(frozen=True)
class LabelMap:
    to: str  # the scheme's field
    values: dict[str, str] = field(default_factory=dict)

    def value(self, brat_value: str) -> str:
        return self.values.get(brat_value, brat_value)


@dataclass(frozen=True)
class BratMapping:
    claim: frozenset[str]
    source_mention: frozenset[str]
    links: frozenset[str] = frozenset()
    labels: dict[str, LabelMap] = field(default_factory=dict)
    attribution_by_quotes: bool = False
    discontinuous: str = REFUSE
    unknown_sources: str = REFUSE
    # Label Studio and doccano only (``importing_tools``): what their offsets count
    # ("auto", "code_points" or "utf16"), the task's key holding the text, and whether a
    # Label Studio task's "annotations" or its "predictions" are read.
    offsets: str = "auto"
    text_field: str = "text"
    results_from: str = "annotations"


# Claimdesk's own export (annotate.exchange.brat).
DEFAULT_MAPPING = BratMapping(
    claim=frozenset({"Claim"}),
    source_mention=frozenset({"Source_mention"}),
    links=frozenset({"Attributed_to"}),
    labels={
        "Attribution": LabelMap("attribution"),
        "Reliability": LabelMap("source_reliability"),
        "Credibility": LabelMap("information_credibility"),
        "Claim_type": LabelMap("claim_type"),
        "Checkworthy": LabelMap("checkworthy"),
    },
    discontinuous=HULL,  # the export cuts a span at line breaks
)


def _names(value: Any, key: str) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError(f"mapping: “{key}” must be a list of brat type names")
    return frozenset(value)


def mapping_from_text(text: str, name: str = "mapping.json") -> BratMapping:
    """The mapping a JSON or TOML file (by its name) gives; ``ValidationError`` saying
    what is wrong with it."""
    try:
        raw = tomllib.loads(text) if name.lower().endswith(".toml") else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, RecursionError) as exc:
        kind = name.rsplit(".", 1)[-1]
        raise ValidationError(f"mapping {name}: not valid {kind}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValidationError(f"mapping {name}: expected an object of settings")
    unknown = set(raw) - {
        "claim",
        "source_mention",
        "links",
        "labels",
        "attribution_by_quotes",
        "discontinuous",
        "unknown_sources",
        "offsets",
        "text_field",
        "results_from",
    }
    if unknown:
        raise ValidationError(f"mapping {name}: unknown settings {', '.join(sorted(unknown))}")
    if "claim" not in raw:
        raise ValidationError(f"mapping {name}: “claim” (the brat types of claims) is required")
    labels: dict[str, LabelMap] = {}
    given = raw.get("labels") or {}
    if not isinstance(given, dict):
        raise ValidationError(f"mapping {name}: “labels” must map attribute names to fields")
    for attribute, target in given.items():
        spec = {"field": target} if isinstance(target, str) else target
        if not isinstance(spec, dict) or spec.get("field") not in LABEL_FIELDS:
            raise ValidationError(
                f"mapping {name}: the attribute “{attribute}” must name a field, one of "
                f"{', '.join(LABEL_FIELDS)}"
            )
        values = spec.get("values") or {}
        if not isinstance(values, dict):
            raise ValidationError(f"mapping {name}: “values” of “{attribute}” must be an object")
        renamed = {str(k): str(v) for k, v in values.items()}
        labels[str(attribute)] = LabelMap(spec["field"], renamed)
    discontinuous = raw.get("discontinuous", REFUSE)
    if discontinuous not in (HULL, REFUSE):
        raise ValidationError(f"mapping {name}: “discontinuous” is “hull” or “refuse”")
    unknown_sources = raw.get("unknown_sources", REFUSE)
    if unknown_sources not in (REFUSE, CREATE, MENTION_ONLY):
        raise ValidationError(
            f"mapping {name}: “unknown_sources” is “refuse”, “create” or “mention_only”"
        )
    offsets = raw.get("offsets", "auto")
    if offsets not in OFFSET_UNITS:
        raise ValidationError(f"mapping {name}: “offsets” is one of {', '.join(OFFSET_UNITS)}")
    text_field = raw.get("text_field", "text")
    if not isinstance(text_field, str) or not text_field:
        raise ValidationError(f"mapping {name}: “text_field” is the key of the task's text")
    results_from = raw.get("results_from", "annotations")
    if results_from not in ("annotations", "predictions"):
        raise ValidationError(f"mapping {name}: “results_from” is “annotations” or “predictions”")
    return BratMapping(
        offsets=offsets,
        text_field=text_field,
        results_from=results_from,
        claim=_names(raw["claim"], "claim"),
        source_mention=_names(raw.get("source_mention", []), "source_mention")
        if raw.get("source_mention")
        else frozenset(),
        links=_names(raw["links"], "links") if raw.get("links") else frozenset(),
        labels=labels,
        attribution_by_quotes=bool(raw.get("attribution_by_quotes", False)),
        discontinuous=discontinuous,
        unknown_sources=unknown_sources,
    )


# --- The files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BratDocument:
    name: str  # the path without extension, as shown in messages
    text: str  # the .txt as read (not yet cleaned)
    ann: str


@dataclass
class BratBundle:
    documents: list[BratDocument]
    mapping: BratMapping
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def _utf8(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{name} is not UTF-8 (byte {exc.start + 1})") from exc


def bundle_from_zip(data: bytes, mapping: BratMapping | None = None) -> BratBundle:
    """The pairs in a zip (and its mapping file, unless ``mapping`` is given). A ``.txt``
    without its ``.ann`` is an article without annotations (skipped); an ``.ann`` without
    its ``.txt`` is a problem."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ValidationError("A brat import is a .zip of .txt and .ann files.") from exc
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_FILES:
            raise ValidationError(f"The zip holds {len(infos):,} files; at most {MAX_FILES:,}.")
        files = {i.filename: i for i in infos if not PurePosixPath(i.filename).name.startswith(".")}
        if mapping is None:
            found = next((n for n in MAPPING_NAMES if n in files), None)
            mapping = (
                mapping_from_text(_utf8(archive.read(files[found]), found), found)
                if found
                else DEFAULT_MAPPING
            )
        documents, problems = [], []
        for name in sorted(files):
            if not name.endswith(".ann"):
                continue
            stem = name[: -len(".ann")]
            if stem + ".txt" not in files:
                problems.append((name, f"no {PurePosixPath(stem).name}.txt beside it"))
                continue
            try:
                text = _utf8(archive.read(files[stem + ".txt"]), stem + ".txt")
                ann = _utf8(archive.read(files[name]), name)
            except ValidationError as error:
                problems.append((name, " ".join(error.messages)))
                continue
            documents.append(BratDocument(stem, text, ann))
    if not documents and not problems:
        raise ValidationError("The zip holds no .ann file with its .txt.")
    return BratBundle(documents, mapping, problems)


def bundle_zip(documents: list[BratDocument], mapping_text: str = "") -> bytes:
    """A zip of the documents (and a mapping.json), as ``bundle_from_zip`` reads it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for doc in documents:
            archive.writestr(f"{doc.name}.txt", doc.text)
            archive.writestr(f"{doc.name}.ann", doc.ann)
        if mapping_text:
            archive.writestr("mapping.json", mapping_text)
    return out.getvalue()


def zip_folder(folder: Path) -> bytes:
    """A folder of brat files (and its mapping file) as the zip the import reads."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and (path.suffix in (".txt", ".ann") or path.name in MAPPING_NAMES):
                archive.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()


# --- Offsets through cleaning --------------------------------------------------------------


def clean_with_offsets(raw: str) -> tuple[str, list[int]] | None:
    """``clean_text(raw)`` and, for every offset 0…len(raw) of ``raw``, the offset in the
    cleaned text where that character went (a deleted one: where the next kept one
    went). None when the cleaning can't be followed character by character."""
    clean = clean_text(raw)
    # clean_text drops characters (a BOM, CRs, trailing spaces, extra blank lines, the
    # ends) and composes (NFC). Follow the drops by aligning the NFD-free characters.
    decomposed = _nfc_clusters(raw)
    offsets = [0] * (len(raw) + 1)
    at = 0
    for start, end, composed in decomposed:
        if clean.startswith(composed, at):
            for k in range(start, end):
                offsets[k] = at
            at += len(composed)
        else:
            for k in range(start, end):
                offsets[k] = at
    offsets[len(raw)] = at
    if at != len(clean):
        return None
    return clean, offsets


def _nfc_clusters(raw: str) -> list[tuple[int, int, str]]:
    """``raw`` cut before each starter, each piece in NFC ("e" + U+0301 → "é"); a CR
    before a LF goes with nothing (it is dropped)."""
    out = []
    start = 0
    for k in range(1, len(raw) + 1):
        if k == len(raw) or unicodedata.combining(raw[k]) == 0:
            piece = raw[start:k]
            out.append((start, k, "\n" if piece == "\r" else unicodedata.normalize("NFC", piece)))
            start = k
    return out


# --- The .ann lines ---------------------------------------------------------------------

_T_RE = re.compile(r"^(?P<type>[^\s]+) (?P<spans>\d+ \d+(?:;\d+ \d+)*)$")


@dataclass
class _Span:
    line: int
    tid: str
    type: str
    fragments: list[tuple[int, int]]
    text: str
    where: str = ""  # how messages name it (default: the .ann line and id)
    score: Any = None  # what the tool that made it gave it (Label Studio's predictions)


@dataclass
class _Doc:
    spans: dict[str, _Span] = field(default_factory=dict)
    links: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (type, id, args)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)  # (name, id, value)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    ignored: set[str] = field(default_factory=set)


def _parse(ann: str) -> _Doc:
    doc = _Doc()
    for number, line in enumerate(ann.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        ident, _, rest = line.partition("\t")
        kind = ident[:1]
        if kind == "T":
            head, _, text = rest.partition("\t")
            m = _T_RE.match(head)
            if not m:
                doc.errors.append((number, f"{ident}: expected “TYPE START END\\tTEXT”"))
                continue
            frags = [tuple(map(int, s.split())) for s in m["spans"].split(";")]
            doc.spans[ident] = _Span(number, ident, m["type"], frags, text)  # type: ignore[arg-type]
        elif kind in "RE" and rest:
            parts = rest.split()
            if kind == "E":
                trigger_type, _, trigger = parts[0].partition(":")
                roles = [p.partition(":")[2] for p in parts[1:]]
                doc.links.append((trigger_type, ident, [trigger, *roles]))
            elif len(parts) == 3:
                doc.links.append((parts[0], ident, [p.partition(":")[2] for p in parts[1:]]))
            else:
                doc.errors.append((number, f"{ident}: expected “TYPE Arg1:ID Arg2:ID”"))
        elif kind in "AM" and rest:
            parts = rest.split()
            if len(parts) not in (2, 3):
                doc.errors.append((number, f"{ident}: expected “NAME ID [VALUE]”"))
                continue
            doc.attributes.append((parts[0], parts[1], parts[2] if len(parts) == 3 else "true"))
        elif kind in "N#*":
            doc.ignored.add(kind)
        else:
            doc.errors.append((number, f"not a brat annotation line: “{line[:40]}”"))
    return doc


def _span_text(raw: str, span: _Span) -> str:
    return " ".join(raw[a:b] for a, b in span.fragments)


def _check_span(raw: str, span: _Span, mapping: BratMapping) -> tuple[int, int] | str:
    """The span's (start, end) in ``raw``, or why it can't be taken."""
    for a, b in span.fragments:
        if not 0 <= a < b <= len(raw):
            return (
                f"{span.tid}: the span {a}–{b} is not inside the text "
                f"({len(raw)} characters, counted in code points)"
            )
    if len(span.fragments) > 1 and mapping.discontinuous != HULL:
        shown = ";".join(f"{a} {b}" for a, b in span.fragments)
        return (
            f"{span.tid}: a discontinuous span ({shown}) can't be one claim; set "
            "“discontinuous” to “hull” in the mapping to take it from its first to its last "
            "character"
        )
    if span.text and _span_text(raw, span) != span.text:
        return (
            f"{span.tid}: the text at {span.fragments[0][0]}–{span.fragments[-1][1]} is "
            f"“{_span_text(raw, span)[:60]}”, not “{span.text[:60]}” (offsets count code "
            "points: is this the .txt that was annotated?)"
        )
    return min(a for a, _ in span.fragments), max(b for _, b in span.fragments)


def _quoted(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and (
        stripped[0] in _QUOTE_CHARS
        or stripped[-1] in _QUOTE_CHARS
        or re.search(r"[“\"][^“”\"]{3,}[”\"]", stripped) is not None
    )


@dataclass
class DocumentItems:
    """A document's claims as items, and its article's text once cleaned."""

    document: BratDocument
    text: str | None  # None: the .txt can't be used (each item says why)
    items: list[Item]
    ignored_types: set[str] = field(default_factory=set)


def document_items(document: BratDocument, mapping: BratMapping) -> DocumentItems:
    """The document's claims (pure): offsets mapped into the cleaned text and checked."""
    ann_name = f"{document.name}.ann"
    return parsed_items(
        document,
        _parse(document.ann),
        mapping,
        where=ann_name,
        line_where=lambda n: f"{ann_name} line {n}",
        text_name=f"{document.name}.txt",
    )


def parsed_items(
    document: BratDocument,
    doc: _Doc,
    mapping: BratMapping,
    *,
    where: str,
    line_where: Callable[[int], str],
    text_name: str,
) -> DocumentItems:
    """The claims of a parsed document (brat's, or another tool's read into the same
    shape: ``annotate.exchange.importing_tools``): spans whose offsets count code points
    of ``document.text``, mapped into its cleaned text and checked. ``where`` names the
    document in messages, ``line_where(n)`` its line or entry ``n``."""
    ann_name = where
    cleaned = clean_with_offsets(document.text)
    text, offsets = cleaned if cleaned else (None, [])
    article = {"sha256": sha256_text(text)} if text else {}
    items = [Item(line_where(n), article, {}, [why]) for n, why in doc.errors]
    if text is None:
        why = f"{text_name}: its text changes in ways offsets can't follow when stored"
        return DocumentItems(document, None, [*items, Item(ann_name, {}, {}, [why])])
    if not text:
        empty = Item(ann_name, {}, {}, [f"{text_name}: the text is empty"])
        return DocumentItems(document, None, [*items, empty])

    source_of: dict[str, str] = {}
    for link_type, link_id, ids in doc.links:
        if mapping.links and link_type not in mapping.links:
            continue
        claims = [i for i in ids if i in doc.spans and doc.spans[i].type in mapping.claim]
        sources = [i for i in ids if i in doc.spans and doc.spans[i].type in mapping.source_mention]
        for claim_id in claims:
            if sources and claim_id not in source_of:
                source_of[claim_id] = sources[0]
        if claims:
            for name, target, value in list(doc.attributes):
                if target == link_id:  # an attribute of the event is its claim's
                    doc.attributes.append((name, claims[0], value))
    labels_of: dict[str, dict[str, str]] = {}
    for name, target, value in doc.attributes:
        if name in mapping.labels:
            spec = mapping.labels[name]
            labels_of.setdefault(target, {})[spec.to] = spec.value(value)

    ignored = {
        s.type
        for s in doc.spans.values()
        if s.type not in mapping.claim and s.type not in mapping.source_mention
    }
    for span in sorted(doc.spans.values(), key=lambda s: s.line):
        if span.type not in mapping.claim:
            continue
        where = span.where or f"{line_where(span.line)} ({span.tid})"
        checked = _check_span(document.text, span, mapping)
        if isinstance(checked, str):
            items.append(Item(where, article, {}, [checked]))
            continue
        start, end = offsets[checked[0]], offsets[checked[1]]
        problems = []
        source: dict[str, Any] | None = None
        mention = None
        if span.tid in source_of:
            src = doc.spans[source_of[span.tid]]
            at = _check_span(document.text, src, mapping)
            if isinstance(at, str):
                problems.append(f"its source {at}")
            else:
                mention = [offsets[at[0]], offsets[at[1]]]
                source = {"name": text[mention[0] : mention[1]]}
        labels = dict.fromkeys(LABEL_FIELDS, "")
        labels.update(labels_of.get(span.tid, {}))
        if mapping.attribution_by_quotes and not labels["attribution"]:
            labels["attribution"] = "direct" if _quoted(text[start:end]) else "reported"
        claim = {
            "start": start,
            "end": end,
            "quote": text[start:end],
            "source": source,
            "mention": mention,
            "stances": [],
            "note": "",
            "score": span.score,
            **labels,
        }
        item = Item(where, article, claim, problems)
        if not problems and (why := unstorable_problem(item)):
            item.problems.append(why)
        items.append(item)
    return DocumentItems(document, text, items, ignored)


def bundle_items(bundle: BratBundle) -> Iterator[DocumentItems]:
    for where, why in bundle.problems:
        yield DocumentItems(BratDocument(where, "", ""), None, [Item(where, {}, {}, [why])])
    for document in bundle.documents:
        yield document_items(document, bundle.mapping)
