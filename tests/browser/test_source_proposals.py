"""Proposed sources and recorded merges in a real browser (issue 18): an annotator
proposes a source from the picker (its own key and a confirmation) and cites it at once;
a curator confirms it from the Sources page's queue; a manager merges a duplicate after
seeing what will change, then splits it back."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Claim, Source, SourceMerge, SourceStatus
from annotate.sources.services import source_create
from corpus.models import Role
from tests.browser.conftest import log_in
from tests.browser.test_source_autocomplete import open_new_claim
from tests.browser.test_workspace_flow import annotator, seed_article
from tests.factories import ClaimFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["annotator"]  # the fixture, imported


def member(project: Any, username: str, role: str) -> Any:
    user = UserFactory(username=username)
    MembershipFactory(project=project, user=user, role=role)
    return user


def test_an_annotator_proposes_a_source_and_a_curator_confirms_it(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = seed_article(annotator)
    curator = member(article.project, "cora", Role.CURATOR)
    log_in(page, live_server.url, annotator)
    open_new_claim(page, live_server.url, article)

    page.locator("#source-q").press_sequentially("Zhanna Nemtsova")
    offer = page.locator("#source-new [data-action=new-source]")
    expect(offer).to_have_text("Propose “Zhanna Nemtsova”…")
    assert not Source.objects.filter(name="Zhanna Nemtsova").exists()
    page.keyboard.press("Alt+Enter")
    confirm = page.locator("#source-confirm")
    expect(confirm).to_contain_text("Propose “Zhanna Nemtsova” as a new source?")
    expect(confirm.locator("[data-action=create-source]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#source-name")).to_have_text("Zhanna Nemtsova")
    expect(page.locator("#source-chosen [data-proposed]")).to_have_text("proposed")
    proposed = Source.objects.get(name="Zhanna Nemtsova")
    assert (proposed.status, proposed.proposed_by) == (SourceStatus.PROPOSED, annotator)
    assert page.locator("#source-id").input_value() == str(proposed.pk)
    # Picked again from the list, it is still marked; a confirmed source is not.
    page.locator("[data-action=clear-source]").click()
    page.locator("#source-q").fill("Nemtsova")
    expect(page.locator("#source-options [role=option]").first).to_contain_text("proposed")
    page.keyboard.press("Enter")
    expect(page.locator("#source-chosen [data-proposed]")).to_be_visible()
    page.locator("[data-action=clear-source]").click()
    page.locator("#source-q").fill("Temur Umarov")
    expect(page.locator("#source-options [role=option]").first).to_contain_text("Temur Umarov")
    page.keyboard.press("Enter")
    expect(page.locator("#source-name")).to_have_text("Temur Umarov")
    expect(page.locator("#source-chosen [data-proposed]")).to_be_hidden()

    page.context.clear_cookies()  # log out
    log_in(page, live_server.url, curator)
    page.goto(f"{live_server.url}/projects/{article.project.slug}/sources/")
    queue = page.locator("#proposed-sources")
    expect(queue.locator("[data-proposed-count]")).to_have_text("1")
    row = queue.locator(f"[data-proposed-source='{proposed.pk}']")
    expect(row).to_contain_text("ada")
    row.locator("input[name=name]").fill("Zhanna Nemtsova (DW)")
    row.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messages")).to_contain_text("“Zhanna Nemtsova (DW)” is confirmed")
    expect(page.locator("#proposed-sources")).to_have_count(0)
    proposed.refresh_from_db()
    assert (proposed.status, proposed.name) == (SourceStatus.CONFIRMED, "Zhanna Nemtsova (DW)")


def test_a_merge_shows_what_changes_and_a_manager_splits_it_back(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = seed_article(annotator)
    manager = member(article.project, "mona", Role.MANAGER)
    keep = Source.objects.get(project=article.project, name="Temur Umarov")
    duplicate = source_create(project=article.project, name="T. Umarow", aliases=["Umarow"])
    claim = ClaimFactory(article=article, annotator=annotator, source=duplicate)
    log_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/sources/{keep.pk}/")

    page.locator("#merge-source").select_option(label="T. Umarow")
    page.get_by_role("button", name="Merge into “Temur Umarov”…").click()
    preview = page.locator("[data-merge-preview]")
    expect(preview.locator("[data-moving-claims]")).to_contain_text(
        "1 claim citing “T. Umarow” will cite “Temur Umarov”"
    )
    expect(preview.locator("[data-new-aliases]")).to_contain_text("“T. Umarow”, “Umarow”")
    assert Source.objects.filter(pk=duplicate.pk).exists()  # nothing before the button
    page.get_by_role("button", name="Merge “T. Umarow” into “Temur Umarov”").click()
    expect(page.locator(".messages")).to_contain_text("“T. Umarow” was merged into")
    assert Claim.objects.get(pk=claim.pk).source_id == keep.pk
    record = SourceMerge.objects.get()

    page.locator(f"[data-merge-record='{record.pk}']").get_by_role("button").click()
    expect(page.locator("h1")).to_have_text("T. Umarow")
    expect(page.locator(".messages")).to_contain_text("is back")
    assert Claim.objects.get(pk=claim.pk).source_id == duplicate.pk
    kept_aliases = Source.objects.get(pk=keep.pk).aliases.values_list("alias", flat=True)
    assert sorted(kept_aliases) == ["Umarov"]
