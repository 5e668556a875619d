"""The bulk path of article writes (``articles_create_many``) and the imports that use
it: the checks of ``article_create``, dedupe within the batch and against the project,
all or nothing with an error per item, and a number of queries that does not grow with
the batch."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corpus.cleanup import BOILERPLATE_PATTERNS, _is_boilerplate_line, _is_tag_list
from corpus.formats import parse_bytes
from corpus.importers import import_file
from corpus.models import Article
from corpus.services import (
    ArticleBatchError,
    ArticleInput,
    article_create,
    articles_create_many,
    project_create,
)
from corpus.text import sha256_text
from corpus.textmeta import READ_FIELDS, describe_text
from tests.corpus.test_text import SEEDS as SEED_DIR

pytestmark = pytest.mark.django_db


def test_many_are_created_in_order_with_the_checks_of_article_create(project: Any) -> None:
    stored = article_create(project=project, text="Already here.").article
    results = articles_create_many(
        project=project,
        items=[
            ArticleInput(text="Cafe\u0301 in İstanbul 🇹🇷\r\n\r\nЯна.  ", title=" T ", url=""),
            ArticleInput(text="Already here.\n"),  # the project has it
            ArticleInput(text="Second text.", language=""),
            ArticleInput(text="Café in İstanbul 🇹🇷\n\nЯна."),  # the first, once normalised
        ],
    )
    first, again, second, same = results
    assert first.created and first.article.pk is not None
    assert first.article.text == "Café in İstanbul 🇹🇷\n\nЯна."  # NFC, LF, trimmed
    assert (first.article.title, first.article.char_count) == ("T", len(first.article.text))
    assert (again.created, again.article.pk) == (False, stored.pk)
    assert (second.article.title, second.article.language) == ("Second text.", "en")
    assert (same.created, same.article.pk) == (False, first.article.pk)
    assert Article.objects.count() == 3
    fresh = Article.objects.get(pk=first.article.pk)
    assert fresh.sha256 == first.article.sha256 and fresh.text == first.article.text


def test_a_bad_item_writes_nothing_and_each_is_named(project: Any) -> None:
    items = [
        ArticleInput(text="Fine."),
        ArticleInput(text="Broken \x00 text."),
        ArticleInput(text="Fine too.", url="not a url"),
        ArticleInput(text="Also fine.", byline="x" * 301),
        ArticleInput(text="   "),
    ]
    with pytest.raises(ArticleBatchError) as raised:
        articles_create_many(project=project, items=items)
    errors = raised.value.item_errors
    assert list(errors) == [1, 2, 3, 4]
    assert "NUL" in errors[1].message_dict["text"][0]
    assert "url" in errors[2].message_dict
    assert "at most 300" in errors[3].message_dict["byline"][0]
    assert errors[4].message_dict["text"] == ["The text is empty."]
    assert not Article.objects.exists()
    # article_create raises the item's own error, as it always did.
    with pytest.raises(Exception) as single:
        article_create(project=project, text="Fine.", url="not a url")
    assert "url" in single.value.message_dict  # type: ignore[attr-defined]


def test_a_stored_text_is_answered_whatever_came_with_it(project: Any) -> None:
    stored = article_create(project=project, text="Stored.").article
    [result] = articles_create_many(
        project=project, items=[ArticleInput(text="Stored.", url="not a url")]
    )
    assert (result.created, result.article.pk) == (False, stored.pk)


def _jsonl(n: int, bad: dict[int, str] | None = None) -> bytes:
    lines = [
        json.dumps(
            {"text": f"Article {i}: Akıncı, Яна, 🇹🇷.", "title": f"T{i}", "url": "https://e.org"}
        )
        for i in range(n)
    ]
    for at, line in (bad or {}).items():
        lines[at] = line
    return "\n".join(lines).encode()


def test_a_file_error_names_the_first_bad_line_and_counts_the_others(project: Any) -> None:
    data = _jsonl(5, bad={1: json.dumps({"text": "x", "url": "bad"}), 3: '{"text": "\\u0000"}'})
    result = import_file(project=project, name="feed.jsonl", data=data)
    assert result.failed
    assert result.error.startswith("line 2: ")
    assert result.error.endswith("(and 1 more bad lines)")
    assert not Article.objects.exists()


def test_a_dry_run_reports_and_writes_nothing(project: Any) -> None:
    article_create(project=project, text="Article 0: Akıncı, Яна, 🇹🇷.")
    result = import_file(project=project, name="feed.jsonl", data=_jsonl(3), dry_run=True)
    assert (len(result.created), len(result.skipped)) == (2, 1)
    assert Article.objects.count() == 1


# --- The cheap paths give what the full ones give ---------------------------------------

SEEDS = [path.read_text(encoding="utf-8") for path in sorted(SEED_DIR.glob("*.txt"))]
BOILERPLATE = (
    "Share on Facebook\nvk · telegram · whatsapp\n5 comments\nBack to top\nTags: Russia, "
    "Turkey\nSubscribe to our newsletter.\nShare this article:\nTags are useful.\nVK Twitter"
)
HEADERS = [
    "Turkey and Central Asia\nЯна Орехова 12.05.2025 Politics\n\nBody text here.",
    "Title\nby John Smith on 3 May 2024\n\nBody.",
    "Title\n\tЯна Орехова\u00a012.05.2025 Politics\n\nBody.",  # tabs, no-break spaces
    "Title\n" + "word " * 60 + "12.05.2025 Politics\n\nBody.",
    "Title\n\nRead also:\nShare\nBody 2024 with a year.\n\nSource: inosmi.ru",
]


@pytest.mark.parametrize("text", [*HEADERS, *SEEDS])
@pytest.mark.parametrize("needed", [{"rubric"}, set(), {"rubric", "title"}])
def test_describe_text_reads_what_is_needed_as_it_always_did(text: str, needed: set[str]) -> None:
    full = describe_text(text, unwrap=False, strip_boilerplate=False)
    cheap = describe_text(text, unwrap=False, strip_boilerplate=False, needed=needed)
    assert cheap.text == full.text and cheap.unwrapped == full.unwrapped
    for name in needed & READ_FIELDS:
        assert getattr(cheap, name) == getattr(full, name), name


def test_the_header_rubric_is_still_read_when_only_it_is_needed() -> None:
    cheap = describe_text(HEADERS[0], strip_boilerplate=False, needed={"rubric"})
    assert cheap.rubric == "Politics"


@pytest.mark.parametrize("gap", ["\t", "\u00a0", "\u3000 ", " "])
def test_a_long_header_line_that_squashes_short_still_gives_its_rubric(gap: str) -> None:
    """Over 200 characters, yet short once its tabs, no-break spaces or runs of spaces
    are squashed: the cheap test of a line (issue 21; its first 256 characters first,
    then the whole) looks at it."""
    text = f"Turkey and Central Asia\nЯна Орехова{gap * 200}12.05.2025 Politics\n\nBody."
    assert len(text.split("\n")[1]) > 200
    full = describe_text(text, unwrap=False, strip_boilerplate=False)
    cheap = describe_text(text, unwrap=False, strip_boilerplate=False, needed={"rubric"})
    assert full.rubric == cheap.rubric == "Politics"


@pytest.mark.parametrize("text", [BOILERPLATE, *HEADERS, *SEEDS])
def test_the_boilerplate_patterns_as_one_match_what_they_match_apart(text: str) -> None:
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        apart = any(p.fullmatch(line) for p in BOILERPLATE_PATTERNS) or _is_tag_list(line)
        assert _is_boilerplate_line(line) == apart, line


# The lines read for the metadata with the boilerplate kept (``_metadata_lines``): the
# first lines alone when they give all the whole text would, else the whole stripped text.
_BODY = (
    "Turkey’s influence in the region grows, observers say, as trade, schools and "
    "television series carry its language further east than at any time since the "
    "Soviet Union fell; officials in Ankara call it cooperation, critics something else, "
    "and the people of the region mostly watch the series."
)
_TAIL_AND_HEAD_BITS = [
    "Read also:",
    "Read more: Something else",
    "Share on Facebook",
    "• A headline about something here",
    "• Another headline about things",
    "Home » World » Asia",
    "Source: inosmi.ru",
    "Yana Orekhova, exclusively for “Vestnik Kavkaza”",
    "Support independent journalism",
    "SUPPORT OUR JOURNALİSM",
    "by John Smith on 3 May 2024",
    "Яна Орехова 12.05.2025 Politics",
    "",
    "",
    "Tags: Russia, Turkey",
    "A teaser title without a stop",
    "Truncated lede of another story…",
    "Short line.",
    "Published by: emerging-europe.com",
    "Originally  published\u00a0at:\thttps://example.org/a",
    _BODY,
    _BODY + " Donate now to keep it free.",
    _BODY[:150] + "…",
]


def _mixed_texts(n: int) -> list[str]:
    import random

    rng = random.Random(21)
    texts = []
    for _ in range(n):
        lines = [rng.choice(_TAIL_AND_HEAD_BITS) for _ in range(rng.randint(1, 14))]
        texts.append("\n".join(lines))
        texts.append("Title line\n\n" + "\n".join(lines))
    return texts


@pytest.mark.parametrize("needed", [READ_FIELDS, frozenset({"title", "published", "rubric"})])
def test_the_first_lines_give_what_the_whole_stripped_text_gives(needed: frozenset[str]) -> None:
    from corpus.cleanup import strip_lines
    from corpus.text import normalise_newlines
    from corpus.textmeta import _metadata_lines, _read_metadata

    windows = 0
    for raw in [*HEADERS, *SEEDS, *_mixed_texts(1500)]:
        text = normalise_newlines(raw)
        full, _ = _read_metadata(strip_lines(text.split("\n")))
        lines = _metadata_lines(text, needed)
        windows += len(lines) < len(strip_lines(text.split("\n")))
        cheap, _ = _read_metadata(lines)
        if needed == READ_FIELDS:
            assert cheap == full, text
        else:
            assert {k: cheap.get(k) for k in needed} == {k: full.get(k) for k in needed}, text
    assert windows > 100  # the cheap path was taken, often


@pytest.mark.parametrize("needed", [READ_FIELDS, frozenset({"rubric", "byline", "outlet"})])
def test_the_metadata_lines_come_with_their_squashed_form(needed: frozenset[str]) -> None:
    """``_metadata_lines_flat`` hands ``_read_metadata`` the lines squashed as it would
    squash them itself (``describe_text`` no longer squashes a window twice)."""
    from corpus.text import normalise_newlines, squash_spaces
    from corpus.textmeta import _metadata_lines, _metadata_lines_flat, _read_metadata

    for raw in [*HEADERS, *SEEDS, *_mixed_texts(400)]:
        text = normalise_newlines(raw)
        lines, flat = _metadata_lines_flat(text, needed)
        assert lines == _metadata_lines(text, needed)
        assert flat == [squash_spaces(line) for line in lines], text
        assert _read_metadata(lines, flat) == _read_metadata(lines), text


def test_lines_up_to_a_barrier_line_are_stripped_as_without_the_tail_step() -> None:
    """``strip_lines_flat(..., last_is_barrier=True)`` (the head window's) skips the
    search for appeals at the end: the same lines as the full steps, for every prefix of
    a text that ends at a barrier line, appeals and outlet lines before it included."""
    from corpus.cleanup import is_barrier_line, strip_lines_flat
    from corpus.text import squash_spaces

    barriers = 0
    texts = [*HEADERS, *SEEDS, *_mixed_texts(400)]
    texts += [f"{_BODY} Support our journalism.\nSource: inosmi.ru\n{_BODY}", f"x\n{_BODY}"]
    for text in texts:
        lines = text.split("\n")
        for end, line in enumerate(lines):
            if line and is_barrier_line(squash_spaces(line)):
                barriers += 1
                window = lines[: end + 1]
                assert strip_lines_flat(window, last_is_barrier=True) == strip_lines_flat(window), (
                    text
                )
    assert barriers > 200


def test_a_text_with_a_source_line_at_the_end_is_read_whole() -> None:
    from corpus.textmeta import _metadata_lines

    text = f"Title\n\n{_BODY}\n\n{_BODY}\n\nSource: inosmi.ru"
    assert describe_text(text, unwrap=False, strip_boilerplate=False).outlet == "inosmi.ru"
    assert len(_metadata_lines(text, READ_FIELDS)) == len(text.split("\n"))
    plain = f"Title\n\n{_BODY}\n\n{_BODY}\n\n{_BODY}"
    assert len(_metadata_lines(plain, READ_FIELDS)) == 3  # the title, a blank, a paragraph


@pytest.mark.parametrize(
    "line",
    [
        "Support independent journalism",
        "Please support   our journalism today",  # squashed by then: one space
        "SUPPORT LOCAL JOURNALİSM",
        "ſupport us",
        "No paywall here",
        "It is FREE TO READ",
        "Contribute here",
        "Donate today",
        "Become a Patron",
        "Subscribe now",
    ],
)
def test_every_appeal_passes_the_cheap_test_before_the_regex(line: str) -> None:
    from corpus.cleanup import _APPEAL_RE, _may_appeal
    from corpus.text import squash_spaces

    flat = squash_spaces(line)
    if _APPEAL_RE.search(flat):
        assert _may_appeal(flat)
    assert not _may_appeal(_BODY)


# --- The URL check's fast path (issue 21) -------------------------------------------------

_URLS_ACCEPTED_PLAINLY = [
    "",
    "https://example.org",
    "http://example.org/",
    "https://www.bbc.co.uk/news/world-europe-123?x=1&y=2#top",
    "https://a.io/%D0%AF%D0%BD%D0%B0",
    "https://e.org/import/11/0",
    "https://sub-domain.example-site.com.tr/path/to;page?q=a+b",
    "https://" + "a" * 63 + ".com/",
    "https://xn--80ak6aa92e.com/",
    "https://example.org?",
]
_URLS_OTHERS = [  # each goes through Django's URLValidator, whatever it says
    "not a url",
    "https://-bad.org/",
    "https://bad-.org/",
    "https://" + "a" * 64 + ".com/",
    "https://" + ".".join(["a" * 60] * 5) + ".com/",  # a host over 253 characters
    "https://example.org/" + "p" * 1000,
    "https://example.org/a b",
    "https://example.org/\t",
    "https://ex ample.org/",
    "https://example.o",
    "https://example.123",
    "https://example",
    "https://example.org:8080/",
    "https://user:pw@example.org/",
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://пример.рф/",
    "HTTPS://EXAMPLE.ORG/",
    "ftp://example.org/",
    "javascript://example.org/",
    "https://example.org./",
    "https://example..org/",
    "https://example.org/ü",
    "//example.org/",
]


@pytest.mark.parametrize("url", _URLS_ACCEPTED_PLAINLY + _URLS_OTHERS)
def test_a_plain_url_is_one_the_model_field_accepts(url: str) -> None:
    """The import skips the model's URL validator for a URL of ``plain_url`` (11 ms per
    1,000 articles): only for URLs it accepts. The others are checked by it as before."""
    from corpus.services import plain_url

    assert plain_url(url) is (url in _URLS_ACCEPTED_PLAINLY)
    if plain_url(url):
        Article._meta.get_field("url").clean(url, None)  # the model's own check passes


def test_plain_urls_are_never_ones_the_validator_refuses() -> None:
    """Random URLs made of the pieces the fast path's pattern is about: whenever it says
    plain, Django's validator agrees."""
    import random

    from django.core.exceptions import ValidationError

    from corpus.services import plain_url

    rng = random.Random(21)
    pieces = ["a", "z", "0", "9", "-", ".", "/", "?", "#", ":", "@", "%", "é", " ", "x" * 62]
    field = Article._meta.get_field("url")
    plain = 0
    for _ in range(5_000):
        host = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        url = (
            rng.choice(["https://", "http://", "HTTP://", "ftp://"])
            + host
            + rng.choice(["", ".com", ".org/x", ".c", ".co.uk/?q=1"])
        )
        if plain_url(url):
            plain += 1
            try:
                field.clean(url, None)
            except ValidationError:
                pytest.fail(f"plain_url took {url!r}, which the model field refuses")
    assert plain > 20


def test_a_refused_url_in_an_import_gives_the_message_it_always_gave(project: Any) -> None:
    with pytest.raises(ArticleBatchError) as caught:
        articles_create_many(
            project=project,
            items=[
                ArticleInput(text="One.", url="https://-bad.org/"),
                ArticleInput(text="Two.", url="https://e.org/ok"),
            ],
        )
    assert caught.value.item_errors[0].message_dict == {"url": ["Enter a valid URL."]}
    assert list(caught.value.item_errors) == [0]


def _describe_as_before(text: str, unwrap: bool | None) -> tuple[str, bool, dict[str, Any]]:
    """describe_text with the boilerplate stripped, as it was before issue 21's second
    round: every step on the text itself (normalised, squashed, split again)."""
    from corpus.cleanup import looks_hard_wrapped, strip_lines, unwrap_lines
    from corpus.text import clean_text, normalise_newlines
    from corpus.textmeta import _read_metadata

    lines = strip_lines(normalise_newlines(text).split("\n"))
    found, drop = _read_metadata(lines)
    body = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    unwrapped = looks_hard_wrapped(body) if unwrap is None else unwrap
    if unwrapped:
        body = unwrap_lines(body)
    return clean_text(body), unwrapped, found


_ODD_BITS = [
    "\ufeffA line after a BOM",
    "Share on Facebook",
    "   \t ",
    "\u00a0",
    "line one\r\nline two\rline three",
    "a short wrapped line that runs on into the next one of the",
    "paragraph, as text from a PDF does when it is copied out of",
    "it: most of them are nearly as long as the widest one, and",
    "",
    "",
]


def _odd_texts(n: int) -> list[str]:
    import random

    rng = random.Random(2112)
    bits = [*_TAIL_AND_HEAD_BITS, *_ODD_BITS]
    return ["\n".join(rng.choice(bits) for _ in range(rng.randint(1, 16))) for _ in range(n)]


@pytest.mark.parametrize("unwrap", [None, True, False])
def test_describe_text_with_the_cleanup_gives_what_the_passes_over_the_text_gave(
    unwrap: bool | None,
) -> None:
    """The cleanup on reuses the lines it has (squashed once, the paragraphs found from
    them, no second normalising: issue 21): the same text, unwrapping and fields."""
    from corpus.cleanup import _paragraphs, strip_lines, strip_lines_flat
    from corpus.text import normalise_newlines, squash_spaces
    from corpus.textmeta import ParsedArticle

    for text in [*HEADERS, *SEEDS, BOILERPLATE, *_mixed_texts(200), *_odd_texts(800)]:
        described = describe_text(text, unwrap=unwrap)
        expected, unwrapped, found = _describe_as_before(text, unwrap)
        assert (described.text, described.unwrapped) == (expected, unwrapped), repr(text)
        blank = ParsedArticle(text="")
        for name in READ_FIELDS:
            assert getattr(described, name) == found.get(name, getattr(blank, name)), name
        lines = normalise_newlines(text).split("\n")
        kept, flat = strip_lines_flat(lines)
        assert kept == strip_lines(lines) and flat == [squash_spaces(k) for k in kept]
        body = normalise_newlines(text).lstrip("\ufeff")
        assert _paragraphs(body, body.split("\n")) == _paragraphs(body), repr(text)


def _records_file() -> bytes:
    records: list[Any] = [
        {"text": text, "title": f"T{i}", "byline": "Ayşe Yılmaz", "published": "2025-01-02"}
        for i, text in enumerate([*SEEDS, *HEADERS, BOILERPLATE])
    ]
    records += [
        {"text": "Article: Akıncı, Яна, 🇹🇷.", "author": "Яна Орехова", "section": "x"},
        {"text": "With metadata.", "metadata": {"rubric": "Sport", "n": [1, None, True]}},
        {"text": 'Escaped \u00e9\u0301 and \\ and " and \t and \u2028.', "language": "tr"},
    ]
    lines = [json.dumps(r, ensure_ascii=i % 2 == 0) for i, r in enumerate(records)]
    return ("\n".join(lines[:3]) + "\n\n  \n" + "\n".join(lines[3:]) + "\n").encode()


@pytest.mark.parametrize("strip_boilerplate", [True, False])
def test_a_jsonl_file_read_from_its_bytes_gives_what_its_text_gives(
    strip_boilerplate: bool,
) -> None:
    """JSON Lines read by orjson from the bytes (issue 21) give the articles that the
    decoded text gives; a file with anything it does not plainly read goes to the text
    path (None), which gives the articles or the error."""
    from corpus.formats import _parse_jsonl, _parse_jsonl_plainly

    data = _records_file()
    options: dict[str, Any] = {"unwrap": None, "strip_boilerplate": strip_boilerplate}
    plain = _parse_jsonl_plainly(data, **options)
    assert plain is not None and len(plain) == len(SEEDS) + len(HEADERS) + 4
    assert plain == _parse_jsonl(data.decode(), **options)
    for odd in [
        b"\xef\xbb\xbf" + data,  # a BOM
        data.replace(b"\n", b"\r\n"),
        data + b'{"text": "A float.", "score": 0.5}\n',
        data + b'{"title": "No text."}\n',
        b"\xc2\xa0\n" + data,  # a line of a no-break space: blank to the text path
        data + b'{"text": "Bad \\ud800 surrogate."}\n',
        data + b"[1, 2]\n",
    ]:
        assert _parse_jsonl_plainly(odd, **options) is None, odd[-40:]
    shifted = parse_bytes("a.jsonl", b"\xc2\xa0\n" + data, **options)  # a line further down
    assert [(a.text, a.title, a.line) for a in shifted] == [
        (a.text, a.title, (a.line or 0) + 1) for a in plain
    ]


def test_the_duplicates_of_a_batch_are_found_in_one_query_whatever_its_size(project: Any) -> None:
    """The project's texts among a batch's, in one query (on PostgreSQL the hashes go as
    one array, ``= ANY(%s)``, not a placeholder each): the stored ones answered with the
    stored article, the others created."""
    stored = [article_create(project=project, text=f"Stored {i}.").article for i in range(3)]
    items = [ArticleInput(text=f"Stored {i}.") for i in range(3)]
    items += [ArticleInput(text=f"New {i}.") for i in range(400)]
    with CaptureQueriesContext(connection) as captured:
        results = articles_create_many(project=project, items=items)
    assert [r.article for r in results[:3]] == stored
    assert [r.created for r in results] == [False] * 3 + [True] * 400
    queries = [q["sql"] for q in captured.captured_queries]
    lookups = [sql for sql in queries if "sha256" in sql.partition(" WHERE ")[2]]
    assert len(lookups) == 1
    if connection.vendor == "postgresql":
        assert "= ANY(" in lookups[0]


def test_every_head_of_a_tag_list_starts_with_a_letter_the_cheap_test_lets_through() -> None:
    """``_is_boilerplate_line`` asks ``_is_tag_list`` only of lines that start with one of
    ``_TAG_STARTS``: the first letters of every head ``_TAGS_RE`` knows."""
    from corpus.cleanup import _TAG_STARTS, _TAGS_RE

    heads = re.search(r"\(\?P<head>([^)]*)\)", _TAGS_RE.pattern)
    assert heads is not None
    assert {head[0] for head in heads[1].split("|")} <= _TAG_STARTS
    for line in ("Tags: Russia, Turkey", "Теги: Россия, Турция", "Метки: Москва", "TAGS Gas"):
        assert _is_boilerplate_line(line), line


def test_a_prepared_article_is_the_one_keywords_would_build(project: Any) -> None:
    """``_article_prepared`` builds the article by position (issue 21, imp25): the same
    values as ``Article(project=…, …)``, the project cached alike (no query for it)."""
    from corpus.services import _article_prepared

    item = ArticleInput(
        text="Café in İstanbul 🇹🇷\n\nЯна.",
        title="T",
        byline="B",
        outlet="O",
        url="https://example.org/a",
        published=dt.date(2022, 1, 22),
        language="tr",
        metadata={"k": [1, "ü"]},
        source_file="f.jsonl",
        text_clean=True,
    )
    built, metadata_json = _article_prepared(project, item)
    assert metadata_json is None  # not ASCII: json.dumps would escape the ü
    expected = Article(
        project=project,
        title="T",
        byline="B",
        outlet="O",
        url="https://example.org/a",
        published=dt.date(2022, 1, 22),
        language="tr",
        text=item.text,
        sha256=sha256_text(item.text),
        char_count=len(item.text),
        metadata={"k": [1, "ü"]},
        source_file="f.jsonl",
    )

    def state(article: Article) -> dict[str, Any]:
        return {k: v for k, v in vars(article).items() if k != "_state"}

    assert state(built) == state(expected)
    assert built._state.fields_cache == expected._state.fields_cache == {"project": project}
    assert (built._state.adding, built._state.db) == (expected._state.adding, expected._state.db)
    with CaptureQueriesContext(connection) as captured:
        assert built.project is project
    assert not captured.captured_queries


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"import": {"format": "jsonl", "boilerplate_stripped": False, "line": 7}},
        {"k": [1, 2.5, None, True, 'a"b\\c\n\t\x01'], "nested": {"x": {"y": []}}},
        {"ü": "Türkçe"},
        {"del": "a\x7fb"},
        {"big": 10**30, "nan": float("nan")},
    ],
)
def test_the_metadata_json_made_by_the_check_is_what_the_field_stores(metadata: Any) -> None:
    """``_fields_checked`` hands the insert the metadata's JSON it made for the size check
    (issue 21: not dumped twice): only where it is the text the field's own conversion
    gives, on either database (SQLite stores the text as it is)."""
    from django.db import connection

    from corpus.services import _fields_checked

    checked, as_stored = _fields_checked({"metadata": metadata})
    field = Article._meta.get_field("metadata")
    if connection.vendor == "sqlite" and as_stored is not None:
        assert as_stored == field.get_db_prep_save(metadata, connection)
    assert as_stored is None or as_stored == json.dumps(metadata)
    assert (as_stored is None) == (metadata in ({"ü": "Türkçe"}, {"del": "a\x7fb"}))
    assert checked["metadata"] is metadata


def test_stored_metadata_is_the_same_whether_its_json_was_made_by_the_check(
    project: Any,
) -> None:
    """Every stored field of a batch is what it was when the insert dumped the metadata
    itself: ASCII and not, with and without a date, on either database."""
    from corpus import services

    metadatas: list[dict[str, Any]] = [{}, {"a": [1, "x"]}, {"ü": "Türkçe"}, {"d": "\x7f"}]
    items = [
        ArticleInput(
            text=f"Text {i} İ ü 🌍.",
            metadata=metadatas[i % 4],
            published=dt.date(2022, 1, 1 + i) if i % 2 else None,
            url=f"https://example.org/{i}",
            text_clean=True,
        )
        for i in range(8)
    ]
    fields = [
        f.attname
        for f in Article._meta.concrete_fields
        if f.attname not in {"id", "project_id", "created", "updated"}
    ]

    def stored(slug: str, quick: bool) -> list[tuple[Any, ...]]:
        other = project_create(name=slug, slug=slug)
        checked = services._fields_checked
        no_json = mock.patch.object(services, "_fields_checked", lambda f: (checked(f)[0], None))
        with contextlib.nullcontext() if quick else no_json:
            articles_create_many(project=other, items=items)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(fields)} FROM corpus_article WHERE project_id = %s ORDER BY id",
                [other.pk],
            )
            return cursor.fetchall()

    assert stored("quick", True) == stored("slow", False)
