"""The recommender that learns from the project (pure): ``model.fit`` on labelled
articles, ``LearnedSuggester`` proposes claims through the ``Suggester`` interface.
Training on a project's claims, storing and switching on: ``annotate.suggest.recommender``.
"""

from __future__ import annotations

from collections.abc import Sequence

from annotate.suggest.base import DIRECT, REPORTED, Proposal, RegistryEntry
from annotate.suggest.learned.data import LabelledArticle, LabelledClaim
from annotate.suggest.learned.model import TrainedModel, TrainingError, fit, predict
from corpus.text import search_key

NAME = "learned"
_NOT_NAMES = frozenset(
    ["he", "she", "they", "it", "we", "i", "you", "his", "her", "their", "its", "who", "which"]
)


class LearnedSuggester:
    """Proposes the claims a trained model finds. The speaker: the registry entry whose
    name or alias is the mention's words (or, for a single word, whose name ends with it
    and no other's does), else the mention as a new source when it is a name."""

    name = NAME

    def __init__(self, model: TrainedModel, version: str) -> None:
        self.model = model
        self.version = version

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]:
        by_key: dict[str, int] = {}
        by_last: dict[str, set[int]] = {}
        for entry in registry:
            for name in (entry.name, *entry.aliases):
                key = search_key(name)
                by_key.setdefault(key, entry.id)
                if key:
                    by_last.setdefault(key.split()[-1], set()).add(entry.id)
        out = []
        for p in predict(self.model, article_text):
            source_id, new_name = None, ""
            if p.mention is not None:
                words = article_text[p.mention[0] : p.mention[1]]
                key = search_key(words)
                last = by_last.get(key, set()) if " " not in key else set()
                if key in by_key:
                    source_id = by_key[key]
                elif len(last) == 1:
                    source_id = next(iter(last))
                elif words[:1].isupper() and key not in _NOT_NAMES:
                    new_name = words
            out.append(
                Proposal(
                    start=p.start,
                    end=p.end,
                    attribution=DIRECT if p.direct else REPORTED,
                    source_id=source_id,
                    new_source_name=new_name,
                    mention_start=p.mention[0] if p.mention else None,
                    mention_end=p.mention[1] if p.mention else None,
                    score=round(p.score, 3),
                    cue=p.cue,
                )
            )
        return out


__all__ = [
    "NAME",
    "LabelledArticle",
    "LabelledClaim",
    "LearnedSuggester",
    "TrainedModel",
    "TrainingError",
    "fit",
    "predict",
]
