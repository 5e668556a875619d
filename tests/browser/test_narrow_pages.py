"""Every page fits a phone's width: at 390 px no page scrolls sideways as a whole.

Wide tables scroll inside their own box (``.table-scroll``); nothing else may push the page
wider than the screen, or every line of text has to be panned to be read. The pages are every
GET route of the URL conf that answers HTML (tests/security/routes.py lists them, so a new
page is checked without anyone adding it here), filled with the permission matrix's world of
objects and seen by its manager, who sees the most.

Found this way: the source registry at 390 px was 657 px wide (a visually hidden text in a
table, positioned against the page instead of its scrolling box) and the merge confirmation
463 px (a select as wide as its longest option); the export form 480 px (its sources' select
in a fieldset, which is as wide as its widest content unless told otherwise) — a page this
test skipped while every route with "export" in it was taken for a download.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from annotate.sources.services import source_create
from tests.browser.conftest import log_in
from tests.security.conftest import World, world  # noqa: F401
from tests.security.routes import all_routes, kwargs_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390

# Not pages: they log out, download a file, or belong to Django's admin (its own styles).
SKIPPED_PREFIXES = ("admin/", "accounts/logout", "api/", "healthz", "static/", "media/")
SKIPPED_WORDS = ("download", "/file", ".json", ".graphml", ".gexf", ".csv")


def _pages(found: World) -> list[str]:
    from django.urls import reverse

    paths = []
    for route in all_routes():
        if "GET" not in route.methods or route.name.startswith("<unnamed"):
            continue
        if route.pattern.startswith(SKIPPED_PREFIXES):
            continue
        if any(word in route.pattern for word in SKIPPED_WORDS):
            continue
        try:
            paths.append(reverse(route.name, kwargs=kwargs_for(route, found)))
        except AssertionError:  # a keyword the world has no object for
            continue
    return sorted(set(paths))


def _richer(found: World) -> None:
    """What makes tables wide in real projects: a described source with an external ID,
    and a proposal waiting in the curators' queue."""
    source = found.source
    source.description = "Senior fellow at a research institute in Berlin; writes on Turkey"
    source.external_id = "Q112233445"
    source.save(update_fields=["description", "external_id"])
    source_create(
        project=found.project,
        name="Anadolu Ajansı (state news agency)",
        kind="organisation",
        proposed_by=found.a,
        actor=found.a,
    )
    # A long name: the lists of sources (the export form's select) are as wide as it.
    source_create(
        project=found.project,
        name="Parliamentary Assembly of the Collective Security Treaty Organization",
        kind="organisation",
        actor=found.users["manager"],
    )


def test_no_page_scrolls_sideways_at_phone_width(
    live_server: Any,
    browser: Browser,
    world: World,  # noqa: F811
) -> None:
    _richer(world)
    too_wide: list[str] = []
    seen = 0
    left = _pages(world)
    # The manager sees the most; the workspace is the assigned annotator's.
    for user in (world.users["manager"], world.a):
        context = browser.new_context(viewport={"width": WIDTH, "height": 800})
        context.set_default_navigation_timeout(30000)
        page = context.new_page()
        try:
            log_in(page, live_server.url, user)
            not_seen = []
            for path in left:
                width = _width(page, f"{live_server.url}{path}")
                if width is None:
                    not_seen.append(path)
                    continue
                seen += 1
                if width > WIDTH:
                    too_wide.append(f"{path} as {user.username}: {width} px ({_culprit(page)})")
            left = not_seen
        finally:
            context.close()
    assert seen >= 40, f"only {seen} pages answered HTML: is the world missing objects?"
    assert not too_wide, "pages wider than the screen at 390 px:\n" + "\n".join(too_wide)


def _width(page: Page, url: str) -> int | None:
    """The page's whole width, or None when the URL is not a page this user sees (a
    fragment, a file, a 404)."""
    try:
        answer = page.goto(url)
    except PlaywrightError:  # a download or an aborted navigation
        return None
    if answer is None or answer.status != 200:
        return None
    if "text/html" not in (answer.headers.get("content-type") or ""):
        return None
    if not page.evaluate("!!document.querySelector('main, #content, body > header')"):
        return None  # an htmx fragment on its own
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _culprit(page: Page) -> str:
    return str(
        page.evaluate(
            """(limit) => {
                for (const e of document.querySelectorAll('body *')) {
                    const r = e.getBoundingClientRect();
                    if (r.right > limit + 1 && !e.closest('.table-scroll, pre'))
                        return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                            + (e.className ? '.' + String(e.className).trim()
                                .replace(/\\s+/g, '.') : '');
                }
                return 'an element inside a scrolling box that escapes it';
            }""",
            WIDTH,
        )
    )
