"""The cheap checks of ``describe_text`` with the boilerplate kept (issue 21, upload34):
the outlet lines found by their colons (``_has_outlet_start``) and the head window's
barrier line squashed once (``strip_lines_flat(..., barrier_flat=...)``) give what the
checks they replaced gave, and so every field ``describe_text`` reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from corpus import textmeta
from corpus.cleanup import is_barrier_line, strip_lines_flat
from corpus.text import normalise_newlines, squash_spaces
from corpus.textmeta import READ_FIELDS, describe_text
from tests.corpus.test_articles_create_many import BOILERPLATE, HEADERS, SEEDS, _mixed_texts

_DATA = Path(settings.BASE_DIR) / "tests"
_BODY = (
    "Turkey’s influence in the region grows, observers say, as trade, schools and "
    "television series carry its language further east than at any time since the "
    "Soviet Union fell; officials in Ankara call it cooperation, critics something else."
)
_EMOJI = "Ortak geleceğimiz için çalışıyoruz 🇹🇷, dedi Яна Орехова: «Мы вместе» 🙂."

# Lines that are, nearly are or merely look like outlet lines and signatures: Turkish
# dotted and dotless i, the long s (``re.IGNORECASE`` takes it for an s), Cyrillic,
# emoji, tabs and no-break spaces, colons first, last and alone, very long lines.
HOSTILE_LINES = [
    "Source: inosmi.ru",
    "SOURCE : inosmi.ru",
    "ſource: inosmi.ru",
    "  \tSource :\u00a0https://www.example.org/a",
    "\u00a0Published\u00a0by: emerging-europe.com",
    "Originally\tpublished in: Habertürk",
    "FİRST PUBLİSHED ON: Hürriyet",
    "first publıshed on: Hürriyet",
    "Republished from: The Conversation",
    "Источник: РИА Новости",
    "ИСТОЧНИК : ТАСС",
    "Kaynak: Anadolu Ajansı",
    "Source",
    ": Source",
    ":",
    "::",
    "Source of the trouble, officials say: the pipeline",
    "🇹🇷 Source: inosmi.ru",
    "Source 🇹🇷: inosmi.ru",
    "Yana Orekhova, exclusively for “Vestnik Kavkaza”",
    "Ayşe Yılmaz, specially for «Habertürk»",
    "Яна Орехова,\twritten for the „Вестник Кавказа“",
    'İsmail Kara, especially for "Daily Sabah"',
    "word " * 3000 + "Source: inosmi.ru",
    "Source: " + "x" * 5000,
    "x" * 10_000 + ":",
    _EMOJI,
    _BODY,
]


def _hostile_texts() -> list[str]:
    texts = []
    for line in HOSTILE_LINES:
        texts += [
            line,  # no line feed at all
            f"Title\n\n{_BODY}\n\n{line}",
            f"Title\n\n{_BODY}\n\n{line}\n",
            f"{line}\n\n{_BODY}\n\n{_BODY}",
            f"Турция и Центральная Азия\n{line}\n\n{_EMOJI} {_BODY}\n\n{_BODY}",
            f"Title: with a colon\n\n{_BODY}\n{line}\n\n{_EMOJI}",
        ]
    texts += [
        "Source\n: inosmi.ru",  # the colon on a line of its own: no outlet line
        "Published\nby: x",
        f"Title\n\n{_BODY}\n\n\n\n:\n\n{_BODY}",
        "\n\n:",
        ":\n",
        "Title:\n" + ("Paragraph: " + _BODY + "\n\n") * 30,
        "Başlık\n\n" + (_EMOJI + " ") * 400,  # one very long line, no colon at its start
    ]
    return texts


def _corpus() -> list[str]:
    """The seed articles, the test data's texts, the test module's headers and mixed
    texts, and the hostile shapes: line ends normalised, as ``describe_text`` reads them."""
    texts = [*SEEDS, BOILERPLATE, *HEADERS, *_mixed_texts(300), *_hostile_texts()]
    for name in ("corpus/data/articles.jsonl", "data/seed_eval.jsonl"):
        for line in (_DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    texts.append((_DATA / "corpus/data/article.md").read_text(encoding="utf-8"))
    return [normalise_newlines(text) for text in texts]


# The checks as they were before (main at e91ef4d), side by side with the new ones.


def _old_tail_may_say(text: str) -> bool:
    lines = text.split("\n")
    return any(word in text for word in textmeta._SIGNATURE_WORDS) or any(
        textmeta._OUTLET_START_RE.match(line) for line in lines
    )


def _old_head_window(lines: list[str]) -> tuple[list[str], list[str]] | None:
    started, tries = False, 0
    for end, line in enumerate(lines):
        if not line.strip():
            continue
        if not started:
            started = True
            continue
        if not is_barrier_line(squash_spaces(line)):
            continue
        window, flat = strip_lines_flat(lines[: end + 1], last_is_barrier=True)
        idx = [i for i, kept in enumerate(flat) if kept]
        if len(idx) >= 2 and (
            textmeta._is_title_line(flat[idx[0]], flat[idx[0] + 1]) or "" in flat[idx[0] :]
        ):
            return window, flat
        tries += 1
        if tries == 3:
            return None
    return None


def test_outlet_lines_are_found_by_their_colons_as_by_matching_every_line() -> None:
    found = 0
    for text in _corpus():
        every_line = any(textmeta._OUTLET_START_RE.match(line) for line in text.split("\n"))
        assert textmeta._has_outlet_start(text) == every_line, text[:200]
        assert textmeta._tail_may_say(text) == _old_tail_may_say(text), text[:200]
        found += every_line
    assert found > 100


def test_the_head_window_is_the_one_it_was() -> None:
    windows = 0
    for text in _corpus():
        lines = text.split("\n")
        assert textmeta._head_window(lines) == _old_head_window(lines), text[:200]
        windows += textmeta._head_window(lines) is not None
    assert windows > 100


def test_a_barrier_line_squashed_by_the_caller_strips_as_before() -> None:
    barriers = 0
    for text in _corpus():
        lines = text.split("\n")
        for end, line in enumerate(lines):
            squashed = squash_spaces(line)
            if line and is_barrier_line(squashed):
                barriers += 1
                window = lines[: end + 1]
                assert strip_lines_flat(window, barrier_flat=squashed) == strip_lines_flat(
                    window, last_is_barrier=True
                ), text[:200]
    assert barriers > 200


_NEEDED = [
    READ_FIELDS,
    frozenset({"rubric", "byline", "outlet", "published"}),  # an upload's, title and URL given
    frozenset({"rubric", "outlet", "url"}),
    frozenset({"rubric"}),
    frozenset(),
]


@pytest.mark.parametrize("strip_boilerplate", [False, True])
@pytest.mark.parametrize("unwrap", [False, None])
def test_describe_text_gives_what_it_gave(
    monkeypatch: pytest.MonkeyPatch, strip_boilerplate: bool, unwrap: bool | None
) -> None:
    """Every field, the text and whether it was unwrapped, for every needed set: the new
    checks against the old ones put back in their place."""
    texts = _corpus()

    def described() -> list[Any]:
        return [
            describe_text(text, unwrap=unwrap, strip_boilerplate=strip_boilerplate, needed=needed)
            for text in texts
            for needed in _NEEDED
        ]

    new = described()
    with monkeypatch.context() as patched:
        patched.setattr(textmeta, "_tail_may_say", _old_tail_may_say)
        patched.setattr(textmeta, "_head_window", _old_head_window)
        old = described()
    assert new == old
    outlets = {article.outlet for article in new if article.outlet}
    assert {"inosmi.ru", "Vestnik Kavkaza", "РИА Новости", "Habertürk"} <= outlets


def test_a_colon_on_a_line_of_its_own_makes_no_outlet_line() -> None:
    assert not textmeta._has_outlet_start("Source\n: inosmi.ru")
    assert not textmeta._has_outlet_start("Published\nby: x")
    assert textmeta._has_outlet_start("Title\n\nſource: inosmi.ru")
    assert textmeta._has_outlet_start("x" * 10_000 + "\n\u00a0Источник : ТАСС")
    assert re.search("inosmi", describe_text("T\n\n" + _BODY + "\n\nSource: inosmi.ru").outlet)
