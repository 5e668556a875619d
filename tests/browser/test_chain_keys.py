"""An annotator adds an attribution chain by keys: l opens the carrier search, Enter adds
the highlighted source, its reliability is picked, Ctrl+Enter saves the claim with it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.assignments.services import assignment_create
from annotate.models import Claim
from corpus.models import Role
from corpus.services import article_create
from tests.browser.conftest import log_in
from tests.browser.test_workspace_keys import SELECT, Keys, open_workspace
from tests.factories import MembershipFactory, ProjectFactory, SourceFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Akıncı told Berliner Zeitung that Turkey’s influence grows, as inosmi.ru reported."


@pytest.fixture
def annotator(transactional_db: Any) -> Any:
    project = ProjectFactory(slug="chains")
    user = UserFactory(username="ada")
    MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    SourceFactory(project=project, name="Akıncı")
    return user


def test_a_chain_of_two_carriers_by_keys(live_server: Any, page: Page, annotator: Any) -> None:
    project = annotator.memberships.get().project
    for name in ("stances", "source_reliability", "information_credibility", "claim_type"):
        project.scheme["fields"][name]["required"] = False
    project.save()
    paper = SourceFactory(project=project, name="Berliner Zeitung", kind="outlet")
    site = SourceFactory(project=project, name="inosmi.ru", kind="outlet")
    article = article_create(project=project, text=TEXT, title="Chain").article
    assignment_create(article=article, annotator=annotator)
    log_in(page, live_server.url, annotator)
    open_workspace(page, live_server.url, article)
    keys = Keys(page)

    start = TEXT.index("Turkey’s influence grows")
    page.evaluate(SELECT, [start, start + len("Turkey’s influence grows")])
    keys.press("n")
    form = page.locator("#claim-form")
    expect(form).to_be_visible()
    keys.type("aki")
    expect(page.locator("#source-options [role=option]").first).to_contain_text("Akıncı")
    keys.press("Enter")
    expect(page.locator("#source-name")).to_have_text("Akıncı")
    keys.press("2")  # attribution: direct (required)
    # l: the carrier search; Enter adds the highlighted source as the next carrier.
    keys.press("l")
    expect(page.locator("#chain-q")).to_be_focused()
    keys.type("berl")
    expect(page.locator("#chain-options [role=option]").first).to_contain_text("Berliner")
    keys.press("Enter")
    expect(page.locator("#chain-links > li")).to_have_count(1)
    reliability = page.locator("#chain-links > li select").first
    expect(reliability).to_be_focused()
    reliability.select_option("C")
    page.locator("#chain-q").focus()
    keys.type("inos")
    expect(page.locator("#chain-options [role=option]").first).to_contain_text("inosmi")
    keys.press("Enter")
    expect(page.locator("#chain-links > li")).to_have_count(2)
    keys.press("Control+Enter")
    expect(page.locator("#claim-rows > li")).to_have_count(1)
    expect(page.locator("#claim-rows .claim-chain")).to_contain_text(
        "via Berliner Zeitung › inosmi.ru"
    )
    claim = Claim.objects.get()
    assert [(k.position, k.source_id, k.reliability) for k in claim.chain.order_by("position")] == [
        (1, paper.pk, "C"),
        (2, site.pk, ""),
    ]
