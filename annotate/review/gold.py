"""Adjudication into the gold layer: a curator's decisions on annotators' claims.

Every function is keyword-only, runs in one transaction, records a ``Decision`` (with a
``DecisionOrigin`` per annotator claim it drew on: the claim, the version the curator saw and
the fields taken from it) and a ``History`` row, and raises ``ValidationError`` for what a
person can fix, ``StaleVersion`` when an annotator claim changed since the curator saw it
(``StaleDecision``, a kind of it, when another decision on the group was made since the
curator saw it: ``unit_version``), and ``PermissionDenied`` for someone who is not a
curator or manager of the project.

Two curators deciding one group at once: both lock the group's claims (``FOR UPDATE``), so
the second waits for the first to commit, then sees its decision and is refused.

Gold claims are claims without an annotator, created through ``claim_create_within``
(``claim_create``'s body inside the service's transaction, so the same span and label
validation applies). A new decision on claims that already made a gold claim
supersedes it: that gold claim is deleted (softly), so each group has one current outcome.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.module_loading import import_string

from annotate.claims.checks import StanceInput
from annotate.claims.services import (
    StaleVersion,
    claim_create_within,
    claim_update,
    claims_delete,
)
from annotate.claims.values import ClaimChanges, ClaimFields, fields_of
from annotate.history import history_record
from annotate.models import (
    Claim,
    Decision,
    DecisionAction,
    DecisionOrigin,
    HistoryAction,
)
from annotate.review.agreement.records import STANCE_PREFIX
from annotate.review.data import article_agreement
from annotate.scheme import LABEL_FIELDS
from common import limits
from common.text import check_text
from corpus.models import Article
from corpus.permissions import can_curate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ENTITY = "decision"
# Fields a curator can take from one claim and combine with others.
SPAN = "span"
MERGEABLE = ("source", "mention", "stances", *LABEL_FIELDS, "note", "chain")
# A merged chain may take each position from another claim (``chain_from``):
# its origin's field is "chain:<position>".
CHAIN_PREFIX = "chain:"


class StaleDecision(StaleVersion[Claim]):
    """Someone decided the group since the curator saw it (its ``unit_version`` moved on);
    ``current`` is one of the group's claims."""

    def __init__(self, current: Claim) -> None:
        super().__init__(
            current,
            "Someone decided this group meanwhile; nothing was decided — reload it and look again.",
        )


def unit_version_of(claim_ids: Iterable[int]) -> int:
    """The version of a group as a curator sees it: the newest decision citing any of its
    claims (0 for none). ``review.article_review`` gives each unit the same number."""
    newest = DecisionOrigin.objects.filter(claim_id__in=list(claim_ids)).aggregate(
        newest=Max("decision_id")
    )["newest"]
    return int(newest or 0)


def _check_unit(locked: Mapping[int, Claim], seen: int | None) -> None:
    """``StaleDecision`` if a decision on these (locked) claims was made since ``seen``."""
    if seen is not None and unit_version_of(locked) != seen:
        raise StaleDecision(next(iter(locked.values())))


def _check_curator(curator: User, article: Article) -> None:
    if not can_curate(curator, article.project):
        raise PermissionDenied("Only the project's curators and managers adjudicate.")


def _locked_claims(article: Article, seen: Mapping[int, int | None]) -> dict[int, Claim]:
    """The annotator claims ``seen`` (id → the version the curator saw), locked; raises
    ``StaleVersion`` if one moved on and ``ValidationError`` if one is not a live annotator
    claim of the article."""
    found = {
        c.pk: c
        for c in Claim.objects.select_for_update(of=("self",))
        .select_related("article__project")
        .prefetch_related("stances", "chain")
        .filter(pk__in=list(seen))
    }
    for pk, version in seen.items():
        claim = found.get(pk)
        if (
            claim is None
            or claim.article_id != article.pk
            or claim.annotator_id is None
            or claim.deleted_at is not None
        ):
            raise ValidationError(f"Claim {pk} is not an annotator's claim on this article.")
        if version is not None and claim.version != version:
            raise StaleVersion(claim)
    return found


def _seen(claims: Iterable[Claim], versions: Mapping[int, int] | None) -> dict[int, int | None]:
    """Claim id → the version the curator saw: from ``versions`` if given, else the
    version of the instance the caller loaded."""
    given = versions or {}
    return {c.pk: given.get(c.pk, c.version) for c in claims}


def _supersede(claim_ids: Iterable[int], curator: User) -> None:
    """Delete (softly) the live gold claims made from any of these annotator claims."""
    made = Decision.objects.filter(origins__claim_id__in=list(claim_ids)).values("gold_id")
    claims_delete(claims=Claim.objects.gold().filter(pk__in=made), actor=curator)


def _decide(
    *,
    article: Article,
    curator: User,
    action: str,
    gold: Claim | None,
    origins: Sequence[tuple[Claim, list[str]]],
    rationale: str,
) -> Decision:
    # Checked again inside the caller's transaction: a refused rationale undoes the gold too.
    rationale = _checked_rationale(rationale)
    decision = Decision.objects.create(
        article=article, curator=curator, action=action, gold=gold, rationale=rationale
    )
    DecisionOrigin.objects.bulk_create(
        DecisionOrigin(decision=decision, claim=claim, claim_version=claim.version, fields=fields)
        for claim, fields in origins
    )
    history_record(
        project_id=article.project_id,
        entity=ENTITY,
        object_id=decision.pk,
        action=HistoryAction.CREATE,
        actor=curator,
        before=None,
        after=decision_snapshot(decision, origins),
    )
    return decision


def _checked_rationale(rationale: str | None) -> str:
    """The rationale as stored; ``ValidationError`` for one refused. Pure: the services
    check it before they lock or write anything, so a refused one costs no work."""
    return check_text(rationale or "", field="rationale", limit=limits.RATIONALE, multiline=True)


def decision_snapshot(
    decision: Decision, origins: Sequence[tuple[Claim, list[str]]]
) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "article": decision.article_id,
        "action": decision.action,
        "gold": decision.gold_id,
        "curator": decision.curator_id,
        "rationale": decision.rationale,
        "origins": [
            {"claim": c.pk, "claim_version": c.version, "fields": fields} for c, fields in origins
        ],
    }


def _target_of(stance: StanceInput) -> int:
    return stance.target if isinstance(stance.target, int) else stance.target.pk


def _create_gold(article: Article, content: ClaimFields, curator: User) -> Claim:
    # annotator=None: the claim belongs to the project's gold layer; history names the curator.
    # Within the service's transaction: a refusal undoes the whole decision.
    gold = claim_create_within(article=article, annotator=None, actor=curator, fields=content)
    # The hooks named in CLAIMDESK_AFTER_GOLD (the recommender's retraining) sit above the
    # services, so they are named in the settings rather than imported here.
    for path in settings.CLAIMDESK_AFTER_GOLD:
        transaction.on_commit(partial(import_string(path), article.project_id))
    return gold


@transaction.atomic
def gold_accept(
    *,
    curator: User,
    claim: Claim,
    considered: Iterable[Claim] = (),
    versions: Mapping[int, int] | None = None,
    unit_version: int | None = None,
    rationale: str = "",
    action: str = DecisionAction.ACCEPT,
) -> Claim:
    """Make one annotator's claim, as it is, a gold claim. ``considered``: the other claims
    of its group, recorded as origins that gave nothing (so the group counts as decided).
    ``versions`` (claim id → version) overrides the versions of the instances passed;
    ``unit_version`` is the group's version the curator saw (``unit_version_of``)."""
    article = claim.article
    _check_curator(curator, article)
    rationale = _checked_rationale(rationale)
    others = [c for c in considered if c.pk != claim.pk]
    locked = _locked_claims(article, _seen([claim, *others], versions))
    _check_unit(locked, unit_version)
    _supersede(locked, curator)
    chosen = locked[claim.pk]
    gold = _create_gold(article, fields_of(chosen), curator)
    origins = [(chosen, [SPAN, *MERGEABLE])] + [(locked[c.pk], []) for c in others]
    _decide(
        article=article,
        curator=curator,
        action=action,
        gold=gold,
        origins=origins,
        rationale=rationale,
    )
    return gold


@transaction.atomic
def gold_merge(
    *,
    curator: User,
    article: Article,
    span_from: Claim,
    fields_from: Mapping[str, Claim],
    considered: Iterable[Claim] = (),
    versions: Mapping[int, int] | None = None,
    unit_version: int | None = None,
    rationale: str = "",
    stances_from: Mapping[int, Claim] | None = None,
    chain_from: Mapping[int, Claim] | None = None,
) -> Claim:
    """A gold claim combining several annotators' claims: the span from ``span_from``, each
    field named in ``fields_from`` (``source``, ``mention``, ``stances``, ``attribution``,
    ``source_reliability``, …) from the claim given for it, the other fields from
    ``span_from``. ``stances_from`` (target id → claim) takes the stance toward a target
    from that claim (none if it has none), the other targets' from the ``stances`` giver.
    ``chain_from`` (position → claim) merges chains: the gold chain's link at each
    position given is that claim's link there (positions in order; a claim with no link
    there gives none); it replaces the ``chain`` giver's chain."""
    _check_curator(curator, article)
    rationale = _checked_rationale(rationale)
    unknown = set(fields_from) - set(MERGEABLE)
    if unknown:
        raise ValidationError(f"Fields that cannot be merged: {', '.join(sorted(unknown))}.")
    per_target = dict(stances_from or {})
    per_position = dict(chain_from or {})
    involved = {
        c.pk: c
        for c in [
            span_from,
            *fields_from.values(),
            *per_target.values(),
            *per_position.values(),
            *considered,
        ]
    }
    locked = _locked_claims(article, _seen(involved.values(), versions))
    _check_unit(locked, unit_version)
    _supersede(locked, curator)
    base = locked[span_from.pk]
    taken: dict[int, list[str]] = {pk: [] for pk in locked}
    taken[base.pk].append(SPAN)
    content = fields_of(base)
    for name in MERGEABLE:
        giver = locked[fields_from[name].pk] if name in fields_from else base
        content = content.with_values({name: fields_of(giver).get(name)})
        taken[giver.pk].append(name)
    if per_target:
        kept = [s for s in content.stances if _target_of(s) not in per_target]
        for target, claim in per_target.items():
            giver = locked[claim.pk]
            kept += [s for s in fields_of(giver).stances if _target_of(s) == int(target)]
            taken[giver.pk].append(f"{STANCE_PREFIX}{target}")
        content = dataclasses.replace(content, stances=kept)
    if per_position:
        chain = []
        for position in sorted(per_position):
            giver = locked[per_position[position].pk]
            links = fields_of(giver).chain
            if 1 <= int(position) <= len(links):
                chain.append(links[int(position) - 1])
            taken[giver.pk].append(f"{CHAIN_PREFIX}{position}")
        content = dataclasses.replace(content, chain=chain)
    gold = _create_gold(article, content, curator)
    _decide(
        article=article,
        curator=curator,
        action=DecisionAction.MERGE,
        gold=gold,
        origins=[(locked[pk], fields) for pk, fields in taken.items()],
        rationale=rationale,
    )
    return gold


@transaction.atomic
def gold_edit(
    *,
    curator: User,
    gold: Claim,
    version: int | None,
    changes: ClaimChanges,
    rationale: str = "",
) -> Claim:
    """Change a gold claim as ``claim_update`` changes a claim. ``version`` is the gold
    claim's version the curator saw."""
    if gold.annotator_id is not None:
        raise ValidationError("Only gold claims are edited here; annotators edit their own.")
    article = gold.article
    _check_curator(curator, article)
    before = gold.version
    updated = claim_update(claim=gold, actor=curator, version=version, changes=changes)
    if updated.version != before:
        _decide(
            article=article,
            curator=curator,
            action=DecisionAction.EDIT,
            gold=updated,
            origins=[],
            rationale=rationale,
        )
    return updated


@transaction.atomic
def gold_add(
    *,
    curator: User,
    article: Article,
    fields: ClaimFields,
    rationale: str = "",
) -> Claim:
    """A gold claim that no annotator made."""
    _check_curator(curator, article)
    gold = _create_gold(article, fields, curator)
    _decide(
        article=article,
        curator=curator,
        action=DecisionAction.ADD,
        gold=gold,
        origins=[],
        rationale=rationale,
    )
    return gold


@transaction.atomic
def gold_reject(
    *,
    curator: User,
    claims: Iterable[Claim],
    versions: Mapping[int, int] | None = None,
    unit_version: int | None = None,
    rationale: str = "",
) -> Decision:
    """Decide that these annotator claims (usually one group) make no gold claim; a gold
    claim already made from them is deleted. ``unit_version`` as in ``gold_accept``."""
    claims = list(claims)
    if not claims:
        raise ValidationError("Choose the claims to reject.")
    article = claims[0].article
    _check_curator(curator, article)
    rationale = _checked_rationale(rationale)
    locked = _locked_claims(article, _seen(claims, versions))
    _check_unit(locked, unit_version)
    _supersede(locked, curator)
    return _decide(
        article=article,
        curator=curator,
        action=DecisionAction.REJECT,
        gold=None,
        origins=[(c, []) for c in locked.values()],
        rationale=rationale,
    )


def _same(a: Claim, b: Claim) -> bool:
    """The same content but for the note (stances in any order)."""

    def compared(claim: Claim) -> ClaimFields:
        content = fields_of(claim)
        stances = sorted(content.stances, key=lambda s: (_target_of(s), s.stance))
        return dataclasses.replace(content, note="", stances=stances)

    return compared(a) == compared(b)


@transaction.atomic
def gold_bulk_accept(
    *,
    curator: User,
    article: Article,
    versions: Mapping[int, int] | None = None,
    rationale: str = "",
) -> list[Claim]:
    """Accept every unanimous group of the article not decided yet: two or more claims,
    one by every annotator of the article, with the same span, source, mention, labels and
    stances (notes may differ). ``versions`` (claim id → version the curator saw) refuses
    the whole batch if one of those claims moved on. Returns the new gold claims."""
    _check_curator(curator, article)
    agreement = article_agreement(article)
    if agreement is None:
        return []
    candidates = [
        [int(m.claim_id) for m in unit.members]
        for unit in agreement.units
        if len(unit.members) >= 2 and not unit.missing and unit.exact
    ]
    ids = [pk for group in candidates for pk in group]
    seen: dict[int, int | None] = dict.fromkeys(ids)
    seen |= {pk: v for pk, v in (versions or {}).items() if pk in seen}
    locked = _locked_claims(article, seen)
    # Read after the claims are locked: a bulk accept running at the same time has
    # committed its decisions by now, and their groups are skipped.
    decided = set(
        DecisionOrigin.objects.filter(claim_id__in=ids).values_list("claim_id", flat=True)
    )
    made = []
    for group in candidates:
        if decided & set(group):
            continue
        claims = [locked[pk] for pk in group]
        if not all(_same(claims[0], other) for other in claims[1:]):
            continue
        made.append(
            gold_accept(
                curator=curator,
                claim=claims[0],
                considered=claims[1:],
                rationale=rationale,
                action=DecisionAction.BULK_ACCEPT,
            )
        )
    return made
