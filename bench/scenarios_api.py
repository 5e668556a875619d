"""The peers' rows through the REST API: importing 1,000 documents in one upload, and
fetching one document with its claims in one request."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bench.generate import article_records
from bench.scenarios import SCENARIOS, Context, Result, _ok, count_queries, summary, timed
from corpus.models import Article, Role
from corpus.services import membership_set, project_create

# What the peers were given: the JSONL as it is, no cleanup (Label Studio and doccano
# store the text as sent), and Claimdesk's defaults (boilerplate stripped, hard wraps
# unwrapped when a text looks wrapped).
MODES = {
    "cleanup off": {"unwrap": "no", "strip_boilerplate": "false"},
    "cleanup on": {"unwrap": "auto", "strip_boilerplate": "true"},
}


def _jsonl(n: int, seed: int) -> bytes:
    return "".join(
        json.dumps(record, ensure_ascii=False) + "\n" for record in article_records(n, seed=seed)
    ).encode()


def import_api(ctx: Context) -> list[Result]:
    """POST /api/projects/{slug}/articles/upload/ with N documents of ~6,000 characters
    (Turkish, Cyrillic, an emoji each) in one JSONL file, into a fresh project each time,
    with a manager's token: documents per second, the request's wall-clock and CPU time
    (in-process: the CPU time is the server's work, a fairer figure on a busy machine),
    and its queries (the same for 10 documents as for N)."""
    n = ctx.project.n_articles - 1
    manager = get_user_model().objects.get(pk=ctx.project.manager_id)
    client = ctx.client(manager.pk, token=True)
    data, small = _jsonl(n, seed=11), _jsonl(10, seed=12)
    state = {"i": 0}

    def upload(body: bytes, options: dict[str, str]) -> Any:
        state["i"] += 1
        slug = f"bench-upload-{state['i']}"
        project = project_create(name=slug, slug=slug)
        membership_set(project=project, user=manager, role=Role.MANAGER)
        url = reverse("api:article-upload", args=[slug])
        upload = SimpleUploadedFile("import.jsonl", body, "application/x-ndjson")
        return lambda: _ok(client.post(url, {"file": upload, **options}), 201)

    rows = []
    for mode, options in MODES.items():
        upload(small, options)()  # warm-up
        q_small = count_queries(upload(small, options))
        q_big = count_queries(upload(data, options))
        walls, cpus = [], []
        for _ in range(ctx.heavy_reps):
            request = upload(data, options)
            wall, cpu = time.perf_counter(), time.process_time()
            request()
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        assert Article.objects.filter(project__slug=f"bench-upload-{state['i']}").count() == n
        row = summary("import_api", f"API upload of {n:,} documents, {mode}", walls)
        row.queries = q_big
        wall_s, cpu_s = statistics.median(walls) / 1000, statistics.median(cpus) / 1000
        row.extra = {
            "documents": n,
            "documents_per_s": round(n / wall_s),
            "cpu_ms": round(cpu_s * 1000, 1),
            "documents_per_cpu_s": round(n / cpu_s),
            "queries_10_documents": q_small,
            "mb": round(len(data) / 1e6, 1),
        }
        if mode == "cleanup off":
            row.target = "<= 200 ms (>= 5,000 documents/s), queries flat"
            row.met = row.median_ms is not None and row.median_ms <= 200 and q_small == q_big
        rows.append(row)
    return rows


def fetch_one(ctx: Context) -> list[Result]:
    """The peers' "fetch one document with its spans" in one request: the article with
    its 20 claims (GET /api/articles/{id}/?include=claims), as an annotator."""
    p = ctx.project
    client = ctx.client(p.annotator_ids[0], token=True)
    url = reverse("api:article-detail", args=[p.article_ids[2]]) + "?include=claims"

    def one() -> None:
        assert len(_ok(client.get(url)).json()["claims"]) >= 20

    big = reverse("api:article-detail", args=[p.big_article_id]) + "?include=claims"
    q_big = count_queries(lambda: _ok(client.get(big)))
    cpu: list[float] = []

    def one_cpu() -> None:
        began = time.process_time()
        one()
        cpu.append((time.process_time() - began) * 1000)

    row = summary(
        "fetch_api",
        "API: one article with its 20 claims (1 request, ?include=claims)",
        timed(one_cpu, reps=ctx.reps, warmup=ctx.warmup),
        queries=count_queries(one),
    )
    cpu = cpu[ctx.warmup :]
    row.extra["cpu_p50_ms"] = round(statistics.median(cpu), 2)
    row.extra["queries_300_claims"] = q_big
    row.target = "p50 < 5 ms, p95 < 8 ms, queries flat"
    row.met = bool(
        row.median_ms is not None
        and row.p95_ms is not None
        and row.median_ms < 5
        and row.p95_ms < 8
        and row.queries == q_big
    )
    return [row]


SCENARIOS["import_api"] = import_api
SCENARIOS["fetch_one"] = fetch_one
