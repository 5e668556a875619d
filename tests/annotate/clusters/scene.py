"""A small corpus of claims across articles for the cluster tests: three articles of
different outlets and dates, one proposition said in each (two paraphrases and a
translation-like repeat), and unrelated claims beside them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from annotate.models import Claim
from tests.factories import ArticleFactory, SourceFactory, TargetFactory, claim_over

SAME = [
    "Turkey's influence in Central Asia is growing day by day",
    "Turkey’s influence in Central Asia keeps growing, day after day",
    "the influence of Turkey in Central Asia is growing day by day",
]
OTHER = [
    "China finances the pipelines of the region",
    "Russia keeps its military bases in Tajikistan",
    "The Organization of Turkic States met in November 2021",
]


@dataclass
class Corpus:
    project: Any
    articles: list[Any]
    same: list[Claim]  # one per article, the same proposition
    other: list[Claim]
    sources: list[Any]
    targets: list[Any]


def make_corpus(project: Any) -> Corpus:
    dates = [dt.date(2024, 3, 1), dt.date(2023, 11, 5), dt.date(2024, 1, 9)]
    outlets = ["Berliner Zeitung", "Daily Sabah", "inosmi.ru"]
    sources = [SourceFactory(project=project, name=n) for n in ("Isachenko", "Akar", "Danilov")]
    turkey = TargetFactory(project=project, name="Turkey's influence")
    russia = TargetFactory(project=project, name="Russia's influence")
    articles, same, other = [], [], []
    for i in range(3):
        article = ArticleFactory(
            project=project,
            published=dates[i],
            outlet=outlets[i],
            text=f"Intro {i}. {SAME[i]}. Then: {OTHER[i]}. End.",
        )
        articles.append(article)
        stance = "against" if i == 2 else "favor"
        same.append(
            claim_over(
                article, SAME[i], None, source=sources[i], stances={turkey: stance, russia: "none"}
            )
        )
        other.append(claim_over(article, OTHER[i], None, source=sources[i]))
    return Corpus(project, articles, same, other, sources, [turkey, russia])
