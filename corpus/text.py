"""Text normalisation helpers (pure): hashing, search keys, unwrapping, boilerplate.

Nothing here knows about files or the database. ``describe_text`` puts the pieces
together for the importers: it strips boilerplate, unwraps hard-wrapped text and reads
the title, byline, date and outlet a plain text states about itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from unidecode import unidecode

_SPACE_RE = re.compile(r"\s+")
# Hyphens, dots, quotes, brackets and the like separate words in a search key, so that
# "kassym jomart" finds "Kassym-Jomart" and "inosmi ru" finds "inosmi.ru".
_KEY_PUNCT_RE = re.compile(r"[^\w\s&+@#%]+")


def sha256_text(text: str) -> str:
    """The SHA-256 of the text encoded as UTF-8: the article's identity."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def search_key(value: str) -> str:
    """A case-, diacritic- and whitespace-insensitive key for names and aliases.

    ``"Ahmet Davutoğlu"`` and ``"ahmet  davutoglu"`` share the key ``"ahmet davutoglu"``;
    Turkish dotless ``ı`` and dotted ``İ`` fold to ``i``; Cyrillic is transliterated, so
    ``"Яна Орехова"`` is found by ``"orekhova"`` as well as by ``"Орехова"``. Punctuation
    separates words: ``"Kassym-Jomart"`` has the key ``"kassym jomart"``.
    """
    folded = unicodedata.normalize("NFKC", value)
    folded = unidecode(folded, errors="preserve")
    folded = folded.casefold()
    folded = _KEY_PUNCT_RE.sub(" ", folded)
    return _SPACE_RE.sub(" ", folded).strip()


def normalise_newlines(text: str) -> str:
    """CRLF and CR become LF; a BOM is dropped; trailing spaces go from every line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def clean_text(text: str) -> str:
    """The canonical form every article text is stored in (before it is frozen).

    NFC, LF line endings, no trailing spaces, at most one blank line between
    paragraphs, no blank lines at either end.
    """
    text = unicodedata.normalize("NFC", normalise_newlines(text))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n").strip()


# --- Unwrapping hard-wrapped text ------------------------------------------------------

_SENTENCE_END = tuple(".!?:;\"'”’»)…")
_LIST_ITEM_RE = re.compile(r"^(?:[-•*–▪◦►·]|\d{1,3}[.)])\s")


def _paragraphs(text: str) -> list[list[str]]:
    """Blank-line separated paragraphs, each a list of its stripped, non-empty lines."""
    blocks = re.split(r"\n[ \t]*\n", normalise_newlines(text))
    paragraphs = [[line.strip() for line in block.split("\n") if line.strip()] for block in blocks]
    return [p for p in paragraphs if p]


def _inner_breaks(paragraphs: list[list[str]]) -> list[tuple[str, str]]:
    """Pairs of consecutive lines inside a paragraph, list items left out."""
    return [
        (a, b)
        for p in paragraphs
        for a, b in zip(p, p[1:], strict=False)
        if not _LIST_ITEM_RE.match(a) and not _LIST_ITEM_RE.match(b)
    ]


def _wrap_width(breaks: list[tuple[str, str]]) -> int:
    # Only lines that run on count (a paragraph's last line is short), and a high
    # percentile rather than the maximum: proportional fonts make the widths vary.
    lengths = sorted(len(a) for a, _ in breaks)
    return lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0


def looks_hard_wrapped(text: str) -> bool:
    """Whether the text was hard-wrapped at a fixed width (as text extracted from a PDF).

    Conservative: most lines must run on into the next line of their paragraph, be nearly
    as long as the widest of them, and mostly break in mid-sentence. Web text with one
    paragraph per line (plus a title or byline line or two) does not qualify.
    """
    paragraphs = _paragraphs(text)
    lines = [line for p in paragraphs for line in p if not _LIST_ITEM_RE.match(line)]
    breaks = _inner_breaks(paragraphs)
    if len(lines) < 6 or len(breaks) < 0.5 * len(lines):
        return False
    width = _wrap_width(breaks)
    if not 30 <= width <= 200:
        return False
    full = sum(len(a) >= 0.7 * width for a, _ in breaks)
    mid_sentence = sum(not a.endswith(_SENTENCE_END) for a, _ in breaks)
    return full >= 0.8 * len(breaks) and mid_sentence >= 0.5 * len(breaks)


def _starts_paragraph(line: str) -> bool:
    first = line.lstrip("\"'“‘«„([")[:1]
    return first.isupper() or first.isdigit()


def _join_hyphenated(left: str, right: str, words: set[str]) -> str:
    """Join ``inter-`` and ``national…`` across a line break.

    The hyphen goes only when the text has the word without it elsewhere (``words``, in
    lower case): keeping it never loses a character the author wrote; dropping it
    wrongly makes "selfdefence".
    """
    head, tail = re.search(r"(\w+)-$", left), re.match(r"\w+", right)
    if head and tail:
        word = (head[1] + tail[0]).lower()
        if word in words and f"{head[1]}-{tail[0]}".lower() not in words:
            return left[:-1] + right
    return left + right


def unwrap_lines(text: str) -> str:
    """Join hard-wrapped lines (text extracted from a PDF) into paragraphs.

    A line break is kept where a blank line follows; where the line is clearly shorter
    than the wrap width and the next starts like a new paragraph or heading (capital
    letter, digit); and before a list item. A break after a hyphen (``inter-\\nnational``)
    is joined without a space. A paragraph that stops in mid-sentence before one that
    starts in lower case (a page break) is joined to it.
    """
    text = normalise_newlines(text)
    paragraphs = _paragraphs(text)
    breaks = _inner_breaks(paragraphs)
    width = _wrap_width(breaks) or max((len(line) for p in paragraphs for line in p), default=0)
    words = set(re.findall(r"\w+(?:-\w+)*", text.lower()))
    out: list[str] = []
    for paragraph in paragraphs:
        joined = paragraph[0]
        for prev, line in zip(paragraph, paragraph[1:], strict=False):
            if _LIST_ITEM_RE.match(line) or (len(prev) < 0.7 * width and _starts_paragraph(line)):
                joined += "\n" + line
            elif re.search(r"\w-$", prev) and line[:1].islower():
                joined = _join_hyphenated(joined, line, words)
            else:
                joined += " " + line
        if out and joined[:1].islower() and (out[-1][-1].islower() or out[-1][-1] == ","):
            out[-1] += " " + joined
        else:
            out.append(joined)
    return "\n\n".join(out)


# --- Boilerplate -----------------------------------------------------------------------

_ELLIPSIS = ("...", "…")
_NETWORK = (
    r"(?:vk|vkontakte|x|ok|odnoklassniki|whatsapp|telegram|viber|facebook|twitter|linkedin|"
    r"reddit|pinterest|tumblr|flipboard|pocket|mastodon|bluesky|threads|messenger|"
    r"livejournal|e-?mail|print|copy link|share)"
)
# Whole lines only (matched against the stripped line), never a word inside a sentence.
BOILERPLATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"{_NETWORK}(?:[\s,|·•/]+{_NETWORK})+",  # a row of share buttons
        r"share(?: this| the)?(?: article| story| post| page)?(?: on \w+)?:?",
        r"press [\"“”']?enter[\"“”']? to skip to (?:main )?content",
        r"(?:skip|jump) to (?:main )?content",
        r"write a comment:?",
        r"(?:user comments\s*)?post a comment:?",
        r"leave a (?:comment|reply):?",
        r"add (?:a )?comment:?",
        r"\d+ comments?",
        r"comments?(?: \(\d+\))?:?",
        r"no comments(?: yet)?\.?",
        r"back to top",
        r"advertisement",
        r"(?:subscribe|sign up)(?: to| for)?(?: our)? newsletter\.?|subscribe\.?",
        r"(?:photo|image|picture)(?: source| credits?)?:?",  # a caption credit left empty
    )
)
_TAGS_RE = re.compile(
    r"(?P<head>Tags|TAGS|Теги|Метки|Tag|Topics|Keywords|Filed under)(?P<colon>\s*:)?\s*(?P<rest>.+)"
)
_READ_ALSO_RE = re.compile(
    r"(?i:read also|also read|read more|see also|more on (?:this|the) topic|latest news|"
    r"most read|most popular|must read|you (?:might|may) also like|"
    r"recommended(?: to you| for you)?|more stories|"
    r"related(?: articles| posts| stories| news| reading| content)?|"
    r"читайте также|также читайте|читайте ещё|читайте еще|по теме)"
    r"(?:\s*[:：]\s*(?P<rest>.*)|[A-Z]{2,}\w*|)"  # "You might also likeRELATED"
)
_CRUMBS_RE = re.compile(r"(?i:home|main|главная|startseite)\s*[»>›/|].{0,150}")
_BULLET_RE = re.compile(r"[•▪◦►·]\s+(?P<item>.+)")
_APPEAL_RE = re.compile(
    r"(?i)\b(?:support (?:independent|our|quality|local) journalism|no paywall|free to read|"
    r"contribute here|donate (?:now|here|today)|support us|"
    r"become a (?:patron|supporter|member|subscriber)|subscribe (?:now|today|here))\b"
)


def _is_tag_list(line: str) -> bool:
    """``Tags: Russia, Turkey`` or a glued ``TagsRussia Kazakhstan``, not ``Tags are …``."""
    m = _TAGS_RE.fullmatch(line)
    if not m:
        return False
    rest, needs_colon = m["rest"], m["head"] in {"Tag", "Topics", "Keywords"}
    if not m["colon"] and (needs_colon or not rest[:1].isupper()):
        return False
    if rest.endswith((".", "!", "?")):
        return False
    words = re.findall(r"\w+", rest)
    return sum(w[:1].isupper() or w[:1].isdigit() for w in words) >= 0.8 * len(words)


def _is_boilerplate_line(line: str) -> bool:
    return any(p.fullmatch(line) for p in BOILERPLATE_PATTERNS) or _is_tag_list(line)


def _is_teaser(line: str) -> bool:
    """A headline or a truncated lede, as in lists of links to other articles."""
    if _OUTLET_LINE_RE.fullmatch(line):
        return False  # "Source: inosmi.ru" belongs to the article, not to the teasers
    if line.endswith(_ELLIPSIS):
        return len(line) <= 400
    return len(line) <= 200 and not line.endswith((".", ",", ";", ":"))


def _is_truncated_copy(line: str, following: str) -> bool:
    """``ArticlesCould the intervention…`` before ``Could the intervention … Turkey?``."""
    if not line.endswith(_ELLIPSIS):
        return False
    stub = line.rstrip(".… ")
    for start in range(len(stub)):
        rest = stub[start:]
        if len(rest) < max(12, len(stub) // 2):
            return False
        if following.startswith(rest):
            return True
    return False


def _kept(lines: list[str], keep: list[bool]) -> list[int]:
    return [i for i, line in enumerate(lines) if keep[i] and line.strip()]


def _drop_head_crumbs(lines: list[str], keep: list[bool]) -> None:
    for n, i in enumerate(_kept(lines, keep)[:3]):
        line, rest = lines[i].strip(), _kept(lines, keep)[n + 1 :]
        following = lines[rest[0]].strip() if rest else ""
        if not (_CRUMBS_RE.fullmatch(line) or _is_truncated_copy(line, following)):
            return
        keep[i] = False


def _drop_read_also(lines: list[str], keep: list[bool]) -> None:
    """Drop "Read also" headings with their teasers.

    At the end of the text, everything after the heading that looks like a teaser goes;
    in mid-text (the article resumes), only the first teaser and any truncated ones after
    it, so that a section heading right before the article goes on is kept.
    """
    idx = _kept(lines, keep)
    k = 0
    while k < len(idx):
        m = _READ_ALSO_RE.fullmatch(lines[idx[k]].strip())
        if not m or len(m["rest"] or "") > 250:
            k += 1
            continue
        keep[idx[k]] = False
        end = k + 1
        if not m["rest"]:
            while end < len(idx) and _is_teaser(lines[idx[end]].strip()):
                end += 1
            teasers = idx[k + 1 : end]
            for n, i in enumerate(teasers):
                line = lines[i].strip()
                strong = line.endswith(_ELLIPSIS) or _BULLET_RE.fullmatch(line)
                if end < len(idx) and n and not strong and line != lines[teasers[n - 1]].strip():
                    break
                keep[i] = False
        k = end


def _drop_link_lists(lines: list[str], keep: list[bool]) -> None:
    """Drop bulleted lists of headlines set between paragraphs (links to other articles).

    A list the article introduces (the paragraph before ends with a colon) stays, and so
    does any list whose items are sentences or single words.
    """
    groups: list[list[int]] = [[]]
    for i, line in enumerate(lines):
        if not line.strip():
            groups.append([])
        elif keep[i]:
            groups[-1].append(i)
    groups = [g for g in groups if g]
    for n, group in enumerate(groups):
        items = [_BULLET_RE.fullmatch(lines[i].strip()) for i in group]
        if len(group) < 2 or not all(
            m and 3 <= len(m["item"].split()) <= 25 and not m["item"].endswith((".", ",", ";", ":"))
            for m in items
        ):
            continue
        if n and lines[groups[n - 1][-1]].strip().endswith(":"):
            continue
        for i in group:
            keep[i] = False


def _drop_tail_appeals(lines: list[str], keep: list[bool]) -> None:
    """Drop the publisher's appeals for support after the end of the article."""
    for i in reversed(_kept(lines, keep)):
        line = lines[i].strip()
        if _APPEAL_RE.search(line):
            keep[i] = False
        elif not _OUTLET_LINE_RE.fullmatch(line):
            return


def _strip_lines(lines: list[str]) -> list[str]:
    # Matched with runs of whitespace (no-break spaces from web pages) squashed to a space.
    flat = [" ".join(line.split()) for line in lines]
    keep = [not _is_boilerplate_line(line) for line in flat]
    for step in (_drop_head_crumbs, _drop_read_also, _drop_link_lists, _drop_tail_appeals):
        step(flat, keep)
    return [line for line, k in zip(lines, keep, strict=True) if k]


def strip_boilerplate(text: str) -> str:
    """Drop what a web page puts around an article: share buttons, skip links, comment
    prompts, tag lists, "Read also" blocks with their teasers, lists of links to other
    articles, breadcrumbs before the title and appeals for support after the article.

    Conservative: lines are dropped whole, and only when they match the shapes above.
    """
    kept = _strip_lines(normalise_newlines(text).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


# --- What a plain text says about itself ----------------------------------------------

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
_OUTLET_LINE_RE = re.compile(
    r"(?i:source|published by|(?:originally|first) published (?:by|at|in|on)|republished from|"
    r"источник)\s*:\s*(?P<value>[^\s.].{0,79})"
)
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
    m = _OUTLET_LINE_RE.fullmatch(line)
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
    if runs_on and not line.endswith(_SENTENCE_END):
        return False  # a hard-wrapped sentence
    return not (line.endswith(".") and (len(line) > 120 or _SENTENCE_BREAK_RE.search(line)))


def _read_metadata(lines: list[str]) -> tuple[dict[str, Any], set[int]]:
    """Title, byline, date, rubric, outlet and url, and the lines that only carried them."""
    found: dict[str, Any] = {}
    drop: set[int] = set()
    lines = [" ".join(line.split()) for line in lines]
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


@dataclass(frozen=True)
class TextDescription:
    """A text ready to store, and what it says about itself."""

    text: str
    title: str = ""
    byline: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    rubric: str = ""
    unwrapped: bool = False


def describe_text(
    text: str, *, unwrap: bool | None = None, strip_boilerplate: bool = True
) -> TextDescription:
    """Prepare a plain text for storing, and read its title, byline, date and outlet.

    These are read from a copy without boilerplate whatever ``strip_boilerplate`` says.
    With it (the default) the stored text loses the boilerplate and the lines that only
    carried metadata (the byline line, "Source: …"); the title line stays. ``unwrap``:
    True joins hard-wrapped lines, False never does, None when ``looks_hard_wrapped``.
    """
    original = normalise_newlines(text)
    lines = _strip_lines(original.split("\n"))
    found, drop = _read_metadata(lines)
    if strip_boilerplate:
        body = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    else:
        body = original
    unwrapped = looks_hard_wrapped(body) if unwrap is None else unwrap
    if unwrapped:
        body = unwrap_lines(body)
    return TextDescription(text=clean_text(body), unwrapped=unwrapped, **found)
