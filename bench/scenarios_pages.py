"""Benchmark scenarios of the list pages people open every day: the annotator's queue, the
project's articles (page and API), the source registry, the manager's assignments (and its
filtered, later and htmx pages), the curator's review queue and agreement dashboard (also
its first request after the figures were computed). A list page must cost the same for 100
articles as for 10,000: each row gives the server time and the number of queries of one
request, as ``scenarios_analysis`` does.
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


def assignment_pages(ctx: Context) -> list[Result]:
    """The manager's assignments page beyond its first page: each filter, one annotator's
    articles, a page past the middle, the last page, and the list alone as htmx swaps
    it in (filters and pages)."""
    p = ctx.project
    url = reverse("annotate:assignments", args=[p.slug])
    last = max(1, -(-p.n_articles // 50))
    middle = max(1, last * 2 // 3)
    htmx = {"HX-Request": "true"}
    pages: list[tuple[str, dict[str, Any], dict[str, str] | None]] = [
        ("assignments, assigned", {"state": "assigned"}, None),
        ("assignments, unassigned", {"state": "unassigned"}, None),
        ("assignments, one annotator's", {"annotator": p.annotator_ids[0]}, None),
        ("assignments, title words", {"q": "pipeline"}, None),
        (f"assignments, page {middle}", {"page": middle}, None),
        (f"assignments, last page ({last})", {"page": last}, None),
        ("assignments list (htmx), page 2", {"page": 2}, htmx),
        ("assignments list (htmx), one annotator's", {"annotator": p.annotator_ids[1]}, htmx),
    ]
    return [
        _page(ctx, "pages_assignments", name, url, params, user_id=p.manager_id, headers=headers)
        for name, params, headers in _distinct(pages)
    ]


def _distinct[T: tuple[Any, ...]](rows: list[T]) -> list[T]:
    """The rows with their first names once (a small project's middle page is page 2)."""
    found: dict[str, T] = {}
    for row in rows:
        found.setdefault(row[0], row)
    return list(found.values())


def articles_api(ctx: Context) -> list[Result]:
    """GET /api/projects/{slug}/articles/ (a curator's: every article): the first pages,
    one past the middle and the last, 200 a page, an outlet, an annotator's own list
    and their not-started ones. (Searches, ``q``: article search's rows.)"""
    p = ctx.project
    url = reverse("api:article-list", args=[p.slug])
    last = max(1, -(-p.n_articles // 50))
    middle = max(1, last * 2 // 3)
    pages: list[tuple[str, dict[str, Any], int | None]] = [
        ("API article list, page 1", {}, None),
        ("API article list, page 2", {"page": 2}, None),
        (f"API article list, page {middle}", {"page": middle}, None),
        (f"API article list, last page ({last})", {"page": last}, None),
        ("API article list, 200 a page", {"page_size": 200}, None),
        ("API article list, outlet Daily Sabah", {"outlet": "Daily Sabah"}, None),
        ("API article list, an annotator's", {}, p.annotator_ids[0]),
        (
            "API article list, an annotator's not started",
            {"status": "not_started"},
            p.annotator_ids[0],
        ),
    ]
    return [
        _page(ctx, "articles_api", name, url, params, user_id=user)
        for name, params, user in _distinct(pages)
        if params.get("page", 1) <= last  # (a page past the end: 404, a tiny project's 2)
    ]


def dashboard_uncached(ctx: Context) -> list[Result]:
    """The agreement dashboard and the review queue on their first view after the
    background task computed new figures: the task caches the pages' small entries beside
    the data (``figures.derive_views``); before each request they are deleted and written
    again as the task wrote them (untimed); ``dashboard_evicted`` times them with those
    entries evicted. The set-up runs the task once (its time is
    a row's ``setup_s``) unless the data for the annotations as they are is cached
    already (a kept database's earlier run: the key is the project's write counter).
    (After a change the task recomputes the data: the ``agreement`` scenario times that.)"""
    import time

    from django.core.cache import cache

    from annotate.review.data import CACHE_SECONDS, cache_key, overlap_threshold
    from annotate.review.figures import derive_views
    from annotate.review.tasks import compute_project_agreement
    from corpus.models import Project

    p = ctx.project
    project = Project.objects.get(pk=p.project_id)
    threshold = overlap_threshold(project)
    base = cache_key(project, threshold)
    began, began_cpu = time.perf_counter(), time.process_time()
    if not cache.has_key(base):
        compute_project_agreement.enqueue(project.pk, threshold)  # (ImmediateBackend)
    assert cache.has_key(base), "the agreement task cached no data"
    setup = {
        "setup_s": round(time.perf_counter() - began, 1),
        "setup_cpu_s": round(time.process_time() - began_cpu, 1),
    }
    derived = _derived_keys(base)
    written = cache.get_many(derived)  # (what the task wrote: written again before each view)
    if set(written) != set(derived):  # (data cached before the task wrote them, or evicted)
        derive_views(project, cache.get(base), base)
        written = cache.get_many(derived)
    assert set(written) == set(derived), "the task's entries are not the pages' keys"
    rows = []
    for name, url_name in (
        ("agreement dashboard (curator)", "annotate:agreement"),
        ("review queue (curator)", "annotate:review-queue"),
    ):
        url = reverse(url_name, args=[p.slug])
        rows.append(
            _cold(
                ctx,
                "dashboard_uncached",
                f"{name}, first view after the task",
                url,
                derived,
                before=lambda: cache.set_many(written, CACHE_SECONDS),
                extra=setup,
            )
        )
    return rows


def dashboard_evicted(ctx: Context) -> list[Result]:
    """The agreement dashboard and the review queue with their small entries evicted (or
    cached data the task did not derive them from): each view reads the whole agreement
    data back and derives its entry (at the xlarge bench the data is a 185 MB entry of the
    database cache). Runs the task first unless its data is cached."""
    from django.core.cache import cache

    from annotate.review.data import cache_key, overlap_threshold
    from annotate.review.tasks import compute_project_agreement
    from corpus.models import Project

    p = ctx.project
    project = Project.objects.get(pk=p.project_id)
    threshold = overlap_threshold(project)
    base = cache_key(project, threshold)
    if not cache.has_key(base):
        compute_project_agreement.enqueue(project.pk, threshold)  # (ImmediateBackend)
    derived = _derived_keys(base)
    return [
        _cold(
            ctx,
            "dashboard_evicted",
            f"{name}, its entries evicted",
            reverse(url_name, args=[p.slug]),
            derived,
        )
        for name, url_name in (
            ("agreement dashboard (curator)", "annotate:agreement"),
            ("review queue (curator)", "annotate:review-queue"),
        )
    ]


def _derived_keys(base: str) -> list[str]:
    """The cache entries the two pages derive from the agreement data's (``base``): the
    dashboard's, the whole queue's and the unfiltered queue's count and first page
    (``annotate.review.figures``: ``dashboard_of``, ``disagreement_queue``,
    ``queue_page``)."""
    from annotate.review.figures import QUEUE_PER_PAGE, QueueFilters, _head_key

    head = _head_key(base, QueueFilters())
    return [f"{base}:board", f"{base}:queue", head, f"{head}:{QUEUE_PER_PAGE}:1"]


def _cold(
    ctx: Context,
    scenario: str,
    name: str,
    url: str,
    keys: list[str],
    *,
    before: Callable[[], object] | None = None,
    extra: dict[str, Any] | None = None,
) -> Result:
    """``url`` (the curator's) with ``keys`` deleted from the cache before each request,
    then ``before()`` run (untimed)."""
    import statistics
    import time

    from django.core.cache import cache

    from bench.scenarios import _ok, count_queries, percentile, summary
    from bench.scenarios_analysis import budget, min_reps

    client = ctx.client(ctx.project.curator_id)
    times: list[float] = []
    cpu: list[float] = []
    spent = 0.0
    while len(times) < min_reps(ctx) or (spent < budget(ctx) and len(times) < ctx.reps):
        cache.delete_many(keys)
        if before is not None:
            before()
        began, began_cpu = time.perf_counter(), time.process_time()
        _ok(client.get(url))
        took = time.perf_counter() - began
        cpu.append((time.process_time() - began_cpu) * 1000)
        times.append(took * 1000)
        spent += took
    cache.delete_many(keys)
    if before is not None:
        before()
    queries = count_queries(lambda: _ok(client.get(url)))
    if not cache.get_many(keys):  # (the page derived none of them: the keys are not its)
        raise RuntimeError(f"{name}: none of {keys} was written again")
    return summary(
        scenario,
        name,
        times,
        target_ms=200,
        queries=queries,
        extra={
            "cpu_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": round(percentile(cpu, 95), 2),
            **(extra or {}),
        },
    )


PAGE_SCENARIOS: dict[str, Callable[[Context], list[Result]]] = {
    "pages_queue": queue,
    "pages_project": project_pages,
    "pages_assignments": assignment_pages,
    "articles_api": articles_api,
    "dashboard_uncached": dashboard_uncached,
    "dashboard_evicted": dashboard_evicted,
}
SCENARIOS.update(PAGE_SCENARIOS)
