"""The project archive: everything needed to rebuild a project, as zipped JSON; and
``restore``, which rebuilds it in an empty instance (backup/restore, and the way from
SQLite to PostgreSQL and back).

Members, in this order: ``manifest.json`` (tool, versions, time, counts), ``project.json``
(the project, its scheme, its members and the users they are, by username),
then one JSON object per line, ordered by id: ``articles.jsonl``, ``sources.jsonl`` (with
aliases), ``targets.jsonl``, ``assignments.jsonl``, ``claims.jsonl`` (every layer, deleted
claims too, with stances), ``decisions.jsonl`` (with origins) and ``history.jsonl``.
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

import datetime as dt
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import batched
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.validators import validate_slug
from django.db import DataError, IntegrityError, connection, models, transaction
from django.utils import timezone

from annotate.exchange import archive_checks as checks
from annotate.exchange.fields import ARTICLE_VALUES, CLAIM_VALUES
from annotate.exchange.provenance import json_default, tool_version
from annotate.exchange.sink import ByteSink
from annotate.models import (
    Assignment,
    Claim,
    ClaimStance,
    Decision,
    DecisionOrigin,
    History,
    Source,
    SourceAlias,
    Target,
)
from corpus.models import Article, Membership, Project

ARCHIVE_FORMAT = "claimdesk-archive"
ARCHIVE_VERSION = 1
CHUNK = 1000
FLUSH_BYTES = 512 * 1024
# A fixed time for zip entries, so that archiving the same content twice gives the same
# bytes apart from the manifest.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

# Keys are written sorted (``_line``), so the order of these tuples is free.
_ARTICLE = (*ARTICLE_VALUES, "text", "source_file", "created", "updated")
_SOURCE = ("id", "name", "name_key", "kind", "description", "external_id", "created", "updated")
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
_USER_FIELDS = {"annotator_id", "assigned_by_id", "curator_id", "actor_id"}
_FOREIGN_KEYS = {*_USER_FIELDS, "article_id", "source_id", "gold_id"}
_DATETIMES = {"created", "updated", "deleted_at", "at"}


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
        History.objects.filter(project=project, actor__isnull=False)
        .values_list("actor_id", flat=True)
        .distinct()
    )
    return ids


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
            _lines(Source.objects.filter(project=project), _SOURCE, users, _with_aliases),
        ),
        ("targets.jsonl", _lines(Target.objects.filter(project=project), _TARGET, users)),
        (
            "assignments.jsonl",
            _lines(Assignment.objects.filter(article__project=project), _ASSIGNMENT, users),
        ),
        (
            "claims.jsonl",
            _lines(Claim.objects.filter(article__project=project), _CLAIM, users, _with_stances),
        ),
        (
            "decisions.jsonl",
            _lines(
                Decision.objects.filter(article__project=project), _DECISION, users, _with_origins
            ),
        ),
        ("history.jsonl", _lines(History.objects.filter(project=project), _HISTORY, users)),
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


# --- Restore ------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    project: Project
    counts: dict[str, int] = field(default_factory=dict)
    created_users: list[str] = field(default_factory=list)


_AUTO_TIME_MODELS = (
    Project,
    Membership,
    Article,
    Source,
    Target,
    Assignment,
    Claim,
    Decision,
    History,
)


@contextmanager
def _archived_timestamps() -> Iterator[None]:
    """Let ``auto_now``/``auto_now_add`` fields take the archived times while restoring."""
    changed: list[tuple[Any, str]] = []
    for model in _AUTO_TIME_MODELS:
        for f in model._meta.concrete_fields:
            for flag in ("auto_now", "auto_now_add"):
                if getattr(f, flag, False):
                    setattr(f, flag, False)
                    changed.append((f, flag))
    try:
        yield
    finally:
        for f, flag in changed:
            setattr(f, flag, True)


def _records(reader: checks.Reader, name: str) -> Iterator[dict[str, Any]]:
    """The member's records (``checks.check_tables`` has checked them)."""
    for _, record in reader.lines(name):
        yield record


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _times(record: dict[str, Any]) -> dict[str, Any]:
    for key in _DATETIMES & record.keys():
        record[key] = _time(record[key])
    return record


# Told the number of rows of each chunk written, while ``restore`` runs (a progress bar).
_on_rows: ContextVar[Callable[[int], None] | None] = ContextVar("_on_rows", default=None)


def _insert(model: type[models.Model], objects: Iterable[models.Model]) -> int:
    count = 0
    on_rows = _on_rows.get()
    for chunk in batched(objects, CHUNK):
        ids = [o.pk for o in chunk]
        taken = list(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True)[:5])
        if taken:
            raise ValidationError(
                f"{model._meta.verbose_name_plural} with ids {', '.join(map(str, taken))} already "
                "exist: restore into an empty instance."
            )
        model._default_manager.bulk_create(chunk)
        count += len(chunk)
        if on_rows is not None:
            on_rows(len(chunk))
    return count


def restore(
    file: IO[bytes] | str,
    *,
    slug: str | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> RestoreResult:
    """Rebuild the archived project (see the module docstring), in one transaction, once
    the whole archive has been checked (``archive_checks``). ``slug`` gives it another
    slug; ``on_rows`` is told how many rows each write adds. Raises ``ValidationError``
    saying what is wrong."""
    token = _on_rows.set(on_rows)
    try:
        return _restore_archive(file, slug)
    except (IntegrityError, DataError) as exc:
        # What the checks can't see (a claim's end before its start, a duplicate alias):
        # the database refuses it, the transaction is rolled back.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValidationError(f"The archive's rows don't fit the database: {reason}.") from exc
    finally:
        _on_rows.reset(token)


def _restore_archive(file: IO[bytes] | str, slug: str | None) -> RestoreResult:
    limits = checks.Limits.from_settings()
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationError(f"Not a zip archive: {exc}.") from exc
    with archive:
        checks.check_members(archive, limits)
        reader = checks.Reader(archive, limits)
        checks.check_manifest(reader.json(checks.MANIFEST), ARCHIVE_FORMAT, ARCHIVE_VERSION)
        checks.check_complete(archive)
        data = reader.json(checks.PROJECT)
        refs = checks.Refs()
        checks.check_project(data, refs)
        if slug is not None:
            _check_slug(slug)
        slug = slug or data["slug"]
        if Project.objects.filter(slug=slug).exists():
            raise ValidationError(f"A project with the slug “{slug}” already exists.")
        if Project.objects.filter(pk=data["id"]).exists():
            raise ValidationError(
                f"A project with id {data['id']} exists: restore into an empty instance."
            )
        checks.check_tables(reader, refs)
        # Checked: now read it again, to write.
        reader = checks.Reader(archive, limits)
        with transaction.atomic(), _archived_timestamps():
            result = _restore(reader, data, slug)
            if connection.vendor == "postgresql":
                models_ = [
                    Project,
                    Membership,
                    Article,
                    Source,
                    SourceAlias,
                    Target,
                    Assignment,
                    Claim,
                    ClaimStance,
                    Decision,
                    DecisionOrigin,
                    History,
                ]
                with connection.cursor() as cursor:
                    for sql in connection.ops.sequence_reset_sql(no_style(), models_):
                        cursor.execute(sql)
                    # Fresh statistics: until autovacuum gets to the new rows the planner
                    # guesses, and the first export after a restore ran 2-3x slower.
                    for model in models_:
                        cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return result


def _check_slug(slug: str) -> None:
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise ValidationError(f"“{slug}” is not a slug: {' '.join(exc.messages)}") from exc
    limit = Project._meta.get_field("slug").max_length or 0
    if len(slug) > limit:
        raise ValidationError(f"A slug has at most {limit} characters.")


def _users(records: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The archive's users by username: the instance's user of that name, as it is (never
    changed: not its name, flags, password or permissions), or a new one made from the
    username, email and names alone, inactive, without a usable password, not staff.
    Returns the ids by username and the names of the users created."""
    user_model = get_user_model()
    ids: dict[str, Any] = {}
    created: list[str] = []
    for record in records:
        username = record["username"]
        found = user_model._default_manager.filter(username=username).first()
        if found is None:
            found = user_model(
                username=username,
                email=record.get("email", ""),
                first_name=record.get("first_name", ""),
                last_name=record.get("last_name", ""),
                is_active=False,
                is_staff=False,
                is_superuser=False,
            )
            found.set_unusable_password()
            found.save(force_insert=True)
            created.append(username)
        ids[username] = found.pk
    return ids, created


def _restore(reader: checks.Reader, data: dict[str, Any], slug: str) -> RestoreResult:
    users, created_users = _users(data["users"])

    def user(name: str | None) -> Any:
        return None if name is None else users[name]

    project = Project.objects.create(
        id=data["id"],
        name=data["name"],
        slug=slug,
        description=data["description"],
        guidelines=data["guidelines"],
        scheme=data["scheme"],
        created=_when(data["created"]),
        updated=_when(data["updated"]),
    )
    result = RestoreResult(project=project, created_users=created_users)
    Membership.objects.bulk_create(
        Membership(
            project=project, user_id=user(m["user"]), role=m["role"], created=_when(m["created"])
        )
        for m in data["memberships"]
    )
    counts = result.counts
    counts["articles"] = _insert(
        Article,
        (
            Article(
                project=project,
                **{
                    **_times(r),
                    "published": dt.date.fromisoformat(r["published"]) if r["published"] else None,
                },
            )
            for r in _records(reader, "articles.jsonl")
        ),
    )
    aliases: list[SourceAlias] = []

    def sources() -> Iterator[Source]:
        for r in _records(reader, "sources.jsonl"):
            aliases.extend(SourceAlias(source_id=r["id"], **a) for a in r.pop("aliases"))
            yield Source(project=project, **_times(r))

    counts["sources"] = _insert(Source, sources())
    counts["aliases"] = _insert(SourceAlias, aliases)
    counts["targets"] = _insert(
        Target, (Target(project=project, **_times(r)) for r in _records(reader, "targets.jsonl"))
    )
    counts["assignments"] = _insert(
        Assignment,
        (
            Assignment(
                id=r["id"],
                article_id=r["article"],
                annotator_id=user(r["annotator"]),
                assigned_by_id=user(r["assigned_by"]),
                status=r["status"],
                created=_when(r["created"]),
                updated=_when(r["updated"]),
            )
            for r in _records(reader, "assignments.jsonl")
        ),
    )
    stances: list[ClaimStance] = []

    def claims() -> Iterator[Claim]:
        for r in _records(reader, "claims.jsonl"):
            stances.extend(
                ClaimStance(id=s["id"], claim_id=r["id"], target_id=s["target"], stance=s["stance"])
                for s in r.pop("stances")
            )
            r = _times(r)
            r["article_id"] = r.pop("article")
            r["annotator_id"] = user(r.pop("annotator"))
            r["source_id"] = r.pop("source")
            yield Claim(**r)
            if len(stances) >= CHUNK * 4:
                counts["stances"] = counts.get("stances", 0) + _insert(ClaimStance, _flush(stances))

    counts["claims"] = _insert(Claim, claims())
    counts["stances"] = counts.get("stances", 0) + _insert(ClaimStance, _flush(stances))
    origins: list[DecisionOrigin] = []

    def decisions() -> Iterator[Decision]:
        for r in _records(reader, "decisions.jsonl"):
            origins.extend(
                DecisionOrigin(
                    id=o["id"],
                    decision_id=r["id"],
                    claim_id=o["claim"],
                    claim_version=o["claim_version"],
                    fields=o["fields"],
                )
                for o in r.pop("origins")
            )
            yield Decision(
                id=r["id"],
                article_id=r["article"],
                curator_id=user(r["curator"]),
                action=r["action"],
                gold_id=r["gold"],
                rationale=r["rationale"],
                created=_when(r["created"]),
            )

    counts["decisions"] = _insert(Decision, decisions())
    counts["origins"] = _insert(DecisionOrigin, origins)
    counts["history"] = _insert(
        History,
        (
            History(
                project=project,
                id=r["id"],
                entity=r["entity"],
                object_id=r["object_id"],
                action=r["action"],
                actor_id=user(r["actor"]),
                at=_when(r["at"]),
                before=r["before"],
                after=r["after"],
            )
            for r in _records(reader, "history.jsonl")
        ),
    )
    return result


def _flush(items: list[Any]) -> list[Any]:
    """Hand over the items collected so far and start afresh."""
    taken = list(items)
    items.clear()
    return taken
