"""Two curators deciding one group: the decision carries the group's version the curator
saw, and the second one on the same version is refused (409, nothing written) instead of
silently replacing the first."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotate.models import Claim, Decision
from annotate.review.gold import StaleDecision, gold_accept, gold_reject, unit_version_of
from corpus.models import Membership, Role
from tests.annotate.review.test_review_views import AKAR
from tests.conftest import login
from tests.factories import UserFactory, make_claim
from tests.scenes import Scene

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _unit_form(page: str, index: int) -> dict[str, Any]:
    """The hidden fields of the group's form, as the page rendered them."""
    section = page[page.index(f'<section id="unit-{index}"') :]
    section = section[: section.index("</form>")]
    form: dict[str, Any] = {"claims": []}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', section):
        if name == "claims":
            form["claims"].append(value)
        else:
            form[name] = value
    return form


@pytest.fixture
def second_curator(scene: Scene) -> Any:
    user = UserFactory(username="curator-2")
    Membership.objects.create(project=scene.project, user=user, role=Role.CURATOR)
    return user


@pytest.fixture
def group(scene: Scene) -> list[Claim]:
    a, b = scene.ann
    return [
        make_claim(scene.article, a, AKAR, attribution="direct"),
        make_claim(scene.article, b, AKAR, attribution="reported"),
    ]


def test_the_page_carries_the_groups_version(
    client: Client, scene: Scene, curator: Any, group: list[Claim]
) -> None:
    login(client, curator)
    url = reverse("annotate:review", args=[scene.article.pk])
    assert _unit_form(client.get(url).content.decode(), 0)["unit-version"] == "0"
    decision = gold_reject(curator=curator, claims=group)
    assert _unit_form(client.get(url).content.decode(), 0)["unit-version"] == str(decision.pk)
    assert unit_version_of(c.pk for c in group) == decision.pk


@pytest.mark.parametrize(
    ("first", "second"),
    [("review-accept", "review-accept"), ("review-reject", "review-merge")],
)
def test_a_second_decision_on_the_same_version_is_409_and_writes_nothing(
    scene: Scene,
    curator: Any,
    second_curator: Any,
    group: list[Claim],
    first: str,
    second: str,
) -> None:
    one, two = Client(), Client()
    login(one, curator)
    login(two, second_curator)
    page_url = reverse("annotate:review", args=[scene.article.pk])
    seen_by_one = _unit_form(one.get(page_url).content.decode(), 0)
    seen_by_two = _unit_form(two.get(page_url).content.decode(), 0)
    choose = {"claim": str(group[0].pk)}

    answer = one.post(
        reverse(f"annotate:{first}", args=[scene.article.pk]), {**seen_by_one, **choose}, **HX
    )
    assert answer.status_code == 200
    gold = list(Claim.objects.gold().live())

    late = two.post(
        reverse(f"annotate:{second}", args=[scene.article.pk]), {**seen_by_two, **choose}, **HX
    )

    assert late.status_code == 409
    html = late.content.decode()
    assert "Someone decided this group meanwhile" in html
    assert "HX-Trigger" not in late  # no "Accepted." toast
    assert Decision.objects.count() == 1
    assert list(Claim.objects.gold().live()) == gold
    # Reloaded, the page offers the new version and a decision on it goes through.
    fresh = _unit_form(two.get(page_url).content.decode(), 0)
    again = two.post(
        reverse(f"annotate:{second}", args=[scene.article.pk]), {**fresh, **choose}, **HX
    )
    assert again.status_code == 200
    assert Decision.objects.count() == 2


def test_the_services_refuse_a_stale_group_version(
    scene: Scene, curator: Any, group: list[Claim]
) -> None:
    seen = unit_version_of(c.pk for c in group)
    gold_accept(curator=curator, claim=group[0], considered=group, unit_version=seen)
    with pytest.raises(StaleDecision):
        gold_reject(curator=curator, claims=group, unit_version=seen)
    assert Decision.objects.count() == 1


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel writers need PostgreSQL"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_decisions_on_one_group_write_exactly_one(
    scene: Scene, curator: Any, second_curator: Any, group: list[Claim]
) -> None:
    clients = []
    for user in (curator, second_curator, curator, second_curator):
        client = Client()
        login(client, user)
        clients.append(client)
    page_url = reverse("annotate:review", args=[scene.article.pk])
    forms = [_unit_form(c.get(page_url).content.decode(), 0) for c in clients]
    start = threading.Barrier(len(clients))
    url = reverse("annotate:review-accept", args=[scene.article.pk])

    def decide(n: int) -> int:
        try:
            start.wait()
            form = {**forms[n], "claim": str(group[n % 2].pk)}
            return int(clients[n].post(url, form, **HX).status_code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = sorted(pool.map(decide, range(len(clients))))
    assert statuses == [200, 409, 409, 409]
    assert Decision.objects.count() == 1
    assert Claim.objects.gold().live().count() == 1
