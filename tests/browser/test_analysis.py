"""The analysis pages in a real browser: a source profile, a stance-map cell, the charts.

With CLAIMDESK_SCREENSHOTS=1, ``test_screenshots_of_the_analysis_pages`` also writes
docs/screenshots/{stance-map,source-profile,overview}.png from a seeded project.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Page, expect

from annotate.models import Source, Target
from annotate.sources.services import project_targets_ensure
from corpus.models import Role
from tests.browser.conftest import log_in
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    ClaimFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
)
from tests.scenes import crafted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def _members(project: Any) -> tuple[Any, Any, Any]:
    users = []
    for name, role in (("cora", Role.CURATOR), ("ann", Role.ANNOTATOR), ("ben", Role.ANNOTATOR)):
        user = UserFactory(username=name)
        MembershipFactory(project=project, user=user, role=role)
        users.append(user)
    return users[0], users[1], users[2]


def test_source_profile_and_a_stance_map_cell(live_server: Any, page: Page) -> None:
    project = ProjectFactory(slug="central-asia")
    curator, ann1, ann2 = _members(project)
    data = crafted(project, ann1, ann2)
    log_in(page, live_server.url, curator)

    page.goto(f"{live_server.url}/sources/{data.a.pk}/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vladimir Danilov")
    stances = page.locator(f"#analysis-results tr[data-target='{data.t1.pk}'] td")
    expect(stances).to_have_text(["2", "1", "0"])
    expect(page.locator("#source-agreement")).to_have_text("50%")
    # The layer filter swaps the results (htmx) and keeps the address.
    page.select_option("#filter-layer", "all")
    expect(stances).to_have_text(["0", "2", "0"])
    assert "layer=all" in page.url
    # A quote opens the reader at the span.
    page.locator("a.claim-quote").first.click()
    expect(page.locator("mark#claim-span")).to_have_text("Ankara ")

    page.goto(f"{live_server.url}/projects/central-asia/analysis/stances/")
    cell = page.locator(f"td.cell[data-source='{data.a.pk}'][data-target='{data.t1.pk}']")
    expect(cell.locator(".counts")).to_have_text("2/1/0")
    cell.locator("a.stance-favor").click()
    page.wait_for_url("**/analysis/claims/**")
    expect(page.locator("#claim-count")).to_contain_text("2 claims")
    quotes = page.locator("a.claim-quote")
    expect(quotes).to_have_text(
        ["“Turkey expands its pipeline network”", "“Russia's influence wanes in the steppe”"]
    )

    page.goto(f"{live_server.url}/projects/central-asia/analysis/")
    canvas = page.locator("canvas[data-chart='attributions']")
    page.wait_for_function("() => Object.keys(window.Chart.instances).length === 5")
    assert canvas.bounding_box()["height"] > 50  # type: ignore[index]
    expect(
        page.locator("#attributions-title + .chart-box + .table-scroll table tbody tr")
    ).to_have_count(4)


@pytest.mark.skipif(
    not os.environ.get("CLAIMDESK_SCREENSHOTS"), reason="set CLAIMDESK_SCREENSHOTS=1"
)
def test_screenshots_of_the_analysis_pages(live_server: Any, page: Page) -> None:
    project = ProjectFactory(slug="central-asia", name="Turkey in Central Asia")
    curator, ann1, ann2 = _members(project)
    project_targets_ensure(project=project)
    registry = Path(settings.BASE_DIR) / "seeds" / "sources.csv"
    call_command("import_sources", str(registry), project=project.slug, verbosity=0)
    rng = random.Random(7)
    sources = list(Source.objects.filter(project=project).order_by("name")[:12])
    targets = list(Target.objects.filter(project=project))
    outlets = ["New Eastern Outlook", "Daily Sabah", "Eurasianet", "Carnegie Politika"]
    text = "Ankara expands its influence across the steppe, officials say. " * 20
    for i in range(40):
        article = ArticleFactory(
            project=project,
            title=f"Article {i + 1}",
            outlet=outlets[i % 4],
            published=dt.date(2023, 1, 1) + dt.timedelta(days=9 * i),
            text=text + str(i),
        )
        for user, status in ((ann1, "done"), (ann2, rng.choice(["done", "in_progress"]))):
            AssignmentFactory(article=article, annotator=user, status=status)
        for j in range(rng.randint(0, 9)):
            start = 63 * j
            for layer in (None, ann1, ann2):
                source = rng.choice([*sources[:6], *sources]) if rng.random() > 0.08 else None
                ClaimFactory(
                    article=article,
                    annotator=layer,
                    source=source,
                    stances={
                        t: rng.choice(["favor", "against", "none"]) for t in rng.sample(targets, 2)
                    },
                    start=start,
                    end=start + 62,
                    attribution=rng.choice(["author", "direct", "reported", "unnamed"]),
                    claim_type=rng.choice(["factual", "evaluative", "predictive", "prescriptive"]),
                    source_reliability=rng.choice("ABCDF"),
                    information_credibility=rng.choice("12346"),
                )
    log_in(page, live_server.url, curator)
    page.set_viewport_size({"width": 1280, "height": 900})
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/projects/central-asia/analysis/stances/")
    page.screenshot(path=str(SHOTS / "stance-map.png"))
    page.goto(f"{live_server.url}/sources/{sources[0].pk}/profile/")
    page.screenshot(
        path=str(SHOTS / "source-profile.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1500},
    )
    page.goto(f"{live_server.url}/projects/central-asia/analysis/")
    page.wait_for_function("() => Object.keys(window.Chart.instances).length === 5")
    page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)
