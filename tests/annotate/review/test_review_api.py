"""The agreement and decisions endpoints: the dashboard's numbers with their n, curators only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from annotate.review.gold import gold_accept
from tests.factories import make_claim
from tests.scenes import Scene


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_agreement_endpoint_gives_figures_with_their_n(scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    make_claim(scene.article, a, "Moscow disagrees", attribution="direct")
    make_claim(scene.article, b, "Moscow disagrees", attribution="reported")
    make_claim(scene.article, a, "China watches quietly")
    client = APIClient()
    client.force_authenticate(curator)
    body = client.get(f"/api/projects/{scene.project.slug}/agreement/").json()
    spans = body["report"]["spans"]["overlap"]
    assert (spans["a"], spans["b"], spans["c"], spans["f1"]) == (1, 1, 0, pytest.approx(2 / 3))
    attribution = next(f for f in body["report"]["fields"] if f["field"] == "attribution")
    assert attribution["alpha"]["n_units"] == 1
    assert "attribution" in body["readings"] and "alpha" in body["help"]
    assert "units" not in body["report"]["articles"][0]
    with_units = client.get(f"/api/projects/{scene.project.slug}/agreement/?units=true").json()
    assert len(with_units["report"]["articles"][0]["units"]) == 2
    assert client.get(f"/api/projects/{scene.project.slug}/agreement/?overlap=7").status_code == 400


@pytest.mark.parametrize(("who", "status"), [("annotator", 403), ("outsider", 404)])
def test_only_curators_and_managers_read_agreement_and_decisions(
    scene: Scene, who: str, status: int, request: pytest.FixtureRequest
) -> None:
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(who))
    for path in ("agreement", "decisions"):
        assert client.get(f"/api/projects/{scene.project.slug}/{path}/").status_code == status
    assert APIClient().get(f"/api/projects/{scene.project.slug}/agreement/").status_code == 401


def test_decisions_list_origins_and_versions(scene: Scene, curator: Any) -> None:
    claim = make_claim(scene.article, scene.ann[0], "Moscow disagrees")
    gold = gold_accept(curator=curator, claim=claim, rationale="clear")
    client = APIClient()
    client.force_authenticate(curator)
    [decision] = client.get(f"/api/projects/{scene.project.slug}/decisions/").json()["results"]
    assert decision["gold"] == gold.pk and decision["rationale"] == "clear"
    assert decision["curator"] == "curator"
    assert decision["origins"][0]["claim"] == claim.pk
    assert decision["origins"][0]["claim_version"] == 1
