"""Span offsets (pure): code points <-> UTF-16, snapping, checks and re-anchoring.

A span is a half-open ``[start, end)`` range of Unicode *code-point* offsets into an
article's frozen text (Python ``str`` indices), stored with its exact quote and up to
``CONTEXT_WIDTH`` code points of prefix and suffix. Browsers count UTF-16 code units, so
offsets cross that line through ``OffsetMap`` (here and in ``static/claimdesk/offsets.js``).

Characters are grouped into *clusters*, a simplified form of Unicode's extended grapheme
clusters (UAX #29) that is enough for NFC article text: a cluster is a code point followed
by any combining marks (``M*``), ZWJ/ZWNJ, emoji skin-tone modifiers and tag characters;
ZWJ also binds a following symbol (``So``: emoji ZWJ sequences), and regional indicators
pair up into flags. Spans never cut a cluster: a flag such as 🇹🇷 is two code points, and
an offset between them is rejected by ``validate_span`` and widened by ``snap_to_words``.

Snapping (``snap_to_words``, mirrored exactly by ``snapToWords`` in the JS module):

1. Widen ``start`` and ``end`` outward to cluster boundaries.
2. Reject the selection (code ``no_words``) if it holds only spaces and trimmable
   punctuation as step 3 defines them, quotes and brackets included.
3. Trim leading clusters that are spaces (``Z*``, ``Cc``) or punctuation (``P*`` except
   ``KEPT_PUNCTUATION`` such as ``%``), but stop at an opening quote or bracket whose
   partner occurs later in the span. Then trim trailing clusters the same way, stopping at
   a closing quote or bracket whose partner occurs earlier in the span.
4. Widen each end that cuts through a word to the whole word. Words are runs of letters,
   numbers and marks (``L*``, ``N*``, ``M*``); an apostrophe (``'`` or ``’``) between two
   such characters and ``.``/``,`` between two digits belong to the word ("Turkey’s",
   "3.5"). Hyphens separate words, and so do Han ideographs and hiragana, each a word of
   its own (scripts without spaces would otherwise snap to whole clauses).

A cluster is classified by its first code point. Snapping is idempotent. Python and the
browser agree as far as their Unicode versions do (only characters assigned after the
older one's version can differ).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from django.core.exceptions import ValidationError

CONTEXT_WIDTH = 32

# Punctuation (P*) that is part of what it is attached to, not to be trimmed: "50%", "#tag".
KEPT_PUNCTUATION = frozenset("%‰‱#&@*§¶†‡′″/\\")
# Opening mark -> closing mark; the straight double quote is its own partner.
QUOTE_PAIRS = {
    "(": ")",
    "[": "]",
    "{": "}",
    "“": "”",
    "‘": "’",
    "„": "“",
    "‚": "‘",
    "«": "»",
    "‹": "›",
    '"': '"',
    "「": "」",
    "『": "』",
    "（": "）",
}
_OPENER_OF = {close: open_ for open_, close in QUOTE_PAIRS.items()}

APOSTROPHES = "'’"
_ZWJ = "\u200d"
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


# --- code points <-> UTF-16 ----------------------------------------------------------


class OffsetMap:
    """Converts offsets of one text between code points and UTF-16 code units.

    Building it is one pass over the text; each conversion is then O(log k) for k
    characters outside the Basic Multilingual Plane (emoji, flags, some CJK), and O(1)
    for the usual text that has none.
    """

    __slots__ = ("_astral_cp", "_astral_utf16", "length", "utf16_length")

    def __init__(self, text: str) -> None:
        astral = [] if text.isascii() else [m.start() for m in _ASTRAL_RE.finditer(text)]
        self._astral_cp = astral
        # Where each astral character starts in UTF-16: every earlier one took two units.
        self._astral_utf16 = [cp + i for i, cp in enumerate(astral)]
        self.length = len(text)
        self.utf16_length = len(text) + len(astral)

    def to_utf16(self, cp_offset: int) -> int:
        if not 0 <= cp_offset <= self.length:
            raise ValueError(f"code-point offset {cp_offset} is outside 0–{self.length}")
        if not self._astral_cp:
            return cp_offset
        return cp_offset + bisect_left(self._astral_cp, cp_offset)

    def to_codepoint(self, utf16_offset: int) -> int:
        """Raise ``ValueError`` for an offset between the two halves of a surrogate pair."""
        if not 0 <= utf16_offset <= self.utf16_length:
            raise ValueError(f"UTF-16 offset {utf16_offset} is outside 0–{self.utf16_length}")
        if not self._astral_utf16:
            return utf16_offset
        before = bisect_right(self._astral_utf16, utf16_offset) - 1
        if before >= 0 and self._astral_utf16[before] + 1 == utf16_offset:
            raise ValueError(
                f"UTF-16 offset {utf16_offset} falls inside a surrogate pair "
                f"(between the two halves of one character)"
            )
        # Astral characters that start before the offset each took one unit more.
        return utf16_offset - bisect_left(self._astral_utf16, utf16_offset)


def utf16_to_codepoint(text: str, utf16_offset: int) -> int:
    """One conversion; build an ``OffsetMap`` to convert many offsets of the same text."""
    return OffsetMap(text).to_codepoint(utf16_offset)


def codepoint_to_utf16(text: str, cp_offset: int) -> int:
    """One conversion; build an ``OffsetMap`` to convert many offsets of the same text."""
    return OffsetMap(text).to_utf16(cp_offset)


# --- clusters and character classes --------------------------------------------------


def _is_extend(ch: str) -> bool:
    o = ord(ch)
    return (
        unicodedata.category(ch)[0] == "M"
        or o in (0x200C, 0x200D)
        or 0x1F3FB <= o <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= o <= 0xE007F  # tags (subdivision flags)
    )


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def is_cluster_boundary(text: str, i: int) -> bool:
    """Whether offset ``i`` falls between two clusters (see the module docstring)."""
    if i <= 0 or i >= len(text):
        return True
    ch, before = text[i], text[i - 1]
    if ch < "\u0300" and before != _ZWJ:  # no mark, joiner or regional indicator: most text
        return True
    if _is_extend(ch) or (before == _ZWJ and unicodedata.category(ch) == "So"):
        return False
    if _is_regional(ch) and _is_regional(before):
        run = 0
        while i - run - 1 >= 0 and _is_regional(text[i - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def _next(text: str, i: int) -> int:
    i += 1
    while not is_cluster_boundary(text, i):
        i += 1
    return i


def _prev(text: str, i: int) -> int:
    i -= 1
    while not is_cluster_boundary(text, i):
        i -= 1
    return i


def _is_space(ch: str) -> bool:
    return unicodedata.category(ch) in ("Zs", "Zl", "Zp", "Cc")


def _is_trimmable(ch: str) -> bool:
    return _is_space(ch) or (unicodedata.category(ch)[0] == "P" and ch not in KEPT_PUNCTUATION)


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"


def _is_wordlike(text: str, i: int) -> bool:
    """Whether the cluster at boundary ``i`` belongs to a word, joiners included."""
    ch = text[i]
    if _is_word_char(ch):
        return True
    if i == 0 or (ch not in APOSTROPHES and ch not in ".,"):
        return False
    j = _next(text, i)
    if j >= len(text):
        return False
    left, right = text[_prev(text, i)], text[j]
    if ch in APOSTROPHES:
        return _is_word_char(left) and _is_word_char(right)
    return unicodedata.category(left) == "Nd" and unicodedata.category(right) == "Nd"


def _is_ideograph(ch: str) -> bool:
    """Han ideographs and hiragana: each is a word of its own, as in UAX #29."""
    o = ord(ch)
    return (
        0x3040 <= o <= 0x309F
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3FFFF
    )


def _inside_word(text: str, i: int) -> bool:
    if i <= 0 or i >= len(text):
        return False
    before = _prev(text, i)
    if _is_ideograph(text[before]) or _is_ideograph(text[i]):
        return False
    return _is_wordlike(text, before) and _is_wordlike(text, i)


# --- snapping, checks, context -------------------------------------------------------


def _check_bounds(text: str, start: object, end: object, names: tuple[str, str]) -> None:
    errors: dict[str, str] = {}
    for name, value in zip(names, (start, end), strict=True):
        if not isinstance(value, int) or isinstance(value, bool):
            errors[name] = f"{name} must be a whole number, got {value!r}"
        elif value < 0:
            errors[name] = f"{name} must not be negative, got {value}"
    if errors:
        raise ValidationError(errors, code="invalid")
    assert isinstance(start, int) and isinstance(end, int)
    if start == end:
        raise ValidationError(
            {names[1]: f"the span is empty: start and end are both {start}"}, code="empty"
        )
    if start > end:
        raise ValidationError(
            {names[1]: f"the span is empty: end {end} comes before start {start}"},
            code="empty",
        )
    if end > len(text):
        raise ValidationError(
            {names[1]: f"end {end} is past the end of the text ({len(text)} characters)"},
            code="out_of_range",
        )


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Snap a selection to whole words, as the module docstring describes.

    Raises ``ValidationError`` for offsets that are not a non-empty span of the text and
    for a selection of only spaces and punctuation.
    """
    _check_bounds(text, start, end, ("start", "end"))
    if not is_cluster_boundary(text, start):
        start = _prev(text, start)
    if not is_cluster_boundary(text, end):
        end = _next(text, end)

    i = start
    while i < end and _is_trimmable(text[i]):
        i = _next(text, i)
    if i >= end:
        raise ValidationError(
            "the selection holds only spaces or punctuation: select at least one word",
            code="no_words",
        )

    while start < end:
        ch = text[start]
        partner = QUOTE_PAIRS.get(ch)
        if not _is_trimmable(ch) or (partner and text.find(partner, start + 1, end) >= 0):
            break
        start = _next(text, start)
    while end > start:
        last = _prev(text, end)
        ch = text[last]
        opener = _OPENER_OF.get(ch)
        if not _is_trimmable(ch) or (opener and text.find(opener, start, last) >= 0):
            break
        end = last

    while _inside_word(text, start):
        start = _prev(text, start)
    while _inside_word(text, end):
        end = _next(text, end)
    return start, end


def context(text: str, start: int, end: int, width: int = CONTEXT_WIDTH) -> tuple[str, str]:
    """The ``width`` code points before ``start`` and after ``end`` (fewer at the edges)."""
    return text[max(0, start - width) : start], text[end : end + width]


def _shorten(value: str, limit: int = 60) -> str:
    if len(value) <= limit:
        return value
    head = limit * 2 // 3
    return f"{value[:head]}…{value[-(limit - head - 1) :]}"


@dataclass(frozen=True)
class Span:
    """A checked span of a text: offsets, the exact quote and its context."""

    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


def validate_span(
    text: str,
    start: int,
    end: int,
    quote: str | None = None,
    *,
    names: tuple[str, str, str] = ("start", "end", "quote"),
) -> Span:
    """Check a span of ``text`` and return it with its quote and context.

    Raises ``ValidationError`` keyed by field (``names`` renames the fields, e.g. for a
    source mention) for: offsets that are not whole numbers, negative or in the wrong
    order; an empty span; an end past the text; an offset that cuts a cluster (a flag, an
    emoji sequence, a letter and its combining mark); a span of only whitespace; and a
    ``quote`` that differs from the text at the offsets. The span need not be snapped.
    """
    _check_bounds(text, start, end, names[:2])
    for name, offset in zip(names[:2], (start, end), strict=True):
        if not is_cluster_boundary(text, offset):
            before, after = _prev(text, offset), _next(text, offset)
            raise ValidationError(
                {
                    name: f"{name} {offset} falls inside “{text[before:after]}”, which "
                    f"cannot be split: use {before} or {after}"
                },
                code="splits_character",
            )
    found = text[start:end]
    if all(_is_space(ch) for ch in found):
        raise ValidationError(
            {names[1]: f"the span {start}–{end} holds only whitespace"}, code="blank"
        )
    if quote is not None and quote != found:
        raise ValidationError(
            {
                names[2]: f"the quote does not match the text at {start}–{end}: "
                f"expected “{_shorten(found)}”, got “{_shorten(quote)}”"
            },
            code="quote_mismatch",
        )
    prefix, suffix = context(text, start, end)
    return Span(start=start, end=end, quote=found, prefix=prefix, suffix=suffix)


# --- re-anchoring --------------------------------------------------------------------


def _common_tail(text: str, stop: int, prefix: str) -> int:
    """How many code points at the end of ``prefix`` match the text just before ``stop``."""
    n = 0
    while n < len(prefix) and n < stop and text[stop - n - 1] == prefix[-n - 1]:
        n += 1
    return n


def _common_head(text: str, begin: int, suffix: str) -> int:
    n = 0
    while n < len(suffix) and begin + n < len(text) and text[begin + n] == suffix[n]:
        n += 1
    return n


def reanchor(
    text: str, quote: str, prefix: str = "", suffix: str = "", hint_start: int | None = None
) -> tuple[int, int] | None:
    """Find where ``quote`` is in ``text``, which may differ from the text it came from.

    Among the exact occurrences, the one whose surroundings match most of ``prefix`` and
    ``suffix`` wins, then the one nearest ``hint_start``. If the quote does not occur
    exactly, it is looked for again with any run of whitespace matching any other (a
    text whose line wrapping changed); the found span may then differ from the quote.
    Returns ``None`` when the quote is not found or is blank.
    """
    if not quote.strip():
        return None
    spans: list[tuple[int, int]] = []
    at = text.find(quote)
    while at >= 0:
        spans.append((at, at + len(quote)))
        at = text.find(quote, at + 1)
    if not spans:
        pattern = r"\s+".join(re.escape(word) for word in quote.split())
        spans = [m.span() for m in re.finditer(pattern, text)]
    if not spans:
        return None

    def rank(span: tuple[int, int]) -> tuple[int, int, int]:
        matched = _common_tail(text, span[0], prefix) + _common_head(text, span[1], suffix)
        distance = abs(span[0] - hint_start) if hint_start is not None else 0
        return (-matched, distance, span[0])

    return min(spans, key=rank)
