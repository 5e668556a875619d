"""The curators' and managers' list pages in a real browser: the review queue's filters swap
the list through htmx and keep the address; the assignment page assigns from a row."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    SourceFactory,
    TargetFactory,
    make_claim,
)
from tests.scenes import REVIEW_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _articles(project: Any, annotators: list[Any]) -> list[Any]:
    SourceFactory(project=project, name="Hulusi Akar")
    TargetFactory(project=project, name="Turkey")
    articles = []
    for k in range(4):
        article = ArticleFactory(project=project, title=f"Pipeline {k}", text=f"{k}. {REVIEW_TEXT}")
        for user in annotators:
            AssignmentFactory(article=article, annotator=user, status="done")
        for n, user in enumerate(annotators):
            disputed = k % 2 == 1 and n == 1
            make_claim(
                article,
                user,
                "Ankara is ready to help",
                attribution="reported" if disputed else "direct",
            )
        articles.append(article)
    return articles


def test_the_review_queue_filters_without_a_reload(
    live_server: Any, page: Page, project: Any, annotator: Any, other_annotator: Any, curator: Any
) -> None:
    articles = _articles(project, [annotator, other_annotator])
    log_in(page, live_server.url, curator)
    page.goto(f"{live_server.url}/projects/{project.slug}/review/")
    expect(page.locator("#queue-table tbody tr")).to_have_count(4)
    page.evaluate("window.__kept = true")  # gone if the page reloads
    page.select_option("#review-dispute", "attribution")
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)
    shown = page.locator("#queue-table tbody tr").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.article))"
    )
    assert sorted(shown) == [articles[1].pk, articles[3].pk]
    assert page.evaluate("window.__kept") is True
    assert "dispute=attribution" in page.url
    page.fill("#review-q", "pipeline 3")
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)


def test_a_manager_assigns_from_the_row(
    live_server: Any, page: Page, project: Any, annotator: Any, manager: Any
) -> None:
    ArticleFactory(project=project, title="Alpha piece")
    lone = ArticleFactory(project=project, title="Beta piece")
    log_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/projects/{project.slug}/assignments/?q=beta")
    row = page.locator(f"#article-{lone.pk}")
    expect(page.locator("#assignment-table tbody tr")).to_have_count(1)
    row.get_by_role("button", name="Assign").click()
    expect(page.locator(f"#article-{lone.pk}")).to_contain_text(annotator.username)
    assert "q=beta" in page.url
    assert lone.assignments.filter(annotator=annotator).exists()


@pytest.mark.parametrize("page_path", ["review", "assignments", "articles", "sources"])
def test_enter_in_a_filter_sends_one_request_and_no_console_error(
    live_server: Any,
    page: Page,
    project: Any,
    annotator: Any,
    other_annotator: Any,
    manager: Any,
    page_path: str,
) -> None:
    """Regression (issue 18): typing then Enter fired the input trigger and the submit, the
    second request aborting the first (console errors); now one request per search."""
    _articles(project, [annotator, other_annotator])
    log_in(page, live_server.url, manager)
    url = {
        "review": f"/projects/{project.slug}/review/",
        "assignments": f"/projects/{project.slug}/assignments/",
        "articles": f"/projects/{project.slug}/articles/",
        "sources": f"/projects/{project.slug}/sources/",
    }[page_path]
    page.goto(live_server.url + url)
    box = page.locator("form.filters input[name=q]")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "q=" in r.url else None)
    box.click()
    term = "Hulusi" if page_path == "sources" else "pipeline 3"
    # One input event, then Enter inside the 300 ms debounce: the input trigger is pending
    # when the submit fires, the case of the regression. (Typed key by key, a loaded CI
    # machine once paused over 300 ms between two keys, and the page rightly searched the
    # half-typed word first: a second request for the test to count.)
    box.fill(term)
    page.keyboard.press("Enter")
    expect(page.locator("form.filters").locator("xpath=..")).to_contain_text(
        "Hulusi Akar" if page_path == "sources" else "Pipeline 3"
    )
    page.wait_for_timeout(800)  # past the debounce: any late second request would be sent
    assert len(requests) == 1, requests
    assert "q=" in page.url
