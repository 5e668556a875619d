# One module: the registry file's one format in two syntaxes (CSV, JSONL), parse + import.
"""The source registry in files: parse CSV and JSONL rows, and import them idempotently.

Both formats carry the same five fields: ``name`` and ``kind`` (required), ``description``,
``aliases`` and ``external_id``. In CSV the first line is the header and aliases are
separated by ``|`` or ``;``; in JSONL every non-blank line is one JSON object whose
``aliases`` is a list of strings (or one string separated the same way).

Parsing checks every row and reports every problem with its line number before anything
is written; the import runs in one transaction through ``annotate.sources.services``, so the
command, the API and the demo loader share one path for every write.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.models import Source, SourceAlias, SourceKind
from annotate.sources import services as source_services
from common import limits
from common.jsonload import loads_bounded
from common.text import text_problem
from corpus.models import Project
from corpus.text import search_key

FIELDS = ("name", "kind", "description", "aliases", "external_id")
REQUIRED = ("name", "kind")
FORMATS = ("csv", "jsonl")
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_LENGTHS = {
    "name": limits.SOURCE_NAME,
    "description": limits.DESCRIPTION,
    "external_id": limits.EXTERNAL_ID,
}
MAX_ERRORS = 20  # reported per file; the rest are counted
# Spellings people write for a kind, besides its value.
KIND_SYNONYMS = {"organization": SourceKind.ORGANISATION, "media": SourceKind.OUTLET}

_ALIAS_SEPARATOR = re.compile(r"[|;]")


@dataclass(frozen=True)
class SourceRow:
    """One checked row of a registry file; ``line`` is where it starts (1-based)."""

    line: int
    name: str
    kind: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    external_id: str = ""


@dataclass(frozen=True)
class RowOutcome:
    line: int
    action: str  # "created", "updated" or "unchanged"
    source: Source
    matched_by: str = ""  # for rows that matched an existing source: the words that did

    @property
    def matched_by_alias(self) -> bool:
        """Matched through other words than the source's own name: worth a look."""
        return bool(self.matched_by) and search_key(self.matched_by) != self.source.name_key


@dataclass
class ImportResult:
    outcomes: list[RowOutcome] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


# --- Parsing ------------------------------------------------------------------------


def split_aliases(value: str) -> list[str]:
    """``"Davutoğlu | Davutoglu;Ahmet D."`` → three aliases; blanks are dropped."""
    return [a.strip() for a in _ALIAS_SEPARATOR.split(value) if a.strip()]


def format_for(path: Path, fmt: str | None = None) -> str:
    """The format named by ``fmt``, else the one the file name says."""
    if fmt:
        if fmt not in FORMATS:
            raise ValidationError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")
        return fmt
    guessed = SUFFIXES.get(path.suffix.lower())
    if guessed is None:
        raise ValidationError(
            f"Can't tell the format of “{path.name}” from its name: "
            "name it .csv or .jsonl, or give the format (csv or jsonl)."
        )
    return guessed


def read_rows(path: Path, fmt: str | None = None) -> list[SourceRow]:
    """Read and check a registry file; raises ``ValidationError`` listing every bad row."""
    fmt = format_for(path, fmt)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"“{path.name}” is not UTF-8 (byte {exc.start + 1} can't be read); "
            "save it as UTF-8 and try again."
        ) from exc
    return parse_rows(text, fmt)


def parse_rows(text: str, fmt: str) -> list[SourceRow]:
    """Parse a whole registry file given as text; raises ``ValidationError`` listing every
    bad row with its line number."""
    text = text.lstrip("\ufeff")
    if fmt == "csv":
        rows, errors = _parse_csv(text)
    elif fmt == "jsonl":
        rows, errors = _parse_jsonl(text)
    else:
        raise ValidationError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")
    if errors:
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(f"… and {len(errors) - MAX_ERRORS} more problems.")
        raise ValidationError(shown)
    if not rows:
        raise ValidationError("The file has no sources.")
    return rows


def _parse_csv(text: str) -> tuple[list[SourceRow], list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[SourceRow] = []
    errors: list[str] = []
    try:
        header = next(reader, None)
        if header is None:
            return [], [
                f"line 1: the file is empty; the first line must be the header {','.join(FIELDS)}."
            ]
        columns = [c.strip().lower() for c in header]
        missing = [c for c in FIELDS if c not in columns]
        unknown = [c for c in columns if c not in FIELDS]
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(repr(c) for c in unknown)}")
        if duplicated:
            problems.append(f"repeated column(s) {', '.join(duplicated)}")
        if problems:
            return [], [
                f"line 1: the header has {'; '.join(problems)}. Expected: {','.join(FIELDS)}."
            ]
        end = reader.line_num
        for values in reader:
            line, end = end + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(columns):
                errors.append(
                    f"line {line}: {len(values)} fields where the header has {len(columns)} "
                    "(a missing column, or a comma in an unquoted value?)."
                )
                continue
            record: dict[str, Any] = dict(zip(columns, values, strict=True))
            record["aliases"] = split_aliases(record["aliases"])
            _check_row(line, record, rows, errors)
    except csv.Error as exc:
        errors.append(f"line {reader.line_num}: unreadable CSV ({exc}).")
    return rows, errors


def _parse_jsonl(text: str) -> tuple[list[SourceRow], list[str]]:
    rows: list[SourceRow] = []
    errors: list[str] = []
    # Lines end at \n only: str.splitlines() would also cut at U+2028, U+0085 and the like,
    # which JSON writers leave unescaped inside strings (json.dumps(ensure_ascii=False)).
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = loads_bounded(raw)
        except json.JSONDecodeError as exc:
            errors.append(f"line {line}: not valid JSON ({exc.msg} at column {exc.colno}).")
            continue
        if not isinstance(record, dict):
            errors.append(f"line {line}: expected a JSON object {{…}}, found {_json_type(record)}.")
            continue
        unknown = [k for k in record if k not in FIELDS]
        if unknown:
            errors.append(
                f"line {line}: unknown field(s) {', '.join(repr(k) for k in unknown)}; "
                f"the fields are {', '.join(FIELDS)}."
            )
            continue
        _check_row(line, record, rows, errors)
    return rows, errors


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    return "null" if value is None else names.get(type(value), "a number")


def _check_row(line: int, record: dict[str, Any], rows: list[SourceRow], errors: list[str]) -> None:
    """Append the row to ``rows`` if it is good, else its problems to ``errors``."""
    problems: list[str] = []
    values: dict[str, str] = {}
    for name in ("name", "kind", "description", "external_id"):
        value = record.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems.append(f"“{name}” must be a string, not {_json_type(value)}")
            continue
        values[name] = " ".join(value.split())  # (U+001E and the like are spaces here)
        if (problem := text_problem(values[name])) is not None:
            problems.append(f"“{name}”: {problem}")
            del values[name]
    for name in REQUIRED:
        if name in values and not values[name]:
            problems.append(f"“{name}” is missing or empty")
    if values.get("name") and not _has_word(values["name"]):
        problems.append(f"the name “{values['name']}” has no letter or digit")
    for name, limit in MAX_LENGTHS.items():
        if len(values.get(name, "")) > limit.size:
            problems.append(f"“{name}”: {limit.message(len(values[name]))}")
    kind = values.get("kind", "").lower()
    kind = KIND_SYNONYMS.get(kind, kind)
    if kind and kind not in SourceKind.values:
        problems.append(
            f"unknown kind “{values['kind']}”; use one of {', '.join(SourceKind.values)}"
        )
    aliases = _aliases(record.get("aliases"), problems)
    if problems:
        errors.append(f"line {line}: {'; '.join(problems)}.")
        return
    rows.append(
        SourceRow(
            line=line,
            name=values["name"],
            kind=kind,
            description=values["description"],
            aliases=aliases,
            external_id=values["external_id"],
        )
    )


def _has_word(value: str) -> bool:
    return any(ch.isalnum() for ch in search_key(value))


def _aliases(value: Any, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = split_aliases(value)
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        problems.append("“aliases” must be a list of strings")
        return ()
    if len(value) > limits.ALIASES.size:
        problems.append(f"“aliases”: {limits.ALIASES.message(len(value))}")
        return ()
    aliases = tuple(" ".join(a.split()) for a in value if a.strip())
    for alias in aliases:
        if (problem := text_problem(alias)) is not None:
            problems.append(f"an alias: {problem}")
        elif not _has_word(alias):
            problems.append(f"the alias “{alias}” has no letter or digit")
        elif len(alias) > limits.ALIAS.size:
            problems.append(f"the alias “{alias[:40]}…”: {limits.ALIAS.message(len(alias))}")
    return aliases


# --- Import -------------------------------------------------------------------------


def import_rows(
    *,
    project: Project,
    rows: Sequence[SourceRow],
    progress: Callable[[Sequence[SourceRow]], Iterable[SourceRow]] | None = None,
) -> ImportResult:
    """Create or update one source per row, all in one transaction: a row that names an
    existing source — by its normalised name, or through an alias — adds its names as
    aliases and fills an empty description or external id; it never creates a second
    source with the same normalised name. Importing the same rows again changes nothing.

    Raises ``ValidationError`` ("line N: …") at the first row that can't be applied;
    nothing is written then. ``progress`` wraps the rows (a progress bar).
    """
    result = ImportResult()
    with transaction.atomic():
        for row in progress(rows) if progress else rows:
            try:
                result.outcomes.append(_import_row(project, row))
            except ValidationError as exc:
                raise ValidationError(
                    [f"line {row.line}: “{row.name}”: {m}" for m in exc.messages]
                ) from exc
    return result


def _import_row(project: Project, row: SourceRow) -> RowOutcome:
    source, matched_by = find_existing(project, row)
    if source is None:
        source = source_services.source_create(
            project=project,
            name=row.name,
            kind=row.kind,
            description=row.description,
            external_id=row.external_id,
            aliases=row.aliases,
        )
        return RowOutcome(row.line, "created", source)

    if source.kind != row.kind:
        raise ValidationError(
            f"the registry has “{source.name}” (matched by “{matched_by}”) as "
            f"{source.get_kind_display().lower()}, the file as {row.kind}; "
            "fix the kind in the file, or rename one of them if they differ."
        )
    if row.external_id and source.external_id and row.external_id != source.external_id:
        raise ValidationError(
            f"its external id {row.external_id} differs from {source.external_id} of "
            f"“{source.name}” (matched by “{matched_by}”)."
        )
    fill: dict[str, str] = {}
    if row.description and not source.description:
        fill["description"] = row.description
    if row.external_id and not source.external_id:
        fill["external_id"] = row.external_id
    if fill:
        source_services.source_update(
            source=source,
            description=fill.get("description"),
            external_id=fill.get("external_id"),
        )
    added = source_services.source_aliases_add(source=source, aliases=[row.name, *row.aliases])
    action = "updated" if fill or added else "unchanged"
    return RowOutcome(row.line, action, source, matched_by)


def find_existing(project: Project, row: SourceRow) -> tuple[Source | None, str]:
    """The source of the project that the row names, and the words that matched.

    In order: a source with the row's name; a source with the row's name as an alias; a
    source named by one of the row's aliases; a source with one of the row's aliases as
    an alias. If a step finds two different sources, the row is ambiguous: an error.
    """
    name_key = search_key(row.name)
    alias_keys = {search_key(a): a for a in row.aliases}
    alias_keys.pop(name_key, None)

    by_name = Source.objects.filter(project=project, name_key=name_key).first()
    if by_name is not None:
        return by_name, row.name
    for step in (
        lambda: _aliased(project, {name_key: row.name}),
        lambda: _named(project, alias_keys),
        lambda: _aliased(project, alias_keys),
    ):
        hits = step()
        if len(hits) > 1:
            found = ", ".join(f"“{s.name}” (by “{w}”)" for s, w in hits.values())
            raise ValidationError(
                f"it names {len(hits)} different sources: {found}. Remove the ambiguous "
                "alias from the row, or merge those sources first."
            )
        if hits:
            return next(iter(hits.values()))
    return None, ""


def _named(project: Project, words: dict[str, str]) -> dict[int, tuple[Source, str]]:
    """Sources whose name has one of the keys, with the word (of ``words``) that matched."""
    sources = Source.objects.filter(project=project, name_key__in=words)
    return {s.pk: (s, words[s.name_key]) for s in sources}


def _aliased(project: Project, words: dict[str, str]) -> dict[int, tuple[Source, str]]:
    """Sources with an alias that has one of the keys, with the word that matched."""
    aliases = SourceAlias.objects.filter(source__project=project, alias_key__in=words)
    hits: dict[int, tuple[Source, str]] = {}
    for alias in aliases.select_related("source"):
        hits.setdefault(alias.source_id, (alias.source, words[alias.alias_key]))
    return hits


def import_file(
    *,
    project: Project,
    path: Path,
    fmt: str | None = None,
    progress: Callable[[Sequence[SourceRow]], Iterable[SourceRow]] | None = None,
) -> ImportResult:
    """Read, check and import a registry file (see ``read_rows`` and ``import_rows``)."""
    return import_rows(project=project, rows=read_rows(path, fmt), progress=progress)
