"""Span-matching counts and the figures made of them: a suggester's proposals against the
labelled claims (PolNeAR, the seed set, a project's held-out gold). Pure: no ORM."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counts:
    proposals: int = 0
    labels: int = 0
    matched: int = 0
    source_correct: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.proposals if self.proposals else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.labels if self.labels else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def source_accuracy(self) -> float:
        return self.source_correct / self.matched if self.matched else 0.0
