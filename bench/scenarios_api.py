"""The peers' rows through the REST API: importing 1,000 documents in one upload, and
fetching one document with its claims in one request."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import encode_multipart
from django.urls import reverse

from annotate.exchange import importing
from annotate.exchange.formats import stream
from annotate.exchange.options import ExportOptions
from annotate.models import Assignment, Claim, ClaimStance, History
from annotate.scheme import LABEL_FIELDS
from bench.generate import article_records
from bench.scenarios import SCENARIOS, Context, Result, _ok, count_queries, summary, timed
from corpus.models import Article, Project, Role
from corpus.services import articles_index_pending, membership_set, project_create, user_ensure

# What the peers were given: the JSONL as it is, no cleanup (Label Studio and doccano
# store the text as sent), and Claimdesk's defaults (boilerplate stripped, hard wraps
# unwrapped when a text looks wrapped).
MODES = {
    "cleanup off": {"unwrap": "no", "strip_boilerplate": "false"},
    "cleanup on": {"unwrap": "auto", "strip_boilerplate": "true"},
}


def backend_cpu_s() -> float | None:
    """The CPU time so far of this connection's PostgreSQL backend (``/proc``: a server on
    this machine, as ``scripts/with-postgres`` starts), or None (SQLite, whose work is
    this process's, or a server elsewhere). The database's own share of a write: the
    triggers, the search indexes, the JSON parsing."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _jsonl(n: int, seed: int) -> bytes:
    return "".join(
        json.dumps(record, ensure_ascii=False) + "\n" for record in article_records(n, seed=seed)
    ).encode()


def import_api(ctx: Context) -> list[Result]:
    """POST /api/projects/{slug}/articles/upload/ with N documents of ~6,000 characters
    (Turkish, Cyrillic, an emoji each) in one JSONL file, into a fresh project each time,
    with a manager's token: documents per second, the request's wall-clock and CPU time
    (in-process: the CPU time is the server's work, a fairer figure on a busy machine),
    and its queries (the same for 10 documents as for N).

    The search entries of the new articles are built after the commit by a task
    (``corpus.indexing``): on the task worker in production, but in the request with the
    ImmediateBackend this process runs. They are left out of the request's figures and
    built after it, timed on their own (on PostgreSQL they were ~85% of the server's CPU
    time of the request: to_tsvector and the GIN index)."""
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
        # Counted as timed: the search entries left to the task worker (in the request,
        # the immediate backend built them 500 articles at a time: 16 queries for 10
        # documents, 20 for 1,000, and the check never held).
        with _index_on_the_worker():
            q_small = count_queries(upload(small, options))
            q_big = count_queries(upload(data, options))
        walls, cpus, db_cpus, index_walls, index_db_cpus = [], [], [], [], []
        for _ in range(ctx.heavy_reps):
            request = upload(data, options)
            db_cpu = backend_cpu_s()
            wall, cpu = time.perf_counter(), time.process_time()
            with _index_on_the_worker():
                request()
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            if db_cpu is not None:
                db_cpus.append(((backend_cpu_s() or 0.0) - db_cpu) * 1000)
            db_cpu = backend_cpu_s()
            wall = time.perf_counter()
            # what the task worker does after it (more in a test, whose transaction never
            # commits: the uploads before left theirs pending too)
            assert articles_index_pending() >= n
            index_walls.append((time.perf_counter() - wall) * 1000)
            if db_cpu is not None:
                index_db_cpus.append(((backend_cpu_s() or 0.0) - db_cpu) * 1000)
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
        if db_cpus:
            row.extra["db_cpu_ms"] = round(statistics.median(db_cpus), 1)
        row.extra["search_entries_ms"] = round(statistics.median(index_walls), 1)
        if index_db_cpus:
            row.extra["search_entries_db_cpu_ms"] = round(statistics.median(index_db_cpus), 1)
        if mode == "cleanup off":
            row.target = "<= 200 ms (>= 5,000 documents/s), queries flat"
            row.met = row.median_ms is not None and row.median_ms <= 200 and q_small == q_big
        rows.append(row)
    return rows


@contextmanager
def _index_on_the_worker() -> Iterator[None]:
    """The import's task left to a worker that is not there (the search entries pending)."""
    with mock.patch("corpus.services._index_pending_later", lambda: None):
        yield


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


# What the import reads of a claim (annotate.exchange.importing_files).
_READ = ("start", "end", "quote", "source", "source_mention", "stances", "note", *LABEL_FIELDS)


def _claims_file(ctx: Context) -> tuple[bytes, int]:
    """One annotator's layer (20 claims on each article) as JSONL lines that name their
    article by SHA-256, with what the import reads of each claim (what a model's
    pre-annotations give: the export's lines without the text, the ids, the context and
    the provenance), and its number of claims."""
    project = Project.objects.get(pk=ctx.project.project_id)
    username = get_user_model().objects.get(pk=ctx.project.annotator_ids[1]).get_username()
    options = ExportOptions(layer="annotators", annotators=(username,))
    lines, n = [], 0
    for line in b"".join(stream("jsonl", project, options)).splitlines():
        record = json.loads(line)
        claims = [{k: c[k] for k in _READ if k in c} for c in record["claims"]]
        for claim in claims:
            claim["source"] = claim["source"] and {"name": claim["source"]["name"]}
        n += len(claims)
        lines.append(json.dumps({"sha256": record["sha256"], "claims": claims}, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode(), n


def _forget(usernames: list[str]) -> None:
    """Take the imported claims out again (with their stances, history and assignments),
    so that the scenarios after this one see the generated project."""
    users = get_user_model().objects.filter(username__in=usernames)
    claims = Claim.objects.filter(annotator__in=users)
    ids = list(claims.values_list("pk", flat=True))
    for at in range(0, len(ids), 5000):
        chunk = ids[at : at + 5000]
        History.objects.filter(entity="claim", object_id__in=chunk).delete()
        ClaimStance.objects.filter(claim_id__in=chunk).delete()
        Claim.objects.filter(pk__in=chunk).delete()
    Assignment.objects.filter(annotator__in=users).delete()


def import_claims_api(ctx: Context) -> list[Result]:
    """POST /api/projects/{slug}/import/ with one annotator's layer (~20,000 claims over
    the project's 1,000 articles, JSONL) as a new annotator's claims, by a manager with a
    token, in one request: claims per second (wall-clock and CPU time of the request,
    in-process), queries (flat per batch, ``_flat_per_batch``), and, in a fresh server
    process, the peak memory growth of the request (``bench.probe_import``)."""
    p = ctx.project
    project = Project.objects.get(pk=p.project_id)
    client = ctx.client(p.manager_id, token=True)
    url = reverse("api:project-import", args=[project.slug])
    data, n = _claims_file(ctx)
    lines = data.splitlines(keepends=True)
    small = b"".join(lines[:5])
    one, two = (b"".join(lines[: _lines_for(lines, k * importing.CHUNK)]) for k in (1, 2))
    made: list[str] = []

    def annotator() -> str:
        name = f"bench-claims-{len(made)}"
        membership_set(project=project, user=user_ensure(username=name), role=Role.ANNOTATOR)
        made.append(name)
        return name

    def upload(body: bytes) -> Any:
        form = {"file": SimpleUploadedFile("claims.jsonl", body), "annotator": annotator()}
        return lambda: _ok(client.post(url, form), 201)

    try:
        upload(small)()  # warm-up
        q_one, q_two = count_queries(upload(one)), count_queries(upload(two))
        q_big = count_queries(upload(data))
        walls, cpus, db_cpus = [], [], []
        for _ in range(ctx.heavy_reps):
            request = upload(data)
            db_cpu = backend_cpu_s()
            wall, cpu = time.perf_counter(), time.process_time()
            created = request().json()["created"]
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            if db_cpu is not None:
                db_cpus.append(((backend_cpu_s() or 0.0) - db_cpu) * 1000)
        memory = _probe(ctx, url, small, data, annotator)
    finally:
        _forget(made)
    row = summary("import_claims_api", f"API import of {created:,} claims (one request)", walls)
    row.queries = q_big
    wall_s, cpu_s = statistics.median(walls) / 1000, statistics.median(cpus) / 1000
    row.extra = {
        "claims": created,
        "claims_per_s": round(created / wall_s),
        "cpu_ms": round(cpu_s * 1000, 1),
        "claims_per_cpu_s": round(created / cpu_s),
        "queries_1_batch": q_one,
        "queries_2_batches": q_two,
        "queries_per_batch": q_two - q_one,
        "batches": -(-n // importing.CHUNK),
        "mb": round(len(data) / 1e6, 1),
        **memory,
    }
    if db_cpus:
        row.extra["db_cpu_ms"] = round(statistics.median(db_cpus), 1)
    row.target = ">= 10,000 claims/s, queries flat per batch, peak growth < 50 MB"
    growth = memory.get("peak_growth_mb")
    row.met = bool(
        created == n
        and created / wall_s >= 10_000
        and _flat_per_batch(q_one, q_two, q_big, -(-n // importing.CHUNK))
        and isinstance(growth, int | float)
        and growth < 50
    )
    return [row]


# A batch's queries, whatever its rows: find its articles and sources, the claims there,
# assign, check sources and targets, insert claims, stances, history (no savepoint a batch
# since the write runs beside the next batch's checks).
PER_BATCH_QUERIES = 25


def _lines_for(lines: list[bytes], claims: int) -> int:
    """How many of the file's first lines hold at most ``claims`` claims (whole batches
    of ``importing.CHUNK`` claims when ``claims`` is a multiple of it)."""
    total = 0
    for k, line in enumerate(lines):
        total += len(json.loads(line)["claims"])
        if total > claims:
            return k
    return len(lines)


def _flat_per_batch(q_one: int, q_two: int, q_big: int, batches: int) -> bool:
    """ "Queries flat per batch": a request of ``batches`` full batches runs at most the
    queries of one batch's request plus ``batches - 1`` times what the second batch adds
    (``q_two - q_one``), and that is at most ``PER_BATCH_QUERIES``, whatever the rows (on
    SQLite ``common.inserts`` writes a table's rows of a batch in two statements: not one
    per ``SQLITE_ROWS`` rows). "At most": a later batch may skip a lookup an earlier one
    made (its sources already found), never add one."""
    per_batch = q_two - q_one
    return 0 < per_batch <= PER_BATCH_QUERIES and q_big <= q_one + (batches - 1) * per_batch


def _probe(ctx: Context, url: str, small: bytes, data: bytes, annotator: Any) -> dict[str, Any]:
    """The request's peak memory growth in a fresh server process (``bench.probe_import``)."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user_id=ctx.project.manager_id)[0].key
    boundary = "BenchBoundary0123456789"
    paths = {}
    for name, body in (("warm", small), ("big", data)):
        form = {"file": SimpleUploadedFile("claims.jsonl", body), "annotator": annotator()}
        paths[name] = ctx.tmp / f"claims-{name}.multipart"
        paths[name].write_bytes(encode_multipart(boundary, form))
    probe = json.dumps({"path": url, "warm": str(paths["warm"]), "token": token})
    command = [sys.executable, "-m", "bench.probe_import", str(paths["big"]), boundary, probe]
    if connection.vendor == "sqlite":
        connection.close()  # the probe writes: no lock held here meanwhile
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"memory_error": done.stderr.strip()[-300:]}
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


SCENARIOS["import_api"] = import_api
SCENARIOS["import_claims_api"] = import_claims_api
SCENARIOS["fetch_one"] = fetch_one
