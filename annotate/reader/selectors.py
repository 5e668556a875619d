"""Reads of the reader's layers: which layers an article has, its claims in one of them, and
the text cut into segments at the claims' boundaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from annotate.models import Claim, ClaimQuerySet, ClaimStance
from corpus.models import Article

GOLD = "gold"


@dataclass(frozen=True)
class Layer:
    key: str  # "gold" or an annotator's user id
    label: str
    count: int


def layers_of(article: Article) -> list[Layer]:
    """The gold layer (always offered, even empty) and each annotator with live claims on
    the article, with their claim counts. One query."""
    rows = (
        Claim.objects.live()
        .filter(article=article)
        .values_list("annotator_id", "annotator__username")
        .order_by("annotator__username")
    )
    counts: dict[Any, list[Any]] = {}
    for annotator_id, username in rows:
        entry = counts.setdefault(annotator_id, [username, 0])
        entry[1] += 1
    gold = counts.pop(None, ["", 0])
    layers = [Layer(GOLD, "Gold layer", gold[1])]
    layers += [Layer(str(pk), f"{name} (annotator)", n) for pk, (name, n) in counts.items()]
    return layers


def layer_claims(article: Article, layer: str) -> ClaimQuerySet:
    """The live claims of one layer on the article, in text order, with their source and
    stances (three queries when evaluated)."""
    claims = Claim.objects.live().filter(article=article)
    claims = (
        claims.filter(annotator=None) if layer == GOLD else claims.filter(annotator_id=int(layer))
    )
    stances = ClaimStance.objects.select_related("target").order_by("target__position")
    return (
        claims.select_related("source")
        .prefetch_related(Prefetch("stances", queryset=stances))
        .order_by("start", "end", "pk")
    )


@dataclass(frozen=True)
class Segment:
    text: str
    claim_ids: tuple[int, ...]  # the claims covering it, in text order
    opens: tuple[int, ...]  # the claims that start here (their anchor is on this segment)


def segments(text: str, claims: list[Claim]) -> list[Segment]:
    """The text cut at every claim boundary (code points, as the offsets are): each piece
    with the claims that cover it. Overlapping claims give pieces covered by several."""
    cuts = {0, len(text)}
    for claim in claims:
        cuts.update((claim.start, claim.end))
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    pieces = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        covering = tuple(c.pk for c in claims if c.start <= start and end <= c.end)
        opening = tuple(c.pk for c in claims if c.start == start)
        pieces.append(Segment(text[start:end], covering, opening))
    return pieces
