"""Finding a language model's quotes in the article, and cutting the article into chunks for
it (``annotate.suggest.llm``): offsets never come from the model, they come from here.
Plain text in, code-point offsets out."""

from __future__ import annotations

import re

# --- Finding quotes in the text -------------------------------------------------------

_MARKS = {
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‹": "'",
    "›": "'",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
}


def normalised(text: str) -> tuple[str, list[int]]:
    """The text with each run of whitespace one space, quotation marks and dashes plain,
    letters in lower case where that keeps one code point per code point (Turkish "İ"
    stays), and for each code point of the result the offset of its first in ``text``."""
    out: list[str] = []
    where: list[int] = []
    space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space:
                out.append(" ")
                where.append(i)
            space = True
            continue
        space = False
        ch = _MARKS.get(ch, ch)
        low = ch.lower()
        out.append(low if len(low) == 1 else ch)
        where.append(i)
    return "".join(out), where


def locate(
    text: str,
    quote: str,
    lo: int = 0,
    hi: int | None = None,
    taken: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset(),
) -> tuple[int, int] | None:
    """Code-point offsets of ``quote`` in ``text[lo:hi]``: the first occurrence not in
    ``taken``, exactly, else normalised (``normalised``; quotation marks at the quote's ends
    may differ or be missing). None when it is not there."""
    hi = len(text) if hi is None else hi
    exact = quote.strip()
    if not exact:
        return None
    i = text.find(exact, lo, hi)
    while i >= 0:
        if (i, i + len(exact)) not in taken:
            return i, i + len(exact)
        i = text.find(exact, i + 1, hi)
    full = normalised(exact)[0]
    haystack, where = normalised(text[lo:hi])
    for wanted in dict.fromkeys((full, full.strip(" \"'"))):  # as given, then without marks
        j = haystack.find(wanted) if wanted else -1
        while j >= 0:
            start, end = lo + where[j], lo + where[j + len(wanted) - 1] + 1
            if (start, end) not in taken:
                return start, end
            j = haystack.find(wanted, j + 1)
    return None


def locate_near(
    text: str, words: str, near: tuple[int, int], lo: int, hi: int
) -> tuple[int, int] | None:
    """The occurrence of ``words`` (a source mention) in ``text[lo:hi]`` nearest the span
    ``near``: exact occurrences first, else the first normalised one."""
    exact = words.strip()
    if not exact:
        return None
    best: tuple[int, int] | None = None
    i = text.find(exact, lo, hi)
    while i >= 0:
        distance = max(near[0] - (i + len(exact)), i - near[1], 0)
        if best is None or distance < best[0]:
            best = (distance, i)
        i = text.find(exact, i + 1, hi)
    if best is not None:
        return best[1], best[1] + len(exact)
    return locate(text, exact, lo, hi)


# --- Chunks -----------------------------------------------------------------------------

_PARAGRAPH_RE = re.compile(r"[^\n]+\n*")
_SENTENCE_END_RE = re.compile(r"[.!?…][\"”’»)]*\s+")


def chunks(text: str, budget: int) -> list[tuple[int, int]]:
    """Spans of whole paragraphs, each at most ``budget`` code points where paragraphs
    allow; a longer paragraph is cut after a sentence (or, failing one, at a space)."""
    out: list[tuple[int, int]] = []
    start = end = -1
    for match in _PARAGRAPH_RE.finditer(text):
        p0, p1 = match.start(), match.end()
        if start >= 0 and p1 - start > budget:
            out.append((start, end))
            start = -1
        if p1 - p0 > budget:
            out.extend(_cut(text, p0, p1, budget))
            continue
        if start < 0:
            start = p0
        end = p1
    if start >= 0:
        out.append((start, end))
    return out


def _cut(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    out = []
    while end - start > budget:
        limit = start + budget
        cut = -1
        for m in _SENTENCE_END_RE.finditer(text, start + budget // 2, limit):
            cut = m.end()
        if cut < 0:
            space = text.rfind(" ", start + budget // 2, limit)
            cut = space + 1 if space >= 0 else limit
        out.append((start, cut))
        start = cut
    if start < end:
        out.append((start, end))
    return out
