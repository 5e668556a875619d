"""The reader with one layer's claims: the gold layer outside review, or one annotator's, for
curators and managers; the marks sit exactly on the claims' code-point spans."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.claims.checks import StanceInput
from annotate.claims.values import ClaimFields
from annotate.reader.selectors import segments
from annotate.review.gold import gold_add
from tests.conftest import login
from tests.factories import (
    VALID_LABELS,
    ArticleFactory,
    AssignmentFactory,
    SourceFactory,
    TargetFactory,
    make_claim,
    span,
)

# Emoji (outside the BMP: two UTF-16 units), Cyrillic and Turkish before and inside spans.
TEXT = (
    "🇹🇷 Türkiye’nin etkisi büyüyor, dedi Işık. «Москва недовольна», сказал Умаров.\n\n"
    "<b>Not bold</b> & China watches 👀 quietly."
)


def _url(article: Any, **query: str) -> str:
    url = reverse("annotate:article-claims", args=[article.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _marked(html: str) -> dict[str, str]:
    """Claim id → the text of its marks, joined (a claim cut by an overlap spans several)."""
    text_div = html.split('id="layered-text">', 1)[1].split("</div>", 1)[0]
    found: dict[str, str] = {}
    for ids, inner in re.findall(r'<mark [^>]*data-claims="([^"]*)"[^>]*>(.*?)</mark>', text_div):
        for claim_id in ids.split():
            found[claim_id] = found.get(claim_id, "") + unescape(inner)
    return found


@pytest.fixture
def article(project: Any, annotator: Any, other_annotator: Any) -> Any:
    article = ArticleFactory(project=project, text=TEXT)
    AssignmentFactory(article=article, annotator=annotator)
    AssignmentFactory(article=article, annotator=other_annotator)
    SourceFactory(project=project, name="Işık")
    TargetFactory(project=project, name="Russia")
    return article


def _gold(article: Any, curator: Any, words: str) -> Any:
    start, end = span(article.text, words)
    fields = ClaimFields(
        start=start,
        end=end,
        quote=words,
        source=article.project.sources.first(),
        stances=[StanceInput(target=article.project.targets.first(), stance="against")],
        labels=VALID_LABELS,
    )
    return gold_add(curator=curator, article=article, fields=fields)


@pytest.mark.django_db
def test_the_gold_layer_is_marked_exactly_on_its_spans(
    client: Client, article: Any, curator: Any, annotator: Any
) -> None:
    gold = _gold(article, curator, "Türkiye’nin etkisi büyüyor")
    make_claim(article, annotator, "«Москва недовольна»")  # another layer: not shown
    html = login(client, curator).get(_url(article)).content.decode()
    assert _marked(html) == {str(gold.pk): "Türkiye’nin etkisi büyüyor"}
    assert "Gold layer: 1 claim" in html
    assert "Russia: " in html  # its stance, by target


@pytest.mark.django_db
def test_an_annotators_layer_with_overlapping_claims(
    client: Client, article: Any, curator: Any, annotator: Any
) -> None:
    outer = make_claim(article, annotator, "«Москва недовольна», сказал Умаров")
    inner = make_claim(article, annotator, "Москва")
    html = login(client, curator).get(_url(article, layer=str(annotator.pk))).content.decode()
    assert _marked(html) == {
        str(outer.pk): "«Москва недовольна», сказал Умаров",
        str(inner.pk): "Москва",
    }
    assert 'class="claim-span overlap"' in html


@pytest.mark.django_db
def test_the_article_text_is_escaped_not_rendered(
    client: Client, article: Any, manager: Any, annotator: Any
) -> None:
    claim = make_claim(article, annotator, "<b>Not bold</b> & China")
    html = login(client, manager).get(_url(article, layer=str(annotator.pk))).content.decode()
    assert "<b>Not bold</b>" not in html
    assert "&lt;b&gt;Not bold&lt;/b&gt; &amp; China" in html
    assert _marked(html) == {str(claim.pk): "<b>Not bold</b> & China"}


@pytest.mark.django_db
def test_the_layer_menu_lists_gold_and_the_annotators_with_claims(
    client: Client, article: Any, curator: Any, annotator: Any, other_annotator: Any
) -> None:
    make_claim(article, annotator, "Türkiye’nin")
    html = login(client, curator).get(_url(article)).content.decode()
    assert "Gold layer · 0 claims" in html
    assert "annotator (annotator) · 1 claim" in html
    assert "other-annotator" not in html  # no claims here: not a layer of this article
    assert "the gold layer fills as curators adjudicate" in html


@pytest.mark.django_db
@pytest.mark.parametrize("junk", ["999999", "-1", "abc", "%00", "9" * 40, ""])
def test_an_unknown_layer_falls_back_to_gold(
    client: Client, article: Any, curator: Any, annotator: Any, junk: str
) -> None:
    make_claim(article, annotator, "Türkiye’nin")
    response = login(client, curator).get(_url(article), {"layer": junk})
    assert response.status_code == 200
    assert _marked(response.content.decode()) == {}


@pytest.mark.django_db
def test_annotators_label_blind_and_outsiders_do_not_see_the_article(
    client: Client, article: Any, annotator: Any, outsider: Any
) -> None:
    assert client.get(_url(article)).status_code == 302  # to the login page
    assert login(client, annotator).get(_url(article)).status_code == 403
    assert login(client, outsider).get(_url(article)).status_code == 404
    assert client.post(_url(article)).status_code == 405


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_for_many_claims(
    client: Client, project: Any, curator: Any, annotator: Any
) -> None:
    words = [f"word{i}" for i in range(30)]
    article = ArticleFactory(project=project, text=" ".join(words))
    AssignmentFactory(article=article, annotator=annotator)
    TargetFactory(project=project)
    login(client, curator)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(article, layer=str(annotator.pk))).status_code == 200
        return len(queries)

    make_claim(article, annotator, words[0])
    few = count()
    for word in words[1:20]:
        make_claim(article, annotator, word)
    assert count() == few


def test_segments_cut_at_every_boundary_in_code_points() -> None:
    class C:
        def __init__(self, pk: int, start: int, end: int) -> None:
            self.pk, self.start, self.end = pk, start, end

    text = "👀ab🇹🇷cd"
    pieces = segments(text, [C(1, 1, 5), C(2, 3, 7)])  # type: ignore[list-item]
    assert [(p.text, p.claim_ids, p.opens) for p in pieces] == [
        ("👀", (), ()),
        ("ab", (1,), (1,)),
        ("🇹🇷", (1, 2), (2,)),
        ("cd", (2,), ()),
    ]
    assert "".join(p.text for p in pieces) == text
