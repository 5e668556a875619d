"""Helpers shared by the review, gold and agreement-data tests: a project with two annotators
who annotated the same article, claims made through the services. (No tests here.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from annotate.models import AssignmentStatus, Claim
from annotate.services import StanceInput, claim_create
from tests.factories import AssignmentFactory, SourceFactory, TargetFactory

TEXT = (
    "Ankara is ready to help, said Akar. Moscow disagrees, says Umarov. "
    "China watches quietly. Yana Orekhova thinks the OTS matters. The end."
)


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def make_claim(article: Any, annotator: Any, words: str, **overrides: Any) -> Claim:
    """A complete, valid claim over ``words`` (the first occurrence)."""
    start, end = span(article.text, words)
    project = article.project
    values: dict[str, Any] = {
        "source": overrides.pop("source", None) or project.sources.order_by("pk").first(),
        "attribution": "reported",
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "factual",
        "stances": [StanceInput(project.targets.order_by("pk").first(), "favor")],
    }
    values.update(overrides)
    return claim_create(article=article, annotator=annotator, start=start, end=end, **values)


@dataclass
class Scene:
    project: Any
    article: Any
    ann: list[Any]
    sources: list[Any]
    targets: list[Any]


@pytest.fixture
def scene(project: Any, annotator: Any, other_annotator: Any, curator: Any) -> Scene:
    from tests.factories import ArticleFactory

    article = ArticleFactory(project=project, text=TEXT)
    sources = [SourceFactory(project=project, name=n) for n in ("Hulusi Akar", "Temur Umarov")]
    targets = [TargetFactory(project=project, name=n) for n in ("Turkey", "Russia")]
    for user in (annotator, other_annotator):
        AssignmentFactory(article=article, annotator=user, status=AssignmentStatus.DONE)
    return Scene(project, article, [annotator, other_annotator], sources, targets)
