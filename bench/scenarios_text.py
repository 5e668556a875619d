"""CPU-only scenarios, no database: the rule-based suggester on the seed articles, the
code-point ↔ UTF-16 offset map on a long text, and the agreement core on a synthetic
60,000-claim project. These were timed assertions in the test suite once; a loaded CI
machine made them flaky, and a figure belongs here, printed, not asserted."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from bench.scenarios import SCENARIOS, Context, Result, summary, timed

_BASE = Path(settings.BASE_DIR)


def suggest(ctx: Context) -> list[Result]:
    """``RuleSuggester.suggest`` per seed article (the labelled evaluation set)."""
    from annotate.suggest import RuleSuggester
    from annotate.suggest.evaluate import LabelledArticle, load_jsonl, registry_from_csv

    registry = registry_from_csv(_BASE / "seeds" / "sources.csv")
    articles = load_jsonl(_BASE / "tests" / "data" / "seed_eval.jsonl")
    suggester = RuleSuggester()
    rows = []
    for article in articles:

        def one(article: LabelledArticle = article) -> None:
            suggester.suggest(article.text, byline=article.byline, registry=registry)

        row = summary(
            "suggest",
            f"rule suggester: {article.name} ({len(article.text):,} chars)",
            timed(one, reps=max(3, ctx.heavy_reps), warmup=1),
            target_ms=100,
        )
        rows.append(row)
    return rows


def suggest_10k(ctx: Context) -> list[Result]:
    """``RuleSuggester.suggest`` on an article of exactly 10,000 characters (the seed
    articles end to end, cut), against the issue's bound of 50 ms."""
    from annotate.suggest import RuleSuggester
    from annotate.suggest.evaluate import load_jsonl, registry_from_csv

    registry = registry_from_csv(_BASE / "seeds" / "sources.csv")
    articles = load_jsonl(_BASE / "tests" / "data" / "seed_eval.jsonl")
    text = "\n\n".join(a.text for a in articles)[:10_000]
    suggester = RuleSuggester()
    reps = max(5, ctx.heavy_reps)
    row = summary(
        "suggest_10k",
        "rule suggester: one article of 10,000 characters",
        timed(lambda: suggester.suggest(text, byline="", registry=registry), reps=reps, warmup=1),
        target_ms=50,
    )
    # The process's CPU time too: on a loaded machine the wall clock mostly measures the
    # other processes.
    cpu = []
    for _ in range(reps):
        began = time.process_time()
        suggester.suggest(text, byline="", registry=registry)
        cpu.append((time.process_time() - began) * 1000)
    row.extra["cpu_median_ms"] = round(statistics.median(cpu), 3)
    return [row]


def learned_10k(ctx: Context) -> list[Result]:
    """The learned recommender on the same 10,000 characters, against the issue's bound of
    100 ms. Trained here on the seed articles (no database); a model trained on PolNeAR
    has a larger cue lexicon, hence more candidates: give its file (as
    ``recommender_train`` stores it) in ``LEARNED_MODEL`` to time that one."""
    import os

    import joblib

    from annotate.suggest.evaluate import load_jsonl, registry_from_csv
    from annotate.suggest.learned import LabelledArticle, LabelledClaim, LearnedSuggester, fit

    registry = registry_from_csv(_BASE / "seeds" / "sources.csv")
    articles = load_jsonl(_BASE / "tests" / "data" / "seed_eval.jsonl")
    text = "\n\n".join(a.text for a in articles)[:10_000]
    if os.environ.get("LEARNED_MODEL"):
        model, how = joblib.load(os.environ["LEARNED_MODEL"]), "LEARNED_MODEL"
    else:
        model = fit(
            [
                LabelledArticle(
                    a.name, a.text, tuple(LabelledClaim(c.start, c.end) for c in a.claims)
                )
                for a in articles
            ]
        )
        how = "trained on the seed articles"
    suggester = LearnedSuggester(model, "bench")
    row = summary(
        "learned_10k",
        f"learned recommender ({how}): one article of 10,000 characters",
        timed(
            lambda: suggester.suggest(text, byline="", registry=registry),
            reps=max(5, ctx.heavy_reps),
            warmup=1,
        ),
        target_ms=100,
    )
    return [row]


def offsets(ctx: Context) -> list[Result]:
    """Building an ``OffsetMap`` of a 1.7M-code-point text (Cyrillic, Turkish, flags) and
    converting every 97th offset there and back."""
    from annotate.claims.offsets import OffsetMap

    text = ("Яна Орехова, Akıncı. " * 4 + "🇹🇷 ") * 20_000

    def one() -> None:
        mapping = OffsetMap(text)
        for cp in range(0, len(text), 97):
            mapping.to_codepoint(mapping.to_utf16(cp))

    row = summary(
        "offsets",
        f"offset map: build + {len(text) // 97:,} round trips ({len(text):,} code points)",
        timed(one, reps=max(3, ctx.heavy_reps), warmup=1),
        target_ms=3000,
    )
    return [row]


def agreement_core(ctx: Context) -> list[Result]:
    """``project_agreement`` on the synthetic 1,000 × 3 × 20 project (60,000 claims),
    independent of the generated database; 100 articles (6,000 claims) at the smoke test's
    ``tiny`` scale, which checks that it runs, not how fast."""
    from annotate.review.agreement import project_agreement
    from annotate.review.agreement.timing import synthetic_project

    claims, articles = synthetic_project(n_articles=100 if ctx.scale == "tiny" else 1000)
    row = summary(
        "agreement_core",
        f"agreement core: synthetic {len(claims):,} claims",
        timed(lambda: project_agreement(claims, articles), reps=max(2, ctx.heavy_reps), warmup=0),
        target_ms=3000,
    )
    row.extra["claims"] = len(claims)
    return [row]


TEXT_SCENARIOS: dict[str, Callable[[Context], list[Result]]] = {
    "suggest": suggest,
    "suggest_10k": suggest_10k,
    "learned_10k": learned_10k,
    "offsets": offsets,
    "agreement_core": agreement_core,
}
SCENARIOS.update(TEXT_SCENARIOS)
