"""Workspace traps (issue 18): keys that destroy work, a claim list that shows one claim,
errors out of view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from annotate.assignments.services import assignment_create
from annotate.models import Claim
from annotate.sources.services import project_targets_ensure
from corpus.models import Article, Role
from corpus.services import article_create
from tests.browser.conftest import log_in
from tests.factories import (
    MembershipFactory,
    ProjectFactory,
    SourceFactory,
    UserFactory,
    make_claim,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Akıncı said that Turkey’s influence grows. Orekhova said it does not. " * 3


@pytest.fixture
def annotator(transactional_db: Any) -> Any:
    project = ProjectFactory(slug="traps")
    user = UserFactory(username="ada")
    MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    project_targets_ensure(project=project)
    SourceFactory(project=project, name="Akıncı")
    return user


def an_article(annotator: Any, text: str = TEXT) -> Article:
    project = annotator.memberships.get().project
    article = article_create(project=project, text=text, title="Traps").article
    assignment_create(article=article, annotator=annotator)
    return article


def open_workspace(page: Page, base: str, article: Article, hash_: str = "") -> None:
    page.goto(f"{base}/articles/{article.pk}/annotate/{hash_}")
    expect(page.locator("#workspace[data-ready]")).to_be_attached()


def test_backspace_never_deletes_a_claim_and_delete_waits_for_focus_outside_fields(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = an_article(annotator)
    claim = make_claim(article, annotator, "Turkey’s influence grows")
    log_in(page, live_server.url, annotator)
    open_workspace(page, live_server.url, article, f"#claim-{claim.pk}")
    form = page.locator("#claim-form")
    expect(form.locator("h2")).to_have_text("Edit claim")

    # In the form: Backspace and Delete on a radio button, in the note, and in the source search.
    form.locator("input[name=information_credibility][value='3']").focus()
    page.keyboard.press("Backspace")
    page.keyboard.press("Delete")
    page.locator("#claim-note").fill("x")
    page.keyboard.press("Backspace")
    page.keyboard.press("Delete")
    page.locator("#source-q").focus()
    page.keyboard.press("Backspace")
    # Outside the form, on the claim row: Backspace still does nothing.
    page.keyboard.press("Escape")
    page.locator("#claim-rows > li .claim-open").focus()
    page.keyboard.press("Backspace")
    page.wait_for_timeout(300)  # a deletion would be a request; give it time to land
    claim.refresh_from_db()
    assert claim.deleted_at is None
    expect(page.locator("#claim-rows > li")).to_have_count(1)

    # Delete, with focus outside any field, deletes (the one way by key).
    page.keyboard.press("Delete")
    expect(page.locator("#claim-rows > li")).to_have_count(0)
    claim.refresh_from_db()
    assert claim.deleted_at is not None
    assert Claim.objects.filter(deleted_at__isnull=True).count() == 0


SELECT = """([start, end]) => import("/static/claimdesk/offsets.js").then((js) => {
  const container = document.getElementById("article-text");
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(js.offsetsToRange(container, start, end));
})"""

ROWS_IN_VIEW = """() => {
  const side = document.querySelector(".ws-side").getBoundingClientRect();
  const bottom = Math.min(side.bottom, innerHeight);
  return [...document.querySelectorAll("#claim-rows > li")].filter((li) => {
    const r = li.getBoundingClientRect();
    return r.top >= side.top && r.bottom <= bottom;
  }).length;
}"""

# In view in what holds it: the side column, or on a phone the form's sheet (fixed).
IN_VIEW = """(el) => {
  const r = el.getBoundingClientRect();
  const panel = el.closest(".ws-panel");
  const fixed = panel && getComputedStyle(panel).position === "fixed";
  const holder = fixed ? panel : el.closest(".ws-side");
  const box = holder.getBoundingClientRect();
  return r.top >= Math.max(0, box.top) && r.bottom <= Math.min(innerHeight, box.bottom);
}"""

LONG_TEXT = " ".join(f"Sentence {i} says that Turkey’s influence grows." for i in range(40))


@pytest.fixture
def page_422(browser: Browser) -> Iterator[Page]:
    """``page``, where a 422 (a form sent back with its errors) is expected: Chromium logs
    every 4xx response as a console error; any other error still fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(8000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    unexpected = [e for e in errors if "status of 422" not in e]
    assert not unexpected, f"JavaScript errors on the page: {unexpected}"


def test_the_claim_list_shows_many_claims_and_a_failed_save_shows_its_first_error(
    live_server: Any, page_422: Page, annotator: Any, tmp_path: Any
) -> None:
    page = page_422
    article = an_article(annotator, LONG_TEXT)
    for i in range(20):
        make_claim(article, annotator, f"Sentence {i} says")
    log_in(page, live_server.url, annotator)
    for width, height in ((1400, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        open_workspace(page, live_server.url, article)
        expect(page.locator("#claim-rows > li")).to_have_count(20)
        if width == 1400:
            # Beside the text, the list fills the column (it held ~2 rows in 9rem before).
            assert page.evaluate(ROWS_IN_VIEW) >= 6
            # Every row is reachable: the column scrolls to the last one.
            page.locator("#claim-rows > li").last.scroll_into_view_if_needed()
            assert page.evaluate(IN_VIEW, page.locator("#claim-rows > li").last.element_handle())
        page.screenshot(path=str(tmp_path / f"list-{width}.png"))

        # A new claim with its source but no labels, sent from the bottom of the form:
        # the first invalid field (attribution) is focused and in view.
        start = LONG_TEXT.index("Sentence 25 says")
        page.evaluate(SELECT, [start, start + len("Sentence 25 says")])
        page.keyboard.press("n")
        form = page.locator("#claim-form")
        expect(form).to_be_visible()
        page.locator("#source-q").fill("akinci")
        expect(page.locator("#source-options [role=option]").first).to_contain_text("Akıncı")
        page.keyboard.press("Enter")
        expect(page.locator("#source-name")).to_have_text("Akıncı")
        form.locator("button[type=submit]").click()
        expect(form.locator(".form-errors")).to_be_visible()
        first = form.locator(".has-error").first
        expect(first).to_have_attribute("data-field", "attribution")
        assert first.evaluate("(el) => el.contains(document.activeElement)")
        page.wait_for_timeout(100)
        assert first.evaluate(IN_VIEW), f"the first error is out of view at {width} px"
        if width == 390:  # the Save bar stays at the bottom of the screen
            expect(form.locator(".form-actions")).to_be_in_viewport()
        page.screenshot(path=str(tmp_path / f"error-{width}.png"))
        page.keyboard.press("Escape")
        page.on("dialog", lambda dialog: dialog.accept())
    print(tmp_path)


def test_undo_leaves_no_stale_offer_behind(live_server: Any, page: Page, annotator: Any) -> None:
    """Regression (issue 18): each delete added an Undo toast and `u` left them all up, so
    a stale Undo stayed on screen after the claim was back."""
    article = an_article(annotator)
    first = make_claim(article, annotator, "Turkey’s influence grows")
    make_claim(article, annotator, "Orekhova said it does not")
    log_in(page, live_server.url, annotator)
    open_workspace(page, live_server.url, article)
    rows = page.locator("#claim-rows > li")
    for _ in range(2):
        rows.first.locator(".claim-open").click()
        expect(page.locator("#claim-form h2")).to_have_text("Edit claim")
        page.keyboard.press("Escape")
        page.keyboard.press("Delete")
        expect(page.locator(".toast", has_text="Claim deleted.")).not_to_have_count(0)
    expect(rows).to_have_count(0)
    # One offer, for the last delete.
    expect(page.locator(".toast [data-action=undo]")).to_have_count(1)
    page.locator("#article-text").click()
    page.keyboard.press("u")
    expect(rows).to_have_count(1)
    expect(page.locator(".toast [data-action=undo]")).to_have_count(0)
    first.refresh_from_db()
    assert first.deleted_at is not None  # the first delete is still undone by nobody
