"""Text basics (pure): the stored form of a text, its hash, and search keys.

Cleaning raw input (boilerplate, hard wraps) is in ``corpus.cleanup``; reading what a
text says about itself (title, byline, date, outlet) is in ``corpus.textmeta``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from unidecode import unidecode

_SPACE_RE = re.compile(r"\s+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
# Hyphens, dots, quotes, brackets and the like separate words in a search key, so that
# "kassym jomart" finds "Kassym-Jomart" and "inosmi ru" finds "inosmi.ru"; apostrophes
# vanish ("Turkey’s" → "turkeys").
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
    folded = _KEY_PUNCT_RE.sub(" ", folded.replace("'", ""))
    return _SPACE_RE.sub(" ", folded).strip()


def normalise_newlines(text: str) -> str:
    """CRLF and CR become LF; a BOM is dropped; trailing spaces go from every line."""
    return "\n".join(normalised_lines(text))


def normalised_lines(text: str) -> list[str]:
    """The lines of ``normalise_newlines(text)``, for a caller that splits it again."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.lstrip("\ufeff").split("\n")]


def normalised_text(text: str) -> tuple[str, list[str]]:
    """``normalise_newlines(text)`` and its lines (``normalised_lines``), without joining
    the lines again when normalising changed nothing (most texts): then the text is
    ``text`` itself. Without a CR, the lines hold every character of the text but the
    line feeds unless a BOM or a trailing space went, so equal lengths say nothing did."""
    has_cr = "\r" in text
    lines = normalised_lines(text)
    if not has_cr and sum(map(len, lines)) + len(lines) - 1 == len(text):
        return text, lines
    return "\n".join(lines), lines


def _has_blank_run(lines: list[str]) -> bool:
    """Whether ``"\n\n\n"`` is in ``"\n".join(lines)``: two empty lines in a row, each
    between two line feeds (not the first line nor the last). A few steps per line
    instead of a pass over every character."""
    previous_empty = False
    for at in range(1, len(lines) - 1):
        if lines[at]:
            previous_empty = False
        elif previous_empty:
            return True
        else:
            previous_empty = True
    return False


def clean_text(text: str, *, newlines_done: bool = False, lines: list[str] | None = None) -> str:
    """The canonical form every article text is stored in (before it is frozen).

    NFC, LF line endings, no trailing spaces, at most one blank line between
    paragraphs, no blank lines at either end. ``lines``: ``text.split("\n")``, when the
    caller has them (its text came from ``normalised_text``).
    """
    if not newlines_done:  # the caller's text came from normalise_newlines
        text = normalise_newlines(text)
    text = unicodedata.normalize("NFC", text)  # (NFC adds and removes no line feed)
    # Both tests are cheaper than the regex pass; the lines' is cheaper than the substring's.
    if _has_blank_run(lines) if lines is not None else "\n\n\n" in text:
        text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip("\n").strip()


# --- Unwrapping hard-wrapped text ------------------------------------------------------


def squash_spaces(line: str) -> str:
    """``" ".join(line.split())``: runs of whitespace (tabs, no-break spaces…) as one
    space, none at the ends. A line that has only single ASCII spaces between its words
    (most of them) is returned as it is, without splitting it into words: an import
    squashes every line of every text, twice."""
    if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " ":
        return line  # str.isprintable() is False for every whitespace but " "
    return " ".join(line.split())
