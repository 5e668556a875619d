"""The learned recommender: trained on a project's labelled claims, it proposes claims and
their speakers for new articles (pure: scikit-learn, no downloaded weights).

Training (``fit``): a cue lexicon from the labelled claims (the word before each claim,
the few words after it, with how often each word is such a cue among its occurrences),
candidate spans from every anchor word of the lexicon (``candidates``), labelled by
whether a labelled claim overlaps them (Jaccard ≥ 0.5), and a logistic regression on
hashed features; a second one ranks the speaker candidates of each true claim. Predicting
keeps the candidates above the threshold, best first, dropping one that overlaps a kept
one at Jaccard ≥ 0.5, and gives each the best-ranked speaker.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from annotate.suggest.learned.candidates import PRONOUNS, Candidate, candidates, quote_pairs
from annotate.suggest.learned.data import LabelledArticle
from annotate.suggest.learned.features import (
    Context,
    Features,
    RuleClaim,
    claim_features,
    mention_candidates,
    mention_features,
    rule_claim_of,
    rule_features,
    stem,
)
from annotate.suggest.learned.text import QUOTES, Token, sentences, tokenize
from annotate.suggest.rules import RuleSuggester

if TYPE_CHECKING:
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.linear_model import LogisticRegression

# numpy, SciPy and scikit-learn (~12 s of imports on a busy machine, ~60 MB) are imported
# when a model is trained or used, not by every process that imports the URLconf
# (tests/test_startup.py).

N_FEATURES = 2**20
MIN_CUE_COUNT = 2
MIN_CUE_WEIGHT = 0.1
# Reporting words every project starts with, so that a small project has anchors; the
# classifier still learns whether they introduce claims in its texts.
SEED_CUES = ("said", "says", "told", "according", "added", "stated", "argued", "wrote")
_EDGE = frozenset(".,;:!?—–-") | QUOTES
_NOT_CUES = (
    frozenset(["the", "a", "an", "his", "her", "their", "its", "this", "that", "these", "those"])
    | PRONOUNS
)
_SKIP = frozenset({"that", ",", ":", "—", "–", "-"}) | QUOTES


class TrainingError(ValueError):
    """The training data cannot make a model (no claims, a single class…)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    start: int  # code points, half-open
    end: int
    score: float
    direct: bool
    cue: str
    mention: tuple[int, int] | None = None
    mention_score: float = 0.0


@dataclass
class TrainedModel:
    cue_weight: dict[str, float]
    claim_clf: LogisticRegression
    source_clf: LogisticRegression | None
    threshold: float = 0.5
    trained_on: dict[str, int] = field(default_factory=dict)


@cache
def _hasher() -> FeatureHasher:
    from sklearn.feature_extraction import FeatureHasher

    return FeatureHasher(n_features=N_FEATURES, input_type="dict", alternate_sign=False)


def _rule_claims(text: str) -> tuple[RuleClaim, ...]:
    """The rule suggester's claims (no registry: names as written), trimmed like the
    candidates; the model learns how far to trust them."""
    out = []
    for p in RuleSuggester().suggest(text, byline="", registry=()):
        start, end = _trimmed(text, p.start, p.end)
        if start < end:
            mention = (
                (p.mention_start, p.mention_end)
                if p.mention_start is not None and p.mention_end is not None
                else None
            )
            out.append((start, end, p.cue, mention))
    return tuple(out)


def prepare(text: str, cue_weight: dict[str, float]) -> Context:
    tokens = tokenize(text)
    sents = sentences(text, tokens)
    sentence_of = [0] * len(tokens)
    for k, s in enumerate(sents):
        for i in range(s.first, s.last + 1):
            sentence_of[i] = k
    in_quote = [False] * len(tokens)
    for q0, q1 in quote_pairs(tokens):
        for i in range(q0, q1 + 1):
            in_quote[i] = True
    return Context(text, tokens, sents, sentence_of, in_quote, cue_weight, _rule_claims(text))


def _anchors(ctx: Context) -> list[int]:
    return [i for i, t in enumerate(ctx.tokens) if t.lower in ctx.cue_weight]


def _token_range(tokens: list[Token], start: int, end: int) -> tuple[int, int] | None:
    inside = [i for i, t in enumerate(tokens) if t.start < end and start < t.end]
    return (inside[0], inside[-1]) if inside else None


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in _EDGE):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _EDGE):
        end -= 1
    return start, end


def jaccard(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def learn_cues(articles: Iterable[LabelledArticle]) -> dict[str, float]:
    """Word → how often it is a cue among its occurrences, for the words that are cues at
    least ``MIN_CUE_COUNT`` times: the word before a claim (past "that", a colon…) and
    the words after it up to the fourth."""
    cue_count: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for art in articles:
        tokens = tokenize(art.text)
        seen.update(t.lower for t in tokens)
        for claim in art.claims:
            span = _token_range(tokens, claim.start, claim.end)
            if span is None:
                continue
            words: set[str] = set()
            i = span[0] - 1
            while i >= 0 and tokens[i].lower in _SKIP:
                i -= 1
            if i >= 0 and tokens[i].text.isalpha():
                words.add(tokens[i].lower)
            after = [t for t in tokens[span[1] + 1 : span[1] + 8] if t.text not in _SKIP]
            for t in after[:4]:
                if t.text.isalpha() and t.text.islower() and t.lower not in _NOT_CUES:
                    words.add(t.lower)
                    break
            cue_count.update(words)
    weights = {
        w: n / seen[w]
        for w, n in cue_count.items()
        if n >= MIN_CUE_COUNT and n / max(seen[w], 1) >= MIN_CUE_WEIGHT
    }
    for w in SEED_CUES:
        weights.setdefault(w, 0.0)
    return weights


def _candidates(ctx: Context) -> list[Candidate]:
    out = list(
        candidates(ctx.tokens, ctx.sents, ctx.sentence_of, _anchors(ctx), quote_pairs(ctx.tokens))
    )
    return out + _rule_candidates(ctx)


def _rule_candidates(ctx: Context) -> list[Candidate]:
    """The rule suggester's claims as candidates too (``how="rules"``), anchored on the
    first word of their speaker's mention (else the word after them)."""
    out = []
    for start, end, _, mention in ctx.rule_claims:
        span = _token_range(ctx.tokens, start, end)
        if span is None or span[0] >= span[1]:
            continue
        anchor = None
        if mention is not None:
            at = _token_range(ctx.tokens, *mention)
            anchor = at[0] if at is not None else None
        if anchor is None or span[0] <= anchor <= span[1]:
            anchor = span[1] + 1 if span[1] + 1 < len(ctx.tokens) else span[0] - 1
        if anchor < 0:
            continue
        out.append(Candidate(span[0], span[1], anchor, "rules"))
    return out


def _features(ctx: Context, c: Candidate) -> Features:
    f = claim_features(ctx, c)
    f.update(rule_features(ctx, _span(ctx, c)))
    return f


def _span(ctx: Context, c: Candidate) -> tuple[int, int]:
    return _trimmed(ctx.text, ctx.tokens[c.first].start, ctx.tokens[c.last].end)


def _fit_logistic(rows: list[Any], labels: list[int], c: float) -> LogisticRegression:
    if len(set(labels)) < 2 or not rows:
        raise TrainingError(
            "The training data gives no example of "
            + ("a claim" if not any(labels) else "a non-claim")
            + " among the candidates: label more articles."
        )
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, solver="liblinear", max_iter=200)
    clf.fit(sparse.vstack(rows).tocsr(), np.asarray(labels))
    return clf


def fit(articles: Sequence[LabelledArticle], *, threshold: float = 0.5) -> TrainedModel:
    """A model trained on these articles; ``TrainingError`` if they cannot make one."""
    labelled = [a for a in articles if a.claims]
    if not labelled:
        raise TrainingError("No labelled claims to learn from.")
    cue_weight = learn_cues(labelled)
    claim_rows: list[Any] = []  # one hashed matrix per article: the dicts would fill memory
    claim_labels: list[int] = []
    source_rows: list[Any] = []
    source_labels: list[int] = []
    n_candidates = 0
    for art in articles:
        art_claims: list[Features] = []
        art_sources: list[Features] = []
        ctx = prepare(art.text, cue_weight)
        golds = [(_trimmed(art.text, c.start, c.end), c.mention) for c in art.claims]
        for cand in _candidates(ctx):
            span = _span(ctx, cand)
            best = max(golds, key=lambda g: jaccard(span, g[0]), default=None)
            positive = best is not None and jaccard(span, best[0]) >= 0.5
            art_claims.append(_features(ctx, cand))
            claim_labels.append(int(positive))
            if positive and best is not None and best[1] is not None:
                m0, m1 = best[1]
                for first, last, kind in mention_candidates(ctx, cand):
                    t0, t1 = ctx.tokens[first].start, ctx.tokens[last].end
                    art_sources.append(mention_features(ctx, cand, first, last, kind))
                    source_labels.append(int(t0 < m1 and m0 < t1))
        n_candidates += len(art_claims)
        if art_claims:
            claim_rows.append(_hasher().transform(art_claims))
        if art_sources:
            source_rows.append(_hasher().transform(art_sources))
    claim_clf = _fit_logistic(claim_rows, claim_labels, c=0.5)
    try:
        source_clf: LogisticRegression | None = _fit_logistic(source_rows, source_labels, c=0.5)
    except TrainingError:
        source_clf = None  # claims without speakers: propose claims alone
    return TrainedModel(
        cue_weight=cue_weight,
        claim_clf=claim_clf,
        source_clf=source_clf,
        threshold=threshold,
        trained_on={
            "articles": len(articles),
            "claims": sum(len(a.claims) for a in articles),
            "candidates": n_candidates,
        },
    )


def predict(model: TrainedModel, text: str) -> list[Prediction]:
    """The model's claims in ``text``, in text order."""
    ctx = prepare(text, model.cue_weight)
    cands = _candidates(ctx)
    if not cands:
        return []
    scores = model.claim_clf.predict_proba(_hasher().transform(_features(ctx, c) for c in cands))[
        :, 1
    ]
    import numpy as np

    kept: list[tuple[Candidate, tuple[int, int], float]] = []
    anchored: set[int] = set()
    for k in np.argsort(-scores, kind="stable"):
        score = float(scores[k])
        if score < model.threshold:
            break
        span = _span(ctx, cands[k])
        if span[0] >= span[1] or cands[k].how != "rules" and cands[k].anchor in anchored:
            continue  # one claim per cue word
        if any(jaccard(span, s) >= 0.5 for _, s, _ in kept):
            continue
        anchored.add(cands[k].anchor)
        kept.append((cands[k], span, score))
    mentions = _speakers(model, ctx, [c for c, _, _ in kept])
    for k, (_, span, _) in enumerate(kept):
        rule = rule_claim_of(ctx, span)
        if rule is not None and rule[3] is not None:
            mentions[k] = (rule[3], 1.0)  # the rules' speaker, when they found the claim
    out = []
    for (cand, (start, end), score), (mention, m_score) in zip(kept, mentions, strict=True):
        direct = cand.how == "quote" or (
            start > 0 and text[start - 1] in QUOTES or end < len(text) and text[end] in QUOTES
        )
        out.append(
            Prediction(start, end, score, direct, ctx.tokens[cand.anchor].text, mention, m_score)
        )
    return sorted(out, key=lambda p: (p.start, -p.end))


def _speakers(
    model: TrainedModel, ctx: Context, claims: list[Candidate]
) -> list[tuple[tuple[int, int] | None, float]]:
    """The best speaker candidate of each claim (or None), scored all at once."""
    if model.source_clf is None:
        return [(None, 0.0)] * len(claims)
    options = [mention_candidates(ctx, c) for c in claims]
    rows = [
        mention_features(ctx, c, first, last, kind)
        for c, found in zip(claims, options, strict=True)
        for first, last, kind in found
    ]
    if not rows:
        return [(None, 0.0)] * len(claims)
    import numpy as np

    scores = model.source_clf.predict_proba(_hasher().transform(rows))[:, 1]
    out: list[tuple[tuple[int, int] | None, float]] = []
    k = 0
    for found in options:
        if not found:
            out.append((None, 0.0))
            continue
        part = scores[k : k + len(found)]
        best = int(np.argmax(part))
        first, last, _ = found[best]
        out.append(((ctx.tokens[first].start, ctx.tokens[last].end), float(part[best])))
        k += len(found)
    return out


def stem_of(word: str) -> str:
    return stem(word)


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))
