"""The project archive: everything needed to rebuild a project, as zipped JSON
(``stream``); ``annotate.exchange.restoring.restore`` rebuilds it in an empty instance
(backup/restore, and the way from SQLite to PostgreSQL and back).

Members, in this order: ``manifest.json`` (tool, versions, time, counts), ``project.json``
(the project, its scheme, its members and the users they are, by username),
then one JSON object per line, ordered by id: ``articles.jsonl``, ``sources.jsonl`` (with
aliases and joins), ``targets.jsonl``, ``assignments.jsonl``, ``claims.jsonl`` (every layer,
deleted claims too, with stances), ``decisions.jsonl`` (with origins), ``history.jsonl`` and
``source_merges.jsonl`` (the merge records a manager can split back; since version 2).
Users are referred to by username everywhere; passwords and tokens are never archived.

Restore keeps every primary key, so that history snapshots, which name claims, sources
and targets by id, stay true; it therefore needs those ids free (an empty instance, or
one that never held them) and says which table clashes otherwise. On PostgreSQL the id
sequences are moved past the restored rows. Timestamps are restored as archived.

An archive is not trusted: ``archive_checks`` checks the whole of it (the zip's members
and sizes, every record's keys and values, references) before anything is written, and
refuses it, saying where and what, at the first fault. Users are matched by username: a
user the instance has is used as it is, never changed; one it lacks is created from
the username, email and names alone, inactive, with an unusable password, never staff
or superuser (an administrator activates them and sets passwords), and the result lists
them. Everything is written in one transaction: a failed restore writes nothing.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from itertools import batched
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from annotate.exchange.fields import ARTICLE_VALUES, CLAIM_VALUES
from annotate.exchange.provenance import json_default, tool_version
from annotate.exchange.sink import ByteSink
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
    SourceMerge,
    Suggestion,
    Target,
)
from corpus.models import Article, Membership, Project

ARCHIVE_FORMAT = "claimdesk-archive"
# 2: source_merges.jsonl and the sources' joins. Version 1 archives (without them) still restore.
ARCHIVE_VERSION = 2
READABLE_VERSIONS = (1, 2)
CHUNK = 1000
FLUSH_BYTES = 512 * 1024
# A fixed time for zip entries, so that archiving the same content twice gives the same
# bytes apart from the manifest.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

# Keys are written sorted (``_line``), so the order of these tuples is free.
_ARTICLE = (*ARTICLE_VALUES, "text", "source_file", "created", "updated")
_SOURCE = (
    "id",
    "name",
    "name_key",
    "kind",
    "description",
    "external_id",
    "status",
    "proposed_by_id",
    "created",
    "updated",
)
_TARGET = ("id", "name", "name_key", "position", "created")
_ASSIGNMENT = ("id", "article_id", "annotator_id", "status", "assigned_by_id", "created", "updated")
_CLAIM = (
    "id",
    "article_id",
    "annotator_id",
    *CLAIM_VALUES,
    "version",
    "created",
    "updated",
    "deleted_at",
)
_DECISION = ("id", "article_id", "curator_id", "action", "gold_id", "rationale", "created")
_HISTORY = ("id", "entity", "object_id", "action", "actor_id", "at", "before", "after")
_MERGE = (
    "id",
    "kept_id",
    "kept_name",
    "merged_id",
    "merged",
    "aliases",
    "added_aliases",
    "filled",
    "moved",
    "actor_id",
    "at",
    "split_at",
    "split_by_id",
)
# The rows a merge moved that an archive holds: claims and chain links by id; suggestions
# (not archived: a refresh makes them again) by [article id, start, end, suggester].
SUGGESTION_MOVED = "annotate.suggestion:source"
MERGE_MOVED = frozenset({"annotate.claim:source", "annotate.chainlink:source", SUGGESTION_MOVED})
_USER_FIELDS = {
    "annotator_id",
    "assigned_by_id",
    "curator_id",
    "actor_id",
    "proposed_by_id",
    "split_by_id",
}
_FOREIGN_KEYS = {*_USER_FIELDS, "article_id", "source_id", "gold_id", "kept_id"}
# Datetime fields (ISO strings in the archive).
DATETIMES = {"created", "updated", "deleted_at", "at", "split_at"}


def _line(record: dict[str, Any]) -> bytes:
    return (
        json.dumps(record, ensure_ascii=False, sort_keys=True, default=json_default) + "\n"
    ).encode()


def _out(row: dict[str, Any], users: dict[int, str]) -> dict[str, Any]:
    """A row as archived: user ids become usernames, ``x_id`` becomes ``x``."""
    record = {}
    for name, value in row.items():
        key = name[:-3] if name in _FOREIGN_KEYS else name
        record[key] = users.get(value) if name in _USER_FIELDS and value is not None else value
    return record


def _user_ids(project: Project) -> set[int]:
    ids: set[int] = set(
        Membership.objects.filter(project=project).values_list("user_id", flat=True)
    )
    claims = Claim.objects.filter(article__project=project, annotator__isnull=False)
    ids |= set(claims.values_list("annotator_id", flat=True).distinct())
    assignments = Assignment.objects.filter(article__project=project)
    ids |= set(assignments.values_list("annotator_id", flat=True).distinct())
    ids |= set(
        assignments.filter(assigned_by__isnull=False)
        .values_list("assigned_by_id", flat=True)
        .distinct()
    )
    ids |= set(
        Decision.objects.filter(article__project=project)
        .values_list("curator_id", flat=True)
        .distinct()
    )
    ids |= set(
        Source.objects.filter(project=project, proposed_by__isnull=False)
        .values_list("proposed_by_id", flat=True)
        .distinct()
    )
    ids |= set(
        History.objects.filter(project=project, actor__isnull=False)
        .values_list("actor_id", flat=True)
        .distinct()
    )
    ids |= set(SourceJoin.objects.filter(source__project=project).values_list("user_id", flat=True))
    for actor, split_by, merged in SourceMerge.objects.filter(project=project).values_list(
        "actor_id", "split_by_id", "merged"
    ):
        ids |= {pk for pk in (actor, split_by) if pk is not None}
        ids |= {pk for pk in _merge_user_ids(merged) if type(pk) is int}
    return ids


def _merge_user_ids(merged: Any) -> list[Any]:
    """The user ids a merge record's ``merged`` names (its proposer, who joined it, whose
    joins it copied to the kept source)."""
    if not isinstance(merged, dict):
        return []
    return [
        merged.get("proposed_by"),
        *(merged.get("joined") or []),
        *(merged.get("joins_copied") or []),
    ]


def _with_merge_users(users: dict[int, str]) -> Callable[[list[dict[str, Any]]], None]:
    """Name the users inside a merge record's ``merged`` by username too, and keep of
    ``moved`` the rows an archive holds."""

    def convert(records: list[dict[str, Any]]) -> None:
        for record in records:
            merged = dict(record["merged"])
            proposer = merged.get("proposed_by")
            merged["proposed_by"] = users.get(proposer) if proposer is not None else None
            for key in ("joined", "joins_copied"):
                if key in merged:
                    merged[key] = [users[pk] for pk in merged[key] or [] if pk in users]
            record["merged"] = merged
            moved = {k: v for k, v in record["moved"].items() if k in MERGE_MOVED}
            if SUGGESTION_MOVED in moved:
                moved[SUGGESTION_MOVED] = _suggestion_keys(moved[SUGGESTION_MOVED])
            record["moved"] = moved

    return convert


def _suggestion_keys(items: list[Any]) -> list[list[Any]]:
    """A merge's moved suggestions by key; a record from before keys were recorded lists
    ids: those of the suggestions still there are named by key, the others are gone."""
    keys = [item for item in items if isinstance(item, list)]
    ids = [item for item in items if type(item) is int]
    rows = Suggestion.objects.filter(pk__in=ids).order_by("pk")
    found = rows.values_list("article_id", "start", "end", "suggester")
    return keys + [list(key) for key in found]


def _lines(
    queryset: models.QuerySet[Any],
    fields: tuple[str, ...],
    users: dict[int, str],
    children: Callable[[list[dict[str, Any]]], None] | None = None,
) -> Iterator[bytes]:
    rows = queryset.order_by("id").values(*fields).iterator(chunk_size=CHUNK)
    for chunk in batched(rows, CHUNK):
        records = [_out(row, users) for row in chunk]
        if children is not None:
            children(records)
        yield b"".join(_line(r) for r in records)


def _with_aliases_and_joins(users: dict[int, str]) -> Callable[[list[dict[str, Any]]], None]:
    """A source's aliases, and who joined it (proposed the same name), by username."""

    def add(records: list[dict[str, Any]]) -> None:
        _with_aliases(records)
        joins: dict[int, list[dict[str, Any]]] = {}
        for source, user, at in (
            SourceJoin.objects.filter(source_id__in=[r["id"] for r in records])
            .order_by("id")
            .values_list("source_id", "user_id", "at")
        ):
            joins.setdefault(source, []).append({"user": users[user], "at": at})
        for record in records:
            record["joins"] = joins.get(record["id"], [])

    return add


def _with_aliases(records: list[dict[str, Any]]) -> None:
    aliases: dict[int, list[dict[str, Any]]] = {}
    for pk, source, alias, key in (
        SourceAlias.objects.filter(source_id__in=[r["id"] for r in records])
        .order_by("id")
        .values_list("id", "source_id", "alias", "alias_key")
    ):
        aliases.setdefault(source, []).append({"id": pk, "alias": alias, "alias_key": key})
    for record in records:
        record["aliases"] = aliases.get(record["id"], [])


def _with_stances(records: list[dict[str, Any]]) -> None:
    stances: dict[int, list[dict[str, Any]]] = {}
    for pk, claim, target, stance in (
        ClaimStance.objects.filter(claim_id__in=[r["id"] for r in records])
        .order_by("id")
        .values_list("id", "claim_id", "target_id", "stance")
    ):
        stances.setdefault(claim, []).append({"id": pk, "target": target, "stance": stance})
    for record in records:
        record["stances"] = stances.get(record["id"], [])


def _with_stances_and_chains(records: list[dict[str, Any]]) -> None:
    """A claim's stances and its attribution chain's links (by position)."""
    _with_stances(records)
    chains: dict[int, list[dict[str, Any]]] = {}
    for pk, claim, position, source, start, end, reliability in (
        ChainLink.objects.filter(claim_id__in=[r["id"] for r in records])
        .order_by("claim_id", "position")
        .values_list(
            "id", "claim_id", "position", "source_id", "mention_start", "mention_end", "reliability"
        )
    ):
        chains.setdefault(claim, []).append(
            {
                "id": pk,
                "position": position,
                "source": source,
                "mention_start": start,
                "mention_end": end,
                "reliability": reliability,
            }
        )
    for record in records:
        record["chain"] = chains.get(record["id"], [])


def _with_origins(records: list[dict[str, Any]]) -> None:
    origins: dict[int, list[dict[str, Any]]] = {}
    for pk, decision, claim, version, fields in (
        DecisionOrigin.objects.filter(decision_id__in=[r["id"] for r in records])
        .order_by("id")
        .values_list("id", "decision_id", "claim_id", "claim_version", "fields")
    ):
        origins.setdefault(decision, []).append(
            {"id": pk, "claim": claim, "claim_version": version, "fields": fields}
        )
    for record in records:
        record["origins"] = origins.get(record["id"], [])


def stream(project: Project, *, on_chunk: Any = None) -> Iterator[bytes]:
    """The archive of ``project`` as zip bytes, sent a piece at a time."""
    user_model = get_user_model()
    user_rows = (
        user_model.objects.filter(pk__in=_user_ids(project))
        .order_by("username")
        .values("id", "username", "email", "first_name", "last_name")
    )
    users = {u["id"]: u["username"] for u in user_rows}
    articles = Article.objects.filter(project=project)
    tables: list[tuple[str, Iterator[bytes]]] = [
        ("articles.jsonl", _lines(articles, _ARTICLE, users)),
        (
            "sources.jsonl",
            _lines(
                Source.objects.filter(project=project),
                _SOURCE,
                users,
                _with_aliases_and_joins(users),
            ),
        ),
        ("targets.jsonl", _lines(Target.objects.filter(project=project), _TARGET, users)),
        (
            "assignments.jsonl",
            _lines(Assignment.objects.filter(article__project=project), _ASSIGNMENT, users),
        ),
        (
            "claims.jsonl",
            _lines(
                Claim.objects.filter(article__project=project),
                _CLAIM,
                users,
                _with_stances_and_chains,
            ),
        ),
        (
            "decisions.jsonl",
            _lines(
                Decision.objects.filter(article__project=project), _DECISION, users, _with_origins
            ),
        ),
        ("history.jsonl", _lines(History.objects.filter(project=project), _HISTORY, users)),
        (
            "source_merges.jsonl",
            _lines(
                SourceMerge.objects.filter(project=project),
                _MERGE,
                users,
                _with_merge_users(users),
            ),
        ),
    ]
    project_record = {
        "id": project.pk,
        "name": project.name,
        "slug": project.slug,
        "description": project.description,
        "guidelines": project.guidelines,
        "scheme": project.scheme,
        "created": project.created,
        "updated": project.updated,
        "memberships": [
            {"user": users[m["user_id"]], "role": m["role"], "created": m["created"]}
            for m in Membership.objects.filter(project=project)
            .order_by("id")
            .values("user_id", "role", "created")
        ],
        "users": [{k: v for k, v in u.items() if k != "id"} for u in user_rows],
    }
    info = {
        "format": ARCHIVE_FORMAT,
        "archive_version": ARCHIVE_VERSION,
        "tool": "claimdesk",
        "tool_version": tool_version(),
        "exported_at": timezone.now().isoformat(),
        "project": project.slug,
        "scheme_version": project.scheme.get("version"),
        "members": ["project.json", *(name for name, _ in tables)],
    }
    sink = ByteSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def entry(name: str) -> zipfile.ZipInfo:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            return info

        archive.writestr(entry("manifest.json"), _line(info))
        archive.writestr(entry("project.json"), _line(project_record))
        for name, lines in tables:
            with archive.open(entry(name), "w", force_zip64=True) as member:
                for block in lines:
                    member.write(block)
                    if on_chunk is not None and name == "claims.jsonl":
                        on_chunk(block.count(b"\n"))
                    if sink.size >= FLUSH_BYTES:
                        yield sink.drain()
    yield sink.drain()
