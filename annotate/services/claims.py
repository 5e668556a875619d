"""Writes of claims: create, update (optimistic concurrency), delete (soft) and restore.

Every write checks the span against the frozen text (code-point offsets + quote), the
labels against the project's scheme, and the source and targets against the project;
it bumps ``version`` and records a ``History`` row with the state before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotate.models import (
    Assignment,
    AssignmentStatus,
    Claim,
    ClaimStance,
    History,
    HistoryAction,
    Source,
    Target,
)
from annotate.offsets import validate_span
from annotate.scheme import LABEL_FIELDS as LABELS
from annotate.scheme import Labels, validate_labels
from corpus.models import Article

ENTITY = "claim"


class StaleVersion(Exception):
    """The claim changed since the version the writer saw; carries the current claim."""

    def __init__(self, current: Claim) -> None:
        super().__init__(
            f"This claim was changed elsewhere (now version {current.version}); "
            "reload it and apply your change again."
        )
        self.current = current


@dataclass(frozen=True)
class StanceInput:
    target: Target | int
    stance: str


def claim_snapshot(claim: Claim) -> dict[str, Any]:
    """The claim as plain JSON, for history and conflict answers."""
    return {
        "id": claim.pk,
        "article": claim.article_id,
        "annotator": claim.annotator_id,
        "start": claim.start,
        "end": claim.end,
        "quote": claim.quote,
        "source": claim.source_id,
        "attribution": claim.attribution,
        "source_mention": (
            {"start": claim.mention_start, "end": claim.mention_end}
            if claim.mention_start is not None
            else None
        ),
        "stances": [
            {"target": s.target_id, "stance": s.stance}
            for s in sorted(claim.stances.all(), key=lambda s: s.target_id)
        ],
        "source_reliability": claim.source_reliability,
        "information_credibility": claim.information_credibility,
        "claim_type": claim.claim_type,
        "checkworthy": claim.checkworthy,
        "note": claim.note,
        "version": claim.version,
        "deleted": claim.deleted_at is not None,
    }


def _record(claim: Claim, action: str, actor: Any, before: dict[str, Any] | None) -> None:
    History.objects.create(
        project_id=claim.article.project_id,
        entity=ENTITY,
        object_id=claim.pk,
        action=action,
        actor=actor,
        before=before,
        after=claim_snapshot(claim),
    )


def _resolve_source(article: Article, source: Source | int | None) -> Source | None:
    if source is None or source == "":
        return None
    source_id = source.pk if isinstance(source, Source) else source
    found = Source.objects.filter(pk=source_id, project_id=article.project_id).first()
    if found is None:
        raise ValidationError({"source": f"Source {source_id} is not in this project's registry."})
    return found


def _resolve_stances(article: Article, stances: Iterable[StanceInput]) -> list[tuple[Target, str]]:
    items = list(stances)
    ids = {s.target.pk if isinstance(s.target, Target) else s.target for s in items}
    targets = {t.pk: t for t in Target.objects.filter(project_id=article.project_id, pk__in=ids)}
    resolved = []
    for item in items:
        target_id = item.target.pk if isinstance(item.target, Target) else item.target
        if target_id not in targets:
            raise ValidationError({"stances": f"Target {target_id} is not one of this project's."})
        resolved.append((targets[target_id], item.stance))
    return resolved


def _check_mention(
    article: Article, mention: Sequence[int] | None
) -> tuple[int | None, int | None]:
    if not mention:
        return None, None
    try:
        span = validate_span(article.text, mention[0], mention[1])
    except ValidationError as error:
        raise ValidationError({"source_mention": error.messages}) from error
    return span.start, span.end


def _mark_started(article: Article, annotator: Any) -> None:
    Assignment.objects.filter(
        article=article, annotator=annotator, status=AssignmentStatus.NOT_STARTED
    ).update(status=AssignmentStatus.IN_PROGRESS, updated=timezone.now())


def _validate(
    article: Article,
    *,
    source: Source | None,
    stances: list[tuple[Target, str]],
    values: dict[str, str],
) -> None:
    validate_labels(
        article.project.scheme,
        Labels(
            has_source=source is not None,
            stances=[(t.name, s) for t, s in stances],
            **values,
        ),
    )


@transaction.atomic
def claim_create(
    *,
    article: Article,
    annotator: Any,
    start: int,
    end: int,
    quote: str | None = None,
    source: Source | int | None = None,
    mention: Sequence[int] | None = None,
    stances: Iterable[StanceInput] = (),
    note: str = "",
    **labels: str,
) -> Claim:
    """Create a claim of ``annotator`` on ``article`` (the caller checked permission)."""
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValidationError(f"Unknown claim fields: {', '.join(sorted(unknown))}.")
    span = validate_span(article.text, start, end, quote)
    source_obj = _resolve_source(article, source)
    mention_start, mention_end = _check_mention(article, mention)
    resolved = _resolve_stances(article, stances)
    values = {name: str(labels.get(name) or "") for name in LABELS}
    _validate(article, source=source_obj, stances=resolved, values=values)
    claim = Claim.objects.create(
        article=article,
        annotator=annotator,
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        source=source_obj,
        mention_start=mention_start,
        mention_end=mention_end,
        note=note or "",
        **values,
    )
    ClaimStance.objects.bulk_create(
        ClaimStance(claim=claim, target=t, stance=s) for t, s in resolved
    )
    _mark_started(article, annotator)
    _record(claim, HistoryAction.CREATE, annotator, None)
    return claim


def _locked(claim: Claim, version: int | None) -> Claim:
    current = Claim.objects.select_for_update().select_related("article__project").get(pk=claim.pk)
    if version is not None and current.version != version:
        raise StaleVersion(current)
    return current


_UNSET: Any = object()


@transaction.atomic
def claim_update(
    *,
    claim: Claim,
    actor: Any,
    version: int | None,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    source: Any = _UNSET,
    mention: Any = _UNSET,
    stances: Iterable[StanceInput] | None = None,
    note: str | None = None,
    **labels: str,
) -> Claim:
    """Change a claim. ``version`` is the one the writer saw: if the claim has moved on
    since, nothing is written and ``StaleVersion`` carries the current state. Fields left
    out keep their values."""
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValidationError(f"Unknown claim fields: {', '.join(sorted(unknown))}.")
    current = _locked(claim, version)
    if current.deleted_at is not None:
        raise ValidationError("This claim was deleted; restore it before editing.")
    article = current.article
    before = claim_snapshot(current)
    if start is not None or end is not None or quote is not None:
        span = validate_span(
            article.text,
            current.start if start is None else start,
            current.end if end is None else end,
            quote,
        )
        current.start, current.end, current.quote = span.start, span.end, span.quote
        current.prefix, current.suffix = span.prefix, span.suffix
    if source is not _UNSET:
        current.source = _resolve_source(article, source)
    if mention is not _UNSET:
        current.mention_start, current.mention_end = _check_mention(article, mention)
    if stances is not None:
        resolved = _resolve_stances(article, stances)
    else:
        resolved = [(s.target, s.stance) for s in current.stances.select_related("target")]
    for name, value in labels.items():
        setattr(current, name, str(value or ""))
    if note is not None:
        current.note = note
    _validate(
        article,
        source=current.source,
        stances=resolved,
        values={name: getattr(current, name) for name in LABELS},
    )
    current.version += 1
    current.save()
    if stances is not None:
        current.stances.all().delete()
        ClaimStance.objects.bulk_create(
            ClaimStance(claim=current, target=t, stance=s) for t, s in resolved
        )
    _record(current, HistoryAction.UPDATE, actor, before)
    return current


@transaction.atomic
def claim_delete(*, claim: Claim, actor: Any, version: int | None = None) -> Claim:
    """Delete a claim softly: it leaves every view but stays, restorable, with history."""
    current = _locked(claim, version)
    if current.deleted_at is not None:
        return current
    before = claim_snapshot(current)
    current.deleted_at = timezone.now()
    current.version += 1
    current.save(update_fields=["deleted_at", "version", "updated"])
    _record(current, HistoryAction.DELETE, actor, before)
    return current


@transaction.atomic
def claim_restore(*, claim: Claim, actor: Any) -> Claim:
    """Undo a delete."""
    current = _locked(claim, None)
    if current.deleted_at is None:
        return current
    before = claim_snapshot(current)
    current.deleted_at = None
    current.version += 1
    current.save(update_fields=["deleted_at", "version", "updated"])
    _record(current, HistoryAction.RESTORE, actor, before)
    return current
