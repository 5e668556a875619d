"""The Content-Security-Policy in a real browser: the main pages work under it with no
violation (htmx, Chart.js and our modules all come from our static files)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from annotate.models import Assignment
from corpus.models import Role
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.scenes import crafted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's init scripts and evaluate() run outside the page's policy, so the listener is
# there before the first script of the page.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`);
});
"""


def _visit(page: Page, url: str, ready: str) -> list[str]:
    page.goto(url)
    page.wait_for_selector(ready, state="attached")
    page.wait_for_load_state("networkidle")
    return list(page.evaluate("window.__violations"))


def test_the_main_pages_run_without_a_csp_violation(live_server: Any, page: Page) -> None:
    project = ProjectFactory(slug="central-asia")
    ann1, ann2 = UserFactory(username="ann"), UserFactory(username="ben")
    for user in (ann1, ann2):
        MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    manager = UserFactory(username="mia")
    MembershipFactory(project=project, user=manager, role=Role.MANAGER)
    data = crafted(project, ann1, ann2)
    article = data.a1
    Assignment.objects.get_or_create(article=article, annotator=manager)
    page.add_init_script(LISTEN)
    log_in(page, live_server.url, manager)
    base = live_server.url
    pages = {
        "workspace": (f"{base}/articles/{article.pk}/annotate/", "#claim-rows"),
        "review": (f"{base}/articles/{article.pk}/review/", "#review-body"),
        "analysis": (f"{base}/projects/{project.slug}/analysis/", "canvas"),
        "agreement": (f"{base}/projects/{project.slug}/agreement/", "main h1"),
        "sources": (f"{base}/projects/{project.slug}/sources/", "main h1"),
        "export": (f"{base}/projects/{project.slug}/export/", "main form"),
        "api docs": (f"{base}/api/docs/", ".swagger-ui .info"),
    }
    violations = {name: _visit(page, url, ready) for name, (url, ready) in pages.items()}
    assert violations == dict.fromkeys(pages, [])
    # Chart.js drew (a canvas that stayed blank would mean its script was refused).
    page.goto(pages["analysis"][0])
    page.wait_for_load_state("networkidle")
    assert page.evaluate("Boolean(window.Chart) && document.querySelectorAll('canvas').length > 0")
