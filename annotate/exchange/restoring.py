"""Restoring a project archive (``annotate.exchange.archive``): ``restore`` rebuilds the
archived project in an empty instance, in one transaction, once ``archive_checks`` has
checked the whole archive; one function writes each table. The archive's module docstring
says what is kept (every primary key, the archived times) and how users are matched.
"""

from __future__ import annotations

import datetime as dt
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

from annotate.exchange import archive_checks as checks
from annotate.exchange.archive import ARCHIVE_FORMAT, CHUNK, DATETIMES, READABLE_VERSIONS
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
    Target,
)
from corpus.models import Article, Membership, Project

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
    SourceJoin,
    SourceMerge,
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
    for key in DATETIMES & record.keys():
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
        checks.check_manifest(reader.json(checks.MANIFEST), ARCHIVE_FORMAT, READABLE_VERSIONS)
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
                    ChainLink,
                    Decision,
                    DecisionOrigin,
                    History,
                    SourceJoin,
                    SourceMerge,
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
    """Write the checked archive, table by table (each one's rows counted in the result)."""
    users, created_users = _users(data["users"])

    def user(name: str | None) -> Any:
        return None if name is None else users[name]

    project = _project(data, slug, user)
    result = RestoreResult(project=project, created_users=created_users)
    counts = result.counts
    counts["articles"] = _articles(reader, project)
    _sources(reader, project, counts, user)
    counts["targets"] = _insert(
        Target, (Target(project=project, **_times(r)) for r in _records(reader, "targets.jsonl"))
    )
    counts["assignments"] = _assignments(reader, user)
    _claims(reader, user, counts)
    _decisions(reader, user, counts)
    counts["history"] = _history(reader, project, user)
    counts["source_merges"] = _merges(reader, project, user)
    return result


User = Callable[[str | None], Any]  # an archived username → the instance's user id


def _project(data: dict[str, Any], slug: str, user: User) -> Project:
    """The project and its memberships."""
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
    Membership.objects.bulk_create(
        Membership(
            project=project, user_id=user(m["user"]), role=m["role"], created=_when(m["created"])
        )
        for m in data["memberships"]
    )
    return project


def _articles(reader: checks.Reader, project: Project) -> int:
    return _insert(
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


def _sources(reader: checks.Reader, project: Project, counts: dict[str, int], user: User) -> None:
    """The sources, then their aliases."""
    aliases: list[SourceAlias] = []
    joins: list[SourceJoin] = []

    def sources() -> Iterator[Source]:
        for r in _records(reader, "sources.jsonl"):
            aliases.extend(SourceAlias(source_id=r["id"], **a) for a in r.pop("aliases"))
            joins.extend(
                SourceJoin(source_id=r["id"], user_id=user(j["user"]), at=_when(j["at"]))
                for j in r.pop("joins", [])
            )
            r["proposed_by_id"] = user(r.pop("proposed_by", None))
            yield Source(project=project, **_times(r))

    counts["sources"] = _insert(Source, sources())
    counts["aliases"] = _insert(SourceAlias, aliases)
    counts["source_joins"] = _insert(SourceJoin, joins)


def _assignments(reader: checks.Reader, user: User) -> int:
    return _insert(
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


def _claims(reader: checks.Reader, user: User, counts: dict[str, int]) -> None:
    """The claims, their stances and their chains' links (written as they pile up, so
    that memory stays flat)."""
    stances: list[ClaimStance] = []
    links: list[ChainLink] = []

    def claims() -> Iterator[Claim]:
        for r in _records(reader, "claims.jsonl"):
            stances.extend(
                ClaimStance(id=s["id"], claim_id=r["id"], target_id=s["target"], stance=s["stance"])
                for s in r.pop("stances")
            )
            links.extend(
                ChainLink(
                    id=k["id"],
                    claim_id=r["id"],
                    position=k["position"],
                    source_id=k["source"],
                    mention_start=k["mention_start"],
                    mention_end=k["mention_end"],
                    reliability=k["reliability"],
                )
                for k in r.pop("chain", [])
            )
            r = _times(r)
            r["article_id"] = r.pop("article")
            r["annotator_id"] = user(r.pop("annotator"))
            r["source_id"] = r.pop("source")
            yield Claim(**r)
            if len(stances) >= CHUNK * 4:
                counts["stances"] = counts.get("stances", 0) + _insert(ClaimStance, _flush(stances))
            if len(links) >= CHUNK * 4:
                counts["chain_links"] = counts.get("chain_links", 0) + _insert(
                    ChainLink, _flush(links)
                )

    counts["claims"] = _insert(Claim, claims())
    counts["stances"] = counts.get("stances", 0) + _insert(ClaimStance, _flush(stances))
    counts["chain_links"] = counts.get("chain_links", 0) + _insert(ChainLink, _flush(links))


def _decisions(reader: checks.Reader, user: User, counts: dict[str, int]) -> None:
    """The gold decisions, then their origins."""
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


def _merges(reader: checks.Reader, project: Project, user: User) -> int:
    """The merge records (none in a version 1 archive), their users by username."""
    if "source_merges.jsonl" not in reader.archive.namelist():
        return 0

    def merges() -> Iterator[SourceMerge]:
        for r in _records(reader, "source_merges.jsonl"):
            merged = dict(r["merged"])
            merged["proposed_by"] = user(merged.get("proposed_by"))
            for key in ("joined", "joins_copied"):
                if key in merged:
                    merged[key] = [user(name) for name in merged[key] or []]
            yield SourceMerge(
                id=r["id"],
                project=project,
                kept_id=r["kept"],
                kept_name=r["kept_name"],
                merged_id=r["merged_id"],
                merged=merged,
                aliases=r["aliases"],
                added_aliases=r["added_aliases"],
                filled=r["filled"],
                moved=r["moved"],
                actor_id=user(r["actor"]),
                at=_when(r["at"]),
                split_at=_time(r["split_at"]),
                split_by_id=user(r["split_by"]),
            )

    return _insert(SourceMerge, merges())


def _history(reader: checks.Reader, project: Project, user: User) -> int:
    return _insert(
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


def _flush(items: list[Any]) -> list[Any]:
    """Hand over the items collected so far and start afresh."""
    taken = list(items)
    items.clear()
    return taken
