"""Example annotations for the demo project (``seed_demo --examples``, what ``make run``
loads): enough for every page past the workspace to show something on a fresh machine — the
review queue with agreements and disagreements, a gold layer, the analysis pages, the
networks and cluster suggestions — while leaving articles for a newcomer to annotate.

Made through the same services as a person's work: the rule suggester proposes, each demo
annotator accepts (or dismisses) its suggestions with labels of their own, and the curator
accepts the unanimous units. Deterministic: the same seeds give the same claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from annotate.claims.values import ClaimChanges
from annotate.models import Claim, Target
from annotate.review.gold import gold_bulk_accept
from annotate.suggest.services import (
    suggestion_accept,
    suggestion_dismiss,
    suggestions_open,
    suggestions_refresh,
)
from corpus.models import Article, Project

# How many articles the examples annotate: two by both annotators (so there is agreement to
# measure and gold to adjudicate), one more by the second only; the rest are left for
# whoever tries the workspace.
SHARED_ARTICLES = 2
SECOND_ONLY_ARTICLES = 1

# Labels the annotators give where a suggestion proposes none (what "same as my last claim"
# would carry); the second disagrees on some ratings and stances, as real annotators do.
_LABELS = {"source_reliability": "B", "information_credibility": "2", "claim_type": "evaluative"}
_STANCES = ("favor", "against", "none")


@dataclass(frozen=True)
class ExamplesReport:
    claims: int
    gold: int
    articles: int

    def __str__(self) -> str:
        return (
            f"{self.claims} example claims on {self.articles} articles, "
            f"{self.gold} of them accepted into gold"
        )


def examples_load(
    *, project: Project, annotators: Sequence[Any], curator: Any
) -> ExamplesReport | None:
    """Annotate three of the project's articles as ``annotators`` (two) would, then let
    ``curator`` accept the unanimous units into gold. Does nothing (returns None) when the
    project already has claims: running the demo again never adds a second set."""
    if Claim.objects.filter(article__project=project).exists():
        return None
    found = {a: len(suggestions_refresh(article=a)) for a in project.articles.order_by("pk")}
    # The articles the suggester finds most in (some seed texts have few attributions), in
    # their order in the project.
    busiest = sorted(found, key=lambda a: (-found[a], a.pk))
    articles = sorted(busiest[: SHARED_ARTICLES + SECOND_ONLY_ARTICLES], key=lambda a: a.pk)
    targets = list(Target.objects.filter(project=project).order_by("position", "pk"))
    made = 0
    for index, article in enumerate(articles):
        workers = annotators if index < SHARED_ARTICLES else annotators[1:]
        for who in workers:
            made += _annotate(article, who, annotators.index(who), targets)
    gold = 0
    for article in articles[:SHARED_ARTICLES]:
        gold += len(gold_bulk_accept(curator=curator, article=article))
    return ExamplesReport(claims=made, gold=gold, articles=len(articles))


def _annotate(article: Article, annotator: Any, which: int, targets: list[Target]) -> int:
    """Accept the article's open suggestions as ``annotator`` (the ``which``-th), with that
    annotator's labels where the suggestion has none; the second annotator skips every
    seventh suggestion, so the review shows claims only one annotator made."""
    made = 0
    for n, suggestion in enumerate(suggestions_open(article=article, annotator=annotator)):
        if which == 1 and n % 7 == 6:
            suggestion_dismiss(suggestion=suggestion, annotator=annotator)
            continue
        labels: dict[str, Any] = dict(_LABELS)
        if which == 1 and n % 5 == 4:
            labels["source_reliability"] = "D"  # a rating the two disagree on
        stance = _STANCES[(n + (which if n % 4 == 3 else 0)) % len(_STANCES)]
        if targets:
            labels["stances"] = {str(targets[n % len(targets)].pk): stance}
        try:
            suggestion_accept(
                suggestion=suggestion,
                annotator=annotator,
                overrides=ClaimChanges(),
                defaults=labels,
            )
        except ValidationError:
            # A proposal this project's scheme refuses (a new source where annotators may
            # not add one, say): an annotator would dismiss it too.
            suggestion_dismiss(suggestion=suggestion, annotator=annotator)
            continue
        made += 1
    return made
