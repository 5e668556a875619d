"""Attribution chains through the claims API: written with the claim, read back with it,
bad links answered 400 with nothing written, a stale version 409."""

from __future__ import annotations

from typing import Any

import pytest

from annotate.models import ChainLink, Claim
from tests.api.conftest import claim_body, span_of
from tests.factories import SourceFactory


@pytest.mark.django_db
def test_a_claim_with_a_chain_round_trips(
    client_for: Any,
    annotator: Any,
    assigned_article: Any,
    source: Any,
    target: Any,
    django_assert_max_num_queries: Any,
) -> None:
    paper = SourceFactory(project=assigned_article.project, name="Berliner Zeitung")
    site = SourceFactory(project=assigned_article.project, name="inosmi.ru")
    start, end = span_of(assigned_article, "Akıncı")
    body = claim_body(assigned_article, source, target) | {
        "chain": [
            {
                "source": paper.pk,
                "source_mention": {"start": start, "end": end, "quote": "Akıncı"},
                "reliability": "B",
            },
            {"source": site.pk},
        ]
    }
    client = client_for(annotator)
    response = client.post(f"/api/articles/{assigned_article.pk}/claims/", body, format="json")
    assert response.status_code == 201, response.content
    claim = response.json()
    assert claim["chain"] == [
        {
            "position": 1,
            "source": paper.pk,
            "source_mention": {"start": start, "end": end},
            "reliability": "B",
        },
        {"position": 2, "source": site.pk, "source_mention": None, "reliability": ""},
    ]
    # Listed with the claim, in a constant number of queries.
    with django_assert_max_num_queries(12):
        listed = client.get(f"/api/articles/{assigned_article.pk}/claims/").json()
    assert listed["results"][0]["chain"] == claim["chain"]
    # Replaced whole by a PATCH, removed by [].
    url = f"/api/claims/{claim['id']}/"
    changed = client.patch(url, {"version": 1, "chain": [{"source": site.pk}]}, format="json")
    assert changed.status_code == 200, changed.content
    assert [link["source"] for link in changed.json()["chain"]] == [site.pk]
    stale = client.patch(url, {"version": 1, "chain": []}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["chain"][0]["source"] == site.pk
    cleared = client.patch(url, {"version": 2, "chain": []}, format="json")
    assert cleared.status_code == 200 and cleared.json()["chain"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "chain",
    [
        [{"source": 999_999}],
        [{"source": "paper", "reliability": "Z"}],
        [{"source": "paper", "source_mention": {"start": 0, "end": 3, "quote": "nope"}}],
        [{"source": "paper", "source_mention": {"start": 5, "end": 2}}],
        [{"source": "paper", "extra": 1}],
        [{"source": "paper"}] * 9,
        {"source": "paper"},
        [{"source": None}],
    ],
)
def test_bad_chains_are_refused_with_400(
    client_for: Any,
    annotator: Any,
    assigned_article: Any,
    source: Any,
    target: Any,
    chain: Any,
) -> None:
    paper = SourceFactory(project=assigned_article.project, name="Berliner Zeitung")

    def named(link: dict[str, Any]) -> dict[str, Any]:
        return {**link, "source": paper.pk} if link.get("source") == "paper" else link

    body = claim_body(assigned_article, source, target) | {
        "chain": [named(link) for link in chain] if isinstance(chain, list) else chain
    }
    response = client_for(annotator).post(
        f"/api/articles/{assigned_article.pk}/claims/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert not Claim.objects.exists() and not ChainLink.objects.exists()
