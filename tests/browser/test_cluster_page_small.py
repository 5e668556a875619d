"""The cluster page on a 390-pixel phone and by keyboard alone: nothing wider than the
screen (long statements, names and paths wrap; wide tables scroll in their own box), every
control reachable by Tab with a visible focus, and a suggestion accepted by keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from annotate.clusters.indexing import index_build
from annotate.models import ChainLink
from corpus.models import Role
from tests.browser.conftest import log_in
from tests.factories import (
    ArticleFactory,
    MembershipFactory,
    ProjectFactory,
    SourceFactory,
    TargetFactory,
    UserFactory,
    claim_over,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Nursultan-Abishevich-Nazarbayev-Institute-for-Strategic-Studies-of-Kazakhstan"
SAME = [
    "Turkey's influence in Central Asia is growing day by day, Ankara's diplomats insist",
    "Turkey’s influence in Central Asia keeps growing, day after day, Ankara's diplomats say",
]

# Elements wider than the viewport, or sticking out of it on the right.
OVERFLOWING = """() => [...document.querySelectorAll("body *")]
  .filter((el) => {
    const box = el.getBoundingClientRect();
    if (box.width === 0) return false;
    const scroller = el.closest(".table-scroll");
    return !scroller && box.right > document.documentElement.clientWidth + 1;
  })
  .map((el) => el.tagName + (el.id ? "#" + el.id : "") + "." + el.className)"""


@pytest.fixture
def small_page(browser: Browser) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(8000)
    context.set_default_navigation_timeout(30000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def test_the_cluster_page_fits_a_phone_and_works_by_keyboard(
    live_server: Any, small_page: Page
) -> None:
    page = small_page
    project = ProjectFactory(slug="small")
    curator = UserFactory(username="cem")
    MembershipFactory(project=project, user=curator, role=Role.CURATOR)
    target = TargetFactory(project=project, name="Turkey's influence in Central Asia")
    speaker = SourceFactory(project=project, name=LONG)
    outlets = [SourceFactory(project=project, name=f"{LONG}-{n}", kind="outlet") for n in range(3)]
    claims = []
    for n, words in enumerate(SAME):
        article = ArticleFactory(
            project=project,
            title=f"{LONG} article {n}",
            outlet=f"{LONG} outlet {n}",
            published=dt.date(2024, 1, 1 + n),
            text=f"Intro. {words}. End.",
        )
        claims.append(claim_over(article, words, source=speaker, stances={target: "favor"}))
    for position, outlet in enumerate(outlets, start=1):
        ChainLink.objects.create(claim=claims[0], position=position, source=outlet)
    index_build(project)
    log_in(page, live_server.url, curator)
    page.goto(f"{live_server.url}/projects/small/clusters/?layer=gold")
    page.fill("#cluster-q", "influence")
    found = page.locator(f".found-claim[data-claim='{claims[0].pk}']")
    expect(found).to_be_visible()
    found.locator("input[name=statement]").fill(f"{LONG} says Turkey's influence grows " * 3)
    found.locator("input[name=statement]").press("Enter")  # the form by keyboard
    page.wait_for_url("**/clusters/*/")
    suggestion = page.locator(".cluster-suggestion").first
    expect(suggestion).to_have_attribute("data-claim", str(claims[1].pk), timeout=30_000)
    expect(page.locator("#cluster-paths")).to_contain_text(f"{LONG}-2")
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Tab reaches the suggestion's buttons, each with a visible focus ring.
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement;
              const style = getComputedStyle(el);
              return [el.tagName, el.textContent.trim().slice(0, 30),
                      style.outlineStyle !== "none" || style.boxShadow !== "none"]; }"""
        )
        seen.append(focused)
        if focused[1].startswith("Accept"):
            break
    assert seen[-1][1].startswith("Accept"), seen
    assert all(ring for _, _, ring in seen), [s for s in seen if not s[2]]
    page.keyboard.press("Enter")  # the focused Accept button
    expect(page.locator("#cluster-members .cluster-member")).to_have_count(2)
    assert page.evaluate(OVERFLOWING) == []
