"""Features of candidate claims and candidate speakers (pure): dicts of strings, hashed
by the model. Nothing here is tuned by hand to a corpus: the words are what the
classifier weighs."""

from __future__ import annotations

from dataclasses import dataclass

from annotate.suggest.learned.candidates import PRONOUNS, Candidate
from annotate.suggest.learned.text import CLOSE_QUOTES, OPEN_QUOTES, QUOTES, Sentence, Token

Features = dict[str, float]


def _bin(n: int, edges: tuple[int, ...] = (1, 2, 3, 5, 8, 13, 21, 34, 55)) -> str:
    for e in edges:
        if n <= e:
            return str(e)
    return "more"


def stem(word: str) -> str:
    """A crude stem (no dictionary): "says", "said", "saying" → "sa"…, enough to share
    weight between the forms of a cue."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True, slots=True)
class Context:
    """An article prepared once for feature extraction."""

    text: str
    tokens: list[Token]
    sents: list[Sentence]
    sentence_of: list[int]
    in_quote: list[bool]
    cue_weight: dict[str, float]
    # The rule suggester's claims in the text, trimmed: (start, end, cue, mention); the
    # classifier weighs whether a candidate is one of them (``rule_features``).
    rule_claims: tuple[RuleClaim, ...] = ()


RuleClaim = tuple[int, int, str, "tuple[int, int] | None"]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter > 0 else 0.0


def rule_claim_of(ctx: Context, span: tuple[int, int]) -> RuleClaim | None:
    """The rule suggester's claim that a span is (Jaccard ≥ 0.5), if any."""
    best = max(ctx.rule_claims, key=lambda r: _overlap(span, (r[0], r[1])), default=None)
    if best is None or _overlap(span, (best[0], best[1])) < 0.5:
        return None
    return best


def rule_features(ctx: Context, span: tuple[int, int]) -> Features:
    """How a candidate (its trimmed span) agrees with the rule suggester's claims."""
    best = (
        max((_overlap(span, (r[0], r[1])), r[2]) for r in ctx.rule_claims)
        if ctx.rule_claims
        else (0.0, "")
    )
    j, cue = best
    level = "exact" if j >= 0.95 else "match" if j >= 0.5 else "part" if j > 0 else "none"
    f: Features = {f"rules={level}": 1.0, "rules_j": j}
    if j >= 0.5:
        f[f"rules_cue={cue}"] = 1.0
    return f


def _word(ctx: Context, i: int) -> str:
    return ctx.tokens[i].lower if 0 <= i < len(ctx.tokens) else "<none>"


def claim_features(ctx: Context, c: Candidate) -> Features:
    toks = ctx.tokens
    a = c.anchor
    anchor = toks[a].lower
    sent = ctx.sents[ctx.sentence_of[a]]
    length = c.last - c.first + 1
    first, last = toks[c.first], toks[c.last]
    before = toks[c.first - 1].text if c.first > 0 else ""
    after = toks[c.last + 1].text if c.last + 1 < len(toks) else ""
    weight = ctx.cue_weight.get(anchor, 0.0)
    f: Features = {
        "bias": 1.0,
        f"how={c.how}": 1.0,
        f"a={anchor}": 1.0,
        f"how,a={c.how},{anchor}": 1.0,
        f"how,stem={c.how},{stem(anchor)}": 1.0,
        f"a-1={_word(ctx, a - 1)}": 1.0,
        f"a+1={_word(ctx, a + 1)}": 1.0,
        f"a-1,a={_word(ctx, a - 1)},{anchor}": 1.0,
        f"a,a+1={anchor},{_word(ctx, a + 1)}": 1.0,
        f"how,a-1cap={c.how},{toks[a - 1].text[:1].isupper() if a else False}": 1.0,
        "cue_weight": weight,
        f"cue_w={_bin(int(weight * 10))}": 1.0,
        f"len={_bin(length)}": 1.0,
        f"how,len={c.how},{_bin(length)}": 1.0,
        f"w0={first.lower}": 1.0,
        f"w0,w1={first.lower},{_word(ctx, c.first + 1)}": 1.0,
        f"wl={last.lower}": 1.0,
        f"before={before}": 1.0,
        f"after={after}": 1.0,
        f"quoted_open={before in OPEN_QUOTES or first.text in OPEN_QUOTES}": 1.0,
        f"quoted_close={after in CLOSE_QUOTES or last.text in CLOSE_QUOTES}": 1.0,
        f"anchor_in_quote={ctx.in_quote[a]}": 1.0,
        f"sent_start={c.first <= sent.first + 1}": 1.0,
        f"sent_end={c.last >= sent.last - 1}": 1.0,
        f"how,sentpos={c.how},{_bin(a - sent.first)}": 1.0,
        f"gap={_bin(c.first - a if c.first > a else a - c.last)}": 1.0,
        f"multi_sentence={ctx.sentence_of[c.first] != ctx.sentence_of[c.last]}": 1.0,
    }
    if c.how == "left" or c.how == "quote" and c.last < a:
        between = [t.lower for t in toks[c.last + 1 : a] if t.text not in QUOTES]
        f[f"between={' '.join(between)[:40]}"] = 1.0
        for w in between:
            f[f"between_w={w}"] = 1.0
        f[f"between_pron={any(w in PRONOUNS for w in between)}"] = 1.0
        f[f"between_cap={any(toks[k].text[:1].isupper() for k in range(c.last + 1, a))}"] = 1.0
    else:
        before_anchor = [t.lower for t in toks[max(sent.first, a - 3) : a]]
        for w in before_anchor:
            f[f"subj_w={w}"] = 1.0
        between = [t.lower for t in toks[a + 1 : c.first]]
        f[f"skip={' '.join(between)[:30]}"] = 1.0
    for k in range(c.first, min(c.last, c.first + 4) + 1):
        f[f"head={toks[k].lower}"] = 1.0
    return f


def mention_candidates(ctx: Context, claim: Candidate) -> list[tuple[int, int, str]]:
    """Speaker candidates of a claim: (first, last, kind) token indices near its anchor,
    outside the claim. Kinds: "name" (a run of capitalised words), "pronoun", "word"."""
    toks = ctx.tokens
    a = claim.anchor
    sent = ctx.sents[ctx.sentence_of[a]]
    lo, hi = max(sent.first, a - 10), min(sent.last, a + 8)
    out: list[tuple[int, int, str]] = []
    i = lo
    while i <= hi:
        if claim.first <= i <= claim.last or i == a:
            i += 1
            continue
        tok = toks[i]
        if (
            tok.text[:1].isupper()
            and tok.text.isalpha()
            or tok.text[:1].isupper()
            and "." in tok.text
        ):
            j = i
            while (
                j + 1 <= hi
                and not claim.first <= j + 1 <= claim.last
                and toks[j + 1].text[:1].isupper()
                and toks[j + 1].text[:1].isalpha()
            ):
                j += 1
            out.append((i, j, "name"))
            i = j + 1
            continue
        if tok.lower in PRONOUNS:
            out.append((i, i, "pronoun"))
        elif tok.text.isalpha() and abs(i - a) <= 4:
            out.append((i, i, "word"))
        i += 1
    return out


def mention_features(ctx: Context, claim: Candidate, first: int, last: int, kind: str) -> Features:
    toks = ctx.tokens
    a = claim.anchor
    side = "before" if last < a else "after"
    distance = a - last if last < a else first - a
    head = toks[last].lower
    between_claim = claim.last < first < a or a < last < claim.first
    return {
        "bias": 1.0,
        f"kind={kind}": 1.0,
        f"side={side}": 1.0,
        f"kind,side={kind},{side}": 1.0,
        f"dist={_bin(distance)}": 1.0,
        f"kind,dist={kind},{_bin(distance)}": 1.0,
        f"side,dist={side},{_bin(distance)}": 1.0,
        f"how,side={claim.how},{side}": 1.0,
        f"head={head}" if kind != "name" else "head=<name>": 1.0,
        f"w-1={_word(ctx, first - 1)}": 1.0,
        f"w+1={_word(ctx, last + 1)}": 1.0,
        f"adjacent={distance == 1}": 1.0,
        f"between_claim={between_claim}": 1.0,
        f"anchor={toks[a].lower}": 1.0,
        f"name_len={_bin(last - first + 1)}": 1.0,
        f"sent_start={first == ctx.sents[ctx.sentence_of[a]].first}": 1.0,
    }
