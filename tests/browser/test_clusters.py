"""Claim clusters and the discourse network in a real browser, on the seed articles: a
curator starts a cluster from a claim, accepts the suggested claim of another article
with one key, and the cluster page shows the first appearance; the network page draws."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Page, expect

from annotate.models import ClaimCluster, Source, Target
from corpus.models import Article
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, claim_over

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPANDING = "Turkey is actively expanding its influence in Central Asia"  # seed 001
STRENGTHEN = "This will allow Turkey to strengthen its influence in Central Asia"  # seed 004
OTHERS = {  # unrelated claims of the same articles
    "001": "joint military exercises with Turkic countries",
    "004": "the intervention of the CSTO states in Kazakhstan",
}


def _gold(article: Article, words: str, source: Any, target: Any, stance: str) -> Any:
    return claim_over(article, words, source=source, stances={target: stance})


def test_a_curator_clusters_claims_of_two_seed_articles(live_server: Any, page: Page) -> None:
    call_command("seed_demo", verbosity=0, force=True)
    curator = get_user_model().objects.get(username="curator")
    curator.set_password(PASSWORD)
    curator.save()
    articles = {
        a.metadata.get("seed_file", a.source_file)[:3]: a
        for a in Article.objects.filter(project__slug="central-asia")
    }
    first, later = articles["004"], articles["001"]
    Article.objects.filter(pk=first.pk).update(published=dt.date(2022, 1, 20), outlet="Daily Sabah")
    Article.objects.filter(pk=later.pk).update(
        published=dt.date(2023, 6, 2), outlet="Berliner Zeitung"
    )
    sources = list(Source.objects.filter(project__slug="central-asia").order_by("pk")[:2])
    target = Target.objects.filter(project__slug="central-asia").order_by("position").first()
    expanding = _gold(later, EXPANDING, sources[0], target, "favor")
    strengthen = _gold(first, STRENGTHEN, sources[1], target, "favor")
    _gold(later, OTHERS["001"], sources[0], target, "none")
    _gold(first, OTHERS["004"], sources[1], target, "against")

    log_in(page, live_server.url, curator)
    page.goto(f"{live_server.url}/projects/central-asia/clusters/?layer=gold")
    page.fill("#cluster-q", "expanding")
    found = page.locator(f".found-claim[data-claim='{expanding.pk}']")
    expect(found).to_be_visible()
    found.locator("input[name=statement]").fill("Turkey's influence in Central Asia grows")
    found.get_by_role("button", name="New cluster").click()
    page.wait_for_url("**/clusters/*/")
    expect(page.locator("#cluster-statement")).to_have_text(
        "Turkey's influence in Central Asia grows"
    )
    # The suggestions load; the nearest claim, of the other article, comes first.
    suggestion = page.locator(".cluster-suggestion").first
    # The page's request builds the index first (the immediate task backend): 5 s of CPU,
    # 20 s and more on a loaded machine.
    expect(suggestion).to_have_attribute("data-claim", str(strengthen.pk), timeout=90_000)
    page.locator("body").press("a")
    expect(page.locator("#cluster-members .cluster-member")).to_have_count(2)
    cluster = ClaimCluster.objects.get()
    assert set(cluster.members.values_list("claim_id", flat=True)) == {
        expanding.pk,
        strengthen.pk,
    }
    # The first appearance is the earlier article's, and both outlets are listed.
    expect(page.locator("#first-appearance")).to_contain_text("Daily Sabah")
    expect(page.locator("#first-appearance")).to_contain_text("2022-01-20")
    expect(page.locator("#cluster-outlets")).to_contain_text("Berliner Zeitung")
    page.wait_for_function("() => Object.keys(window.Chart.instances).length === 2")

    page.goto(f"{live_server.url}/projects/central-asia/analysis/network/")
    graph = page.locator("#network-graph")
    expect(graph).to_have_attribute("data-drawn", "3")  # two sources, one target
    expect(graph.locator("canvas").first).to_be_attached()
