"""The source autocomplete in a real browser (issue 18): a typo finds the source, arrow
keys and Enter never create one, Alt+Enter opens a confirmation whose Enter does, and a
project that keeps source creation to curators shows annotators no way to create."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Claim, Source
from corpus.models import AnnotatorSources
from corpus.services import project_update
from tests.browser.conftest import log_in
from tests.browser.test_workspace_flow import annotator, open_workspace, seed_article, select

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["annotator"]  # the fixture, imported


def open_new_claim(page: Page, base: str, article: Any) -> None:
    open_workspace(page, base, article)
    at = article.text.index("Daria Isachenko")
    select(page, at, at + len("Daria Isachenko"))
    page.keyboard.press("n")
    expect(page.locator("#claim-form")).to_be_visible()
    expect(page.locator("#source-q")).to_be_focused()


def test_a_typo_finds_the_source_and_arrows_never_create_one(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = seed_article(annotator)
    count = Source.objects.count()
    log_in(page, live_server.url, annotator)
    open_new_claim(page, live_server.url, article)

    page.locator("#source-q").press_sequentially("umarow")
    first = page.locator("#source-options [role=option]").first
    expect(first).to_contain_text("Temur Umarov")
    expect(page.locator("#source-new [data-action=new-source]")).to_be_visible()
    # Down and Enter, as many times as one likes: always an existing source, never a new one.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#source-chosen")).to_be_visible()
    chosen = page.locator("#source-name").text_content()
    assert Source.objects.filter(name=chosen).exists()
    assert Source.objects.count() == count
    expect(page.locator("#source-confirm [data-action=create-source]")).to_have_count(0)

    # An alias typed in full is not offered as a new source.
    page.locator("[data-action=clear-source]").click()
    page.locator("#source-q").fill("Isachenko")
    expect(page.locator("#source-new")).to_contain_text("already in the registry")
    expect(page.locator("#source-new [data-action=new-source]")).to_have_count(0)
    page.keyboard.press("Alt+Enter")
    expect(page.locator("#source-confirm [data-action=create-source]")).to_have_count(0)
    assert Source.objects.count() == count


def test_enter_before_the_options_arrive_picks_from_the_last_letters(
    live_server: Any, page: Page, annotator: Any
) -> None:
    """The search asks at every letter; Enter pressed while the answers are slow picks the
    first option found for the whole text, never one of an earlier letter's."""
    article = seed_article(annotator)
    log_in(page, live_server.url, annotator)
    open_new_claim(page, live_server.url, article)

    def slow(route: Any) -> None:
        time.sleep(0.3)
        route.continue_()

    page.route(re.compile(r"/annotate/sources/\?"), slow)
    page.locator("#source-q").press_sequentially("umarow")
    page.keyboard.press("Enter")
    expect(page.locator("#source-name")).to_have_text("Temur Umarov")
    expect(page.locator("#source-chosen")).to_be_visible()


def test_alt_enter_and_the_confirmation_create_a_source(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = seed_article(annotator)
    project_update(project=article.project, annotator_sources=AnnotatorSources.CREATE)
    log_in(page, live_server.url, annotator)
    open_new_claim(page, live_server.url, article)

    page.locator("#source-q").press_sequentially("Isachneko Dmitri")
    expect(page.locator("#source-new [data-action=new-source]")).to_be_visible()
    page.keyboard.press("Alt+Enter")
    confirm = page.locator("#source-confirm")
    expect(confirm).to_contain_text("Add “Isachneko Dmitri” to the registry as a new source?")
    expect(confirm.locator("[data-action=pick-source]").first).to_have_text("Daria Isachenko")
    create = confirm.locator("[data-action=create-source]")
    expect(create).to_be_focused()
    assert not Source.objects.filter(name="Isachneko Dmitri").exists()  # not before Enter
    page.keyboard.press("Enter")
    expect(page.locator("#source-name")).to_have_text("Isachneko Dmitri")
    created = Source.objects.get(name="Isachneko Dmitri")
    assert page.locator("#source-id").input_value() == str(created.pk)


def test_escape_leaves_the_confirmation_without_creating(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = seed_article(annotator)
    count = Source.objects.count()
    log_in(page, live_server.url, annotator)
    open_new_claim(page, live_server.url, article)
    page.locator("#source-q").press_sequentially("Nobody Known")
    expect(page.locator("#source-new [data-action=new-source]")).to_be_visible()
    page.keyboard.press("Alt+Enter")
    expect(page.locator("#source-confirm [data-action=create-source]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#source-confirm [data-action=create-source]")).to_have_count(0)
    expect(page.locator("#claim-form")).to_be_visible()  # the claim form stays open
    expect(page.locator("#source-q")).to_be_focused()
    assert Source.objects.count() == count


def test_setting_none_shows_annotators_no_way_to_create(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = seed_article(annotator)
    project_update(project=article.project, annotator_sources=AnnotatorSources.NONE)
    count = Source.objects.count()
    log_in(page, live_server.url, annotator)
    open_new_claim(page, live_server.url, article)
    page.locator("#source-q").press_sequentially("Nobody Known")
    expect(page.locator("#source-new")).to_contain_text("a curator adds new sources")
    expect(page.locator("[data-action=new-source]")).to_have_count(0)
    page.keyboard.press("Alt+Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("[data-action=create-source]")).to_have_count(0)
    assert Source.objects.count() == count


class Gate:
    """Holds the browser's requests to a URL until ``open`` (answers as slow as one likes,
    without blocking the test's thread); once open, requests pass at once."""

    def __init__(self, page: Page, pattern: str) -> None:
        self.held: list[Any] = []
        self.opened = False
        page.route(re.compile(pattern), self._route)

    def _route(self, route: Any) -> None:
        if self.opened:
            route.continue_()
        else:
            self.held.append(route)

    def open(self) -> None:
        self.opened = True
        for route in self.held:
            route.continue_()
        self.held.clear()


LABEL_KEYS = ("2", "a", "Shift+B", "2", "2", "Control+Enter")  # attribution…type, save


def _assert_labelled_claim(page: Page, article: Any, rows_before: int) -> None:
    expect(page.locator("#claim-rows > li")).to_have_count(rows_before + 1)
    claim = Claim.objects.get(article=article)
    assert claim.source is not None and claim.source.name == "Temur Umarov"
    assert (claim.source_reliability, claim.information_credibility) == ("B", "2")
    assert claim.attribution and claim.claim_type
    assert [s.stance for s in claim.stances.all()] == ["against"]


def test_keys_typed_after_enter_wait_for_the_pick(
    live_server: Any, page: Page, annotator: Any
) -> None:
    """Enter while the search is on its way, then the label keys and Ctrl+Enter at once:
    the keys wait for the pick and go to the fields after the source, none into the search
    box (they went there, and the save was refused, 422)."""
    article = seed_article(annotator)
    log_in(page, live_server.url, annotator)
    open_new_claim(page, live_server.url, article)
    rows = page.locator("#claim-rows > li").count()
    gate = Gate(page, r"/annotate/sources/\?")
    page.locator("#source-q").press_sequentially("umarow")
    page.keyboard.press("Enter")
    for key in LABEL_KEYS:
        page.keyboard.press(key)
    expect(page.locator("#source-q")).to_have_value("umarow")  # nothing leaked into it
    expect(page.locator("#source-chosen")).to_be_hidden()
    assert not Claim.objects.filter(article=article).exists()
    gate.open()
    _assert_labelled_claim(page, article, rows)


def test_enter_and_keys_typed_before_the_form_arrives(
    live_server: Any, page: Page, annotator: Any
) -> None:
    """Words selected, the name typed, Enter and the labels, all before the form is there:
    the name goes into its search, Enter picks, the labels label (Enter was lost, and
    the labels went into the name)."""
    article = seed_article(annotator)
    log_in(page, live_server.url, annotator)
    open_workspace(page, live_server.url, article)
    rows = page.locator("#claim-rows > li").count()
    gate = Gate(page, r"/annotate/claims/new/|/annotate/sources/\?")
    at = article.text.index("Daria Isachenko")
    select(page, at, at + len("Daria Isachenko"))
    page.keyboard.type("umarow")
    page.keyboard.press("Enter")
    for key in LABEL_KEYS:
        page.keyboard.press(key)
    expect(page.locator("#claim-form")).to_have_count(0)
    gate.open()
    _assert_labelled_claim(page, article, rows)


def test_escape_after_enter_cancels_the_pick_and_drops_the_keys(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = seed_article(annotator)
    log_in(page, live_server.url, annotator)
    open_new_claim(page, live_server.url, article)
    gate = Gate(page, r"/annotate/sources/\?")
    page.locator("#source-q").press_sequentially("umarow")
    page.keyboard.press("Enter")
    page.keyboard.press("2")
    page.keyboard.press("Escape")
    gate.open()
    expect(page.locator("#source-options [role=option]").first).to_contain_text("Temur Umarov")
    expect(page.locator("#source-chosen")).to_be_hidden()  # not picked
    expect(page.locator("#ws-message")).to_contain_text("Source not picked")
    expect(page.locator("#source-q")).to_have_value("umarow")
    expect(page.locator("#claim-form")).to_be_visible()
