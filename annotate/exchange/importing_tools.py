"""Reading Label Studio and doccano exports for the import (``annotate.exchange.importing``):
both carry each text with its spans, so they are read like brat (``importing_brat``):
into the same spans, links and attributes, with the same mapping (which labels become
claims and which source mentions; ``offsets``, ``text_field`` and ``results_from`` are
for these formats), the text matched to the project's article by its cleaned text, and
every span's offsets mapped through that cleaning.

- **Label Studio** (``label-studio``): the JSON export, a list of tasks. A task's text is
  ``data.text`` (``text_field`` names another key); its spans are the ``labels`` results
  of its ``annotations`` (``results_from: "predictions"`` reads the model predictions
  instead; cancelled annotations are left out): ``value.start``, ``value.end``,
  ``value.text`` and ``value.labels`` (a prediction's ``score``, the result's or else
  the prediction's, becomes the suggestion's score). ``relation`` results (``from_id``,
  ``to_id``, ``labels``) join a claim to its source mention; a per-region ``choices`` result (same
  ``id`` as the region) is an attribute named by its ``from_name``.
- **doccano** (``doccano``): the JSONL export, one text a line: ``text`` with
  ``label: [[start, end, "LABEL"], …]`` (sequence labelling; ``labels`` in old versions),
  or ``entities: [{id, label, start_offset, end_offset}]`` with
  ``relations: [{from_id, to_id, type}]``.

**Offsets.** Label Studio counted JavaScript string indices (UTF-16 code units: an emoji
is two) before its editor was changed to count code points (label-studio issues #1347,
#1008; pull request #1559), so both kinds of file exist. With ``offsets: "auto"`` (the
default) a Label Studio span is read in code points, else in UTF-16 units, whichever
gives the ``value.text`` the file records; a span whose text matches neither is a
per-entry error. doccano gives no span text to check against: its offsets are read as
code points (its back end is Python, and its exports count characters as ``str`` does);
an old export counted by its JavaScript editor in UTF-16 units (doccano pull request #99)
is read with ``offsets: "utf16"``. A UTF-16 offset inside a surrogate pair is an error.

A task or line that can't be read is an item with that problem, so one bad entry is
reported as such among good ones (``where``: "task 3 (id 41), result 2 (abc)", "line 4,
entity 2 (id 17)").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError

from annotate.exchange.importing_brat import (
    BratDocument,
    BratMapping,
    DocumentItems,
    LabelMap,
    _Doc,
    _Span,
    parsed_items,
)
from annotate.exchange.importing_files import Item
from annotate.scheme import LABEL_FIELDS
from common.jsonload import loads_bounded

LABEL_STUDIO = "label-studio"
DOCCANO = "doccano"
FORMATS = (LABEL_STUDIO, DOCCANO)
CODE_POINTS, UTF16, AUTO = "code_points", "utf16", "auto"

# Without a mapping: spans labelled "Claim" are claims, "Source"/"Source_mention" their
# speakers, and a per-region choice named like a scheme field sets that field.
DEFAULT_MAPPING = BratMapping(
    claim=frozenset({"Claim"}),
    source_mention=frozenset({"Source", "Source_mention"}),
    labels={name: LabelMap(name) for name in LABEL_FIELDS},
)


# --- Offsets --------------------------------------------------------------------------


def utf16_positions(text: str) -> list[int] | None:
    """For each UTF-16 offset 0…n of ``text``, the code-point offset (-1 inside a
    surrogate pair); None when the two counts agree (no character beyond U+FFFF)."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return None
    out: list[int] = []
    for k, ch in enumerate(text):
        out.append(k)
        if ord(ch) > 0xFFFF:
            out.append(-1)
    out.append(len(text))
    return out


def _number(value: Any) -> int | None:
    return value if type(value) is int else None


def locate(
    raw: str, start: Any, end: Any, given: str | None, unit: str, units16: list[int] | None
) -> tuple[int, int] | str:
    """The span's code-point offsets in ``raw``, or why it can't be taken. ``unit``:
    what the offsets count; ``auto`` tries code points, then UTF-16 units, and takes the
    one whose text is ``given`` (without ``given``: code points)."""
    a, b = _number(start), _number(end)
    if a is None or b is None:
        return f"start and end must be whole numbers, got {start!r} and {end!r}"
    if not 0 <= a < b:
        return f"the span {a}–{b} is empty or reversed"
    units = [CODE_POINTS, UTF16] if unit == AUTO and given is not None else [unit]
    if unit == AUTO and given is None:
        units = [CODE_POINTS]
    found: list[tuple[str, int, int]] = []
    for kind in units:
        if kind == CODE_POINTS or units16 is None:  # no character beyond U+FFFF: the same
            if b <= len(raw):
                found.append((kind, a, b))
        elif b < len(units16) and units16[a] >= 0 and units16[b] >= 0:
            found.append((kind, units16[a], units16[b]))
        elif b < len(units16) and len(units) == 1:
            return f"the span {a}–{b} splits a character (UTF-16 offsets inside an emoji)"
    for _, ca, cb in found:
        if given is None or raw[ca:cb] == given:
            return ca, cb
    size = f"{len(raw)} code points"
    if units16 is not None:
        size += f", {len(units16) - 1} UTF-16 units"
    if not found:
        return f"the span {a}–{b} is not inside the text ({size})"
    counted = " or ".join("code points" if k == CODE_POINTS else "UTF-16 units" for k in units)
    shown = raw[found[0][1] : found[0][2]]
    return (
        f"the text at {a}–{b} is “{shown[:60]}”, not “{(given or '')[:60]}” (offsets "
        f"counted in {counted}: is this the text that was annotated?)"
    )


# --- The documents ----------------------------------------------------------------------


def _failed(name: str, why: str) -> DocumentItems:
    return DocumentItems(BratDocument(name, "", ""), None, [Item(name, {}, {}, [why])])


def _text_of(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) else None


class _Builder:
    """A document's spans, links and attributes in brat's shape (``_Doc``)."""

    def __init__(self, name: str, raw: str, mapping: BratMapping) -> None:
        self.name = name
        self.raw = raw
        self.mapping = mapping
        self.doc = _Doc()
        self.units16 = utf16_positions(raw)
        self.entries: dict[int, str] = {}  # entry number → how messages name it
        self.ignored: set[str] = set()

    def entry(self, number: int, where: str) -> None:
        self.entries[number] = where

    def span(
        self,
        number: int,
        tid: str,
        labels: list[Any],
        start: Any,
        end: Any,
        given: str | None,
        unit: str,
        score: Any = None,
    ) -> None:
        names = [str(label) for label in labels if isinstance(label, str | int)]
        wanted = self.mapping.claim | self.mapping.source_mention
        label = next((n for n in names if n in wanted), None)
        if label is None:
            self.ignored.update(names)
            return
        at = locate(self.raw, start, end, given, unit, self.units16)
        if isinstance(at, str):
            self.doc.errors.append((number, at))
            return
        where = self.entries.get(number, self.name)
        self.doc.spans[tid] = _Span(
            number, tid, label, [at], self.raw[at[0] : at[1]], where=where, score=score
        )

    def items(self) -> DocumentItems:
        out = parsed_items(
            BratDocument(self.name, self.raw, ""),
            self.doc,
            self.mapping,
            where=self.name,
            line_where=lambda n: self.entries.get(n, self.name),
            text_name=self.name,
        )
        out.ignored_types |= self.ignored
        return out


def label_studio_documents(text: str, mapping: BratMapping) -> Iterator[DocumentItems]:
    """The tasks of a Label Studio JSON export, one document each."""
    try:
        document = loads_bounded(text)
    except json.JSONDecodeError as exc:
        yield _failed(
            "the file", f"not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
        )
        return
    except RecursionError:
        yield _failed("the file", "not valid JSON (nested too deeply)")
        return
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise ValidationError("A Label Studio export is a JSON list of tasks.")
    for number, task in enumerate(document, start=1):
        yield _label_studio_task(number, task, mapping)


def _label_studio_task(number: int, task: Any, mapping: BratMapping) -> DocumentItems:
    name = f"task {number}"
    if not isinstance(task, dict):
        return _failed(name, "a task must be a JSON object with “data”")
    if task.get("id") is not None:
        name += f" (id {str(task['id'])[:40]})"
    data = task.get("data")
    raw = _text_of(data, mapping.text_field) if isinstance(data, dict) else None
    if raw is None:
        return _failed(name, f"the task has no text in data.{mapping.text_field}")
    key = mapping.results_from
    runs = task.get(key)
    if runs is None and key == "annotations":
        runs = task.get("completions")  # exports of Label Studio before 1.0
    if runs is None:
        runs = []
    if not isinstance(runs, list):
        return _failed(name, f"“{key}” must be a list")
    build = _Builder(name, raw, mapping)
    count = 0
    regions: list[tuple[int, str, dict[str, Any], Any]] = []
    later: list[tuple[int, str, dict[str, Any]]] = []
    for k, run in enumerate(runs, start=1):
        if not isinstance(run, dict) or run.get("was_cancelled"):
            continue
        results = run.get("result")
        if not isinstance(results, list):
            count += 1
            build.entry(count, f"{name}, {key[:-1]} {k}")
            build.doc.errors.append((count, "“result” must be a list"))
            continue
        for result in results:
            count += 1
            rid = result.get("id") if isinstance(result, dict) else None
            shown = f" ({str(rid)[:40]})" if rid is not None else ""
            build.entry(count, f"{name}, result {count}{shown}")
            if not isinstance(result, dict):
                build.doc.errors.append((count, "a result must be a JSON object"))
                continue
            # Region ids are unique within one annotation: prefix them with its number.
            tid = f"{k}:{rid}"
            if result.get("type") == "labels":
                # A prediction's score: the region's own, else the prediction's.
                score = result.get("score", run.get("score"))
                regions.append((count, tid, result, score))
            elif result.get("type") in ("relation", "choices"):
                later.append((count, f"{k}:", result))
    for count, tid, result, score in regions:
        value = result.get("value")
        if not isinstance(value, dict):
            build.doc.errors.append((count, "a labels result needs a “value” object"))
            continue
        labels = value.get("labels")
        given = value.get("text") if isinstance(value.get("text"), str) else None
        build.span(
            count,
            tid,
            labels if isinstance(labels, list) else [],
            value.get("start"),
            value.get("end"),
            given,
            mapping.offsets,
            score,
        )
    for count, prefix, result in later:
        if result.get("type") == "relation":
            ends = [f"{prefix}{result.get('from_id')}", f"{prefix}{result.get('to_id')}"]
            labels = result.get("labels") or [""]
            for label in labels if isinstance(labels, list) else [""]:
                build.doc.links.append((str(label), f"{prefix}R{count}", ends))
        else:
            value = result.get("value")
            choices = value.get("choices") if isinstance(value, dict) else None
            if result.get("id") is not None and isinstance(choices, list) and choices:
                target = f"{prefix}{result['id']}"
                build.doc.attributes.append((str(result.get("from_name")), target, str(choices[0])))
    return build.items()


def doccano_documents(text: str, mapping: BratMapping) -> Iterator[DocumentItems]:
    """The lines of a doccano JSONL export, one document each."""
    unit = UTF16 if mapping.offsets == UTF16 else CODE_POINTS
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        name = f"line {number}"
        try:
            record = loads_bounded(line)
        except json.JSONDecodeError as exc:
            yield _failed(name, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield _failed(name, "not valid JSON (nested too deeply)")
            continue
        if not isinstance(record, dict):
            yield _failed(name, "expected an object with “text” and its spans")
            continue
        raw = _text_of(record, mapping.text_field)
        if raw is None:
            yield _failed(name, f"the line has no “{mapping.text_field}”")
            continue
        yield _doccano_line(name, raw, record, mapping, unit)


def _doccano_line(
    name: str, raw: str, record: dict[str, Any], mapping: BratMapping, unit: str
) -> DocumentItems:
    build = _Builder(name, raw, mapping)
    entities = record.get("entities")
    count = 0
    if entities is not None:
        if not isinstance(entities, list):
            return _failed(name, "“entities” must be a list")
        for k, entity in enumerate(entities, start=1):
            count += 1
            eid = entity.get("id") if isinstance(entity, dict) else None
            shown = f" (id {str(eid)[:40]})" if eid is not None else ""
            build.entry(count, f"{name}, entity {k}{shown}")
            if not isinstance(entity, dict):
                build.doc.errors.append((count, "an entity must be a JSON object"))
                continue
            build.span(
                count,
                f"E{eid if eid is not None else f'#{k}'}",
                [entity.get("label")],
                entity.get("start_offset"),
                entity.get("end_offset"),
                None,
                unit,
            )
        relations = record.get("relations") or []
        for k, relation in enumerate(relations if isinstance(relations, list) else []):
            if isinstance(relation, dict):
                ends = [f"E{relation.get('from_id')}", f"E{relation.get('to_id')}"]
                build.doc.links.append((str(relation.get("type") or ""), f"R{k}", ends))
        return build.items()
    spans = record.get("label", record.get("labels"))
    if spans is None:
        spans = []
    if not isinstance(spans, list):
        return _failed(name, "“label” must be a list of [start, end, label]")
    for k, span in enumerate(spans, start=1):
        count += 1
        build.entry(count, f"{name}, label {k}")
        if isinstance(span, str):
            build.doc.errors.append(
                (count, f"“{span[:40]}” labels the whole text (text classification), no span")
            )
            continue
        if not isinstance(span, list) or len(span) != 3:
            build.doc.errors.append((count, "a label is [start, end, label]"))
            continue
        build.span(count, f"L{k}", [span[2]], span[0], span[1], None, unit)
    return build.items()


def documents(text: str, fmt: str, mapping: BratMapping | None) -> Iterator[DocumentItems]:
    """The file's documents, in file order."""
    mapping = mapping or DEFAULT_MAPPING
    if fmt == LABEL_STUDIO:
        return label_studio_documents(text, mapping)
    if fmt == DOCCANO:
        return doccano_documents(text, mapping)
    raise ValidationError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")
