"""Writes of many claims at once (imports, pre-annotations): the checks of ``claim_create``,
a fixed number of queries per batch.

Each item is checked exactly as ``claim_create`` checks one claim (span and quote against
the frozen text, mention, labels against the scheme, source and targets of the project);
sources and targets are resolved once for the batch; claims, stances and history rows are
inserted with ``bulk_create``; the assignments are marked started with one update.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotate.claims.checks import (
    Errors,
    StanceInput,
    by_target,
    check_mention,
    check_note,
    check_project_open,
    row_id,
    validate_labels_into,
)
from annotate.claims.offsets import validate_span
from annotate.claims.services import ENTITY, claim_snapshot
from annotate.history import HistoryChange, history_record_many
from annotate.models import (
    Assignment,
    AssignmentStatus,
    Claim,
    ClaimStance,
    HistoryAction,
    Source,
    Target,
)
from annotate.scheme import LABEL_FIELDS
from corpus.models import Article, Project

if TYPE_CHECKING:
    from django.contrib.auth.models import User

BATCH = 2000
_PROJECT: Any = Article._meta.get_field("project")


@dataclass(frozen=True)
class ClaimInput:
    """One claim to create, with the arguments of ``claim_create`` (labels by name)."""

    start: int
    end: int
    quote: str | None = None
    source: Source | int | None = None
    mention: Sequence[int] | None = None
    stances: Sequence[StanceInput] = ()
    note: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


def _pk(value: Any, model: type[Source] | type[Target]) -> Any:
    return value.pk if isinstance(value, model) else value


@transaction.atomic
def claims_create_many(
    *,
    article_claims: Iterable[tuple[Article, ClaimInput]],
    annotator: User | None,
    actor: User | None = None,
) -> list[Claim]:
    """Create ``annotator``'s claims (the caller checked permission), in one transaction,
    with the same checks, stances and history rows as ``claim_create``. Any invalid item
    writes nothing: the ``ValidationError`` lists every problem of every bad item, as
    “item <index>: <field>: <message>” (``params``: ``index``, ``field``)."""
    items = list(article_claims)
    projects = _with_projects(article for article, _ in items)
    for article, _ in items:
        check_project_open(article.project)
    sources = _sources(items, projects)
    targets = _targets(items, projects)

    problems: list[ValidationError] = []
    claims: list[Claim] = []
    resolved_stances: list[list[tuple[Target, str]]] = []
    for index, (article, item) in enumerate(items):
        errors = Errors()
        claim = _checked(article, item, annotator, sources, targets, errors)
        problems.extend(errors.of_item(index))
        if claim is not None:
            claims.append(claim[0])
            resolved_stances.append(claim[1])
    if problems:
        raise ValidationError(problems)

    Claim.objects.bulk_create(claims, batch_size=BATCH)
    ClaimStance.objects.bulk_create(
        (
            ClaimStance(claim=claim, target=t, stance=s)
            for claim, stances in zip(claims, resolved_stances, strict=True)
            for t, s in stances
        ),
        batch_size=BATCH,
    )
    Assignment.objects.filter(
        article_id__in={article.pk for article, _ in items},
        annotator=annotator,
        status=AssignmentStatus.NOT_STARTED,
    ).update(status=AssignmentStatus.IN_PROGRESS, updated=timezone.now())
    project_of = {article.pk: article.project_id for article, _ in items}
    history_record_many(
        entity=ENTITY,
        action=HistoryAction.CREATE,
        actor=actor if actor is not None else annotator,
        changes=(
            HistoryChange(
                project_id=project_of[claim.article_id],
                object_id=claim.pk,
                before=None,
                after=claim_snapshot(
                    claim,
                    stances=sorted(
                        ({"target": t.pk, "stance": s} for t, s in stances), key=by_target
                    ),
                ),
            )
            for claim, stances in zip(claims, resolved_stances, strict=True)
        ),
        batch_size=BATCH,
    )
    return claims


def _checked(
    article: Article,
    item: ClaimInput,
    annotator: User | None,
    sources: dict[tuple[int, int], Source],
    targets: dict[tuple[int, int], Target],
    errors: Errors,
) -> tuple[Claim, list[tuple[Target, str]]] | None:
    """The item's unsaved claim and stances, or None with ``errors`` filled (the messages
    of ``claim_create``)."""
    unknown = set(item.labels) - set(LABEL_FIELDS)
    if unknown:
        errors.by_field["__all__"] = [f"Unknown claim fields: {', '.join(sorted(unknown))}."]
        return None
    span = source = None
    mention_start = mention_end = None
    stances: list[tuple[Target, str]] = []
    with errors.collect():
        span = validate_span(article.text, item.start, item.end, item.quote)
    with errors.collect():
        source = _source(article, item.source, sources)
    with errors.collect():
        mention_start, mention_end = check_mention(article, item.mention)
    with errors.collect():
        stances = _stances(article, item.stances, targets)
    with errors.collect():
        check_note(item.note)
    values = {name: str(item.labels.get(name) or "") for name in LABEL_FIELDS}
    validate_labels_into(article, errors, source=source, stances=stances, values=values)
    if errors.by_field or span is None:
        return None
    claim = Claim(
        article=article,
        annotator=annotator,
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        source=source,
        mention_start=mention_start,
        mention_end=mention_end,
        note=item.note or "",
        **values,
    )
    return claim, stances


def _with_projects(articles: Iterable[Article]) -> set[int]:
    """Give every article its project (the scheme) from one query; the projects' ids."""
    articles = list(articles)
    needed = {a.project_id for a in articles if not _PROJECT.is_cached(a)}
    loaded = {p.pk: p for p in Project.objects.filter(pk__in=needed)}
    for article in articles:
        if not _PROJECT.is_cached(article):
            article.project = loaded[article.project_id]
    return {a.project_id for a in articles}


def _sources(
    items: list[tuple[Article, ClaimInput]], projects: set[int]
) -> dict[tuple[int, int], Source]:
    """The batch's sources by (project, id): one query."""
    given = (row_id(_pk(item.source, Source)) for _, item in items if item.source not in (None, ""))
    ids = {i for i in given if i is not None}
    found = Source.objects.filter(pk__in=ids, project_id__in=projects)
    return {(s.project_id, s.pk): s for s in found}


def _targets(
    items: list[tuple[Article, ClaimInput]], projects: set[int]
) -> dict[tuple[int, int], Target]:
    """The batch's stance targets by (project, id): one query."""
    given = (row_id(_pk(s.target, Target)) for _, item in items for s in item.stances)
    ids = {i for i in given if i is not None}
    found = Target.objects.filter(pk__in=ids, project_id__in=projects)
    return {(t.project_id, t.pk): t for t in found}


def _source(
    article: Article, source: Source | int | None, sources: dict[tuple[int, int], Source]
) -> Source | None:
    """``claim_create``'s ``resolve_source`` on the batch's sources."""
    if source is None or source == "":
        return None
    source_id = _pk(source, Source)
    row = row_id(source_id)
    found = sources.get((article.project_id, row)) if row is not None else None
    if found is None:
        raise ValidationError({"source": f"Source {source_id} is not in this project's registry."})
    return found


def _stances(
    article: Article, stances: Iterable[StanceInput], targets: dict[tuple[int, int], Target]
) -> list[tuple[Target, str]]:
    """``claim_create``'s ``resolve_stances`` on the batch's targets."""
    found: list[tuple[Target, str]] = []
    missing: list[str] = []
    for item in stances:
        given = _pk(item.target, Target)
        row = row_id(given)
        target = targets.get((article.project_id, row)) if row is not None else None
        if target is None:
            missing.append(str(given))
        else:
            found.append((target, item.stance))
    if missing:
        raise ValidationError(
            {"stances": f"Not targets of this project: {', '.join(dict.fromkeys(missing))}."}
        )
    return found
