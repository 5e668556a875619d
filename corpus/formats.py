"""Reading articles from files: one parser per format (pure, no database).

The format follows the file name's ending; every file must be UTF-8.

``.txt``
    One article. The title is the first line (after boilerplate), or the first sentence,
    shortened, when the text starts with a paragraph; a byline, date, rubric and outlet
    are read where the text states them (``by Vladimir Danilov on 22 Jan 2022``,
    ``Source: inosmi.ru``, ``Published by: emerging-europe.com``; see
    ``corpus.textmeta.describe_text``).
``.md``
    One article. The Markdown markup is stripped (links keep their text, images go); the
    title is the first heading. A front matter block (``---`` lines around ``key: value``
    lines) may give title, author (or byline), date (or published), outlet, url and
    language; other keys go into the metadata.
``.html``, ``.htm``
    One article: the main text, title, author, date and site name (the outlet) are
    extracted with trafilatura; the title becomes the text's first line.
``.jsonl``
    One article per line, a JSON object with these keys (blank lines are skipped):

    ``text``       the article text (required)
    ``title``      the title (default: read from the text, as for ``.txt``)
    ``byline``     the author(s) as printed; ``author`` is taken when there is no byline
    ``outlet``     the publication
    ``url``        where it was published
    ``published``  an ISO date, ``2022-01-22`` (of a datetime, the date is kept)
    ``language``   a language code such as ``en``
    ``metadata``   an object, stored as it is

    Any other key is stored in the metadata. One bad line fails the whole file.

Before an article's text is frozen, boilerplate is stripped and hard-wrapped lines are
unwrapped as ``describe_text`` does, for every format. ``parse_bytes`` and ``parse_file``
turn a file into ``ParsedArticle`` s or raise ``ImportFileError``; ``import_file`` writes
one file's articles in one transaction (all or nothing); ``import_paths`` does files and
folders. The ``import_articles`` command and the upload API share them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

from common.jsonload import NOT_PLAIN, loads_bounded, loads_plain
from corpus.text import normalise_newlines
from corpus.textmeta import ParsedArticle, describe_text, find_date

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")


class ImportFileError(Exception):
    """A file, or one line of a JSONL file, that cannot be imported, and why."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        self.reason, self.line = reason, line
        super().__init__(f"line {line}: {reason}" if line else reason)


# --- Formats ---------------------------------------------------------------------------


def _describe(text: str, *, unwrap: bool | None, strip_boilerplate: bool) -> ParsedArticle:
    described = describe_text(text, unwrap=unwrap, strip_boilerplate=strip_boilerplate)
    if not described.text:
        raise ImportFileError("there is no article text, only boilerplate")
    return described


def _article(described: ParsedArticle, source: dict[str, Any], **given: Any) -> ParsedArticle:
    """The article from a described text; values ``given`` by the format win.

    ``source`` (format, line) goes into the metadata under "import", with whether the
    text was unwrapped, so that an odd-looking text can be explained later.
    """
    metadata = dict(given.pop("metadata", None) or {})
    if described.rubric:
        metadata.setdefault("rubric", described.rubric)
    metadata.setdefault("import", source | {"unwrapped": described.unwrapped})
    # Built directly rather than with dataclasses.replace (twice the cost, per article).
    article = ParsedArticle(
        text=given.pop("text", described.text),
        title=given.pop("title", "") or described.title,
        byline=given.pop("byline", "") or described.byline,
        outlet=given.pop("outlet", "") or described.outlet,
        url=given.pop("url", "") or described.url,
        published=given.pop("published", None) or described.published,
        language=given.pop("language", described.language),
        metadata=metadata,
        line=given.pop("line", described.line),
        rubric=given.pop("rubric", described.rubric),
        unwrapped=given.pop("unwrapped", described.unwrapped),
    )
    if given:
        raise TypeError(f"unknown fields: {sorted(given)}")
    return article


def _source(fmt: str, strip_boilerplate: bool, **more: Any) -> dict[str, Any]:
    return {"format": fmt, "boilerplate_stripped": strip_boilerplate, **more}


def _parse_txt(text: str, *, unwrap: bool | None, strip_boilerplate: bool) -> list[ParsedArticle]:
    described = _describe(text, unwrap=unwrap, strip_boilerplate=strip_boilerplate)
    return [_article(described, _source("txt", strip_boilerplate))]


_FRONT_MATTER_RE = re.compile(r"\A---\n(?P<body>.*?)\n(?:---|\.\.\.)\n", re.DOTALL)
_FRONT_MATTER_FIELDS = {
    "title": "title",
    "author": "byline",
    "byline": "byline",
    "date": "published",
    "published": "published",
    "outlet": "outlet",
    "url": "url",
    "language": "language",
}
_LINK_DEFINITION_RE = re.compile(r"\s{0,3}\[[^\]]+\]:\s")
_RULE_RE = re.compile(r"\s{0,3}([-*_])(\s*\1){2,}\s*")
_BLOCK_START_RE = re.compile(r"\s*(?:[-*+]|\d{1,3}[.)])\s|\s*\|")  # list items, table rows
_ESCAPED_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_INLINE_MARKUP = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
)


def _inline(line: str) -> str:
    # Escaped characters hide in the private use area while the markup goes.
    line = _ESCAPED_RE.sub(lambda m: chr(0xE000 + ord(m[1])), line)
    for pattern, replacement in _INLINE_MARKUP:
        line = pattern.sub(replacement, line)
    return re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m[0]) - 0xE000), line)


def markdown_to_text(markdown: str) -> tuple[str, str]:
    """Plain text from Markdown, and the text of its first heading (or "").

    The lines of a paragraph are joined, as Markdown renders them, unless one ends in a
    hard break (two spaces or a backslash); list items and table rows keep their lines.
    """
    out: list[str] = []
    title, fenced, joinable = "", False, False
    for raw in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if re.match(r"\s{0,3}(```|~~~)", raw):
            fenced, joinable = not fenced, False
            continue
        if fenced:
            out.append(raw.rstrip())
            continue
        if joinable and re.fullmatch(r"\s{0,3}(=+|-+)\s*", raw):
            title, joinable = title or out[-1].strip(), False  # a setext heading's underline
            continue
        line = re.sub(r"^\s{0,3}(>\s?)+", "", raw)
        heading = re.match(r"\s{0,3}#{1,6}\s+(.*?)(\s+#+)?\s*$", line)
        text = _inline(heading[1] if heading else line.rstrip().removesuffix("\\")).rstrip()
        if heading:
            title = title or text.strip()
        if (
            heading
            or not text.strip()
            or _RULE_RE.fullmatch(line)
            or _LINK_DEFINITION_RE.match(line)
        ):
            out.append(text if heading else "")
            joinable = False
        elif joinable and not _BLOCK_START_RE.match(line):
            out[-1] += " " + text.strip()
            joinable = not raw.endswith(("  ", "\\"))
        else:
            out.append(text)
            joinable = not raw.endswith(("  ", "\\")) and not line.lstrip().startswith("|")
    return "\n".join(out), title


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    m = _FRONT_MATTER_RE.match(normalise_newlines(text))
    if not m:
        return {}, text
    fields: dict[str, str] = {}
    for line in m["body"].split("\n"):
        key, colon, value = line.partition(":")
        if colon and re.fullmatch(r"[A-Za-z_][\w-]*", key.strip()):
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return (fields, normalise_newlines(text)[m.end() :]) if fields else ({}, text)


def _parse_md(text: str, *, unwrap: bool | None, strip_boilerplate: bool) -> list[ParsedArticle]:
    front, body = _front_matter(text)
    plain, heading = markdown_to_text(body)
    described = _describe(plain, unwrap=unwrap, strip_boilerplate=strip_boilerplate)
    given: dict[str, Any] = {"title": heading, "metadata": {}}
    for key, value in front.items():
        name = _FRONT_MATTER_FIELDS.get(key)
        if name is None:
            given["metadata"][key] = value
        elif name == "published":
            date = _iso_date(value) or (found[0] if (found := find_date(value)) else None)
            given[name] = date
        elif value and not (name == "byline" and given.get("byline")):
            given[name] = value
    return [_article(described, _source("md", strip_boilerplate), **given)]


def _parse_html(text: str, *, unwrap: bool | None, strip_boilerplate: bool) -> list[ParsedArticle]:
    import trafilatura  # slow to import; only HTML needs it

    try:
        found = trafilatura.bare_extraction(
            text, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception as exc:  # a parser failure on one odd page must not stop the rest
        raise ImportFileError(f"the HTML could not be read ({exc})") from exc
    if found is None:
        raise ImportFileError("no article text found in the HTML")
    meta: dict[str, Any] = found if isinstance(found, dict) else found.as_dict()
    body = (meta.get("text") or "").strip()
    if not body:
        raise ImportFileError("no article text found in the HTML")
    # trafilatura puts one block per line; the stored text has a blank line between.
    body = re.sub(r"\n+", "\n\n", body)
    title = (meta.get("title") or "").strip()
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}"
    lang = re.search(r"<html\b[^>]*\blang=[\"']?([A-Za-z]{2,3})\b", text[:5000], re.IGNORECASE)
    described = _describe(body, unwrap=unwrap, strip_boilerplate=strip_boilerplate)
    return [
        _article(
            described,
            _source("html", strip_boilerplate),
            title=title,
            byline=meta.get("author") or "",
            outlet=meta.get("sitename") or meta.get("hostname") or "",
            url=meta.get("url") or "",
            published=_iso_date(meta.get("date") or ""),
            language=lang[1].lower() if lang else "",
            metadata={
                key: meta[key]
                for key in ("description", "hostname", "categories", "tags")
                if meta.get(key)
            },
        )
    ]


def _iso_date(value: str) -> dt.date | None:
    """``2022-01-22``, or the date of ``2022-01-22T10:00:00Z``; None if it is neither."""
    for parse in (dt.date.fromisoformat, lambda v: dt.datetime.fromisoformat(v).date()):
        try:
            return parse(value.strip())
        except ValueError:
            continue
    return None


_JSONL_STRINGS = ("title", "byline", "author", "outlet", "url", "published", "language")


def _jsonl_article(
    line: str, number: int, *, unwrap: bool | None, strip_boilerplate: bool
) -> ParsedArticle:
    try:
        record = loads_bounded(line)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"not valid JSON ({exc.msg}, column {exc.colno})", line=number
        ) from exc
    return _jsonl_record_article(record, number, unwrap=unwrap, strip_boilerplate=strip_boilerplate)


def _jsonl_record_article(
    record: Any, number: int, *, unwrap: bool | None, strip_boilerplate: bool
) -> ParsedArticle:
    def fail(reason: str) -> ImportFileError:
        return ImportFileError(reason, line=number)

    if not isinstance(record, dict):
        raise fail(f"expected a JSON object, found {type(record).__name__}")
    text = record.pop("text", None)
    if text is None:
        raise fail("the “text” key is missing")
    if not isinstance(text, str) or not text.strip():
        raise fail("“text” must be a non-empty string")
    for key in _JSONL_STRINGS:
        if not isinstance(record.get(key) or "", str):
            raise fail(f"“{key}” must be a string")
    metadata = record.pop("metadata", None) or {}
    if not isinstance(metadata, dict):
        raise fail("“metadata” must be an object")
    published = record.pop("published", None) or ""
    date = _iso_date(published) if published else None  # (two exceptions for nothing)
    if published and date is None:
        raise fail(f"“published” is not an ISO date (YYYY-MM-DD): {published!r}")
    given = {key: record.pop(key, None) or "" for key in ("title", "byline", "outlet", "url")}
    if not given["byline"]:
        given["byline"] = record.pop("author", None) or ""
    language = record.pop("language", None) or ""
    metadata = record | metadata  # unknown keys; the metadata object wins a clash
    # What the line gives need not be read from the text (see describe_text).
    needed = {"rubric", *(key for key, value in given.items() if not value)}
    if date is None:
        needed.add("published")
    described = describe_text(
        text, unwrap=unwrap, strip_boilerplate=strip_boilerplate, needed=needed
    )
    if not described.text:
        raise fail("there is no article text, only boilerplate")
    return _article(
        described,
        _source("jsonl", strip_boilerplate, line=number),
        published=date,
        language=language,
        metadata=metadata,
        line=number,
        **given,
    )


def _parse_jsonl(text: str, *, unwrap: bool | None, strip_boilerplate: bool) -> list[ParsedArticle]:
    articles: list[ParsedArticle] = []
    errors: list[ImportFileError] = []
    # Line ends only (a JSON line may end in spaces, and holds no raw CR in a string).
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                articles.append(
                    _jsonl_article(line, number, unwrap=unwrap, strip_boilerplate=strip_boilerplate)
                )
            except ImportFileError as exc:
                errors.append(exc)
    if errors:
        more = f" (and {len(errors) - 1} more bad lines)" if len(errors) > 1 else ""
        raise ImportFileError(errors[0].reason + more, line=errors[0].line)
    if not articles:
        raise ImportFileError("the file has no articles, only blank lines")
    return articles


def _parse_jsonl_plainly(
    data: bytes, *, unwrap: bool | None, strip_boilerplate: bool
) -> list[ParsedArticle] | None:
    """``_parse_jsonl`` of ``data`` decoded, when every line is plainly fine: each read
    by ``loads_plain`` straight from the bytes (no decoded copy of the file, no JSON
    parser's pass over it), each record good. None at the first line that is not (bad
    JSON, a float, a bad record…), or for a file with a BOM or a CR (``_parse_jsonl``
    handles them): then ``_parse_jsonl`` reads the file again, for its articles or its
    errors and their messages. Every byte of a file read here is in a line orjson read
    (it checks the UTF-8) or in an ASCII-blank line: the file is UTF-8."""
    if data.startswith(b"\xef\xbb\xbf") or b"\r" in data:
        return None
    articles: list[ParsedArticle] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():  # ASCII whitespace (a line of other whitespace goes to orjson)
            continue
        record = loads_plain(line)
        if record is NOT_PLAIN:
            return None
        try:
            articles.append(
                _jsonl_record_article(
                    record, number, unwrap=unwrap, strip_boilerplate=strip_boilerplate
                )
            )
        except ImportFileError:
            return None
    return articles or None


_PARSERS: dict[str, Callable[..., list[ParsedArticle]]] = {
    ".txt": _parse_txt,
    ".md": _parse_md,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".jsonl": _parse_jsonl,
}


def unsupported_reason(name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    if suffix in _PARSERS:
        return ""
    what = f"“{suffix}” files" if suffix else "files without an ending"
    return f"cannot import {what}: use {', '.join(SUPPORTED_SUFFIXES)}"


# Checked without a stripped copy of a big file (``bytes.strip`` strips ASCII whitespace).
_BLANK_BYTES_RE = re.compile(rb"[ \t\n\r\x0b\x0c]*")
_BLANK_TEXT_RE = re.compile("[\ufeff \t\r\n]*")


def parse_bytes(
    name: str,
    data: bytes,
    *,
    unwrap: bool | None = None,
    strip_boilerplate: bool = True,
    suffix: str = "",
) -> list[ParsedArticle]:
    """The articles in a file called ``name`` with the content ``data`` (an upload, say).
    ``suffix`` (".html") gives the format when the name does not end in it (a page
    fetched from a URL).

    Raises ``ImportFileError`` saying what is wrong: an unsupported ending, an empty or
    binary file, text that is not UTF-8, a bad JSONL line (with its number).
    """
    suffix = suffix or PurePath(name).suffix.lower()
    problem = unsupported_reason(f"file{suffix}")
    if problem:
        raise ImportFileError(problem)
    if _BLANK_BYTES_RE.fullmatch(data):
        raise ImportFileError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("the file is UTF-16 text, not UTF-8: convert it to UTF-8 first")
    if b"\x00" in data:
        raise ImportFileError("the file contains NUL bytes: is it a binary file?")
    if suffix == ".jsonl":
        plain = _parse_jsonl_plainly(data, unwrap=unwrap, strip_boilerplate=strip_boilerplate)
        if plain is not None:
            return plain
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}):"
            " convert it to UTF-8 first"
        ) from exc
    if _BLANK_TEXT_RE.fullmatch(text):
        raise ImportFileError("the file is empty")
    return _PARSERS[suffix](text, unwrap=unwrap, strip_boilerplate=strip_boilerplate)


def parse_file(
    path: str | Path, *, unwrap: bool | None = None, strip_boilerplate: bool = True
) -> list[ParsedArticle]:
    """The articles in the file at ``path`` (see ``parse_bytes``)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read the file: {exc.strerror or exc}") from exc
    return parse_bytes(path.name, data, unwrap=unwrap, strip_boilerplate=strip_boilerplate)
