"""Writes of the source registry and of stance targets.

Every function is keyword-only, runs in one transaction and raises ``ValidationError``
with a message a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import batched
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotate.history import history_record, source_snapshot
from annotate.models import (
    ChainLink,
    Claim,
    ClaimStance,
    HistoryAction,
    Source,
    SourceAlias,
    SourceJoin,
    SourceKind,
    SourceMerge,
    SourceStatus,
    Suggestion,
    Target,
)
from common import limits
from common.conflicts import StaleVersion
from common.limits import Limit
from common.text import check_text
from corpus.models import Project
from corpus.permissions import can_curate, proposes_sources
from corpus.text import search_key

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# --- Sources --------------------------------------------------------------------


def _clean_name(value: str, field: str, limit: Limit = limits.SOURCE_NAME) -> tuple[str, str]:
    """The name with its whitespace collapsed, and its search key; refused if it holds
    what can't be stored, has no letter or digit, or is longer than ``limit``."""
    # Whitespace (U+001E and the like too) becomes one space before the check.
    name = check_text(" ".join((value or "").split()), field=field)
    key = search_key(name)
    if not any(ch.isalnum() for ch in key):
        raise ValidationError({field: "A name needs at least one letter or digit."})
    limit.check(name, field=field)
    return name, key


def _clean_line(value: str, field: str, limit: Limit) -> str:
    """A one-line value (a description, an external id): whitespace collapsed, checked."""
    return check_text(" ".join((value or "").split()), field=field, limit=limit)


def _check_kind(kind: str) -> None:
    if kind not in SourceKind.values:
        raise ValidationError(
            {"kind": f"Unknown kind “{kind}”: use one of {', '.join(SourceKind.values)}."}
        )


def _check_name_free(*, project_id: int, name: str, key: str, exclude_pk: int | None) -> None:
    """A name may be neither another source's name nor another source's alias: either
    would make two registry entries answer to the same words."""
    others = Source.objects.filter(project_id=project_id)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    clash = others.filter(name_key=key).first()
    if clash is not None:
        raise ValidationError({"name": f"The registry already has “{clash.name}”."})
    alias = SourceAlias.objects.filter(source__in=others, alias_key=key).select_related("source")
    hit = alias.first()
    if hit is not None:
        raise ValidationError(
            {"name": f"“{name}” is already an alias of “{hit.source.name}”: use that source."}
        )


def _add_aliases(source: Source, aliases: Iterable[str]) -> list[SourceAlias]:
    """Add the aliases the source doesn't have yet (compared by key); returns the new ones.

    Two sources may share an alias (a surname), but an alias may not be another source's
    name: search would then find the wrong one first. Merge the two sources instead.
    """
    given = list(aliases)
    limits.ALIASES.check(given, field="aliases")  # before cleaning thousands of them
    existing = set(source.aliases.values_list("alias_key", flat=True))
    existing.add(source.name_key)
    new: dict[str, str] = {}
    for raw in given:
        alias, key = _clean_name(raw, "aliases", limits.ALIAS)
        if key not in existing and key not in new:
            new[key] = alias
    if not new:
        return []
    # The name counts as one of the keys in ``existing``, not as an alias.
    if len(existing) - 1 + len(new) > limits.ALIASES.size:
        raise ValidationError({"aliases": limits.ALIASES.message(len(existing) - 1 + len(new))})
    clash = (
        Source.objects.filter(project_id=source.project_id, name_key__in=new)
        .exclude(pk=source.pk)
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "aliases": f"“{new[clash.name_key]}” is the name of another source, "
                f"“{clash.name}”: merge the two sources instead."
            }
        )
    return SourceAlias.objects.bulk_create(
        SourceAlias(source=source, alias=alias, alias_key=key) for key, alias in new.items()
    )


@transaction.atomic
def source_create(
    *,
    project: Project,
    name: str,
    kind: str = SourceKind.PERSON,
    description: str = "",
    external_id: str = "",
    aliases: Iterable[str] = (),
    actor: User | None = None,
    proposed_by: User | None = None,
) -> Source:
    """Add a source to the project's registry. Names are unique per project after
    normalisation ("Ahmet Davutoğlu" = "ahmet  davutoglu") and may not be an alias of
    another source. With ``proposed_by`` the source is only proposed: a curator confirms
    it (``source_confirm``) or folds it into another (``source_reject``)."""
    name, key = _clean_name(name, "name")
    _check_kind(kind)
    _check_name_free(project_id=project.pk, name=name, key=key, exclude_pk=None)
    source = Source.objects.create(
        project=project,
        name=name,
        name_key=key,
        kind=kind,
        description=_clean_line(description, "description", limits.DESCRIPTION),
        external_id=_clean_line(external_id, "external_id", limits.EXTERNAL_ID),
        status=SourceStatus.PROPOSED if proposed_by is not None else SourceStatus.CONFIRMED,
        proposed_by=proposed_by,
    )
    _add_aliases(source, aliases)
    _log(source, HistoryAction.CREATE, actor, None)
    return source


@transaction.atomic
def source_add(
    *,
    project: Project,
    name: str,
    kind: str = SourceKind.PERSON,
    actor: User,
    description: str = "",
    external_id: str = "",
    aliases: Iterable[str] = (),
) -> Source:
    """A source added by a member from the workspace (the caller has checked
    ``can_add_source``): confirmed, or proposed when the project has annotators propose.

    A name that is already another annotator's proposal, hidden from this annotator
    (blindness), is not refused with that proposal's name: the proposal is returned and
    this annotator cites it too (a ``SourceJoin`` lets them see and cite it from now on).
    They learn only that the name is known, which creating it would have shown them
    anyway."""
    if not can_curate(actor, project):
        key = search_key(" ".join((name or "").split()))
        hidden = (
            Source.objects.in_project(project)
            .proposed()
            .filter(Q(name_key=key) | Q(aliases__alias_key=key))
            .exclude(pk__in=Source.objects.in_project(project).visible_to(actor, curator=False))
            .first()
        )
        if key and hidden is not None:
            return source_join(source=hidden, user=actor)
    return source_create(
        project=project,
        name=name,
        kind=kind,
        description=description,
        external_id=external_id,
        aliases=aliases,
        actor=actor,
        proposed_by=actor if proposes_sources(actor, project) else None,
    )


@transaction.atomic
def source_join(*, source: Source, user: User) -> Source:
    """``user`` proposed (or accepted a suggestion naming) a source that is already another
    annotator's proposal: they may see and cite it from now on (``SourceJoin``). Joining
    twice changes nothing; a confirmed source needs no join."""
    if source.status == SourceStatus.PROPOSED and source.proposed_by_id != user.pk:
        SourceJoin.objects.get_or_create(source=source, user=user)
    return source


@transaction.atomic
def source_confirm(
    *,
    source: Source,
    actor: User | None = None,
    name: str | None = None,
    kind: str | None = None,
) -> Source:
    """A curator confirms a proposed source, renamed or re-kinded on the way if asked:
    it joins the registry every annotator sees. Who proposed it stays recorded."""
    locked = Source.objects.select_for_update().filter(pk=source.pk).first()
    if locked is None:
        raise ValidationError("This source no longer exists (merged or deleted).")
    if locked.status != SourceStatus.PROPOSED:
        raise ValidationError(f"“{locked.name}” is already confirmed.")
    if (name is not None and name != locked.name) or (kind is not None and kind != locked.kind):
        locked = source_update(source=locked, name=name, kind=kind, actor=actor)
    before = {**source_snapshot(locked), "status": locked.status}
    locked.status = SourceStatus.CONFIRMED
    locked.version += 1
    locked.save(update_fields=["status", "version", "updated"])
    history_record(
        project_id=locked.project_id,
        entity="source",
        object_id=locked.pk,
        action=HistoryAction.CONFIRM,
        actor=actor,
        before=before,
        after={**source_snapshot(locked), "status": locked.status},
    )
    return locked


def source_reject(*, source: Source, into: Source, actor: User | None = None) -> SourceMerge:
    """A curator rejects a proposed source by folding it into an existing one: its
    claims cite ``into``, its name becomes an alias there (a merge, so it can be split)."""
    if source.status != SourceStatus.PROPOSED:
        raise ValidationError(
            f"“{source.name}” is confirmed: merge it on the kept source's page instead."
        )
    return source_merge_recorded(keep=into, merge=source, actor=actor)


def _log(source: Source, action: str, actor: User | None, before: dict[str, Any] | None) -> None:
    history_record(
        project_id=source.project_id,
        entity="source",
        object_id=source.pk,
        action=action,
        actor=actor,
        before=before,
        after=source_snapshot(source) if source.pk else None,
    )


@transaction.atomic
def source_update(
    *,
    source: Source,
    name: str | None = None,
    kind: str | None = None,
    description: str | None = None,
    external_id: str | None = None,
    aliases: Iterable[str] | None = None,
    actor: User | None = None,
    version: int | None = None,
) -> Source:
    """Change a source; ``aliases``, when given, replaces the alias list.

    ``version``, when given, is the version the writer saw: if the source has changed
    since, nothing is written and ``StaleVersion`` carries the current source.
    Every change bumps the version."""
    locked = Source.objects.select_for_update().filter(pk=source.pk).first()
    if locked is None:
        raise ValidationError("This source no longer exists (merged or deleted).")
    if version is not None and version != locked.version:
        raise StaleVersion(locked)
    before = source_snapshot(source)
    if name is not None:
        name, key = _clean_name(name, "name")
        _check_name_free(project_id=source.project_id, name=name, key=key, exclude_pk=source.pk)
        source.name, source.name_key = name, key
    if kind is not None:
        _check_kind(kind)
        source.kind = kind
    if description is not None:
        source.description = _clean_line(description, "description", limits.DESCRIPTION)
    if external_id is not None:
        source.external_id = _clean_line(external_id, "external_id", limits.EXTERNAL_ID)
    source.version = locked.version + 1
    source.save()
    if aliases is not None:
        source.aliases.all().delete()
        _add_aliases(source, aliases)
    _log(source, HistoryAction.UPDATE, actor, before)
    return source


def _repoint_references(*, old: Source, new: Source) -> dict[str, list[int]]:
    """Point every row that references ``old`` at ``new`` — claims and suggestions today,
    and any table that gets a foreign key to Source later, so that a merge can never drop
    a reference. Returns the ids moved, by "app_label.model:field"."""
    moved: dict[str, list[int]] = {}
    for rel in Source._meta.related_objects:
        if rel.related_model in (SourceAlias, SourceMerge, SourceJoin):
            # Aliases move by name and joins by user in source_merge; merge records stay.
            continue
        if rel.many_to_many or not rel.field.concrete:
            raise NotImplementedError(f"source_merge can't repoint {rel.related_model}.{rel}.")
        model: Any = rel.related_model
        rows = model._base_manager.filter(**{rel.field.name: old})
        ids = sorted(rows.values_list("pk", flat=True))
        if ids:
            rows.update(**{rel.field.name: new})
            moved[f"{model._meta.label_lower}:{rel.field.name}"] = ids
    return moved


SUGGESTION_MOVED = "annotate.suggestion:source"


def _suggestion_keys(ids: list[int]) -> list[list[Any]]:
    """The suggestions' lasting keys: [article id, start, end, suggester] (unique)."""
    rows = Suggestion.objects.filter(pk__in=ids).order_by("pk")
    return [list(key) for key in rows.values_list("article_id", "start", "end", "suggester")]


def _suggestions_back(moved: list[Any], *, keep: Source, source: Source) -> int:
    """Point back at the split-off source the suggestions a merge moved that still cite
    the kept one: by id in a record from before their keys were recorded, else by key."""
    ids = [item for item in moved if type(item) is int]
    keys = [item for item in moved if type(item) is list and len(item) == 4]
    rows = Suggestion.objects.filter(source=keep)
    count = rows.filter(pk__in=ids).update(source=source) if ids else 0
    for batch in batched(keys, 200):
        match = Q()
        for article, start, end, suggester in batch:
            match |= Q(article_id=article, start=start, end=end, suggester=suggester)
        count += rows.filter(match).update(source=source)
    return count


def _merged_fields(source: Source) -> dict[str, Any]:
    """What a split needs to bring the merged source back as it was."""
    return {
        "name": source.name,
        "kind": source.kind,
        "description": source.description,
        "external_id": source.external_id,
        "status": source.status,
        "proposed_by": source.proposed_by_id,
        "version": source.version,
        "created": source.created.isoformat(),
        "joined": sorted(source.joins.values_list("user_id", flat=True)),
    }


@transaction.atomic
def source_merge(*, keep: Source, merge: Source, actor: User | None = None) -> Source:
    """Fold ``merge`` into ``keep``: every claim (live or deleted) that cited either now
    cites ``keep``; the merged source's name and aliases become aliases of ``keep`` (once
    per key); ``keep``'s empty description and external id are filled from ``merge``;
    ``merge`` is gone. The merge is recorded (``SourceMerge``) so that a manager can split
    it back (``source_split``)."""
    source_merge_recorded(keep=keep, merge=merge, actor=actor)
    return keep


@transaction.atomic
def source_merge_recorded(*, keep: Source, merge: Source, actor: User | None = None) -> SourceMerge:
    """``source_merge``, returning the record of what moved."""
    if keep.pk == merge.pk:
        raise ValidationError("A source cannot be merged into itself.")
    if keep.project_id != merge.project_id:
        raise ValidationError("Only sources of the same project can be merged.")
    # Lock both rows so that a concurrent merge or claim edit waits for this one.
    locked = {
        s.pk: s for s in Source.objects.select_for_update().filter(pk__in=[keep.pk, merge.pk])
    }
    if len(locked) != 2:
        raise ValidationError("One of the sources no longer exists (merged or deleted).")
    merge_aliases = list(merge.aliases.values_list("alias", flat=True))
    names = [merge.name, *merge_aliases]
    before_keep, before_merge = source_snapshot(keep), source_snapshot(merge)
    merged_pk, merged = merge.pk, _merged_fields(locked[merge.pk])
    moved: dict[str, list[Any]] = dict(_repoint_references(old=merge, new=keep))
    filled = {}
    for field in ("description", "external_id"):
        if not getattr(keep, field) and getattr(merge, field):
            filled[field] = getattr(merge, field)
            setattr(keep, field, filled[field])
    # Who joined the merged proposal may see the kept source too, if it is a proposal; the
    # record says which joins were copied, so that a split takes exactly those back.
    joined = set(merged["joined"]) - set(keep.joins.values_list("user_id", flat=True))
    SourceJoin.objects.bulk_create(SourceJoin(source=keep, user_id=pk) for pk in sorted(joined))
    merged["joins_copied"] = sorted(joined)
    # Suggestions by what names them for good (article, span, suggester): refreshing an
    # article's suggestions, or restoring an archive (which holds none), makes new rows.
    if SUGGESTION_MOVED in moved:
        moved[SUGGESTION_MOVED] = _suggestion_keys(moved[SUGGESTION_MOVED])
    merge.delete()
    keep.version = locked[keep.pk].version + 1
    keep.save()
    added = _add_aliases(keep, names)
    record = SourceMerge.objects.create(
        project_id=keep.project_id,
        kept=keep,
        kept_name=keep.name,
        merged_id=merged_pk,
        merged=merged,
        aliases=merge_aliases,
        added_aliases=[a.alias_key for a in added],
        filled=filled,
        moved=moved,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )
    # The merged source's row records where it went; the kept one, what it gained.
    history_record(
        project_id=keep.project_id,
        entity="source",
        object_id=merged_pk,
        action=HistoryAction.MERGE,
        actor=actor,
        before=before_merge,
        after={"merged_into": keep.pk, "merge_record": record.pk},
    )
    _log(keep, HistoryAction.MERGE, actor, before_keep)
    return record


@transaction.atomic
def source_split(*, record: SourceMerge, actor: User | None = None) -> Source:
    """Undo a merge: the merged source comes back with its id, fields, status and aliases;
    the aliases the merge added to the kept source and the fields it filled there (if
    unchanged since) are taken back; the claims and suggestions that came from it and
    still cite the kept source cite it again. Rows edited to cite another source since
    stay where they are, and claims made after the merge stay with the kept source.

    Refused when the merge was already split, when the kept source has since been merged
    away (split that later merge first), or when the merged name has since become
    another source's name or alias."""
    locked = SourceMerge.objects.select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise ValidationError("No such merge.")
    record = locked
    data = record.merged
    if record.split_at is not None:
        raise ValidationError(f"The merge of “{data['name']}” was already split back.")
    keep = Source.objects.select_for_update().filter(pk=record.kept_id).first()
    if keep is None:
        raise ValidationError(
            f"“{record.kept_name}” no longer exists: it was merged into another source or "
            "deleted since. Split that later merge first."
        )
    if Source.objects.filter(pk=record.merged_id).exists():
        raise ValidationError(f"Source {record.merged_id} exists already.")
    before_keep = source_snapshot(keep)
    # First take back what the merge gave the kept source, so that the names are free.
    SourceAlias.objects.filter(source=keep, alias_key__in=record.added_aliases).delete()
    name, key = _clean_name(data["name"], "name")
    _check_name_free(project_id=keep.project_id, name=name, key=key, exclude_pk=None)
    proposer = data.get("proposed_by")
    if proposer is not None and not get_user_model().objects.filter(pk=proposer).exists():
        proposer = None
    source = Source(
        pk=record.merged_id,
        project_id=keep.project_id,
        name=name,
        name_key=key,
        kind=data["kind"],
        description=data["description"],
        external_id=data["external_id"],
        status=data.get("status", SourceStatus.CONFIRMED),
        proposed_by_id=proposer,
        version=int(data.get("version", 1)) + 1,
    )
    source.save(force_insert=True)
    Source.objects.filter(pk=source.pk).update(created=data["created"])
    _add_aliases(source, record.aliases)
    users = get_user_model().objects.filter(pk__in=data.get("joined", []))
    SourceJoin.objects.bulk_create(SourceJoin(source=source, user=user) for user in users)
    # The joins the merge copied to the kept source go (a record from before they were
    # recorded copied none, as far as it knows).
    SourceJoin.objects.filter(source=keep, user_id__in=data.get("joins_copied") or []).delete()
    for field, value in record.filled.items():
        if getattr(keep, field) == value:
            setattr(keep, field, "")
    keep.version += 1
    keep.save()
    back: dict[str, int] = {}
    for label, ids in record.moved.items():
        if label == SUGGESTION_MOVED:
            back[label] = _suggestions_back(ids, keep=keep, source=source)
            continue
        model_label, field = label.split(":")
        model: Any = apps.get_model(model_label)
        # Only a foreign key to Source is ever moved back (a record restored from an
        # archive is checked, and this holds whatever a record says).
        if getattr(model._meta.get_field(field), "related_model", None) is not Source:
            continue
        rows = model._base_manager.filter(pk__in=ids, **{field: keep.pk})
        back[label] = rows.update(**{field: source.pk})
    record.split_at = timezone.now()
    record.split_by = actor if actor is not None and actor.is_authenticated else None
    record.save(update_fields=["split_at", "split_by"])
    history_record(
        project_id=keep.project_id,
        entity="source",
        object_id=source.pk,
        action=HistoryAction.SPLIT,
        actor=actor,
        before={"merged_into": keep.pk, "merge_record": record.pk},
        after={**source_snapshot(source), "moved_back": back},
    )
    _log(keep, HistoryAction.SPLIT, actor, before_keep)
    return source


@transaction.atomic
def source_delete(*, source: Source, actor: User | None = None) -> None:
    """Remove a source that no claim cites (live or deleted: a deleted claim can be
    restored); one that is cited is merged into another instead. Suggestions that named
    it keep their name and lose the link."""
    locked = Source.objects.select_for_update().filter(pk=source.pk).first()
    if locked is None:
        raise ValidationError("This source no longer exists (merged or deleted).")
    cited = Claim.objects.filter(source=locked).count()
    if cited:
        raise ValidationError(
            f"{cited} claim(s) cite “{locked.name}”: merge it into another source instead."
        )
    carried = ChainLink.objects.filter(source=locked).values("claim").distinct().count()
    if carried:
        raise ValidationError(
            f"“{locked.name}” carries {carried} claim(s) in their attribution chains: "
            "merge it into another source instead."
        )
    before, pk = source_snapshot(locked), locked.pk
    locked.delete()
    history_record(
        project_id=locked.project_id,
        entity="source",
        object_id=pk,
        action=HistoryAction.DELETE,
        actor=actor,
        before=before,
        after=None,
    )


def source_alias_add(*, source: Source, alias: str) -> Source:
    with transaction.atomic():
        _add_aliases(source, [alias])
    return source


@transaction.atomic
def source_aliases_add(*, source: Source, aliases: Iterable[str]) -> list[SourceAlias]:
    """Add aliases the source doesn't have yet (by key); returns the ones added."""
    return _add_aliases(source, aliases)


# --- Targets --------------------------------------------------------------------


@transaction.atomic
def target_create(*, project: Project, name: str) -> Target:
    name, key = _clean_name(name, "name", limits.TARGET_NAME)
    existing = Target.objects.filter(project=project, name_key=key).first()
    if existing is not None:
        return existing
    position = Target.objects.filter(project=project).count()
    return Target.objects.create(project=project, name=name, name_key=key, position=position)


@transaction.atomic
def target_update(*, target: Target, position: int) -> Target:
    """Move a target in the project's list (its name is fixed: stances point at it)."""
    if position < 0:
        raise ValidationError({"position": "The position cannot be negative."})
    target.position = position
    target.save(update_fields=["position"])
    return target


@transaction.atomic
def target_delete(*, target: Target) -> None:
    """Remove a target no stance is taken toward."""
    used = ClaimStance.objects.filter(target=target).count()
    if used:
        raise ValidationError(f"{used} stance(s) are taken toward “{target.name}”; it stays.")
    target.delete()


@transaction.atomic
def project_targets_ensure(*, project: Project) -> list[Target]:
    """Create the scheme's default targets that the project does not have yet."""
    return [target_create(project=project, name=n) for n in project.scheme["default_targets"]]
