"""Candidate claim spans and speaker mentions, and their features (pure).

A candidate claim hangs on an *anchor*: a word that may report speech (a cue learned from
the training data: the word before a labelled claim, or the few words after it). From
each anchor, a few spans: the rest of the sentence after it (``right``; after "that" or
a colon, or after the comma that closes "according to X,"), the sentence before it up
to the comma or quotation mark that precedes the speaker (``left``: "“…,” she said"), and
a quotation next to it, which may run over several sentences (``quote``). The classifier
then says which of them are claims. Speakers: names (capitalised words), pronouns and
the words next to the anchor; a second classifier ranks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from annotate.suggest.learned.text import (
    CLOSE_QUOTES,
    OPEN_QUOTES,
    QUOTES,
    Sentence,
    Token,
)

_SKIP_AFTER_ANCHOR = frozenset({"that", ",", ":", "-", "—", "–"})
_EDGE_PUNCT = frozenset(".,;:!?—–-")
PRONOUNS = frozenset(
    [
        "he",
        "she",
        "they",
        "it",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "its",
        "who",
        "which",
        "officials",
    ]
)
_LEFT_GAP = 7  # words between the comma before the speaker and the anchor, at most
_COMMA_REACH = 10  # "according to X, …": the comma within this many words
Span = tuple[int, int]  # token indices, inclusive


@dataclass(frozen=True, slots=True)
class Candidate:
    first: int  # token indices, inclusive
    last: int
    anchor: int
    how: str  # "right", "right_comma", "left", "quote"


def _trim(tokens: list[Token], first: int, last: int) -> Span | None:
    while first <= last and tokens[first].text in _EDGE_PUNCT:
        first += 1
    while last >= first and tokens[last].text in _EDGE_PUNCT:
        last -= 1
    return (first, last) if first <= last and last - first >= 1 else None


def quote_pairs(tokens: list[Token]) -> list[Span]:
    """Quotations as (opening mark, closing mark) token indices; straight quotes paired
    in order."""
    pairs: list[Span] = []
    opened: int | None = None
    for i, tok in enumerate(tokens):
        t = tok.text
        if t not in QUOTES or t == "’" or t == "‘":
            continue
        if t == '"':
            if opened is None:
                opened = i
            else:
                pairs.append((opened, i))
                opened = None
        elif t in OPEN_QUOTES:
            opened = i
        elif t in CLOSE_QUOTES and opened is not None:
            pairs.append((opened, i))
            opened = None
    return pairs


def candidates(
    tokens: list[Token],
    sents: list[Sentence],
    sentence_of: list[int],
    anchors: list[int],
    quotes: list[Span],
) -> Iterator[Candidate]:
    """The candidate spans of every anchor (token indices), without duplicates per anchor."""
    for a in anchors:
        sent = sents[sentence_of[a]]
        seen: set[Span] = set()

        def emit(
            first: int, last: int, how: str, a: int = a, seen: set[Span] = seen
        ) -> Iterator[Candidate]:
            span = _trim(tokens, first, last)
            if span is not None and span not in seen:
                seen.add(span)
                yield Candidate(span[0], span[1], a, how)

        # right: after the anchor (and "that", a colon) to the end of the sentence
        j = a + 1
        while j <= sent.last and tokens[j].lower in _SKIP_AFTER_ANCHOR:
            j += 1
        if j <= sent.last:
            yield from emit(j, sent.last, "right")
        # right_comma: "according to X, …", "In a statement, X said …" (after the comma)
        for k in range(a + 1, min(sent.last, a + _COMMA_REACH) + 1):
            if tokens[k].text == ",":
                yield from emit(k + 1, sent.last, "right_comma")
                break
        # left: "…,” he said" — the sentence up to the comma/quote before the speaker
        for k in range(a - 1, max(sent.first, a - _LEFT_GAP) - 1, -1):
            if tokens[k].text == "," or tokens[k].text in CLOSE_QUOTES:
                if k > sent.first:
                    yield from emit(sent.first, k - 1, "left")
                break
        # quote: a quotation that ends just before the anchor's clause or starts after it
        for q0, q1 in quotes:
            if (
                q1 < a
                and a - q1 <= _LEFT_GAP
                and q1 >= sent.first - 1
                or q0 > a
                and q0 - a <= _COMMA_REACH
                and q0 <= sent.last
            ):
                yield from emit(q0 + 1, q1 - 1, "quote")
