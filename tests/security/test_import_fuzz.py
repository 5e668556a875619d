"""Hypothesis over the importers: any file either imports whole or is refused with a reason
a person can read — never an unexpected exception, never part of a file written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.formats import ImportFileError, parse_bytes
from corpus.importers import import_file
from corpus.models import Article

SUFFIXES = [".txt", ".md", ".html", ".jsonl"]
TEXT = st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=300)
# Texts with the scripts and shapes the corpus has: Turkish, Cyrillic, emoji, markup, JSON.
WORDS = st.sampled_from(
    [
        "Akıncı",
        "Şentop",
        "Яна Орехова",
        "🇹🇷",
        "😀",
        "Source: inosmi.ru",
        "by X on 2 Jan 2022",
        "<p>",
        "</script>",
        "# Title",
        "{",
        "}",
        '"text":',
        "\n",
        "\n\n",
        "  ",
        "—",
        "…",
    ]
)
SHAPED = st.lists(st.one_of(WORDS, TEXT), max_size=30).map("".join)


def jsonl_lines() -> st.SearchStrategy[bytes]:
    record = st.fixed_dictionaries(
        {"text": st.one_of(SHAPED, st.integers(), st.none())},
        optional={"title": SHAPED, "published": st.one_of(TEXT, st.integers()), "metadata": TEXT},
    )
    line = st.one_of(record.map(lambda r: json.dumps(r, ensure_ascii=False)), TEXT)
    return st.lists(line, min_size=1, max_size=5).map(lambda ls: "\n".join(ls).encode())


@settings(max_examples=150, deadline=None)
@given(
    suffix=st.sampled_from(SUFFIXES),
    data=st.one_of(SHAPED.map(str.encode), st.binary(max_size=200)),
)
def test_parsing_any_file_gives_articles_or_a_reason(suffix: str, data: bytes) -> None:
    try:
        articles = parse_bytes("fuzz" + suffix, data)
    except ImportFileError as error:
        assert str(error).strip(), "a refusal must say why"
        return
    for article in articles:
        assert isinstance(article.text, str)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=jsonl_lines())
def test_a_jsonl_file_imports_whole_or_not_at_all(project: Any, data: bytes) -> None:
    before = Article.objects.filter(project=project).count()
    result = import_file(project=project, name="fuzz.jsonl", data=data)
    after = Article.objects.filter(project=project).count()
    if result.failed:
        assert result.error.strip()
        assert after == before, "a refused file must write nothing"
    else:
        assert after == before + len(result.created)
