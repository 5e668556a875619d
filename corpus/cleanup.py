"""Cleaning imported text before it is frozen (pure): unwrapping hard-wrapped lines
(text extracted from PDFs) and stripping boilerplate (share buttons, skip links,
comment prompts, tag lists, "Read also" blocks, link lists, appeals)."""

from __future__ import annotations

import re

from corpus.text import normalise_newlines, squash_spaces

SENTENCE_END = tuple(".!?:;\"'”’»)…")
_LIST_ITEM_RE = re.compile(r"^(?:[-•*–▪◦►·]|\d{1,3}[.)])\s")


def _paragraphs(text: str, lines: list[str] | None = None) -> list[list[str]]:
    """Blank-line separated paragraphs, each a list of its stripped, non-empty lines.
    ``lines``: ``normalise_newlines(text).split("\n")``, when the caller has them (an
    import's text, its boilerplate stripped): then no pass over the text."""
    if lines is not None:
        # Normalised, a line of spaces and tabs is empty: the blank lines between
        # paragraphs are the empty lines, and every other line strips to something.
        paragraphs: list[list[str]] = [[]]
        for line in lines:
            if line:
                paragraphs[-1].append(line.strip())
            elif paragraphs[-1]:
                paragraphs.append([])
        return [p for p in paragraphs if p]
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


def looks_hard_wrapped(text: str, lines: list[str] | None = None) -> bool:
    """Whether the text was hard-wrapped at a fixed width (as text extracted from a PDF).

    Conservative: most lines must run on into the next line of their paragraph, be nearly
    as long as the widest of them, and mostly break in mid-sentence. Web text with one
    paragraph per line (plus a title or byline line or two) does not qualify. ``lines``:
    as ``_paragraphs`` takes them.
    """
    paragraphs = _paragraphs(text, lines)
    lines = [line for p in paragraphs for line in p if not _LIST_ITEM_RE.match(line)]
    breaks = _inner_breaks(paragraphs)
    if len(lines) < 6 or len(breaks) < 0.5 * len(lines):
        return False
    width = _wrap_width(breaks)
    if not 30 <= width <= 200:
        return False
    full = sum(len(a) >= 0.7 * width for a, _ in breaks)
    mid_sentence = sum(not a.endswith(SENTENCE_END) for a, _ in breaks)
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

OUTLET_LINE_RE = re.compile(
    r"(?i:source|published by|(?:originally|first) published (?:by|at|in|on)|republished from|"
    r"источник)\s*:\s*(?P<value>[^\s.].{0,79})"
)
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


# The patterns as one: a line matches it exactly when it matches one of them, and one
# regex pass per line costs a tenth of fifteen.
_BOILERPLATE_RE = re.compile(
    "|".join(f"(?:{p.pattern})" for p in BOILERPLATE_PATTERNS), re.IGNORECASE
)


# The first letters of a tag list's heads (``_TAGS_RE``, case-sensitive): a line that
# starts otherwise is no tag list, told without the regex (most lines of a text).
_TAG_STARTS = frozenset("TТМKF")


def _is_boilerplate_line(line: str) -> bool:
    return bool(_BOILERPLATE_RE.fullmatch(line)) or (line[:1] in _TAG_STARTS and _is_tag_list(line))


def _is_teaser(line: str) -> bool:
    """A headline or a truncated lede, as in lists of links to other articles."""
    if OUTLET_LINE_RE.fullmatch(line):
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


# The steps below are given the lines squashed (``strip_lines``): no spaces at their ends.


def _kept(lines: list[str], keep: list[bool]) -> list[int]:
    return [i for i, line in enumerate(lines) if keep[i] and line]


def _drop_head_crumbs(lines: list[str], keep: list[bool]) -> None:
    kept = _kept(lines, keep)
    for n, i in enumerate(kept[:3]):
        # (a line dropped here is one of kept[:n], before this one: kept[n + 1] follows)
        line, rest = lines[i], kept[n + 1 :]
        following = lines[rest[0]] if rest else ""
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
        m = _READ_ALSO_RE.fullmatch(lines[idx[k]])
        if not m or len(m["rest"] or "") > 250:
            k += 1
            continue
        keep[idx[k]] = False
        end = k + 1
        if not m["rest"]:
            while end < len(idx) and _is_teaser(lines[idx[end]]):
                end += 1
            teasers = idx[k + 1 : end]
            for n, i in enumerate(teasers):
                line = lines[i]
                strong = line.endswith(_ELLIPSIS) or _BULLET_RE.fullmatch(line)
                if end < len(idx) and n and not strong and line != lines[teasers[n - 1]]:
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
        if not line:
            groups.append([])
        elif keep[i]:
            groups[-1].append(i)
    groups = [g for g in groups if g]
    for n, group in enumerate(groups):
        if len(group) < 2:  # (most paragraphs: one line each) no list
            continue
        items = (_BULLET_RE.fullmatch(lines[i]) for i in group)  # up to the first non-item
        if not all(
            m and 3 <= len(m["item"].split()) <= 25 and not m["item"].endswith((".", ",", ";", ":"))
            for m in items
        ):
            continue
        if n and lines[groups[n - 1][-1]].endswith(":"):
            continue
        for i in group:
            keep[i] = False


def _drop_tail_appeals(lines: list[str], keep: list[bool]) -> None:
    """Drop the publisher's appeals for support after the end of the article."""
    for i in reversed(_kept(lines, keep)):
        line = lines[i]
        if _may_appeal(line) and _APPEAL_RE.search(line):
            keep[i] = False
        elif not OUTLET_LINE_RE.fullmatch(line):
            return


def is_barrier_line(flat: str) -> bool:
    """Whether ``strip_lines`` keeps this line (squashed) whatever surrounds it, and no
    step reads across it: longer than any line a step may drop (a teaser, a "Read also"
    heading, crumbs, an outlet line), not cut short (``…``), no boilerplate, bullet or
    appeal. ``strip_lines`` of the lines up to such a line decides those lines as it does
    with the whole text: a run of teasers stops at it, its paragraph is never a link
    list, the appeals at the end and the crumbs at the start stop at it."""
    return (
        len(flat) > 200
        and not flat.endswith(_ELLIPSIS)
        and not _is_boilerplate_line(flat)
        and not _READ_ALSO_RE.fullmatch(flat)
        and not _CRUMBS_RE.fullmatch(flat)
        and not _BULLET_RE.fullmatch(flat)
        and not (_may_appeal(flat) and _APPEAL_RE.search(flat))
        and not OUTLET_LINE_RE.fullmatch(flat)
    )


# What every match of _APPEAL_RE has in it, and the letters that ``re.IGNORECASE`` takes
# for an ASCII letter but ``str.lower`` does not make one.
_SUPPORT_WHAT = (
    "support independent",
    "support our",
    "support quality",
    "support local",
    "support us",
)
_CASE_FOLD = (("İ", "i"), ("ı", "i"), ("ſ", "s"))


def _may_appeal(line: str) -> bool:
    """False when ``_APPEAL_RE`` cannot match the (squashed) line: a few substring tests
    instead of its search, a fifth of the cost on a long line."""
    for letter, ascii_letter in _CASE_FOLD:
        if letter in line:
            line = line.replace(letter, ascii_letter)
    line = line.lower()
    if "support " in line and any(what in line for what in _SUPPORT_WHAT):
        return True
    return (
        "paywall" in line
        or "free to read" in line
        or "contribute here" in line
        or "donate " in line
        or "become a " in line
        or "subscribe " in line
    )


_STEPS = (_drop_head_crumbs, _drop_read_also, _drop_link_lists, _drop_tail_appeals)
_STEPS_BEFORE_A_BARRIER = _STEPS[:-1]


def strip_lines(lines: list[str]) -> list[str]:
    return strip_lines_flat(lines)[0]


def strip_lines_flat(
    lines: list[str], *, last_is_barrier: bool = False, barrier_flat: str | None = None
) -> tuple[list[str], list[str]]:
    """The lines ``strip_lines`` keeps, and the same lines squashed (``squash_spaces``),
    for a caller that reads them squashed too (``corpus.textmeta``): not squashed twice.

    ``last_is_barrier``: the caller found the last line a barrier (``is_barrier_line``).
    Then the appeals at the end are not looked for: that step starts from the last kept
    line, which is that one (no step drops a barrier line), and stops there.
    ``barrier_flat``: the same, with that line squashed as the caller squashed it to
    test it: neither squashed nor matched against the boilerplate again (a barrier line
    is none)."""
    # Matched with runs of whitespace (no-break spaces from web pages) squashed to a space.
    # Empty lines (half of a text's: the blank line between paragraphs) are neither
    # squashed nor matched: they stay empty, and no pattern matches nothing.
    head = lines if barrier_flat is None else lines[:-1]
    flat = [squash_spaces(line) if line else line for line in head]
    keep = [not (line and _is_boilerplate_line(line)) for line in flat]
    if barrier_flat is not None:
        flat.append(barrier_flat)
        keep.append(True)
        last_is_barrier = True
    for step in _STEPS_BEFORE_A_BARRIER if last_is_barrier else _STEPS:
        step(flat, keep)
    kept = [i for i, k in enumerate(keep) if k]
    return [lines[i] for i in kept], [flat[i] for i in kept]


def strip_boilerplate(text: str) -> str:
    """Drop what a web page puts around an article: share buttons, skip links, comment
    prompts, tag lists, "Read also" blocks with their teasers, lists of links to other
    articles, breadcrumbs before the title and appeals for support after the article.

    Conservative: lines are dropped whole, and only when they match the shapes above.
    """
    kept = strip_lines(normalise_newlines(text).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


# --- What a plain text says about itself ----------------------------------------------
