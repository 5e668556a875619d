"""The analysis pages' newer states in a real browser, at a phone's width and by keyboard
only: the stance map's paging links and the "being updated" note (figures from before the
project's latest change, served while a task computes the current ones).

The pages are made to page with one row a page (the views' page sizes, patched: the live
server runs in this process), and to say "being updated" with a task backend that queues
and never runs (a worker that has not got to it yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.analysis import views
from tests.browser.conftest import log_in
from tests.browser.test_analysis import _members
from tests.factories import ClaimFactory, ProjectFactory
from tests.scenes import Crafted, crafted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390
# WCAG 2.2's minimum target size (2.5.8, AA): 24 by 24 CSS pixels.
TARGET_PX = 24
NOTE = "These figures are being updated"


@pytest.fixture
def scene(live_server: Any, page: Page, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A project with the crafted claims, its curator logged in on a 390 px wide page."""
    monkeypatch.setattr(views, "SOURCES_PER_PAGE", 1)
    monkeypatch.setattr(views, "CLAIMS_PER_PAGE", 1)
    project = ProjectFactory(slug="central-asia")
    curator, ann1, ann2 = _members(project)
    data = crafted(project, ann1, ann2)
    page.set_viewport_size({"width": WIDTH, "height": 800})
    log_in(page, live_server.url, curator)
    yield data


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Tab from the top of the page until the element ``selector`` has the focus."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def _focus_ring(page: Page) -> str:
    """The focused element's outline, as drawn (``none`` when there is none)."""
    return str(
        page.evaluate(
            """() => {
                const style = getComputedStyle(document.activeElement);
                return style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0
                    ? 'none' : `${style.outlineWidth} ${style.outlineStyle}`;
            }"""
        )
    )


def _target_size(page: Page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["width"], box["height"]


def test_the_stance_maps_paging_links_at_phone_width_and_by_keyboard(
    live_server: Any, page: Page, scene: Crafted
) -> None:
    page.goto(f"{live_server.url}/projects/{scene.project.slug}/analysis/stances/?layer=all")
    paging = page.locator("#analysis-results nav.pagination")
    expect(paging).to_contain_text("Page 1 of")
    assert _page_width(page) <= WIDTH
    nav_box = paging.bounding_box()
    assert nav_box is not None and nav_box["x"] >= 0 and nav_box["x"] + nav_box["width"] <= WIDTH
    width, height = _target_size(page, "nav.pagination a[rel=next]")
    assert width >= TARGET_PX and height >= TARGET_PX, (width, height)

    # Keyboard only: Tab reaches "Next", its focus is drawn, Enter shows page 2, and the
    # focus stays on the paging links (not thrown back to the top of the page).
    _tab_to(page, "nav.pagination a[rel=next]")
    assert _focus_ring(page) != "none"
    page.keyboard.press("Enter")
    expect(paging).to_contain_text("Page 2 of")
    expect(page).to_have_url(re.compile(r"[?&]page=2"))
    in_paging = "() => document.activeElement.closest('nav.pagination') !== null"
    page.wait_for_function(in_paging)
    assert _focus_ring(page) != "none"
    # From there, back by keyboard: "Previous" is one Shift+Tab away at most.
    if not page.evaluate("document.activeElement.matches('a[rel=prev]')"):
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.matches('nav.pagination a[rel=prev]')")
    page.keyboard.press("Enter")
    expect(paging).to_contain_text("Page 1 of")
    page.wait_for_function(in_paging)
    assert _page_width(page) <= WIDTH


@pytest.fixture
def no_worker(settings: Any) -> Iterator[Any]:
    """Tasks are queued, never run."""
    from django.tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def test_the_being_updated_note_at_phone_width(
    live_server: Any, page: Page, scene: Crafted, no_worker: Any
) -> None:
    slug = scene.project.slug
    pages = [
        f"/projects/{slug}/analysis/?layer=all",
        f"/projects/{slug}/analysis/stances/?layer=all&outlet=Outlet+X",
        f"/projects/{slug}/analysis/claims/?layer=all&q=ankara",
        f"/sources/{scene.a.pk}/profile/?layer=all",
    ]
    for path in pages:  # the figures, computed in the request and kept
        page.goto(live_server.url + path)
        expect(page.locator("main")).not_to_contain_text(NOTE)
    ClaimFactory(article=scene.a1, annotator=scene.ann1, source=scene.a, quote="Ankara")
    for path in pages:
        page.goto(live_server.url + path)
        note = page.get_by_role("status").filter(has_text=NOTE)
        expect(note).to_be_visible()
        box = note.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, path
        assert _page_width(page) <= WIDTH, path
        # The note is read, not operated: nothing in it takes the focus on the way through.
        assert note.locator("a, button, [tabindex]").count() == 0
