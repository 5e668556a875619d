"""A synthetic project and a timing of ``project_agreement`` on it, for the benchmark.

``python -m annotate.review.agreement.timing`` prints the time for 1,000 articles × 3 annotators ×
20 claims (60,000 claims). The data are random but realistic in shape: annotators mostly mark
the same sentences with jittered boundaries, sometimes miss or split one, and mostly agree
on the labels.
"""

from __future__ import annotations

import random
import time

from annotate.review.agreement.records import ArticleRecord, ClaimRecord, Id
from annotate.review.agreement.report import project_agreement

_STANCES = ("favor", "against", "none")
_ATTRIBUTION = ("author", "direct", "reported", "unnamed")
_TYPES = ("factual", "evaluative", "predictive", "prescriptive")


def synthetic_project(
    n_articles: int = 1000, n_annotators: int = 3, claims_per_annotator: int = 20, seed: int = 1
) -> tuple[list[ClaimRecord], list[ArticleRecord]]:
    rng = random.Random(seed)
    claims: list[ClaimRecord] = []
    articles: list[ArticleRecord] = []
    claim_id = 0
    for art in range(n_articles):
        length = claims_per_annotator * 250
        articles.append(ArticleRecord(art, length, tuple(range(1, n_annotators + 1))))
        truth: list[tuple[int, int, dict[str, str | int | None], dict[Id, str]]] = []
        for k in range(claims_per_annotator):
            start = k * 250 + rng.randrange(0, 60)
            truth.append(
                (
                    start,
                    start + rng.randrange(60, 180),
                    {
                        "source": str(rng.randrange(40)),
                        "attribution": rng.choice(_ATTRIBUTION),
                        "claim_type": rng.choice(_TYPES),
                        "source_reliability": rng.choice("ABCDEF"),
                        "information_credibility": rng.choice("123456"),
                    },
                    {t: rng.choice(_STANCES) for t in rng.sample(range(5), 2)},
                )
            )
        for ann in range(1, n_annotators + 1):
            for start, end, fields, stances in truth:
                if rng.random() < 0.1:  # marks something else instead
                    start = rng.randrange(0, length - 40)
                    end = start + rng.randrange(20, 40)
                # Snapping to words makes identical boundaries common.
                s = max(0, start + (rng.randrange(-15, 16) if rng.random() < 0.4 else 0))
                e = min(
                    length, max(s + 5, end + (rng.randrange(-15, 16) if rng.random() < 0.4 else 0))
                )
                labels = dict(fields)
                if rng.random() < 0.2:
                    labels["source_reliability"] = rng.choice("ABCDEF")
                if rng.random() < 0.1:
                    labels["claim_type"] = rng.choice(_TYPES)
                claim_id += 1
                claims.append(ClaimRecord(art, ann, claim_id, s, e, labels, dict(stances)))
    return claims, articles


def time_project_agreement(**kwargs: int) -> float:
    """Seconds ``project_agreement`` takes on :func:`synthetic_project` (data made first)."""
    claims, articles = synthetic_project(**kwargs)
    began = time.perf_counter()
    project_agreement(claims, articles)
    return time.perf_counter() - began


if __name__ == "__main__":
    claims, articles = synthetic_project()
    began = time.perf_counter()
    report = project_agreement(claims, articles)
    took = time.perf_counter() - began
    print(f"{len(claims)} claims, {len(articles)} articles, {report.n_units} units: {took:.2f} s")
