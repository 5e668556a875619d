"""Suggestions in a real browser: shown as dashed outlines, accepted with the keyboard,
and the accepted one becomes my claim."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from annotate.assignments.services import assignment_create
from annotate.models import Claim, Suggestion
from corpus.models import Article, Role
from tests.browser.conftest import log_in
from tests.browser.test_workspace_flow import SEED_FILE, SEED_REGISTRY, SEEDS, open_workspace
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(transactional_db: Any) -> Article:
    project = ProjectFactory(slug="central-asia", suggestions_enabled=True)
    # One key makes a complete claim when only source and attribution are required.
    for name in ("stances", "source_reliability", "information_credibility", "claim_type"):
        project.scheme["fields"][name]["required"] = False
    project.save()
    call_command("import_sources", str(SEED_REGISTRY), project=project.slug, verbosity=0)
    call_command(
        "import_articles",
        str(SEEDS / SEED_FILE),
        project=project.slug,
        no_progress=True,
        verbosity=0,
    )  # the project has suggestions on: the import makes them
    article = Article.objects.get(project=project)
    user = UserFactory(username="ada")
    MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    assignment_create(article=article, annotator=user)
    return article


def test_accept_a_suggestion_with_the_keyboard_and_it_becomes_my_claim(
    page: Page, live_server: Any, article: Article
) -> None:
    user = article.assignments.get().annotator
    suggestions = list(Suggestion.objects.filter(article=article).order_by("start", "-end"))
    assert suggestions
    first = suggestions[0]
    log_in(page, live_server.url, user)
    open_workspace(page, live_server.url, article)
    rows = page.locator("#suggestion-rows > li")
    expect(rows).to_have_count(len(suggestions))
    expect(page.locator("#article-text .hl-suggestion").first).to_be_visible()
    expect(page.locator("#claim-rows > li")).to_have_count(0)

    page.keyboard.press("Shift+KeyJ")
    expect(page.locator(f"#suggestion-row-{first.pk}")).to_have_class("suggestion-row current")
    expect(page.locator("#article-text .current-suggestion").first).to_be_visible()
    page.keyboard.press("y")

    expect(page.locator("#claim-rows > li")).to_have_count(1)
    expect(page.locator("#claim-rows > li .claim-quote")).to_contain_text(first.quote[:40])
    expect(page.locator(f"#suggestion-row-{first.pk}")).to_have_count(0)
    expect(rows).to_have_count(len(suggestions) - 1)
    expect(page.locator("#claim-count")).to_have_text("1")
    claim = Claim.objects.get(annotator=user)
    assert (claim.start, claim.end, claim.source_id) == (first.start, first.end, first.source_id)
    # The next suggestion is current: x dismisses it.
    second = suggestions[1]
    expect(page.locator(f"#suggestion-row-{second.pk}")).to_have_class("suggestion-row current")
    page.keyboard.press("x")
    expect(rows).to_have_count(len(suggestions) - 2)
    expect(page.locator("#claim-rows > li")).to_have_count(1)
