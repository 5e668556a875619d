"""Writes of the annotate app: sources, targets and assignments (claims come next).

Every function is keyword-only, runs in one transaction and raises ``ValidationError``
with a message a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.models import (
    Assignment,
    Claim,
    Source,
    SourceAlias,
    SourceKind,
    Target,
)
from corpus.models import Article, Project
from corpus.permissions import role_in
from corpus.text import search_key

# --- Sources --------------------------------------------------------------------


def _clean_name(value: str, field: str) -> tuple[str, str]:
    name = " ".join((value or "").split())
    key = search_key(name)
    if not key:
        raise ValidationError({field: "A name needs at least one letter or digit."})
    if len(name) > 300:
        raise ValidationError({field: f"“{name[:40]}…” is longer than 300 characters."})
    return name, key


def _check_kind(kind: str) -> None:
    if kind not in SourceKind.values:
        raise ValidationError(
            {"kind": f"Unknown kind “{kind}”: use one of {', '.join(SourceKind.values)}."}
        )


def _add_aliases(source: Source, aliases: Iterable[str]) -> None:
    existing = set(source.aliases.values_list("alias_key", flat=True))
    existing.add(source.name_key)
    for raw in aliases:
        alias, key = _clean_name(raw, "aliases")
        if key in existing:
            continue
        existing.add(key)
        SourceAlias.objects.create(source=source, alias=alias, alias_key=key)


@transaction.atomic
def source_create(
    *,
    project: Project,
    name: str,
    kind: str = SourceKind.PERSON,
    description: str = "",
    external_id: str = "",
    aliases: Iterable[str] = (),
) -> Source:
    """Add a source to the project's registry; names are unique after normalisation."""
    name, key = _clean_name(name, "name")
    _check_kind(kind)
    clash = Source.objects.filter(project=project, name_key=key).first()
    if clash is not None:
        raise ValidationError({"name": f"The registry already has “{clash.name}”."})
    source = Source.objects.create(
        project=project,
        name=name,
        name_key=key,
        kind=kind,
        description=description.strip()[:500],
        external_id=external_id.strip()[:100],
    )
    _add_aliases(source, aliases)
    return source


@transaction.atomic
def source_update(
    *,
    source: Source,
    name: str | None = None,
    kind: str | None = None,
    description: str | None = None,
    external_id: str | None = None,
    aliases: Iterable[str] | None = None,
) -> Source:
    """Change a source; ``aliases``, when given, replaces the alias list."""
    if name is not None:
        name, key = _clean_name(name, "name")
        clash = (
            Source.objects.filter(project_id=source.project_id, name_key=key)
            .exclude(pk=source.pk)
            .first()
        )
        if clash is not None:
            raise ValidationError({"name": f"The registry already has “{clash.name}”."})
        source.name, source.name_key = name, key
    if kind is not None:
        _check_kind(kind)
        source.kind = kind
    if description is not None:
        source.description = description.strip()[:500]
    if external_id is not None:
        source.external_id = external_id.strip()[:100]
    source.save()
    if aliases is not None:
        source.aliases.all().delete()
        _add_aliases(source, aliases)
    return source


@transaction.atomic
def source_merge(*, keep: Source, merge: Source) -> Source:
    """Fold ``merge`` into ``keep``: every claim that cited either now cites ``keep``;
    the merged source's name and aliases become aliases of ``keep``; ``merge`` is gone."""
    if keep.pk == merge.pk:
        raise ValidationError("A source cannot be merged into itself.")
    if keep.project_id != merge.project_id:
        raise ValidationError("Only sources of the same project can be merged.")
    names = [merge.name, *merge.aliases.values_list("alias", flat=True)]
    Claim.objects.filter(source=merge).update(source=keep)
    merge.delete()
    _add_aliases(keep, names)
    return keep


def source_alias_add(*, source: Source, alias: str) -> Source:
    with transaction.atomic():
        _add_aliases(source, [alias])
    return source


# --- Targets --------------------------------------------------------------------


@transaction.atomic
def target_create(*, project: Project, name: str) -> Target:
    name, key = _clean_name(name, "name")
    existing = Target.objects.filter(project=project, name_key=key).first()
    if existing is not None:
        return existing
    position = Target.objects.filter(project=project).count()
    return Target.objects.create(project=project, name=name, name_key=key, position=position)


@transaction.atomic
def project_targets_ensure(*, project: Project) -> list[Target]:
    """Create the scheme's default targets that the project does not have yet."""
    return [target_create(project=project, name=n) for n in project.scheme["default_targets"]]


# --- Assignments ----------------------------------------------------------------


@transaction.atomic
def assignment_create(*, article: Article, annotator: Any, assigned_by: Any = None) -> Assignment:
    """Assign the article to an annotator (a no-op if already assigned)."""
    if role_in(annotator, article.project) is None:
        raise ValidationError(
            {"annotator": f"{annotator} is not a member of the project “{article.project}”."}
        )
    assignment, _ = Assignment.objects.get_or_create(
        article=article, annotator=annotator, defaults={"assigned_by": assigned_by}
    )
    return assignment
