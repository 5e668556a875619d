"""Writes of claims: create, update (optimistic concurrency), delete (soft) and restore.

Every write checks the span against the frozen text (code-point offsets + quote), the
labels against the project's scheme, and the source and targets against the project;
it bumps ``version`` and records a ``History`` row with the state before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from annotate.claims.checks import (
    Errors,
    StanceInput,
    by_target,
    check_mention,
    check_note,
    check_project_open,
    resolve_source,
    resolve_stances,
    validate_labels_into,
)
from annotate.claims.offsets import validate_span
from annotate.history import history_record
from annotate.models import (
    Assignment,
    AssignmentStatus,
    Claim,
    ClaimStance,
    HistoryAction,
    Source,
    Target,
)
from annotate.scheme import LABEL_FIELDS as LABELS
from common import conflicts
from common.conflicts import StaleVersion
from corpus.models import Article

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ENTITY = "claim"


class DuplicateClaim(conflicts.Duplicate):
    """The annotator already has a live claim with this span, source, labels and stances
    (a double-submitted form or a retried request): nothing is created; ``existing`` is
    that claim."""

    existing: Claim

    def __init__(self, existing: Claim) -> None:
        super().__init__(
            f"You already have this claim (claim {existing.pk}: the same span, source, "
            "labels and stances); nothing was added.",
            existing,
            code="duplicate_claim",
        )


def claim_snapshot(claim: Claim, *, stances: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The claim as plain JSON, for history and conflict answers. ``stances`` stands in
    for the stored ones (a change not saved yet)."""
    if stances is None:
        stances = sorted(
            ({"target": s.target_id, "stance": s.stance} for s in claim.stances.all()),
            key=by_target,
        )
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
        "stances": stances,
        "source_reliability": claim.source_reliability,
        "information_credibility": claim.information_credibility,
        "claim_type": claim.claim_type,
        "checkworthy": claim.checkworthy,
        "note": claim.note,
        "version": claim.version,
        "deleted": claim.deleted_at is not None,
    }


def _record(
    claim: Claim,
    action: str,
    actor: User | None,
    before: dict[str, Any] | None,
    *,
    stances: list[dict[str, Any]] | None = None,
) -> None:
    """A ``History`` row; ``stances`` (as in ``claim_snapshot``) spares reading back the
    stances just written."""
    history_record(
        project_id=claim.article.project_id,
        entity=ENTITY,
        object_id=claim.pk,
        action=action,
        actor=actor,
        before=before,
        after=claim_snapshot(claim, stances=stances),
    )


def _identical(
    article: Article,
    annotator: User,
    span: Any,
    source: Source | None,
    stances: list[tuple[Target, str]],
    values: dict[str, str],
) -> Claim | None:
    """The annotator's live claim on the article with this span, source, labels and
    stances, if there is one. On PostgreSQL the article row is locked first (``FOR NO KEY
    UPDATE``, which claim inserts do not wait for), so that two identical creates cannot
    both find nothing; SQLite's writers are serialised already (``BEGIN IMMEDIATE``)."""
    if connection.features.has_select_for_update:
        list(Article.objects.select_for_update(no_key=True).filter(pk=article.pk).values("pk"))
    candidates = (
        Claim.objects.live()
        .filter(
            article=article,
            annotator=annotator,
            start=span.start,
            end=span.end,
            source=source,
            **values,
        )
        .prefetch_related("stances")
        .order_by("pk")
    )
    wanted = sorted((t.pk, s) for t, s in stances)
    for claim in candidates:
        if sorted((s.target_id, s.stance) for s in claim.stances.all()) == wanted:
            return claim
    return None


def _mark_started(article: Article, annotator: User | None) -> None:
    Assignment.objects.filter(
        article=article, annotator=annotator, status=AssignmentStatus.NOT_STARTED
    ).update(status=AssignmentStatus.IN_PROGRESS, updated=timezone.now())


@transaction.atomic
def claim_create(
    *,
    article: Article,
    annotator: User | None,
    start: int,
    end: int,
    quote: str | None = None,
    source: Source | int | None = None,
    mention: Sequence[int] | None = None,
    stances: Iterable[StanceInput] = (),
    note: str = "",
    actor: User | None = None,
    **labels: str,
) -> Claim:
    """Create a claim of ``annotator`` on ``article`` (the caller checked permission).
    ``annotator=None`` makes a gold claim; ``actor`` is who the history names (by default
    the annotator; for gold claims, the curator).

    The span is taken as given (no snapping): it must not split a character, and
    ``quote``, when given, must be the text at it. Every problem is reported at once, as
    a ``ValidationError`` keyed by field. An annotator's claim identical to one of their
    live claims (span, source, labels, stances) raises ``DuplicateClaim``.
    """
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValidationError(f"Unknown claim fields: {', '.join(sorted(unknown))}.")
    check_project_open(article.project)
    errors = Errors()
    span = source_obj = None
    mention_start = mention_end = None
    resolved: list[tuple[Target, str]] = []
    with errors.collect():
        span = validate_span(article.text, start, end, quote)
    with errors.collect():
        source_obj = resolve_source(article, source)
    with errors.collect():
        mention_start, mention_end = check_mention(article, mention)
    with errors.collect():
        resolved = resolve_stances(article, stances)
    with errors.collect():
        check_note(note)
    values = {name: str(labels.get(name) or "") for name in LABELS}
    validate_labels_into(article, errors, source=source_obj, stances=resolved, values=values)
    errors.raise_any()
    assert span is not None
    if annotator is not None:
        existing = _identical(article, annotator, span, source_obj, resolved, values)
        if existing is not None:
            raise DuplicateClaim(existing)
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
    written = sorted(({"target": t.pk, "stance": s} for t, s in resolved), key=by_target)
    _record(
        claim,
        HistoryAction.CREATE,
        actor if actor is not None else annotator,
        None,
        stances=written,
    )
    return claim


def _stances_with_targets() -> Prefetch:
    return Prefetch("stances", queryset=ClaimStance.objects.select_related("target"))


def _locked(claim: Claim, version: int | None) -> Claim:
    """The claim re-read under a row lock, with its article, project, source and stances
    (and their targets): what the write checks and snapshots, in two queries."""
    # of=("self",): lock the claim's row only, not its article's, project's or source's.
    current = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("article__project", "source")
        .prefetch_related(_stances_with_targets())
        .get(pk=claim.pk)
    )
    if version is not None and current.version != version:
        raise StaleVersion(current)
    return current


_UNSET: Any = object()


@transaction.atomic
def claim_update(
    *,
    claim: Claim,
    actor: User,
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
    out keep their values (``source=None``/``mention=None`` clear them). A change that
    changes nothing writes nothing: no new version, no history row. Every problem is
    reported at once, as a ``ValidationError`` keyed by field.

    Returns the claim as saved, with its article, project, source and stances (with their
    targets) loaded."""
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValidationError(f"Unknown claim fields: {', '.join(sorted(unknown))}.")
    current = _locked(claim, version)
    check_project_open(current.article.project)
    if current.deleted_at is not None:
        raise ValidationError("This claim was deleted; restore it before editing.")
    article = current.article
    before = claim_snapshot(current)
    errors = Errors()
    if start is not None or end is not None or quote is not None:
        with errors.collect():
            span = validate_span(
                article.text,
                current.start if start is None else start,
                current.end if end is None else end,
                quote,
            )
            current.start, current.end, current.quote = span.start, span.end, span.quote
            current.prefix, current.suffix = span.prefix, span.suffix
    if source is not _UNSET:
        with errors.collect():
            current.source = resolve_source(article, source, known=current.source)
    if mention is not _UNSET:
        with errors.collect():
            current.mention_start, current.mention_end = check_mention(article, mention)
    resolved = [(s.target, s.stance) for s in current.stances.all()]
    if stances is not None:
        with errors.collect():
            resolved = resolve_stances(article, stances, known=[t for t, _ in resolved])
    for name, value in labels.items():
        setattr(current, name, str(value or ""))
    if note is not None:
        with errors.collect():
            current.note = check_note(note)
    validate_labels_into(
        article,
        errors,
        source=current.source,
        stances=resolved,
        values={name: getattr(current, name) for name in LABELS},
    )
    errors.raise_any()
    new_stances = sorted(({"target": t.pk, "stance": s} for t, s in resolved), key=by_target)
    after = claim_snapshot(current, stances=new_stances)
    if after == before:
        return current
    current.version += 1
    current.save()
    if new_stances != before["stances"]:
        current.stances.all().delete()
        ClaimStance.objects.bulk_create(
            ClaimStance(claim=current, target=t, stance=s) for t, s in resolved
        )
        # The stances loaded with the claim are gone: load the new ones.
        current.refresh_from_db(fields=["stances"])  # drops the loaded ones, no query
        prefetch_related_objects([current], _stances_with_targets())
    _record(current, HistoryAction.UPDATE, actor, before)
    return current


@transaction.atomic
def claim_delete(*, claim: Claim, actor: User, version: int | None = None) -> Claim:
    """Delete a claim softly: it leaves every view but stays, restorable, with history."""
    current = _locked(claim, version)
    check_project_open(current.article.project)
    if current.deleted_at is not None:
        return current
    before = claim_snapshot(current)
    current.deleted_at = timezone.now()
    current.version += 1
    current.save(update_fields=["deleted_at", "version", "updated"])
    _record(current, HistoryAction.DELETE, actor, before)
    return current


@transaction.atomic
def claim_restore(*, claim: Claim, actor: User) -> Claim:
    """Undo a delete."""
    current = _locked(claim, None)
    check_project_open(current.article.project)
    if current.deleted_at is None:
        return current
    before = claim_snapshot(current)
    current.deleted_at = None
    current.version += 1
    current.save(update_fields=["deleted_at", "version", "updated"])
    _record(current, HistoryAction.RESTORE, actor, before)
    return current
