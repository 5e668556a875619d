"""Benchmark scenarios of the list pages people open every day: the annotator's queue, the
project's articles, the source registry, the manager's assignments and the curator's review
queue. A list page must cost the same for 100 articles as for 10,000: each row gives the
server time and the number of queries of one request, as ``scenarios_analysis`` does.
Importing this module adds its scenarios to ``bench.scenarios.SCENARIOS``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from annotate.models import Assignment
from bench.scenarios import SCENARIOS, Context, Result
from bench.scenarios_analysis import _page


def queue(ctx: Context) -> list[Result]:
    """An annotator's queue (every article of the project is assigned to them): the first
    page, the last page and one status."""
    p = ctx.project
    annotator = p.annotator_ids[0]
    url = reverse("annotate:queue")
    n = Assignment.objects.filter(annotator_id=annotator).count()
    last = max(1, -(-n // 50))
    rows = [
        _page(ctx, "pages_queue", f"annotator's queue ({n:,} assignments)", url, user_id=annotator),
        _page(
            ctx,
            "pages_queue",
            "annotator's queue, last page",
            url,
            {"page": last},
            user_id=annotator,
        ),
        _page(
            ctx,
            "pages_queue",
            "annotator's queue, not started",
            url,
            {"status": "not_started"},
            user_id=annotator,
        ),
    ]
    return rows


def project_pages(ctx: Context) -> list[Result]:
    """The project page, its article list (curator), the source registry (curator, with
    counts), the assignments page (manager), the agreement dashboard and the review queue
    (curator) once the project's agreement figures are computed (the ``agreement`` scenario
    times that computation)."""
    p = ctx.project
    curator = ctx.client(p.curator_id)
    for name in ("annotate:agreement", "annotate:review-queue"):
        curator.get(reverse(name, args=[p.slug]))  # computes and caches the figures
    # (row name, URL name, GET parameters, who asks: None for the curator)
    pages: list[tuple[str, str, dict[str, Any], int | None]] = [
        ("project page", "corpus:project-detail", {}, None),
        (f"article list ({p.n_articles:,} articles)", "corpus:article-list", {}, None),
        ("article list, title search", "corpus:article-list", {"q": "Turkey"}, None),
        # (at xlarge "Turkey" is in no article: these two find nearly all and a few)
        ("article list, search 'pipeline'", "corpus:article-list", {"q": "pipeline"}, None),
        ("article list, search 'Rahmon'", "corpus:article-list", {"q": "Rahmon"}, None),
        (f"source registry ({p.n_sources} sources, with counts)", "annotate:source-list", {}, None),
        ("assignments (manager)", "annotate:assignments", {}, p.manager_id),
        ("agreement dashboard (curator)", "annotate:agreement", {}, None),
        ("review queue (curator)", "annotate:review-queue", {}, None),
        (
            "review queue, open 'stance' disputes",
            "annotate:review-queue",
            {"state": "open", "dispute": "stance"},
            None,
        ),
    ]
    return [
        _page(ctx, "pages_project", name, reverse(url, args=[p.slug]), params, user_id=user)
        for name, url, params, user in pages
    ]


PAGE_SCENARIOS: dict[str, Callable[[Context], list[Result]]] = {
    "pages_queue": queue,
    "pages_project": project_pages,
}
SCENARIOS.update(PAGE_SCENARIOS)
