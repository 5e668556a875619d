"""The chain in the workspace's claim form: posted rows in order, shown again on edit and
with errors, listed on the claim's row with the weakest link; a form without a chain
section leaves the chain alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.chains.links import LinkInput
from annotate.models import ChainLink, Claim
from tests.conftest import login
from tests.factories import SourceFactory, make_claim
from tests.helpers import HX, claim_form


@pytest.fixture
def outlets(project: Any) -> tuple[Any, Any]:
    return (
        SourceFactory(project=project, name="Berliner Zeitung", kind="outlet"),
        SourceFactory(project=project, name="inosmi.ru", kind="outlet"),
    )


def chain_post(*links: tuple[Any, str, str, str]) -> dict[str, Any]:
    return {
        "chain-present": "1",
        "chain-source": [str(s.pk) for s, _, _, _ in links],
        "chain-mention_start": [a for _, a, _, _ in links],
        "chain-mention_end": [b for _, _, b, _ in links],
        "chain-reliability": [r for _, _, _, r in links],
    }


@pytest.mark.django_db
def test_a_two_link_chain_is_saved_from_the_form_and_shown_on_the_row(
    client: Client,
    assigned_article: Any,
    annotator: Any,
    source: Any,
    targets: Any,
    outlets: Any,
    django_assert_max_num_queries: Any,
) -> None:
    login(client, annotator)
    paper, site = outlets
    at = assigned_article.text.index("Akıncı")
    post = claim_form(assigned_article, "Turkey’s influence", source, targets[0]) | chain_post(
        (paper, str(at), str(at + 6), "C"), (site, "", "", "E")
    )
    response = client.post(reverse("annotate:claim-create", args=[assigned_article.pk]), post, **HX)
    assert response.status_code == 200, response.content.decode()
    claim = Claim.objects.get()
    assert [(c.source_id, c.mention_start, c.reliability) for c in claim.chain.all()] == [
        (paper.pk, at, "C"),
        (site.pk, None, "E"),
    ]
    html = response.content.decode()
    # The row: the carriers in order, the weakest link (E) beside the claim's rating.
    assert "via Berliner Zeitung › inosmi.ru" in html
    assert 'title="Chain reliability: its weakest link">E<' in html
    # The workspace page lists it in a constant number of queries.
    with django_assert_max_num_queries(16):
        page = client.get(reverse("annotate:workspace", args=[assigned_article.pk]))
    assert "via Berliner Zeitung › inosmi.ru" in page.content.decode()
    # The edit form shows the links, their mention and the chain's reliability.
    form = client.get(reverse("annotate:claim-edit", args=[claim.pk]), **HX).content.decode()
    assert form.index("Berliner Zeitung") < form.index("inosmi.ru")
    assert "“Akıncı”" in form and 'data-chain-weakest="E"' in form


@pytest.mark.django_db
def test_editing_without_the_chain_section_keeps_it_and_an_empty_one_clears_it(
    client: Client, assigned_article: Any, annotator: Any, source: Any, targets: Any, outlets: Any
) -> None:
    login(client, annotator)
    claim = make_claim(
        assigned_article, annotator, source=source, chain=[LinkInput(source=outlets[0])]
    )
    url = reverse("annotate:claim-update", args=[claim.pk])
    post = claim_form(assigned_article, "Turkey’s influence", source, targets[0]) | {"version": "1"}
    assert client.post(url, post, **HX).status_code == 200
    assert ChainLink.objects.filter(claim=claim).count() == 1
    claim.refresh_from_db()
    cleared = post | {"version": str(claim.version), "chain-present": "1"}
    assert client.post(url, cleared, **HX).status_code == 200
    assert not ChainLink.objects.filter(claim=claim).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"chain-source": ["abc"]}, "Link 1:"),
        ({"chain-source": ["999999"]}, "not in this project"),
        ({"chain-mention_start": ["1", "2"]}, "incomplete"),
    ],
)
def test_bad_chain_rows_answer_422_with_the_form_and_write_nothing(
    client: Client,
    assigned_article: Any,
    annotator: Any,
    source: Any,
    targets: Any,
    outlets: Any,
    extra: dict[str, Any],
    message: str,
) -> None:
    login(client, annotator)
    post = (
        claim_form(assigned_article, "Turkey’s influence", source, targets[0])
        | chain_post((outlets[0], "", "", "B"))
        | extra
    )
    response = client.post(reverse("annotate:claim-create", args=[assigned_article.pk]), post, **HX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Claim.objects.exists()
