"""Benchmark scenarios of the analysis pages (``annotate/analysis/views.py``): the source
profile, the stance map (whole project and filtered), a cell's claims, the stance-map CSV,
the corpus overview and claim search.

Each row is a page fetched by a curator through Django's test client: median and p95 of
the server time, and the number of queries of one request. The pages aggregate the whole
project, so at large scale one request can take seconds: each row runs as many requests as
fit in ``BUDGET_S`` (at least ``MIN_REPS``, at most the context's ``reps``; less time at the
small scales, ``budget``), and says how many it ran. Importing this module adds its
scenarios to ``bench.scenarios.SCENARIOS``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from annotate.analysis.filters import ClaimFilters
from annotate.analysis.search import claims_matching
from annotate.models import Claim, ClaimStance
from bench.scenarios import (
    SCENARIOS,
    Context,
    Result,
    _ok,
    count_queries,
    percentile,
    summary,
    timed,
)
from corpus.models import Project

BUDGET_S = 20.0  # seconds of timed requests per row, at most
# At the small scales (`make test`'s bench-small: figures, no pass/fail) a row stops after
# 1 s of requests (and MIN_REPS): the stance map's six rows and the network's eight were
# each 30 requests of a 0.3–1.1 MB page (50–250 ms of CPU apiece), 21–25 s a scenario on an
# idle machine, 2–4 times that on a loaded one, then 11–14 s with 2 s a row; the pages'
# targets are judged at medium scale and up.
SMALL_BUDGET_S = {"tiny": 1.0, "small": 1.0}
MIN_REPS = 5
COMMON_WORD = "pipeline"  # in ~7.5% of the generated claims
RARE_WORD = "Rahmon"  # in ~0.06%
OUTLET = "Daily Sabah"  # one of the generator's 10 outlets
# A quarter of the generator's two years of publication dates.
DATES = {"date_from": "2025-01-01", "date_to": "2025-03-31"}


def min_reps(ctx: Context) -> int:
    """Requests a row makes at least: MIN_REPS, or fewer where the scale asks fewer (the
    test suite's smoke run at ``tiny``, 3 requests, made 5 of every page row)."""
    return min(MIN_REPS, ctx.reps)


def budget(ctx: Context) -> float:
    """Seconds of timed requests per row at the context's scale."""
    return SMALL_BUDGET_S.get(ctx.scale, BUDGET_S)


def _curator(ctx: Context) -> Client:
    return ctx.client(ctx.project.curator_id)


def _page(
    ctx: Context,
    scenario: str,
    name: str,
    url: str,
    params: dict[str, Any] | None = None,
    *,
    user_id: int | None = None,
    target_ms: float | None = None,
    headers: dict[str, str] | None = None,
) -> Result:
    """One row: GET ``url`` with ``params`` as the curator (or ``user_id``), repeated within
    the budget. Beside the wall-clock times, the median CPU time of this process per
    request (``cpu_ms``: the app's own work, which a loaded machine does not stretch; on
    PostgreSQL the database server's work is not in it)."""
    client = ctx.client(user_id) if user_id is not None else _curator(ctx)
    query = params or {}
    cpu: list[float] = []

    def fetch() -> Any:
        began = time.process_time()
        found = _ok(client.get(url, query, headers=headers))
        cpu.append((time.process_time() - began) * 1000)
        return found

    began = time.perf_counter()
    first = fetch()  # also the first warm-up request
    once = max(time.perf_counter() - began, 1e-4)
    reps = max(min_reps(ctx), min(ctx.reps, int(budget(ctx) / once)))
    warmup = min(max(ctx.warmup - 1, 0), reps // 10)
    times = timed(fetch, reps=reps, warmup=warmup)
    timed_cpu = cpu[-reps:]
    return summary(
        scenario,
        name,
        times,
        target_ms=target_ms,
        queries=count_queries(fetch),
        extra={
            "kb": round(len(first.content) / 1024, 1),
            "first_ms": round(once * 1000, 1),  # the first request (a cold cache)
            "cpu_ms": round(statistics.median(timed_cpu), 2),
            "cpu_p95_ms": round(percentile(timed_cpu, 95), 2),
        },
    )


def _matches(ctx: Context, params: dict[str, Any]) -> int:
    """How many claims the search page finds with ``params`` (untimed)."""
    project = Project.objects.get(pk=ctx.project.project_id)
    filters = ClaimFilters.from_query(params, annotator_ids=set(ctx.project.annotator_ids))
    return claims_matching(project, filters).count()


def _project_claims(ctx: Context) -> Any:
    return Claim.objects.live().filter(article__project_id=ctx.project.project_id)


def most_cited_source(ctx: Context) -> tuple[int, int]:
    """The source with the most live claims (every layer), and how many it has."""
    row = (
        _project_claims(ctx)
        .filter(source__isnull=False)
        .order_by()
        .values("source_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "source_id")
        .first()
    )
    assert row is not None, "the generated project has no claims with a source"
    return row["source_id"], row["n"]


def biggest_cell(ctx: Context) -> dict[str, Any]:
    """The stance-map cell (source, target, stance) with the most annotator stances."""
    row = (
        ClaimStance.objects.filter(
            claim__article__project_id=ctx.project.project_id,
            claim__deleted_at__isnull=True,
            claim__annotator__isnull=False,
            claim__source__isnull=False,
        )
        .order_by()
        .values("claim__source_id", "target_id", "stance")
        .annotate(n=Count("pk"))
        .order_by("-n", "claim__source_id", "target_id", "stance")
        .first()
    )
    assert row is not None, "the generated project has no stances"
    return {
        "source": row["claim__source_id"],
        "target": row["target_id"],
        "stance": row["stance"],
        "n": row["n"],
    }


def source_profile(ctx: Context) -> list[Result]:
    """The profile of the most-cited source: its claims (first page), stances per target,
    ratings and agreement, on the gold layer (the default) and on all annotators."""
    source_id, n = most_cited_source(ctx)
    url = reverse("annotate:source-profile", args=[source_id])
    rows = [
        _page(ctx, "analysis_profile", "source profile (most-cited source, gold layer)", url),
        _page(
            ctx,
            "analysis_profile",
            "source profile (most-cited source, all annotators)",
            url,
            {"layer": "all"},
        ),
    ]
    for row in rows:
        row.extra["source_claims"] = n
    return rows


def stance_map(ctx: Context) -> list[Result]:
    """The stance map of the whole project (gold layer, all annotators) and filtered by
    outlet, a date range, attribution and one annotator's layer."""
    url = reverse("annotate:stance-map", args=[ctx.project.slug])
    annotator = str(ctx.project.annotator_ids[0])
    variants: list[tuple[str, dict[str, Any]]] = [
        ("whole project, gold layer", {}),
        ("whole project, all annotators", {"layer": "all"}),
        (f"all annotators, outlet {OUTLET}", {"layer": "all", "outlet": OUTLET}),
        ("all annotators, one quarter", {"layer": "all", **DATES}),
        ("all annotators, attribution direct", {"layer": "all", "attribution": "direct"}),
        ("one annotator's layer", {"layer": annotator}),
    ]
    return [
        _page(ctx, "analysis_stance_map", f"stance map ({label})", url, params)
        for label, params in variants
    ]


def stance_cell(ctx: Context) -> list[Result]:
    """The claims behind the stance map's biggest cell (all annotators): the search page
    filtered on its source, target and stance, as the cell's link opens it."""
    cell = biggest_cell(ctx)
    url = reverse("annotate:claim-search", args=[ctx.project.slug])
    params = {"layer": "all", "source": cell["source"], "target": cell["target"]}
    params["stance"] = cell["stance"]
    row = _page(ctx, "analysis_stance_cell", "stance-map cell's claims (biggest cell)", url, params)
    row.extra["matches"] = _matches(ctx, params)
    return [row]


def stance_csv(ctx: Context) -> list[Result]:
    """The stance map as CSV (all annotators)."""
    url = reverse("annotate:stance-map-csv", args=[ctx.project.slug])
    return [
        _page(ctx, "analysis_stance_csv", "stance map CSV (all annotators)", url, {"layer": "all"})
    ]


def overview(ctx: Context) -> list[Result]:
    """The corpus overview: gold layer (the default) and all annotators."""
    url = reverse("annotate:analysis-overview", args=[ctx.project.slug])
    return [
        _page(ctx, "analysis_overview", "corpus overview (gold layer)", url),
        _page(ctx, "analysis_overview", "corpus overview (all annotators)", url, {"layer": "all"}),
    ]


def claim_search(ctx: Context) -> list[Result]:
    """Claim search on all annotators' claims: no words (the first page of everything), a
    common word, a rare one, and the common word with filters (one annotator's layer,
    an outlet, an attribution)."""
    url = reverse("annotate:claim-search", args=[ctx.project.slug])
    annotator = str(ctx.project.annotator_ids[0])
    variants: list[tuple[str, dict[str, Any]]] = [
        ("no words, all annotators", {"layer": "all"}),
        (f"common word {COMMON_WORD!r}, all annotators", {"layer": "all", "q": COMMON_WORD}),
        (f"rare word {RARE_WORD!r}, all annotators", {"layer": "all", "q": RARE_WORD}),
        (
            f"{COMMON_WORD!r} + one annotator, outlet, attribution",
            {"layer": annotator, "q": COMMON_WORD, "outlet": OUTLET, "attribution": "direct"},
        ),
    ]
    rows = []
    for label, params in variants:
        row = _page(ctx, "analysis_search", f"claim search ({label})", url, params)
        row.extra["matches"] = _matches(ctx, params)
        rows.append(row)
    return rows


def cluster_suggestions(ctx: Context) -> list[Result]:
    """Cluster suggestions (``annotate.clusters``): the background build of the project's
    index (wall and CPU time, size: ``build``), loading it in a fresh process, then the
    API's suggestions for one claim and the cluster page's suggestions for a one-claim
    cluster, with the built index (target: p95 < 100 ms)."""
    from annotate.clusters import indexing, services
    from annotate.clusters import suggest as cluster_suggest

    project = Project.objects.get(pk=ctx.project.project_id)
    claim = _project_claims(ctx).filter(annotator__isnull=False).order_by("pk").first()
    assert claim is not None
    cluster_suggest.forget(project.pk)
    wall, cpu = time.perf_counter(), time.process_time()
    rss = _rss_mb()
    row = indexing.index_build(project)  # what the task runs on a worker
    build = Result(
        "cluster_suggestions",
        "cluster index build (background task)",
        n=1,
        median_ms=round((time.perf_counter() - wall) * 1000, 1),
        extra={
            "cpu_s": round(time.process_time() - cpu, 1),
            "claims": row.claims,
            "file_mb": round(row.size / 2**20, 1),
            "rss_growth_mb": round(_rss_mb() - rss, 1),
        },
    )
    began = time.perf_counter()
    index = cluster_suggest.loaded(row)
    assert index is not None
    build.extra["load_ms"] = round((time.perf_counter() - began) * 1000, 1)
    build.extra["index_mb"] = round(index.nbytes / 2**20, 1)
    curator = get_user_model().objects.get(pk=ctx.project.curator_id)
    cluster = services.cluster_create(
        project=project,
        actor=curator,
        annotator_id=None,
        statement="Bench: the proposition of one claim",
        claim_ids=[claim.pk],
    )
    return [
        build,
        _page(
            ctx,
            "cluster_suggestions",
            "cluster suggestions for one claim (API)",
            f"/api/claims/{claim.pk}/cluster-suggestions/",
            target_ms=100,
        ),
        _page(
            ctx,
            "cluster_suggestions",
            "cluster page's suggestions (htmx fragment, one-claim cluster)",
            reverse("annotate:cluster-suggestions", args=[cluster.pk]),
            headers={"HX-Request": "true"},
            target_ms=100,
        ),
    ]


def network(ctx: Context) -> list[Result]:
    """The network page of the whole project (target: p95 < 300 ms): actors × concepts
    and actors × actors, on the gold layer (the default) and on all annotators."""
    url = reverse("annotate:network", args=[ctx.project.slug])
    variants: list[tuple[str, dict[str, Any]]] = [
        ("actors × concepts, gold layer", {}),
        ("actors × concepts, all annotators", {"layer": "all"}),
        ("actors × actors, gold layer", {"kind": "actor-actor"}),
        ("actors × actors, all annotators", {"kind": "actor-actor", "layer": "all"}),
    ]
    rows = [
        _page(ctx, "network", f"network page ({label})", url, params, target_ms=300)
        for label, params in variants
    ]
    # A window of most of two years' months, all annotators (their month and year counts
    # summed): the first request after a change only (then the page is cached as above).
    window = {"layer": "all", "date_from": "2024-02-01", "date_to": "2025-11-30"}
    return rows + [
        _cold_network(ctx, f"network page ({label}), first request after a change", url, params)
        for label, params in [
            *variants,
            ("actors × concepts, all annotators, Feb 2024–Nov 2025", window),
        ]
    ]


def _cold_network(ctx: Context, name: str, url: str, params: dict[str, Any]) -> Result:
    """The network page with nothing cached, as the first request after a change to the
    project finds it (the cached network's key is the project's latest change): the
    shared cache and this process's copy are emptied before each request (untimed)."""
    from django.core.cache import cache

    from annotate.analysis import networks

    client = _curator(ctx)
    times: list[float] = []
    cpu: list[float] = []
    spent = 0.0
    while len(times) < min_reps(ctx) or (spent < budget(ctx) and len(times) < ctx.reps):
        cache.clear()
        networks._LOCAL.clear()
        began, began_cpu = time.perf_counter(), time.process_time()
        _ok(client.get(url, params))
        took = time.perf_counter() - began
        cpu.append((time.process_time() - began_cpu) * 1000)
        times.append(took * 1000)
        spent += took
    cache.clear()
    networks._LOCAL.clear()
    return summary(
        "network",
        name,
        times,
        target_ms=300,
        extra={
            "cpu_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": round(percentile(cpu, 95), 2),
        },
    )


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


ANALYSIS_SCENARIOS: dict[str, Callable[[Context], list[Result]]] = {
    "analysis_profile": source_profile,
    "analysis_stance_map": stance_map,
    "analysis_stance_cell": stance_cell,
    "analysis_stance_csv": stance_csv,
    "analysis_overview": overview,
    "analysis_search": claim_search,
    "cluster_suggestions": cluster_suggestions,
    "network": network,
}
SCENARIOS.update(ANALYSIS_SCENARIOS)
