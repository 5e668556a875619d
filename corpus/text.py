"""Text normalisation helpers (pure): hashing, search keys, unwrapping, boilerplate."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from unidecode import unidecode

_SPACE_RE = re.compile(r"\s+")


def sha256_text(text: str) -> str:
    """The SHA-256 of the text encoded as UTF-8: the article's identity."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def search_key(value: str) -> str:
    """A case-, diacritic- and whitespace-insensitive key for names and aliases.

    ``"Ahmet Davutoğlu"`` and ``"ahmet  davutoglu"`` share the key ``"ahmet davutoglu"``;
    Turkish dotless ``ı`` and dotted ``İ`` fold to ``i``; Cyrillic is transliterated, so
    ``"Яна Орехова"`` is found by ``"orekhova"`` as well as by ``"Орехова"``.
    """
    folded = unicodedata.normalize("NFKC", value)
    folded = unidecode(folded, errors="preserve")
    folded = folded.casefold()
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


_SENTENCE_END = tuple(".!?:;\"'”’»)…")


def unwrap_lines(text: str) -> str:
    """Join hard-wrapped lines (text extracted from a PDF) into paragraphs.

    A line break is kept where a blank line follows, where the line ends a sentence and
    the next starts like a new paragraph (capital letter after a short line), or where the
    next line is a list item. Hyphenated breaks (``inter-\\nnational``) are joined.
    """
    paragraphs = re.split(r"\n\s*\n", normalise_newlines(text))
    out: list[str] = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        if not lines:
            continue
        width = max(len(line) for line in lines)
        joined = lines[0]
        for prev, line in zip(lines, lines[1:], strict=False):
            short = len(prev) < 0.7 * width
            if re.match(r"^([-•*–]|\d+[.)])\s", line) or (
                short and prev.endswith(_SENTENCE_END) and line[:1].isupper()
            ):
                joined += "\n" + line
            elif joined.endswith("-") and line[:1].islower():
                joined = joined[:-1] + line
            else:
                joined += " " + line
        out.append(joined)
    return "\n\n".join(out)


BOILERPLATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r'^press "?enter"? to skip to content$',
        r"^skip to (main )?content$",
        r"^((vk|x|ok|whatsapp|telegram|facebook|twitter|linkedin|email|reddit|share)\s*)+$",
        r"^share( this( article)?)?:?$",
        r"^write a comment:?$",
        r"^(user comments )?post a comment$",
        r"^\d+ comments?$",
        r"^back to top$",
        r"^must read$",
        r"^you might also like\w*$",
        r"^recommended( to you| for you)?$",
        r"^related( articles| posts)?$",
        r"^tags?\b.*$",
        r"^advertisement$",
        r"^subscribe( to our newsletter)?\.?$",
    )
)

# A "Read also" block runs from its heading to the next blank-line-separated paragraph
# that is long enough to be article text again — or to the end.
READ_ALSO_RE = re.compile(r"^(read also|read more|see also|also read|related reading):?$", re.I)


def strip_boilerplate(text: str) -> str:
    """Drop share buttons, skip links, comment prompts and "Read also" blocks."""
    lines = normalise_newlines(text).split("\n")
    kept: list[str] = []
    in_read_also = False
    for line in lines:
        stripped = line.strip()
        if READ_ALSO_RE.match(stripped):
            in_read_also = True
            continue
        if in_read_also:
            # A "Read also" block is a list of teasers; it ends at the end of the text
            # (the usual place) — teasers are never part of the article.
            continue
        if any(p.match(stripped) for p in BOILERPLATE_PATTERNS):
            continue
        kept.append(line)
    return "\n".join(kept)
