"""The screenshot of the workspace (README, docs/guide/annotating.md), made on demand:

    CLAIMDESK_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshot.py

writes docs/screenshots/workspace.png (1280×800) from the seed article with a few claims.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from annotate.claims.checks import StanceInput
from annotate.claims.services import claim_create
from annotate.claims.values import claim_fields
from annotate.models import Source, Target
from tests.browser.conftest import log_in
from tests.browser.test_workspace_flow import annotator, seed_article  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("CLAIMDESK_SCREENSHOTS"), reason="set CLAIMDESK_SCREENSHOTS=1"
    ),
]

OUT = Path(settings.BASE_DIR) / "docs" / "screenshots" / "workspace.png"


def _claim(article: Any, user: Any, phrase: str, source: str, stance: str, **labels: Any) -> Any:
    start = article.text.index(phrase)
    targets = Target.objects.filter(project=article.project)
    return claim_create(
        article=article,
        annotator=user,
        fields=claim_fields(
            {
                "start": start,
                "end": start + len(phrase),
                "quote": phrase,
                "source": Source.objects.get(project=article.project, name=source),
                "stances": [StanceInput(target=targets[0], stance=stance)],
                **labels,
            }
        ),
    )


def test_screenshot_of_the_workspace(
    live_server: Any,
    page: Page,
    annotator: Any,  # noqa: F811
) -> None:
    article = seed_article(annotator)
    author = {"attribution": "author", "claim_type": "factual"}
    rated = {"source_reliability": "B", "information_credibility": "2"}
    _claim(
        article,
        annotator,
        "Turkey is actively expanding its influence in Central Asia by implementing "
        "financial programs, signing defense agreements, and conducting joint military "
        "exercises with Turkic countries",
        "Яна Орехова",
        "favor",
        **author,
        **rated,
    )
    _claim(
        article,
        annotator,
        "competing with Russia will not be easy",
        "Яна Орехова",
        "against",
        attribution="author",
        claim_type="predictive",
        source_reliability="C",
        information_credibility="3",
    )
    _claim(
        article,
        annotator,
        "Turkey is strengthening its position in the region by exporting weapons, "
        "implementing infrastructure projects, and developing cultural diplomacy. "
        "Nevertheless, Russia remains a serious competitor in this part of the world",
        "Яна Орехова",
        "favor",
        **author,
        **rated,
    )
    _claim(
        article,
        annotator,
        "Russia remains a serious competitor",
        "Яна Орехова",
        "none",
        attribution="author",
        claim_type="evaluative",
        source_reliability="C",
        information_credibility="2",
    )
    _claim(
        article,
        annotator,
        "its ambitious expectations for integration pushed away the newly formed Central "
        "Asian republics",
        "Daria Isachenko",
        "against",
        attribution="direct",
        claim_type="evaluative",
        source_reliability="B",
        information_credibility="2",
    )
    base = live_server.url
    log_in(page, base, annotator)
    page.goto(f"{base}/articles/{article.pk}/annotate/")
    expect(page.locator("#workspace[data-ready]")).to_be_attached()
    page.locator("#article-text mark").nth(5).click()
    expect(page.locator("#claim-form")).to_be_visible()
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 212)")
    page.wait_for_timeout(400)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT))
