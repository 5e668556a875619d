"""What a plain text says about itself (pure): title, byline, date, outlet.

``describe_text`` puts the pieces together for the importers: it strips boilerplate,
unwraps hard-wrapped text and reads the title, byline, date and outlet.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from unidecode import unidecode

from corpus.cleanup import (
    OUTLET_LINE_RE,
    SENTENCE_END,
    is_barrier_line,
    looks_hard_wrapped,
    strip_lines_flat,
    unwrap_lines,
)
from corpus.text import clean_text, normalised_text, squash_spaces

_MONTH_NAMES = (
    "january jan ocak января январь",
    "february feb şubat февраля февраль",
    "march mar mart марта март",
    "april apr nisan апреля апрель",
    "may mayıs мая май",
    "june jun haziran июня июнь",
    "july jul temmuz июля июль",
    "august aug ağustos августа август",
    "september sep sept eylül сентября сентябрь",
    "october oct ekim октября октябрь",
    "november nov kasım ноября ноябрь",
    "december dec aralık декабря декабрь",
)
_MONTHS = {
    unidecode(name): n for n, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()
}  # keyed by the ASCII folding: "MAYIS" matches "mayıs" case-insensitively, but lowers to "mayis"
_MONTH = "|".join(sorted(" ".join(_MONTH_NAMES).split(), key=len, reverse=True))
_DAY, _YEAR = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?", r"(?P<y>\d{4})\b"
_DATE_RES = (
    re.compile(rf"\b{_DAY}\.?\s+(?P<m>{_MONTH})\.?,?\s+{_YEAR}", re.I),
    re.compile(rf"\b(?P<m>{_MONTH})\.?\s+{_DAY},?\s+{_YEAR}", re.I),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\b"),
)
_DATE_WORDS_RE = re.compile(
    r"(?i)\b(?:published|updated|posted|date|on|at|gmt|utc|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b:?|\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?|[|•·–—,]"
)
_BY_RE = re.compile(r"(?i:by|von|par|автор:?|yazar:?)\s+(?P<rest>\S.*)")
_COMMENT_COUNT_RE = re.compile(r"(?i)\s*\b\d+\s+comments?$")
_NAME_TOKEN_RE = re.compile(r"[^\W\d_][\w'’.-]*")
_RUBRIC_WORDS = (
    "politics economy economics business society world opinion opinions analysis analytics "
    "commentary culture sport sports security defence defense energy interview news region "
    "regions science technology tech military diplomacy features feature op-ed history media "
    "religion environment политика экономика общество мир мнения аналитика культура спорт "
    "безопасность интервью новости"
)
_RUBRICS = frozenset(_RUBRIC_WORDS.split())
_SIGNATURE_RE = re.compile(
    r"(?P<who>[^,]{3,80}),.*?\b(?:exclusively|especially|specially|written) for (?:the )?"
    r"(?:[\w-]+ ){0,3}?[“\"«„](?P<outlet>[^”\"»“]{2,100})[”\"»“]"
)
_SENTENCE_BREAK_RE = re.compile(r"[.!?…](?:\[\d+\])?(?=\s+[\"“«(]?[^\W\d_])")
_ABBREVIATION_RE = re.compile(r"(?:\b[A-ZА-Я]|\b(?:Mr|Mrs|Ms|Dr|St|No|vs|etc|Gen|Prof))\.$")


def find_date(text: str) -> tuple[dt.date, tuple[int, int]] | None:
    """The first date written out in the text (``22 Jan 2022``, ``January 22, 2022``,
    ``2022-01-22``, ``22.01.2022``; English, Russian and Turkish month names) and its span."""
    for pattern in _DATE_RES:
        for m in pattern.finditer(text):
            month = m["m"]
            number = int(month) if month.isdigit() else _MONTHS[unidecode(month).lower()]
            try:
                return dt.date(int(m["y"]), number, int(m["d"])), m.span()
            except ValueError:
                continue
    return None


def _script(word: str) -> str:
    return "cyrillic" if re.search("[\u0400-\u04ff]", word) else "latin"


def _is_name(value: str, *, min_words: int = 2) -> bool:
    words = value.split()
    return min_words <= len(words) <= 4 and all(
        _NAME_TOKEN_RE.fullmatch(w) and w[0].isupper() for w in words
    )


def _is_byline(value: str) -> bool:
    """One or more authors: ``Reuters``, ``Ayşe Yılmaz and Hakan Aksay``."""
    authors = re.split(r"\s*(?:,|\band\b|&|\bи\b|\bve\b)\s*", value)
    return len(value) <= 150 and all(_is_name(a, min_words=1) for a in authors if a)


def _read_header_line(line: str) -> dict[str, Any] | None:
    """A byline, date or "name rubric" line under the title, read into fields.

    ``by Vladimir Danilov on 22 Jan 2022 0 Comment``, ``Published 22.01.2022 10:30``,
    ``Яна Орехова Politics``. A bare two-word line is not taken for a name: it may as
    well be a kicker such as "Central Asia".
    """
    found: dict[str, Any] = {}
    by = _BY_RE.fullmatch(line)
    rest = _COMMENT_COUNT_RE.sub("", by["rest"] if by else line)
    date = find_date(rest)
    if date:
        found["published"], (start, end) = date
        rest = _DATE_WORDS_RE.sub(" ", rest[:start] + " " + rest[end:])
    rest = " ".join(rest.split()).strip(" ,|-–—•·")
    if by:
        if rest and _is_byline(rest):
            found["byline"] = rest
            return found
        return None
    words = rest.split()
    if len(words) >= 3 and (
        words[-1].lower() in _RUBRICS or _script(words[-1]) != _script(words[0])
    ):
        found["rubric"] = words.pop()
    if not words:
        return found or None
    if found and _is_name(" ".join(words)):
        found["byline"] = " ".join(words)
        return found
    return None


def _read_outlet_line(line: str) -> dict[str, Any] | None:
    """``Source: inosmi.ru``, ``Published by: emerging-europe.com``, ``Source: https://…``."""
    m = OUTLET_LINE_RE.fullmatch(line)
    if not m:
        return None
    value = m["value"].strip()
    if re.match(r"https?://", value):
        host = urlsplit(value).hostname or ""
        return {"outlet": host.removeprefix("www."), "url": value}
    value = value.rstrip(".")
    # A name, not a sentence: "Source: the ministry said that …" is article text.
    return {"outlet": value} if len(value.split()) <= 6 and value[-1:] not in "!?" else None


def shorten_title(text: str, limit: int = 100) -> str:
    """The first sentence of a text, cut at a comma or word boundary to ``limit`` chars."""
    text = " ".join(text.split())
    for m in _SENTENCE_BREAK_RE.finditer(text):
        candidate = text[: m.start() + 1]
        if len(candidate) >= 20 and not _ABBREVIATION_RE.search(candidate):
            text = candidate
            break
    text = re.sub(r"(?<=\w)\.$", "", text)
    if len(text) <= limit:
        return text
    window = text[:limit]
    for separators in ((", ", "; ", " – ", " — ", ": "), (" ",)):
        cut = max(window.rfind(s) for s in separators)
        if cut >= 40:
            return window[:cut].rstrip(" ,;:–—") + "…"
    return window[: limit - 1] + "…"


def _is_title_line(line: str, following: str) -> bool:
    """Whether the first line is a title rather than the start of a paragraph."""
    if len(line) > 250:
        return False
    runs_on = following[:1].islower() and not _read_header_line(following)
    if runs_on and not line.endswith(SENTENCE_END):
        return False  # a hard-wrapped sentence
    return not (line.endswith(".") and (len(line) > 120 or _SENTENCE_BREAK_RE.search(line)))


def _read_metadata(
    lines: list[str], flat: list[str] | None = None
) -> tuple[dict[str, Any], set[int]]:
    """Title, byline, date, rubric, outlet and url, and the lines that only carried them.
    ``flat``: the lines squashed (``squash_spaces``), when the caller has them."""
    found: dict[str, Any] = {}
    drop: set[int] = set()
    lines = flat if flat is not None else [squash_spaces(line) for line in lines]
    idx = [i for i, line in enumerate(lines) if line]
    if not idx:
        return found, drop
    first = idx[0]
    following = lines[first + 1] if first + 1 < len(lines) else ""
    if _is_title_line(lines[first], following):
        found["title"] = lines[first]
        for i in idx[1:6]:
            line = lines[i]
            if len(line) > 200:
                break
            values = _read_header_line(line) or _read_outlet_line(line)
            if values:
                found = values | found
                drop.add(i)
    else:
        paragraph = "\n".join(lines[first:]).split("\n\n", 1)[0]
        found["title"] = shorten_title(unwrap_lines(paragraph))
    for i in idx[-6:]:
        values = _read_outlet_line(lines[i]) if i not in drop else None
        if values:
            found = values | found
            drop.add(i)
    for i in idx[-3:]:
        m = _SIGNATURE_RE.match(lines[i])
        if m:
            found.setdefault("outlet", m["outlet"].strip())
            if _is_name(m["who"].strip()):
                found.setdefault("byline", m["who"].strip())
    return found, drop


# What the last lines of a text must have for ``_read_metadata`` to read anything from
# them: a line that starts as an outlet line does (``Source: …``; OUTLET_LINE_RE), or a
# signature's words (``…, written for “…”``; _SIGNATURE_RE). Looser tests than theirs.
_OUTLET_START_RE = re.compile(
    r"\s*(?i:source|источник|published\s+by|(?:originally|first)\s+published\s+(?:by|at|in|on)"
    r"|republished\s+from)\s*:"
)
_SIGNATURE_WORDS = ("exclusively", "specially", "written")


def _tail_may_say(text: str) -> bool:
    """Whether a line of ``text`` could be an outlet line or a signature (``text``: its
    lines joined by line feeds). An outlet line has a colon after its first words: only
    the lines with a colon are matched (``_has_outlet_start``), where matching every line
    cost three times as much."""
    return any(word in text for word in _SIGNATURE_WORDS) or _has_outlet_start(text)


def _has_outlet_start(text: str) -> bool:
    """Whether a line of ``text`` matches ``_OUTLET_START_RE``: each line with a colon is
    matched in place (bounded by its line feeds, so ``\\s`` stops at them as at the ends
    of the line alone); the others cannot match, for every match ends with a colon."""
    at = text.find(":")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        if end < 0:
            end = len(text)
        if _OUTLET_START_RE.match(text, start, end):
            return True
        at = text.find(":", end)
    return False


_TAIL_FIELDS = frozenset({"byline", "outlet", "url"})


def _head_window(lines: list[str]) -> tuple[list[str], list[str]] | None:
    """``strip_lines`` of the first lines of a text, enough for ``_read_metadata`` to read
    the title, header lines and first paragraph as it would from the whole text, or None
    (then read the whole). The window ends at a barrier line (``is_barrier_line``: the
    lines before it are stripped as in the whole text) after the first line, once the
    window holds the title and the lines after it, or the whole first paragraph. The
    header lines stop at the barrier line (it is longer than 200 characters). With the
    window, its lines squashed (``strip_lines_flat``): not squashed again, the barrier
    line not even once more."""
    started, tries = False, 0
    for end, line in enumerate(lines):
        if not line.strip():
            continue
        if not started:
            started = True  # the first line is the title, or starts the first paragraph
            continue
        squashed = squash_spaces(line)
        if not is_barrier_line(squashed):
            continue
        window, flat = strip_lines_flat(lines[: end + 1], barrier_flat=squashed)
        idx = [i for i, kept in enumerate(flat) if kept]
        if len(idx) >= 2 and (
            _is_title_line(flat[idx[0]], flat[idx[0] + 1]) or "" in flat[idx[0] :]
        ):
            return window, flat
        tries += 1
        if tries == 3:
            return None
    return None


def _metadata_lines(text: str, needed: frozenset[str], lines: list[str] | None = None) -> list[str]:
    """``_metadata_lines_flat``'s lines."""
    return _metadata_lines_flat(text, needed, lines)[0]


def _metadata_lines_flat(
    text: str, needed: frozenset[str], lines: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """The lines ``_read_metadata`` reads from a text whose boilerplate is kept: the text
    without boilerplate (``strip_lines``), or its first lines only when they give all it
    would read (the last lines can give nothing: no line of the text is an outlet line or
    a signature, or no field they give is needed). Most of a text is never looked at: an
    import with the cleanup off costs a few lines per article instead of all of them.
    ``lines``: the text's, when the caller has split it already. With the lines
    squashed (``strip_lines_flat``), for ``_read_metadata``."""
    if lines is None:
        lines = text.split("\n")
    if not (needed & _TAIL_FIELDS) or not _tail_may_say(text):
        head = _head_window(lines)
        if head is not None:
            return head
    return strip_lines_flat(lines)


@dataclass(frozen=True)
class ParsedArticle:
    """An article's text ready to store, and what is known about it: what
    ``describe_text`` reads from the text (title, byline, outlet, url, date, rubric,
    whether it was unwrapped), and what a file format gives (``corpus.formats``: its
    values win, and the language, metadata and line in a JSONL file). Ready for
    ``article_create``."""

    text: str
    title: str = ""
    byline: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    language: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    line: int | None = None  # in a JSONL file
    rubric: str = ""
    unwrapped: bool = False


# What ``describe_text`` reads from a text.
READ_FIELDS = frozenset({"title", "byline", "outlet", "url", "published", "rubric"})


def _long_printable(line: str) -> bool:
    """Printable, with more than 200 characters other than spaces: squashed, still longer
    than 200 (true of a line when true of its start: squashing a line keeps at least what
    it keeps of its start)."""
    return len(line) - line.count(" ") > 200 and line.isprintable()


# The start of a long line looked at first: enough for a paragraph's line (a space every
# 6 characters or so) to be found long without a pass over all of it.
_HEAD = 256


def _may_have_rubric(lines: list[str]) -> bool:
    """Whether one of a text's ``lines`` could give a rubric. Only a header line does:
    one of the lines after the first (``_read_metadata`` reads them from the text without
    boilerplate, whose lines are some of these), of at most 200 characters once its
    whitespace is squashed, that ``_read_header_line`` reads a rubric from. Cheap where
    it matters: a printable line (whose only whitespace is the space: tabs and no-break
    spaces are not printable) with more than 200 other characters is not short (its
    first characters tell, most often), and the
    few short lines, or lines with other whitespace, are squashed and read alone."""
    first = True
    for line in lines:
        if not line:  # blank (the lines are right-stripped)
            continue
        if first:
            first = False
            continue
        if len(line) > 200 and (_long_printable(line[:_HEAD]) or _long_printable(line)):
            continue
        flat = squash_spaces(line)
        if len(flat) <= 200 and "rubric" in (_read_header_line(flat) or {}):
            return True
    return False


def describe_text(
    text: str,
    *,
    unwrap: bool | None = None,
    strip_boilerplate: bool = True,
    needed: Collection[str] = READ_FIELDS,
) -> ParsedArticle:
    """Prepare a plain text for storing, and read its title, byline, date and outlet.

    These are read from a copy without boilerplate whatever ``strip_boilerplate`` says.
    With it (the default) the stored text loses the boilerplate and the lines that only
    carried metadata (the byline line, "Source: …"); the title line stays. ``unwrap``:
    True joins hard-wrapped lines, False never does, None when ``looks_hard_wrapped``.

    ``needed``: the fields of ``READ_FIELDS`` the caller will use (an import that is
    given the others). Those not needed may come back empty: with the boilerplate kept
    and only the rubric needed, the text is not read for metadata unless a line could
    give a rubric — most of the cost of an import with the cleanup off. With the
    boilerplate kept, only the first lines are read when they give all that the whole
    text would (``_metadata_lines``): most texts.
    """
    original, split = normalised_text(text)  # normalise_newlines(text), and its lines
    needed = frozenset(needed)
    if not strip_boilerplate and needed <= {"rubric"}:
        read = "rubric" in needed and _may_have_rubric(split)
    else:
        read = True
    found: dict[str, Any] = {}
    drop: set[int] = set()
    lines: list[str] = []
    if read and strip_boilerplate:
        lines, flat = strip_lines_flat(split)
        found, drop = _read_metadata(lines, flat)
    elif read:  # the lines are read for the metadata alone: the first ones may do
        found, _ = _read_metadata(*_metadata_lines_flat(original, needed, split))
    if strip_boilerplate:
        kept = [line for i, line in enumerate(lines) if i not in drop] if drop else lines
        body = "\n".join(kept)
    else:
        kept, body = split, original
    # ``kept``: the lines of ``body``, as normalise_newlines(body) gives them unless a
    # BOM starts a line that is now the first (it would go): then they are not used.
    known = None if body.startswith("\ufeff") else kept
    unwrapped = looks_hard_wrapped(body, known) if unwrap is None else unwrap
    if unwrapped:
        body, known = unwrap_lines(body), None
    # Its line ends normalised already: not twice, and its lines are known.
    cleaned = clean_text(body, newlines_done=known is not None, lines=known)
    return ParsedArticle(text=cleaned, unwrapped=unwrapped, **found)
