"""A claim's quote is shown between “ and ” once: a quote that opens (or closes) with a
quotation mark of its own gets no second one (``annotate/templatetags/quotes.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from tests.conftest import login
from tests.factories import ArticleFactory, AssignmentFactory, make_claim


def render(text: str) -> str:
    return Template("{% load quotes %}{{ text|quoted }}").render(Context({"text": text}))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain words", "“plain words”"),
        ("“the whole of it”", "“the whole of it”"),
        ("“We agree,” he said", "“We agree,” he said”"),
        ("he said: “We agree”", "“he said: “We agree”"),
        ('"straight"', "&quot;straight&quot;"),
        ("“", "“”"),
        ("", "“”"),
        ("<b>&</b> “x", "“&lt;b&gt;&amp;&lt;/b&gt; “x”"),
    ],
)
def test_the_quoted_filter_adds_only_the_marks_the_text_lacks(text: str, shown: str) -> None:
    assert render(text) == shown


def test_the_quoted_filter_escapes_even_when_it_adds_nothing() -> None:
    assert render("“<script>x</script>”") == "“&lt;script&gt;x&lt;/script&gt;”"


@pytest.mark.django_db
def test_the_claim_list_shows_a_quote_that_starts_with_a_quotation_mark_once(
    client: Client, project: Any, annotator: Any
) -> None:
    article = ArticleFactory(project=project, text="Akıncı said: “Şentop & Яна agree.” End.")
    AssignmentFactory(article=article, annotator=annotator)
    make_claim(article, annotator, "“Şentop & Яна agree.”")
    make_claim(article, annotator, "“Şentop")
    login(client, annotator)
    html = client.get(reverse("annotate:workspace", args=[article.pk])).content.decode()
    assert '<span class="claim-quote">“Şentop &amp; Яна agree.”</span>' in html
    assert '<span class="claim-quote">“Şentop”</span>' in html
    assert "““" not in html
