"""Tokens and sentences for the learned recommender (pure, no models to download).

Offsets are code points into the article text. Tokens are words (with inner
apostrophes: "don’t", "Trump's") and single punctuation marks; sentences end at ``.``,
``!`` or ``?`` (and a closing quotation mark after it) before a capital, a quotation
mark or a digit, and at blank lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+(?:[’'.\-]\w+)*|[^\w\s]")
OPEN_QUOTES = frozenset('“"‘')
CLOSE_QUOTES = frozenset('”"’')
QUOTES = OPEN_QUOTES | CLOSE_QUOTES
_ENDS = frozenset(".!?")
# Abbreviations after which a full stop does not end the sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "sen",
        "rep",
        "gov",
        "gen",
        "lt",
        "col",
        "sgt",
        "st",
        "jr",
        "sr",
        "prof",
        "rev",
        "pres",
        "u.s",
        "u.n",
        "vs",
        "inc",
        "corp",
        "co",
    ]
)


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str
    lower: str


@dataclass(frozen=True, slots=True)
class Sentence:
    first: int  # index of its first token
    last: int  # index of its last token (inclusive)


def tokenize(text: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group(), m.group().lower()) for m in _TOKEN.finditer(text)]


def sentences(text: str, tokens: list[Token]) -> list[Sentence]:
    """The sentences as token ranges, covering every token once."""
    out: list[Sentence] = []
    first = 0
    n = len(tokens)
    for i, tok in enumerate(tokens):
        end_here = False
        if i + 1 < n and "\n" in text[tok.end : tokens[i + 1].start]:
            end_here = True
        elif tok.text in _ENDS and i + 1 < n:
            nxt = tokens[i + 1]
            prev = tokens[i - 1].lower if i else ""
            if tok.text == "." and prev in _ABBREVIATIONS:
                end_here = False
            elif nxt.text in CLOSE_QUOTES and nxt.start == tok.end:
                end_here = False  # the closing quote ends it
            else:
                end_here = nxt.text[0].isupper() or nxt.text in OPEN_QUOTES or nxt.text[0].isdigit()
        elif tok.text in CLOSE_QUOTES and i and tokens[i - 1].text in _ENDS and i + 1 < n:
            nxt = tokens[i + 1]
            end_here = nxt.text[0].isupper() or nxt.text in OPEN_QUOTES
        if end_here or i == n - 1:
            out.append(Sentence(first, i))
            first = i + 1
    return out
