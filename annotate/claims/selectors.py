"""Reads of an annotator's own claims (the workspace's list and the API)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Prefetch,
    Q,
)
from django.http import Http404

from annotate.models import (
    ChainLink,
    Claim,
    ClaimQuerySet,
    ClaimStance,
)
from corpus.models import Article

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def my_claims(article: Article, annotator: User) -> ClaimQuerySet:
    """The annotator's live claims on the article in text order, with the source and the
    stances (and their targets) loaded: three queries however many claims."""
    return (
        Claim.objects.live()
        .for_article(article)
        .by(annotator)
        .select_related("source")
        .prefetch_related(
            Prefetch("stances", queryset=ClaimStance.objects.select_related("target"))
        )
        .order_by("start", "-end", "id")
    )


# What a row of the claim list shows of a claim (``my_claim_rows``).
CLAIM_ROW_FIELDS = (
    "id",
    "start",
    "end",
    "version",
    "quote",
    "attribution",
    "claim_type",
    "source_reliability",
    "information_credibility",
)


def my_claim_rows(
    article: Article, annotator: User
) -> list[tuple[dict[str, Any], list[tuple[str, str]]]]:
    """The annotator's live claims on the article in text order, as plain rows for the
    claim list: the ``CLAIM_ROW_FIELDS``, ``source__name`` and ``source__status`` of each
    (a proposed source is marked), with its (target
    name, stance) pairs. Two queries however many claims, and no model instances: the list
    of a long article is built on every page load."""
    claims = (
        Claim.objects.live()
        .for_article(article)
        .by(annotator)
        .order_by("start", "-end", "id")
        .values(*CLAIM_ROW_FIELDS, "source__name", "source__status")
    )
    rows = list(claims)
    stances: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if rows:
        found = (
            ClaimStance.objects.filter(
                claim__article=article,
                claim__annotator=annotator,
                claim__deleted_at__isnull=True,
            )
            .order_by("claim_id", "id")
            .values_list("claim_id", "target__name", "stance")
        )
        for claim_id, target_name, stance in found:
            stances[claim_id].append((target_name, stance))
    return [(row, stances.get(row["id"], [])) for row in rows]


def my_chains(article: Article, annotator: Any) -> dict[int, list[tuple[str, str]]]:
    """The chains of the annotator's live claims on the article: (carrier name,
    reliability) pairs in order, by claim id. One query."""
    found = (
        ChainLink.objects.filter(
            claim__article=article, claim__annotator=annotator, claim__deleted_at__isnull=True
        )
        .order_by("claim_id", "position")
        .values_list("claim_id", "source__name", "reliability")
    )
    chains: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for claim_id, name, reliability in found:
        chains[claim_id].append((name, reliability))
    return chains


def my_claim_after(claim: Claim) -> int | None:
    """The id of the annotator's live claim that follows ``claim`` in text order (the
    order of ``my_claims``), or None if it is the last: where its row goes in the list."""
    later = (
        Q(start__gt=claim.start)
        | Q(start=claim.start, end__lt=claim.end)
        | Q(start=claim.start, end=claim.end, pk__gt=claim.pk)
    )
    return (
        Claim.objects.live()
        .filter(article_id=claim.article_id, annotator_id=claim.annotator_id)
        .filter(later)
        .order_by("start", "-end", "id")
        .values_list("pk", flat=True)
        .first()
    )


def my_claim(user: User, pk: int, *, live: bool = True, stances: bool = True) -> Claim:
    """One of the user's own claims on an article still assigned to them, else 404; with
    its article, project and source, and (unless ``stances=False``, for a caller that only
    checks the permission before a service re-reads the claim) its stances and targets.

    Another annotator's claim answers 404: annotators work blind."""
    claims = Claim.objects.live() if live else Claim.objects.all()
    claims = claims.select_related("article__project", "source")
    if stances:
        claims = claims.prefetch_related(
            Prefetch("stances", queryset=ClaimStance.objects.select_related("target"))
        )
    claim = claims.filter(
        pk=pk, annotator_id=user.pk, article__assignments__annotator_id=user.pk
    ).first()
    if claim is None:
        raise Http404("No such claim.")
    return claim


def my_last_claim(user: Any, project: Any) -> Claim | None:
    """The user's most recently saved live claim in the project, its stances (with their
    targets) loaded: the labels "same as my last claim" repeats, and what an accepted
    suggestion takes where it proposes nothing. The first entry of the annotator's range
    of the index ``claim_live_annotator_updated``."""
    return (
        Claim.objects.live()
        .by(user)
        .filter(article__project=project)
        .select_related("article__project")
        .prefetch_related(
            Prefetch("stances", queryset=ClaimStance.objects.select_related("target"))
        )
        .order_by("-updated", "-id")
        .first()
    )
