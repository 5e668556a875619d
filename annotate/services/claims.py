"""Writes of claims: create, update (optimistic concurrency), delete (soft) and restore.

Every write checks the span against the frozen text (code-point offsets + quote), the
labels against the project's scheme, and the source and targets against the project;
it bumps ``version`` and records a ``History`` row with the state before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
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
# Row ids are 64-bit; a larger number can't name a row (and SQLite can't compare with it).
_MAX_ID = 2**63 - 1


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


def _by_target(stance: dict[str, Any]) -> int:
    return int(stance["target"])


def claim_snapshot(claim: Claim, *, stances: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The claim as plain JSON, for history and conflict answers. ``stances`` stands in
    for the stored ones (a change not saved yet)."""
    if stances is None:
        stances = sorted(
            ({"target": s.target_id, "stance": s.stance} for s in claim.stances.all()),
            key=_by_target,
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
    actor: Any,
    before: dict[str, Any] | None,
    *,
    stances: list[dict[str, Any]] | None = None,
) -> None:
    """A ``History`` row; ``stances`` (as in ``claim_snapshot``) spares reading back the
    stances just written."""
    History.objects.create(
        project_id=claim.article.project_id,
        entity=ENTITY,
        object_id=claim.pk,
        action=action,
        actor=actor,
        before=before,
        after=claim_snapshot(claim, stances=stances),
    )


@dataclass
class _Errors:
    """Collects the problems of one write, so that one answer lists all of them."""

    by_field: dict[str, list[str]] = field(default_factory=dict)

    @contextmanager
    def collect(self, key: str = "__all__") -> Iterator[None]:
        """Record a ``ValidationError`` raised inside (under ``key`` unless it names its
        own fields) instead of letting it stop the write."""
        try:
            yield
        except ValidationError as error:
            found = error.message_dict if hasattr(error, "error_dict") else {key: error.messages}
            for name, messages in found.items():
                self.by_field.setdefault(name, []).extend(messages)

    def has(self, name: str) -> bool:
        return name in self.by_field

    def of_item(self, index: int) -> list[ValidationError]:
        """The problems as errors of item ``index`` of a bulk write, one per message."""
        return [
            ValidationError(
                f"item {index}: {name}: {message}"
                if name != "__all__"
                else f"item {index}: {message}",
                code="invalid",
                params={"index": index, "field": name, "message": message},
            )
            for name, messages in self.by_field.items()
            for message in messages
        ]

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _row_id(value: Any) -> int | None:
    """``value`` (an int, or a string of digits) as a row id, or None if it can't be one."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_ID:
        return None
    return value


def _resolve_source(
    article: Article, source: Source | int | None, known: Source | None = None
) -> Source | None:
    """The source, checked to be in the article's project. ``known`` is one already
    loaded (the claim's current source): naming it again costs no query."""
    if source is None or source == "":
        return None
    source_id = source.pk if isinstance(source, Source) else source
    found = None
    if (row := _row_id(source_id)) is not None:
        if known is not None and known.pk == row and known.project_id == article.project_id:
            return known
        found = Source.objects.filter(pk=row, project_id=article.project_id).first()
    if found is None:
        raise ValidationError({"source": f"Source {source_id} is not in this project's registry."})
    return found


def _resolve_stances(
    article: Article, stances: Iterable[StanceInput], known: Iterable[Target] = ()
) -> list[tuple[Target, str]]:
    """The stances' targets, checked to be the article's project's. ``known`` are targets
    already loaded (those of the claim's current stances): when they are all that is
    named, no query."""
    items = list(stances)
    given = [s.target.pk if isinstance(s.target, Target) else s.target for s in items]
    ids = [_row_id(i) for i in given]
    wanted = {i for i in ids if i is not None}
    targets = {t.pk: t for t in known if t.project_id == article.project_id and t.pk in wanted}
    if wanted - set(targets):
        targets = {
            t.pk: t for t in Target.objects.filter(project_id=article.project_id, pk__in=wanted)
        }
    missing = [str(g) for g, i in zip(given, ids, strict=True) if i not in targets]
    if missing:
        raise ValidationError(
            {"stances": f"Not targets of this project: {', '.join(dict.fromkeys(missing))}."}
        )
    return [(targets[i], item.stance) for i, item in zip(ids, items, strict=True) if i]


def _check_mention(
    article: Article, mention: Sequence[int] | None
) -> tuple[int | None, int | None]:
    """The source mention's offsets, checked like a claim's (it may lie outside the
    claim: the source is often named in the sentence before)."""
    if not mention:
        return None, None
    if len(mention) != 2:
        raise ValidationError({"source_mention": "A mention is two offsets: start and end."})
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
    errors: _Errors,
    *,
    source: Source | None,
    stances: list[tuple[Target, str]],
    values: dict[str, str],
) -> None:
    """Check the labels against the scheme, adding to ``errors``. A source or stances
    that already failed to resolve are not reported missing as well."""
    unresolved_stances = errors.has("stances")
    with errors.collect():
        validate_labels(
            article.project.scheme,
            Labels(
                has_source=source is not None or errors.has("source"),
                stances=[(t.name, s) for t, s in stances],
                **values,
            ),
        )
    if unresolved_stances and not stances:
        messages = errors.by_field["stances"]
        errors.by_field["stances"] = [m for m in messages if not m.startswith("Give the stance")]


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
    actor: Any = None,
    **labels: str,
) -> Claim:
    """Create a claim of ``annotator`` on ``article`` (the caller checked permission).
    ``annotator=None`` makes a gold claim; ``actor`` is who the history names (by default
    the annotator; for gold claims, the curator).

    The span is taken as given (no snapping): it must not split a character, and
    ``quote``, when given, must be the text at it. Every problem is reported at once, as
    a ``ValidationError`` keyed by field.
    """
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValidationError(f"Unknown claim fields: {', '.join(sorted(unknown))}.")
    errors = _Errors()
    span = source_obj = None
    mention_start = mention_end = None
    resolved: list[tuple[Target, str]] = []
    with errors.collect():
        span = validate_span(article.text, start, end, quote)
    with errors.collect():
        source_obj = _resolve_source(article, source)
    with errors.collect():
        mention_start, mention_end = _check_mention(article, mention)
    with errors.collect():
        resolved = _resolve_stances(article, stances)
    values = {name: str(labels.get(name) or "") for name in LABELS}
    _validate(article, errors, source=source_obj, stances=resolved, values=values)
    errors.raise_any()
    assert span is not None
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
    written = sorted(({"target": t.pk, "stance": s} for t, s in resolved), key=_by_target)
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
    out keep their values (``source=None``/``mention=None`` clear them). A change that
    changes nothing writes nothing: no new version, no history row. Every problem is
    reported at once, as a ``ValidationError`` keyed by field.

    Returns the claim as saved, with its article, project, source and stances (with their
    targets) loaded."""
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValidationError(f"Unknown claim fields: {', '.join(sorted(unknown))}.")
    current = _locked(claim, version)
    if current.deleted_at is not None:
        raise ValidationError("This claim was deleted; restore it before editing.")
    article = current.article
    before = claim_snapshot(current)
    errors = _Errors()
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
            current.source = _resolve_source(article, source, known=current.source)
    if mention is not _UNSET:
        with errors.collect():
            current.mention_start, current.mention_end = _check_mention(article, mention)
    resolved = [(s.target, s.stance) for s in current.stances.all()]
    if stances is not None:
        with errors.collect():
            resolved = _resolve_stances(article, stances, known=[t for t, _ in resolved])
    for name, value in labels.items():
        setattr(current, name, str(value or ""))
    if note is not None:
        current.note = note
    _validate(
        article,
        errors,
        source=current.source,
        stances=resolved,
        values={name: getattr(current, name) for name in LABELS},
    )
    errors.raise_any()
    new_stances = sorted(({"target": t.pk, "stance": s} for t, s in resolved), key=_by_target)
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
