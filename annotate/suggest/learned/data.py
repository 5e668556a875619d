"""What the learned recommender trains on: articles with their labelled claims (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LabelledClaim:
    start: int
    end: int
    mention: tuple[int, int] | None = None  # the words that name the speaker


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    key: str  # names the article in held-out splits (its id, or file name)
    text: str
    claims: tuple[LabelledClaim, ...]
