"""Workspace traps (issue 18): keys that destroy work, a claim list that shows one claim,
errors out of view."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Claim
from annotate.services import assignment_create, project_targets_ensure
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
