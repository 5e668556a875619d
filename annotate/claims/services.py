"""Writes of claims: create, update (optimistic concurrency), delete (soft) and restore.

Every write checks the span against the frozen text (code-point offsets + quote), the
labels against the project's scheme, and the source and targets against the project;
it bumps ``version`` and records a ``History`` row with the state before and after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Prefetch, prefetch_related_objects
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from annotate.chains.checks import ResolvedLink, resolve_chain
from annotate.chains.links import LinkInput
from annotate.chains.store import chain_replace, chain_rows, chain_snapshot, claim_chain
from annotate.claims.checks import (
    Errors,
    LabelsMemo,
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
from annotate.claims.values import ClaimChanges, ClaimFields, Unset, check_known
from annotate.history import HistoryChange, history_record, history_record_many, json_text
from annotate.models import (
    Assignment,
    AssignmentStatus,
    ChainLink,
    Claim,
    ClaimQuerySet,
    ClaimStance,
    HistoryAction,
    Source,
    Target,
)
from annotate.scheme import LABEL_FIELDS as LABELS
from common import conflicts
from common.conflicts import StaleVersion
from common.inserts import insert_many, insert_rows
from corpus.models import Article

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ENTITY = "claim"
_LABEL_NAMES = frozenset(LABELS)
BATCH = 2000  # rows per INSERT of a bulk write


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


def claim_snapshot(
    claim: Claim,
    *,
    stances: list[dict[str, Any]] | None = None,
    chain: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The claim as plain JSON, for history and conflict answers. ``stances`` and
    ``chain`` stand in for the stored ones (a change not saved yet)."""
    if chain is None:
        chain = claim_chain(claim)
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
        "chain": chain,
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
    chain: list[dict[str, Any]] | None = None,
) -> None:
    """A ``History`` row; ``stances`` and ``chain`` (as in ``claim_snapshot``) spare
    reading back what was just written."""
    history_record(
        project_id=claim.article.project_id,
        entity=ENTITY,
        object_id=claim.pk,
        action=action,
        actor=actor,
        before=before,
        after=claim_snapshot(claim, stances=stances, chain=chain),
    )


def _identical(article: Article, annotator: User, built: Built) -> Claim | None:
    """The annotator's live claim on the article with this span, source, labels, stances
    and chain, if there is one. On PostgreSQL the article row is locked first (``FOR NO KEY
    UPDATE``, which claim inserts do not wait for), so that two identical creates cannot
    both find nothing; SQLite's writers are serialised already (``BEGIN IMMEDIATE``)."""
    if connection.features.has_select_for_update:
        list(Article.objects.select_for_update(no_key=True).filter(pk=article.pk).values("pk"))
    claim = built.claim
    candidates = (
        Claim.objects.live()
        .filter(
            article=article,
            annotator=annotator,
            start=claim.start,
            end=claim.end,
            source=claim.source,
            **{name: getattr(claim, name) for name in LABELS},
        )
        .prefetch_related("stances", "chain")
        .order_by("pk")
    )
    wanted = sorted((t.pk, s) for t, s in built.stances)
    wanted_chain = chain_snapshot(built.links)
    for candidate in candidates:
        if (
            sorted((s.target_id, s.stance) for s in candidate.stances.all()) == wanted
            and claim_chain(candidate) == wanted_chain
        ):
            return candidate
    return None


class Resolver(Protocol):
    """Finds a claim's source, stance targets and chain carriers among the project's (one
    at a time, or from a batch's rows read at once), and keeps the labels checks of a
    batch (``labels_memo``, None for one claim)."""

    @property
    def labels_memo(self) -> LabelsMemo | None: ...

    def source(self, article: Article, given: Source | int | None) -> Source | None: ...

    def stances(
        self, article: Article, given: Iterable[StanceInput]
    ) -> list[tuple[Target, str]]: ...

    def chain(self, article: Article, given: Sequence[LinkInput]) -> list[ResolvedLink]: ...


class OneByOne:
    """The project's source and targets, read for one claim written by ``viewer`` (the
    sources they may cite: ``citable_sources``)."""

    labels_memo = None

    def __init__(self, viewer: User | None) -> None:
        self.viewer = viewer

    def source(self, article: Article, given: Source | int | None) -> Source | None:
        return resolve_source(article, given, viewer=self.viewer)

    def stances(self, article: Article, given: Iterable[StanceInput]) -> list[tuple[Target, str]]:
        return resolve_stances(article, given)

    def chain(self, article: Article, given: Sequence[LinkInput]) -> list[ResolvedLink]:
        return resolve_chain(article, given, viewer=self.viewer)


@dataclass(frozen=True)
class Built:
    """A checked claim, not saved yet, with its stances and its chain."""

    claim: Claim
    stances: list[tuple[Target, str]]
    links: list[ResolvedLink] = dataclasses.field(default_factory=list)


def claim_build(
    article: Article,
    annotator: User | None,
    fields: ClaimFields,
    errors: Errors,
    resolver: Resolver,
) -> Built | None:
    """The claim ``fields`` describe, checked (span and quote against the frozen text,
    source, targets and chain carriers of the project, mention, note, labels against the
    scheme), not
    saved; or None with every problem in ``errors``. Unknown label names raise at once."""
    labels = fields.labels
    if not _LABEL_NAMES.issuperset(labels):
        check_known(labels)
    span = source = None
    mention_start = mention_end = None
    stances: list[tuple[Target, str]] = []
    links: list[ResolvedLink] = []
    collect = errors.collect()  # one collector for every check (a bulk write: 20,000 claims)
    with collect:
        span = validate_span(article.text, fields.start, fields.end, fields.quote)
    with collect:
        source = resolver.source(article, fields.source)
    if fields.mention:
        with collect:
            mention_start, mention_end = check_mention(article, fields.mention)
    with collect:
        stances = resolver.stances(article, fields.stances)
    if fields.chain:
        with collect:
            links = resolver.chain(article, fields.chain)
    with collect:
        check_note(fields.note)
    values = {name: str(labels.get(name) or "") for name in LABELS}
    validate_labels_into(
        article, errors, source=source, stances=stances, values=values, memo=resolver.labels_memo
    )
    if errors.by_field or span is None:
        return None
    claim = _new_claim(
        article,
        annotator,
        source,
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        mention_start=mention_start,
        mention_end=mention_end,
        note=fields.note or "",
        **values,
    )
    return Built(claim, stances, links)


# A new claim's columns in the model's order, with the values of those not given.
_COLUMNS = tuple(f.attname for f in Claim._meta.concrete_fields)
_UNGIVEN = {"id": None, "version": 1, "created": None, "updated": None, "deleted_at": None}
# The instance's attributes as ``Model.__init__`` leaves them, in its order: a copy is
# filled in with the values given (``_new_claim``).
_BLANK = {name: _UNGIVEN.get(name) for name in _COLUMNS}


def _new_claim(
    article: Article, annotator: User | None, source: Source | None, **values: Any
) -> Claim:
    """``Claim(article=…, annotator=…, source=…, **values)``, at a third of the cost (a
    bulk import makes 20,000): the attributes set in place, the related objects cached."""
    ids = {
        "article_id": article.id,
        "annotator_id": annotator.id if annotator is not None else None,
        "source_id": source.id if source is not None else None,
    }
    if _claim_signals():  # someone listens to a claim's construction: construct it
        given = {**_BLANK, **ids, **values}
        claim = Claim(**{name: given[name] for name in _COLUMNS})
        claim._state.fields_cache.update(article=article, annotator=annotator, source=source)
        return claim
    # What Model.__init__ leaves, without its signals and per-field steps.
    claim = Claim.__new__(Claim)
    state = claim._state = ModelState()
    attributes = claim.__dict__
    attributes.update(_BLANK)
    attributes.update(ids)
    attributes.update(values)
    if len(attributes) != len(_BLANK) + 1:  # (+ _state) a value of no column
        raise TypeError(f"Claim has no field {sorted(set(attributes) - set(_BLANK) - {'_state'})}")
    state.fields_cache = {"article": article, "annotator": annotator, "source": source}
    return claim


def _claim_signals() -> bool:
    return pre_init.has_listeners(Claim) or post_init.has_listeners(Claim)


# A new claim's snapshot as JSON text begins so (its id is None until the insert).
_WITHOUT_ID = '{"id": null'


def claims_history_texts(built: Sequence[Built]) -> list[str]:
    """The history snapshot (``claim_snapshot``) of each checked claim, not saved yet, as
    the JSON text its ``History`` row will hold, but for the id: the text after
    ``{"id": <id>`` (``claims_write`` puts the id the insert gives in front). Pure Python,
    so that a bulk write makes it before its inserts (an import: while the batch before
    is written)."""
    texts = []
    for b in built:
        stances = sorted(({"target": t.id, "stance": s} for t, s in b.stances), key=by_target)
        text = json_text(claim_snapshot(b.claim, stances=stances, chain=chain_snapshot(b.links)))
        if not text.startswith(_WITHOUT_ID):  # (a claim saved already, or another encoder)
            raise ValueError(f"Not a new claim's snapshot: {text[:40]}")
        texts.append(text[len(_WITHOUT_ID) :])
    return texts


@dataclass(frozen=True, slots=True)
class ClaimRows:
    """Checked claims as the plain rows their writes insert (``claims_rows_build``): no
    ``Claim`` instance. Per claim, in the same order: its ``CLAIM_ROW_FIELDS`` values, its
    stances as (target id, stance) in the order given, its project and its history text
    without the id (as ``claims_history_texts``). No chain: such claims take ``Built``."""

    claims: list[tuple[Any, ...]]
    stances: list[list[tuple[int, str]]]
    projects: list[int]
    texts: list[str]


# The columns ``insert_many`` writes for a new claim (all but its id and its times: those
# ``insert_rows`` adds), by name, in the model's order.
CLAIM_ROW_FIELDS = tuple(
    f.name
    for f in Claim._meta.concrete_fields
    if not (f.primary_key and f.db_returning)
    and not f.generated
    and not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
)


def claims_write_rows(
    rows: ClaimRows, *, annotator: User | None, actor: User | None = None
) -> list[int]:
    """``claims_write`` for ``ClaimRows``: the same statements in the same order, the
    same values (ids of the claims, stances and history rows included); the new claims'
    ids."""
    keys = insert_rows(
        Claim, CLAIM_ROW_FIELDS, rows.claims, returning=True, max_rows=BATCH, now=timezone.now()
    )
    insert_rows(
        ClaimStance,
        ("claim", "target", "stance"),
        ((key, t, s) for key, pairs in zip(keys, rows.stances, strict=True) for t, s in pairs),
        max_rows=BATCH,
    )
    article = CLAIM_ROW_FIELDS.index("article")
    _assignments_started({row[article] for row in rows.claims}, annotator)
    _history_created(
        zip(rows.projects, keys, rows.texts, strict=True),
        actor=actor if actor is not None else annotator,
    )
    return keys


def _history_created(created: Iterable[tuple[int, int, str]], *, actor: User | None) -> None:
    """The history rows of new claims, from (project id, claim id, its history text
    after the id: ``claims_history_texts``), in one write (``history_record_many``)."""
    history_record_many(
        entity=ENTITY,
        action=HistoryAction.CREATE,
        actor=actor,
        changes=(
            HistoryChange(
                project_id=project, object_id=key, before=None, after=f'{{"id": {key}{text}'
            )
            for project, key, text in created
        ),
        batch_size=BATCH,
    )


def _assignments_started(article_ids: set[int], annotator: User | None) -> None:
    """Mark the annotator's assignments of these articles started (one UPDATE)."""
    if annotator is not None:  # a gold claim has no annotator: no assignment to start
        Assignment.objects.filter(
            article_id__in=article_ids,
            annotator=annotator,
            status=AssignmentStatus.NOT_STARTED,
        ).update(status=AssignmentStatus.IN_PROGRESS, updated=timezone.now())


def claims_write(
    built: Sequence[Built],
    *,
    annotator: User | None,
    actor: User | None = None,
    history_texts: Sequence[str] | None = None,
) -> list[Claim]:
    """Insert checked claims, their stances, chains and history rows (``actor``, by default
    the annotator, is who the history names), and mark the annotator's assignments of
    their articles started: a fixed number of queries however many there are (a table's
    rows in one COPY on PostgreSQL, two statements on SQLite; no per-value compiling:
    ``common.inserts``). ``history_texts``: ``claims_history_texts(built)``, made
    beforehand (else here)."""
    claims = [b.claim for b in built]
    if history_texts is None:
        history_texts = claims_history_texts(built)
    insert_many(Claim, claims, max_rows=BATCH)
    insert_rows(
        ClaimStance,
        ("claim", "target", "stance"),
        ((b.claim.id, t.id, s) for b in built for t, s in b.stances),
        max_rows=BATCH,
    )
    ChainLink.objects.bulk_create(
        (row for b in built if b.links for row in chain_rows(b.claim, b.links)),
        batch_size=BATCH,
    )
    _assignments_started({claim.article_id for claim in claims}, annotator)
    _history_created(
        (
            (claim.article.project_id, claim.id, text)
            for claim, text in zip(claims, history_texts, strict=True)
        ),
        actor=actor if actor is not None else annotator,
    )
    return claims


@transaction.atomic
def claim_create(
    *, article: Article, annotator: User | None, fields: ClaimFields, actor: User | None = None
) -> Claim:
    """Create a claim of ``annotator`` on ``article`` (the caller checked permission):
    ``claim_create_within`` in a transaction (a savepoint inside the caller's)."""
    return claim_create_within(article=article, annotator=annotator, fields=fields, actor=actor)


def claim_create_within(
    *, article: Article, annotator: User | None, fields: ClaimFields, actor: User | None = None
) -> Claim:
    """``claim_create`` for a service whose own transaction is open and undone as a whole
    if this raises (no savepoint of its own: two queries fewer).
    Create a claim of ``annotator`` on ``article`` (the caller checked permission).
    ``annotator=None`` makes a gold claim; ``actor`` is who the history names (by default
    the annotator; for gold claims, the curator).

    The span is taken as given (no snapping): it must not split a character, and
    ``quote``, when given, must be the text at it. Every problem is reported at once, as
    a ``ValidationError`` keyed by field. An annotator's claim identical to one of their
    live claims (span, source, labels, stances, chain) raises ``DuplicateClaim``. The
    source and chain carriers must be ones the writer (``actor``, else the annotator) may
    cite: not another annotator's hidden proposal (``citable_sources``).
    """
    check_project_open(article.project)
    errors = Errors()
    writer = actor if actor is not None else annotator
    built = claim_build(article, annotator, fields, errors, OneByOne(writer))
    errors.raise_any()
    assert built is not None
    if annotator is not None:
        existing = _identical(article, annotator, built)
        if existing is not None:
            raise DuplicateClaim(existing)
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("claim_create_within needs a transaction.")
    [claim] = claims_write([built], annotator=annotator, actor=actor)
    return claim


def _stances_with_targets() -> Prefetch:
    return Prefetch("stances", queryset=ClaimStance.objects.select_related("target"))


def _chain_with_sources() -> Prefetch:
    return Prefetch("chain", queryset=ChainLink.objects.select_related("source"))


def _locked(claim: Claim, version: int | None) -> Claim:
    """The claim re-read under a row lock, with its article, project, source, stances
    (and their targets) and chain (with its sources): what the write checks and
    snapshots, in three queries."""
    # of=("self",): lock the claim's row only, not its article's, project's or source's.
    current = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("article__project", "source")
        .prefetch_related(_stances_with_targets(), _chain_with_sources())
        .get(pk=claim.pk)
    )
    if version is not None and current.version != version:
        raise StaleVersion(current)
    return current


@transaction.atomic
def claim_update(*, claim: Claim, actor: User, version: int | None, changes: ClaimChanges) -> Claim:
    """Change a claim. ``version`` is the one the writer saw: if the claim has moved on
    since, nothing is written and ``StaleVersion`` carries the current state. Fields left
    out of ``changes`` keep their values (``source=None``/``mention=None`` clear them;
    ``chain=[]`` removes the chain, ``chain=[…]`` replaces it whole). A
    change that changes nothing writes nothing: no new version, no history row. Every
    problem is reported at once, as a ``ValidationError`` keyed by field.

    Returns the claim as saved, with its article, project, source, stances (with their
    targets) and chain (with its sources) loaded."""
    check_known(changes.labels)
    start, end, quote = changes.start, changes.end, changes.quote
    source, mention, stances, note = changes.source, changes.mention, changes.stances, changes.note
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
    if not isinstance(source, Unset):
        with errors.collect():
            current.source = resolve_source(article, source, known=current.source, viewer=actor)
    if not isinstance(mention, Unset):
        with errors.collect():
            current.mention_start, current.mention_end = check_mention(article, mention)
    resolved = [(s.target, s.stance) for s in current.stances.all()]
    if stances is not None:
        with errors.collect():
            resolved = resolve_stances(article, stances, known=[t for t, _ in resolved])
    new_chain = before["chain"]
    links: list[ResolvedLink] = []
    if not isinstance(changes.chain, Unset):
        with errors.collect():
            links = resolve_chain(article, changes.chain, viewer=actor)
            new_chain = chain_snapshot(links)
    for name, value in changes.labels.items():
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
    after = claim_snapshot(current, stances=new_stances, chain=new_chain)
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
    if new_chain != before["chain"]:
        chain_replace(current, links)
        current.refresh_from_db(fields=["chain"])
        prefetch_related_objects([current], _chain_with_sources())
    _record(current, HistoryAction.UPDATE, actor, before, stances=new_stances, chain=new_chain)
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


def claims_delete(*, claims: ClaimQuerySet, actor: User) -> list[Claim]:
    """``claim_delete`` for the live claims among ``claims`` at once, in the caller's
    transaction and a fixed number of queries (the rows locked and read with their
    stances and chains, one UPDATE, one insert of the history rows): each gets the new
    version, ``deleted_at`` and history row ``claim_delete`` would give it. Returns them."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("claims_delete needs a transaction.")
    current = list(
        claims.live()
        .select_for_update(of=("self",))
        .select_related("article__project")
        .prefetch_related("stances", "chain")
        .order_by("pk")
    )
    if not current:
        return []
    for claim in current:
        check_project_open(claim.article.project)
    befores = [claim_snapshot(claim) for claim in current]
    now = timezone.now()
    Claim.objects.filter(pk__in=[c.pk for c in current]).update(
        deleted_at=now, updated=now, version=F("version") + 1
    )
    for claim in current:
        claim.deleted_at = claim.updated = now
        claim.version += 1
    history_record_many(
        entity=ENTITY,
        action=HistoryAction.DELETE,
        actor=actor,
        changes=(
            HistoryChange(
                project_id=claim.article.project_id,
                object_id=claim.pk,
                before=before,
                after=claim_snapshot(claim),
            )
            for claim, before in zip(current, befores, strict=True)
        ),
        batch_size=BATCH,
    )
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
