# One module: the archive's whole schema and its checks, so a format change is one edit.
"""What a project archive may hold, checked before ``restoring.restore`` writes anything.

An archive is a file from elsewhere: nothing in it is trusted.

- **The zip.** Exactly the members an archive has (``MEMBERS``, so at most ten):
  another name (a ``../`` path, a ``__MACOSX/`` folder), a name twice, an encrypted
  member or a compression other than deflate is refused. Each member's declared size must be
  under its bound, the whole under ``CLAIMDESK_MAX_ARCHIVE_BYTES``, and no member over
  1 MiB may inflate more than ``common.zips.MAX_RATIO``-fold: a zip bomb is refused before it is
  inflated. Declared sizes can lie, so every read is bounded as well (``Reader``): JSON
  members read at most their bound, JSON Lines members a line at a time, each line at
  most ``Limits.line`` bytes, and the bytes inflated are counted against the bounds.
- **The records.** Each record holds exactly the keys the archive writes (an unknown key
  or a missing one refuses the archive, naming member, line and key), each value of the
  type, length and choices of its column (from the model), ids within the database's
  range, times in ISO 8601 with a zone, no NUL character; a reference (a claim's
  article, source and stance targets, a decision's gold claim…) names a row of the same
  archive; ids are not repeated; the scheme is a valid scheme.
- **Users.** Named by username; a user record may hold only ``username``, ``email``,
  ``first_name`` and ``last_name`` — never an id, a password, flags or permissions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from annotate.models import (
    Assignment,
    ChainLink,
    Claim,
    ClaimStance,
    Decision,
    DecisionOrigin,
    History,
    Source,
    SourceAlias,
    SourceJoin,
    SourceKind,
    SourceMerge,
    SourceStatus,
    Target,
)
from common.jsonload import loads_bounded
from common.zips import check_ratio, unsafe_name
from corpus.models import Article, Membership, Project
from corpus.scheme import validate_scheme

MANIFEST = "manifest.json"
PROJECT = "project.json"
TABLES = (
    "articles.jsonl",
    "sources.jsonl",
    "targets.jsonl",
    "assignments.jsonl",
    "claims.jsonl",
    "decisions.jsonl",
    "history.jsonl",
    "source_merges.jsonl",
)
MEMBERS = (MANIFEST, PROJECT, *TABLES)
# Members an archive of version 1 lacks.
OPTIONAL_MEMBERS = frozenset({"source_merges.jsonl"})

# manifest.json and project.json are read whole: their bound.
JSON_MEMBER_BYTES = 64 * 1024**2
# One JSON line holds at most an article: its text in UTF-8, escaped, and its metadata.
LINE_BYTES_PER_CHAR = 6
LINE_SLACK_BYTES = 1024**2
READ_BYTES = 1024**2

_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


@dataclass(frozen=True)
class Limits:
    """The bounds of a restore, in bytes inflated."""

    total: int  # all members together (and so any one JSON Lines member)
    json_member: int  # manifest.json, project.json
    line: int  # one line of a JSON Lines member

    @classmethod
    def from_settings(cls) -> Limits:
        total = int(settings.CLAIMDESK_MAX_ARCHIVE_BYTES)
        line = LINE_BYTES_PER_CHAR * int(settings.CLAIMDESK_MAX_ARTICLE_CHARS) + LINE_SLACK_BYTES
        return cls(total=total, json_member=min(JSON_MEMBER_BYTES, total), line=min(line, total))


def check_members(archive: zipfile.ZipFile, limits: Limits) -> None:
    """The zip's table of contents: names, count, encryption, compression, declared sizes
    and ratios (see the module docstring). Reads nothing."""
    seen: set[str] = set()
    total = 0
    # Each member one of MEMBERS, each once: at most len(MEMBERS) members.
    for info in archive.infolist():
        name = info.filename
        if unsafe_name(name):
            raise ValidationError(f"The archive holds a member with an unsafe name, “{name}”.")
        if name not in MEMBERS:
            raise ValidationError(
                f"The archive holds “{name}”, which a project archive does not have "
                f"(its members: {', '.join(MEMBERS)})."
            )
        if name in seen:
            raise ValidationError(f"The archive holds {name} twice.")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise ValidationError(f"{name} is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValidationError(
                f"{name} is compressed with method {info.compress_type}; use deflate."
            )
        limit = limits.json_member if name in (MANIFEST, PROJECT) else limits.total
        if info.file_size > limit:
            setting = " (CLAIMDESK_MAX_ARCHIVE_BYTES)" if limit == limits.total else ""
            raise ValidationError(
                f"{name} inflates to {info.file_size:,} bytes, over the limit of {limit:,}"
                f"{setting}."
            )
        check_ratio(info)
        total += info.file_size
    if total > limits.total:
        raise ValidationError(
            f"The archive inflates to {total:,} bytes, over the limit of {limits.total:,} "
            "(CLAIMDESK_MAX_ARCHIVE_BYTES)."
        )


def check_complete(archive: zipfile.ZipFile) -> None:
    names = set(archive.namelist())
    for name in MEMBERS:
        if name not in names and name not in OPTIONAL_MEMBERS:
            raise ValidationError(f"The archive has no {name}.")


def _parse(data: bytes, where: str) -> Any:
    try:
        return loads_bounded(data)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{where}: not valid JSON ({exc.msg}).") from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{where}: not UTF-8.") from exc
    except (ValueError, RecursionError) as exc:
        # NaN, a number of thousands of digits, lists nested thousands deep.
        raise ValidationError(f"{where}: not valid JSON ({exc}).") from exc


class Reader:
    """Reads an archive's members with every read bounded by ``limits`` and the bytes
    inflated counted, whatever the zip declares."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits) -> None:
        self.archive = archive
        self.limits = limits
        self.inflated = 0

    def _count(self, name: str, n: int, member: int, limit: int) -> None:
        self.inflated += n
        if member > limit:
            raise ValidationError(f"{name} inflates to more than {limit:,} bytes.")
        if self.inflated > self.limits.total:
            raise ValidationError(
                f"The archive inflates to more than {self.limits.total:,} bytes "
                "(CLAIMDESK_MAX_ARCHIVE_BYTES)."
            )

    def json(self, name: str) -> Any:
        limit = self.limits.json_member
        parts: list[bytes] = []
        size = 0
        try:
            with self.archive.open(name) as handle:
                # A piece at a time: zipfile inflates as much as one read asks for, even
                # past the size the zip declares.
                while piece := handle.read(READ_BYTES):
                    parts.append(piece)
                    size += len(piece)
                    self._count(name, len(piece), size, limit)
        except KeyError as exc:
            raise ValidationError(f"The archive has no {name}.") from exc
        except _ZIP_ERRORS as exc:
            raise ValidationError(f"{name} is damaged: {exc}.") from exc
        return _parse(b"".join(parts), name)

    def lines(self, name: str) -> Iterator[tuple[int, Any]]:
        """``(line number, value)`` for each non-blank line."""
        limit = self.limits.line
        try:
            handle = self.archive.open(name)
        except KeyError as exc:
            raise ValidationError(f"The archive has no {name}.") from exc
        except _ZIP_ERRORS as exc:
            raise ValidationError(f"{name} is damaged: {exc}.") from exc
        with handle:
            size = number = 0
            while True:
                try:
                    raw = handle.readline(limit + 1)
                except _ZIP_ERRORS as exc:
                    raise ValidationError(f"{name} is damaged: {exc}.") from exc
                if not raw:
                    return
                number += 1
                size += len(raw)
                self._count(name, len(raw), size, self.limits.total)
                if len(raw) > limit:
                    raise ValidationError(f"{name}, line {number}: longer than {limit:,} bytes.")
                if raw.isspace():
                    continue
                yield number, _parse(raw, f"{name}, line {number}")


# --- Records ----------------------------------------------------------------------------


@dataclass
class Refs:
    """What later records may name: the users project.json lists, the ids of the
    members other members refer to."""

    users: set[str] = field(default_factory=set)
    ids: dict[str, set[int]] = field(default_factory=dict)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any("\0" in k or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "a number"
    )


@dataclass(frozen=True)
class Column:
    """What one key of a record may hold."""

    kind: str  # int, ref (an id of ``ref``'s rows), user (a username), str, datetime, date, json
    null: bool = False
    max_length: int | None = None
    choices: frozenset[str] | None = None
    low: int = 0
    high: int = 0
    ref: str = ""
    model_field: models.Field[Any, Any] | None = None  # run its validators too (users)

    def problem(self, value: Any, refs: Refs) -> str | None:  # noqa: C901 - one branch a kind
        """What is wrong with ``value``, or None."""
        if value is None:
            return None if self.null else "may not be null"
        kind = self.kind
        if kind == "int" or kind == "ref":
            if type(value) is not int or not self.low <= value <= self.high:
                shown = json.dumps(value)[:40]
                return f"{shown} is not a whole number from {self.low} to {self.high}"
            if kind == "ref" and value not in refs.ids[self.ref]:
                return f"names {value}, which is not in {self.ref}"
        elif kind == "user":
            if type(value) is not str or value not in refs.users:
                return f"names the user “{str(value)[:150]}”, whom project.json does not list"
        elif kind == "str":
            if type(value) is not str:
                return f"{_kind(value)} where text belongs"
            if self.max_length is not None and len(value) > self.max_length:
                return f"longer than {self.max_length:,} characters"
            if "\0" in value:
                return "holds a NUL character"
            if self.choices is not None and value not in self.choices:
                return f"“{value}” is not one of {', '.join(sorted(self.choices))}"
            if self.model_field is not None:
                try:
                    self.model_field.run_validators(value)
                except ValidationError as exc:
                    return " ".join(exc.messages).rstrip(".")
        elif kind == "datetime" or kind == "date":
            if type(value) is not str:
                return f"{_kind(value)} where an ISO 8601 {kind} belongs"
            try:
                parsed: Any = (dt.datetime if kind == "datetime" else dt.date).fromisoformat(value)
            except ValueError:
                return f"“{value[:40]}” is not an ISO 8601 {kind}"
            if kind == "datetime" and parsed.tzinfo is None:
                return f"“{value}” has no time zone"
        elif _has_nul(value):
            return "holds a NUL character"
        return None


@dataclass(frozen=True)
class Table:
    """The records of one member (or the list one key of a record holds)."""

    name: str
    columns: dict[str, Column]
    children: dict[str, Table] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()


_REFERRED = {Article: "articles.jsonl", Source: "sources.jsonl", Target: "targets.jsonl"}
_REFERRED[Claim] = "claims.jsonl"
_INTEGERS = BaseDatabaseOperations.integer_field_ranges


def _column(model_field: Any) -> Column:
    null = bool(model_field.null)
    if model_field.is_relation:
        if model_field.related_model is get_user_model():
            return Column("user", null=null)
        low, high = _INTEGERS["BigAutoField"]
        return Column("ref", null=null, low=1, high=high, ref=_REFERRED[model_field.related_model])
    internal = model_field.get_internal_type()
    if internal in _INTEGERS:
        low, high = _INTEGERS[internal]
        return Column("int", null=null, low=1 if model_field.primary_key else low, high=high)
    if internal == "DateTimeField":
        return Column("datetime", null=null)
    if internal == "DateField":
        return Column("date", null=null)
    if internal == "JSONField":
        return Column("json", null=null)
    choices = frozenset(str(c[0]) for c in model_field.choices) if model_field.choices else None
    return Column("str", null=null, max_length=model_field.max_length, choices=choices)


def table(
    name: str,
    model: type[models.Model],
    fields: tuple[str, ...],
    children: dict[str, Table] | None = None,
    optional: tuple[str, ...] = (),
) -> Table:
    """The table of records holding ``fields`` of ``model`` (foreign keys by their name:
    ``article``, not ``article_id``) and ``children``'s lists."""
    columns = {}
    for name_ in fields:
        model_field = model._meta.get_field(name_)
        columns[model_field.name] = _column(model_field)
    children = children or {}
    allowed = frozenset({*columns, *children})
    return Table(
        name,
        columns,
        children,
        frozenset(optional),
        allowed,
        allowed - frozenset(optional),
    )


def _users_table() -> Table:
    user_model = get_user_model()
    columns = {}
    for name in ("username", "email", "first_name", "last_name"):
        model_field = user_model._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        columns[name] = Column(
            "str", max_length=getattr(model_field, "max_length", None), model_field=model_field
        )
    allowed = frozenset(columns)
    optional = frozenset({"email", "first_name", "last_name"})
    return Table("users", columns, {}, optional, allowed, allowed - optional)


def _merges_table(fields: tuple[str, ...]) -> Table:
    """Merge records: the kept source is a plain id (it may have been merged away since,
    and then the archive doesn't hold it); ``check_merge`` checks the JSON values."""
    spec = table("source_merges.jsonl", SourceMerge, fields)
    _, high = _INTEGERS["BigAutoField"]
    columns = {**spec.columns, "kept": Column("int", low=1, high=high)}
    return dataclasses.replace(spec, columns=columns)


_MERGED_TEXT = {"name": 300, "description": 500, "external_id": 100}


def check_merge(record: dict[str, Any], where: str, refs: Refs) -> None:  # noqa: C901
    """A merge record's JSON values, which a split writes back: ``merged`` (the merged
    source's fields, its proposer and joiners by username), ``aliases``,
    ``added_aliases``, ``filled`` (description, external id) and ``moved`` (only the
    claims and chain links that cited it, by id, and the suggestions, by key: a split
    updates these rows)."""
    _, high = _INTEGERS["BigAutoField"]
    if type(record["merged_id"]) is not int or not 1 <= record["merged_id"] <= high:
        raise ValidationError(f"{where}, merged_id: not a row id.")
    merged = record["merged"]
    allowed = {
        *_MERGED_TEXT,
        *("kind", "status", "proposed_by", "version", "created", "joined", "joins_copied"),
    }
    if type(merged) is not dict or not merged.keys() <= allowed or "name" not in merged:
        raise ValidationError(f"{where}, merged: not a merged source's fields.")
    for key, length in _MERGED_TEXT.items():
        value = merged.get(key, "")
        if type(value) is not str or len(value) > length or "\0" in value:
            raise ValidationError(f"{where}, merged, {key}: text of at most {length} characters.")
    if merged.get("kind") not in SourceKind.values:
        raise ValidationError(f"{where}, merged, kind: not a kind of source.")
    if merged.get("status", SourceStatus.CONFIRMED) not in SourceStatus.values:
        raise ValidationError(f"{where}, merged, status: not a source status.")
    users = [
        merged.get("proposed_by"),
        *(merged.get("joined") or []),
        *(merged.get("joins_copied") or []),
    ]
    if (
        type(merged.get("joined", [])) is not list
        or type(merged.get("joins_copied", [])) is not list
        or any(u is not None and u not in refs.users for u in users)
    ):
        raise ValidationError(f"{where}, merged: names a user project.json does not list.")
    version = merged.get("version", 1)
    if type(version) is not int or not 1 <= version < 2**31:
        raise ValidationError(f"{where}, merged, version: not a version.")
    problem = Column("datetime").problem(merged.get("created"), refs)
    if problem is not None:
        raise ValidationError(f"{where}, merged, created: {problem}.")
    for key in ("aliases", "added_aliases"):
        names = record[key]
        if type(names) is not list or any(
            type(n) is not str or len(n) > 300 or "\0" in n for n in names
        ):
            raise ValidationError(f"{where}, {key}: a list of names.")
    filled = record["filled"]
    if type(filled) is not dict or not filled.keys() <= {"description", "external_id"}:
        raise ValidationError(f"{where}, filled: only a description or an external id.")
    if any(type(v) is not str or len(v) > 500 or "\0" in v for v in filled.values()):
        raise ValidationError(f"{where}, filled: text.")
    moved = record["moved"]
    if type(moved) is not dict or not moved.keys() <= writer_moved():
        raise ValidationError(
            f"{where}, moved: only {', '.join(sorted(writer_moved()))} may be listed."
        )
    for key, ids in moved.items():
        if key == "annotate.suggestion:source":
            check_suggestion_keys(ids, f"{where}, moved, {key}", refs)
            continue
        if type(ids) is not list or any(type(i) is not int or not 1 <= i <= high for i in ids):
            raise ValidationError(f"{where}, moved, {key}: a list of row ids.")
        if key == "annotate.claim:source" and not set(ids) <= refs.ids["claims.jsonl"]:
            raise ValidationError(f"{where}, moved: names a claim that claims.jsonl lacks.")


def check_suggestion_keys(keys: Any, where: str, refs: Refs) -> None:
    """The suggestions a merge moved, by [article id, start, end, suggester]: an article
    of the archive, a span of offsets, a suggester's name (a split matches them, nothing
    more)."""
    problem = ValidationError(f"{where}: a list of [article id, start, end, suggester].")
    if type(keys) is not list:
        raise problem
    for key in keys:
        if type(key) is not list or len(key) != 4:
            raise problem
        article, start, end, suggester = key
        if type(article) is not int or article not in refs.ids["articles.jsonl"]:
            raise ValidationError(f"{where}: names an article that articles.jsonl lacks.")
        if type(start) is not int or type(end) is not int or not 0 <= start < end < 2**31:
            raise problem
        if type(suggester) is not str or not suggester or len(suggester) > 100 or "\0" in suggester:
            raise problem


def writer_moved() -> frozenset[str]:
    from annotate.exchange.archive import MERGE_MOVED

    return MERGE_MOVED


@cache
def tables() -> dict[str, Table]:
    """Each member's table (built once the apps are loaded)."""
    from annotate.exchange import archive as writer

    return {
        "articles.jsonl": table("articles.jsonl", Article, writer._ARTICLE),
        "sources.jsonl": table(
            "sources.jsonl",
            Source,
            writer._SOURCE,
            {
                "aliases": table("aliases", SourceAlias, ("id", "alias", "alias_key")),
                "joins": table("joins", SourceJoin, ("user", "at")),
            },
            # Archives made before proposed sources, and before joins (version 1).
            optional=("status", "proposed_by", "joins"),
        ),
        "targets.jsonl": table("targets.jsonl", Target, writer._TARGET),
        "assignments.jsonl": table("assignments.jsonl", Assignment, writer._ASSIGNMENT),
        "claims.jsonl": table(
            "claims.jsonl",
            Claim,
            writer._CLAIM,
            {
                "stances": table("stances", ClaimStance, ("id", "target_id", "stance")),
                # Attribution chains (archives written before them have none).
                "chain": table(
                    "chain",
                    ChainLink,
                    ("id", "position", "source_id", "mention_start", "mention_end", "reliability"),
                ),
            },
            optional=("chain",),
        ),
        "decisions.jsonl": table(
            "decisions.jsonl",
            Decision,
            writer._DECISION,
            {
                "origins": table(
                    "origins", DecisionOrigin, ("id", "claim_id", "claim_version", "fields")
                )
            },
        ),
        "history.jsonl": table("history.jsonl", History, writer._HISTORY),
        "source_merges.jsonl": _merges_table(writer._MERGE),
        PROJECT: table(
            PROJECT,
            Project,
            ("id", "name", "slug", "description", "guidelines", "scheme", "created", "updated"),
            {
                "memberships": table("memberships", Membership, ("user_id", "role", "created")),
                "users": _users_table(),
            },
        ),
    }


MANIFEST_KEYS = frozenset(
    {
        "format",
        "archive_version",
        "tool",
        "tool_version",
        "exported_at",
        "project",
        "scheme_version",
        "members",
    }
)


def check_record(record: Any, table: Table, where: str, refs: Refs) -> None:
    """``ValidationError`` naming ``where`` and the key if ``record`` does not fit."""
    if type(record) is not dict:
        raise ValidationError(f"{where}: {_kind(record)} where an object belongs.")
    keys = record.keys()
    if not keys <= table.allowed:
        unknown = "”, “".join(sorted(keys - table.allowed))
        raise ValidationError(
            f"{where}: unknown key “{unknown}” (a {table.name} record holds only "
            f"{', '.join(sorted(table.allowed))})."
        )
    if not table.required <= keys:
        raise ValidationError(f"{where}: the key “{sorted(table.required - keys)[0]}” is missing.")
    for key, column in table.columns.items():
        if key in record:
            problem = column.problem(record[key], refs)
            if problem is not None:
                raise ValidationError(f"{where}, {key}: {problem}.")
    for key, child in table.children.items():
        if key not in record:
            continue  # an optional list (``required`` has checked the others)
        items = record[key]
        if type(items) is not list:
            raise ValidationError(f"{where}, {key}: {_kind(items)} where a list belongs.")
        for number, item in enumerate(items, start=1):
            check_record(item, child, f"{where}, {key} {number}", refs)


def check_manifest(info: Any, fmt: str, versions: tuple[int, ...]) -> None:
    if not isinstance(info, dict) or info.get("format") != fmt:
        raise ValidationError("This zip is not a Claimdesk project archive.")
    if info.get("archive_version") not in versions:
        raise ValidationError(
            f"Archive version {info.get('archive_version')} can't be read by this "
            f"Claimdesk (it reads versions {', '.join(map(str, versions))})."
        )
    unknown = sorted(info.keys() - MANIFEST_KEYS)
    if unknown:
        raise ValidationError(f"{MANIFEST}: unknown key “{unknown[0]}”.")


def check_project(data: Any, refs: Refs) -> None:
    """project.json: the project, its members and users (filling ``refs.users``)."""
    if type(data) is dict:
        # Users first: the memberships name them.
        users = data.get("users")
        if type(users) is list:
            user_table = tables()[PROJECT].children["users"]
            for number, user in enumerate(users, start=1):
                check_record(user, user_table, f"{PROJECT}, users {number}", refs)
                if user["username"] in refs.users:
                    raise ValidationError(
                        f"{PROJECT}, users {number}: “{user['username']}” is listed twice."
                    )
                refs.users.add(user["username"])
    check_record(data, tables()[PROJECT], PROJECT, refs)
    try:
        validate_slug(data["slug"])
        validate_scheme(data["scheme"])
    except ValidationError as exc:
        raise ValidationError(f"{PROJECT}: {' '.join(exc.messages)}") from exc
    members = [m["user"] for m in data["memberships"]]
    if len(set(members)) != len(members):
        raise ValidationError(f"{PROJECT}, memberships: a user is a member twice.")


_IDS_KEPT = frozenset({"articles.jsonl", "sources.jsonl", "targets.jsonl", "claims.jsonl"})


def check_tables(reader: Reader, refs: Refs) -> None:
    """Every line of every JSON Lines member, in the order they are written (a member
    refers only to those before it)."""
    present = set(reader.archive.namelist())
    for member in TABLES:
        if member in OPTIONAL_MEMBERS and member not in present:
            continue
        spec = tables()[member]
        ids = refs.ids[member] = set()
        keep = member in _IDS_KEPT
        for number, record in reader.lines(member):
            where = f"{member}, line {number}"
            check_record(record, spec, where, refs)
            if member == "source_merges.jsonl":
                check_merge(record, where, refs)
            if keep:
                if record["id"] in ids:
                    raise ValidationError(f"{where}: the id {record['id']} is there twice.")
                ids.add(record["id"])
