"""Benchmark scenarios of the list pages people open every day: the annotator's queue, the
project's articles, the source registry, the manager's assignments and the curator's review
queue. A list page must cost the same for 100 articles as for 10,000: each row gives the
server time and the number of queries of one request, as ``scenarios_analysis`` does.
Importing this module adds its scenarios to ``bench.scenarios.SCENARIOS``."""

from __future__ import annotations

from collections.abc import Callable

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
    return [
        _page(
            ctx, "pages_project", "project page", reverse("corpus:project-detail", args=[p.slug])
        ),
        _page(
            ctx,
            "pages_project",
            f"article list ({p.n_articles:,} articles)",
            reverse("corpus:article-list", args=[p.slug]),
        ),
        _page(
            ctx,
            "pages_project",
            "article list, title search",
            reverse("corpus:article-list", args=[p.slug]),
            {"q": "Turkey"},
        ),
        _page(
            ctx,
            "pages_project",
            f"source registry ({p.n_sources} sources, with counts)",
            reverse("annotate:source-list", args=[p.slug]),
        ),
        _page(
            ctx,
            "pages_project",
            "assignments (manager)",
            reverse("annotate:assignments", args=[p.slug]),
            user_id=p.manager_id,
        ),
        _page(
            ctx,
            "pages_project",
            "agreement dashboard (curator)",
            reverse("annotate:agreement", args=[p.slug]),
        ),
        _page(
            ctx,
            "pages_project",
            "review queue (curator)",
            reverse("annotate:review-queue", args=[p.slug]),
        ),
        _page(
            ctx,
            "pages_project",
            "review queue, open 'stance' disputes",
            reverse("annotate:review-queue", args=[p.slug]),
            {"state": "open", "dispute": "stance"},
        ),
    ]


PAGE_SCENARIOS: dict[str, Callable[[Context], list[Result]]] = {
    "pages_queue": queue,
    "pages_project": project_pages,
}
SCENARIOS.update(PAGE_SCENARIOS)
