"""Chains in review: the agreement page's chain figures, the review table's chain row,
adjudication picking (accept, merge ``chain``) or merging (``chain_from``) chains into gold."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.chains.links import LinkInput
from annotate.models import Claim, Decision
from annotate.review.gold import gold_accept, gold_bulk_accept, gold_merge
from tests.conftest import login
from tests.factories import SourceFactory, make_claim
from tests.helpers import post_merge
from tests.scenes import Scene

AKAR = "Ankara is ready to help"


@pytest.fixture
def outlets(scene: Scene) -> list[Any]:
    return [
        SourceFactory(project=scene.project, name=name, kind="outlet")
        for name in ("Berliner Zeitung", "inosmi.ru", "Reuters")
    ]


def chain_names(claim: Claim) -> list[tuple[str, str]]:
    return [(link.source.name, link.reliability) for link in claim.chain.order_by("position")]


@pytest.mark.django_db
def test_accept_copies_the_chain_and_merge_picks_or_merges_chains(
    scene: Scene, curator: Any, outlets: list[Any]
) -> None:
    a, b = scene.ann
    paper, site, agency = outlets
    mine = make_claim(
        scene.article,
        a,
        AKAR,
        source=scene.sources[0],
        chain=[LinkInput(source=paper, reliability="B"), LinkInput(source=site, reliability="D")],
    )
    theirs = make_claim(
        scene.article,
        b,
        AKAR,
        source=scene.sources[0],
        chain=[LinkInput(source=agency, reliability="A")],
    )
    gold = gold_accept(curator=curator, claim=mine, considered=[theirs])
    assert chain_names(gold) == [("Berliner Zeitung", "B"), ("inosmi.ru", "D")]
    assert "chain" in Decision.objects.get(gold=gold).origins.get(claim=mine).fields
    # Picking the other annotator's chain whole.
    picked = gold_merge(
        curator=curator,
        article=scene.article,
        span_from=mine,
        fields_from={"chain": theirs},
        considered=[mine, theirs],
    )
    assert chain_names(picked) == [("Reuters", "A")]
    # Merging: position 1 from theirs, position 2 from mine.
    merged = gold_merge(
        curator=curator,
        article=scene.article,
        span_from=mine,
        fields_from={},
        considered=[mine, theirs],
        chain_from={1: theirs, 2: mine},
    )
    assert chain_names(merged) == [("Reuters", "A"), ("inosmi.ru", "D")]
    origins = {o.claim_id: o.fields for o in Decision.objects.get(gold=merged).origins.all()}
    assert "chain:1" in origins[theirs.pk] and "chain:2" in origins[mine.pk]


@pytest.mark.django_db
def test_bulk_accept_needs_the_same_chain(scene: Scene, curator: Any, outlets: list[Any]) -> None:
    a, b = scene.ann
    for annotator, carrier in ((a, outlets[0]), (b, outlets[1])):
        make_claim(
            scene.article, annotator, AKAR, source=scene.sources[0], chain=[LinkInput(carrier)]
        )
    assert gold_bulk_accept(curator=curator, article=scene.article) == []


@pytest.mark.django_db
def test_the_review_and_agreement_pages_show_the_chains(
    client: Client,
    scene: Scene,
    curator: Any,
    outlets: list[Any],
    django_assert_max_num_queries: Any,
) -> None:
    a, b = scene.ann
    for annotator, carriers in ((a, outlets[:2]), (b, outlets[:1])):
        make_claim(
            scene.article,
            annotator,
            AKAR,
            source=scene.sources[0],
            chain=[LinkInput(c) for c in carriers],
        )
    login(client, curator)
    with django_assert_max_num_queries(40):
        page = client.get(reverse("annotate:review", args=[scene.article.pk]))
    html = page.content.decode()
    assert 'data-field="chain"' in html and 'class="differs" data-field="chain"' in html
    assert "Berliner Zeitung › inosmi.ru" in html
    agreement = client.get(reverse("annotate:agreement", args=[scene.project.slug]))
    html = agreement.content.decode()
    assert 'id="chain-agreement"' in html
    # One unit of two annotators with different chains: not equal, n = 1.
    assert "0 of 1 units" in html
    assert 'data-position="1"' in html and 'data-position="2"' in html


def _position_row(html: str, position: int) -> str:
    found = re.search(rf'<tr class="[^"]*" data-field="chain-{position}".*?</tr>', html, re.S)
    assert found, position
    return found.group(0)


def _checked(row: str) -> list[str]:
    return re.findall(r'value="(\d+)" checked', row)


@pytest.mark.django_db
def test_the_review_screen_merges_chains_position_by_position(
    client: Client, scene: Scene, curator: Any, outlets: list[Any]
) -> None:
    """Each position of differing chains has its own row: the annotators' links side by
    side, whether they agree there, and a radio per claim (take-chain-<position>); the
    merge takes each position from the claim chosen, and the screen then shows those
    choices."""
    a, b = scene.ann
    paper, site, agency = outlets
    mine = make_claim(
        scene.article,
        a,
        AKAR,
        source=scene.sources[0],
        chain=[LinkInput(paper, reliability="B"), LinkInput(site)],
    )
    theirs = make_claim(
        scene.article,
        b,
        AKAR,
        source=scene.sources[0],
        chain=[LinkInput(paper, reliability="B"), LinkInput(agency), LinkInput(site)],
    )
    login(client, curator)
    html = client.get(reverse("annotate:review", args=[scene.article.pk])).content.decode()
    # The whole-chain row shows both chains, without a radio of its own.
    assert 'name="take-chain"' not in html
    first, second, third = (_position_row(html, n) for n in (1, 2, 3))
    assert 'data-agrees="yes"' in first and "same" in first
    assert 'data-agrees="no"' in second and "inosmi.ru" in second and "Reuters" in second
    assert 'data-agrees="no"' in third and "(none)" in third  # annotator 1 has no third link
    assert 'data-field="chain-4"' not in html
    # Annotator 1's chain is chosen until the curator picks another.
    assert all(_checked(row) == [str(mine.pk)] for row in (first, second, third))
    for n, row in enumerate((first, second, third), start=1):
        assert row.count(f'name="take-chain-{n}"') == 2

    response = post_merge(
        client,
        scene.article,
        mine,
        theirs,
        {
            "take-chain-1": mine.pk,
            "take-chain-2": theirs.pk,
            "take-chain-3": theirs.pk,
        },
    )
    assert response.status_code == 200
    gold = Claim.objects.gold().get()
    assert chain_names(gold) == [("Berliner Zeitung", "B"), ("Reuters", ""), ("inosmi.ru", "")]
    html = response.content.decode()
    assert _checked(_position_row(html, 2)) == [str(theirs.pk)]
    assert _checked(_position_row(html, 3)) == [str(theirs.pk)]
    assert _checked(_position_row(html, 1)) == [str(mine.pk)]


@pytest.mark.django_db
def test_a_position_taken_from_a_shorter_chain_drops_the_link(
    client: Client, scene: Scene, curator: Any, outlets: list[Any]
) -> None:
    a, b = scene.ann
    paper, site, _ = outlets
    mine = make_claim(scene.article, a, AKAR, chain=[LinkInput(paper)])
    theirs = make_claim(scene.article, b, AKAR, chain=[LinkInput(paper), LinkInput(site)])
    login(client, curator)
    response = post_merge(
        client,
        scene.article,
        mine,
        theirs,
        {
            "take-chain-1": theirs.pk,
            "take-chain-2": mine.pk,  # annotator 1 has none there
        },
    )
    assert response.status_code == 200
    assert chain_names(Claim.objects.gold().get()) == [("Berliner Zeitung", "")]
