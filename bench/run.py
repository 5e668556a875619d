"""The benchmark CLI.

    python -m bench.run --scale small|medium|large|xlarge --db sqlite|postgres|both \
        [--out bench/results/x.json] [--only workspace,claims_api,...] [--reps N]

Each database runs in its own subprocess (settings are read at import) against a database
of its own: a SQLite file in a temp dir; on PostgreSQL a fresh database created on the
server of ``DATABASE_URL`` and dropped afterwards (``make bench`` wraps the run in
``scripts/with-postgres``, which starts a throwaway cluster). The settings are production
ones (``DEBUG=0``), without the HTTPS redirect. Prints one Markdown table per database
and a comparison with the peers, and writes every figure to a JSON file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# scale → (requests per fast scenario, warm-up requests, runs of the heavy scenarios)
REPS = {
    "tiny": (3, 1, 1),
    # `make test`'s bench-small: figures only (the targets are judged at medium and up); 10
    # requests a row and one run of each heavy scenario (30 and 2 were ~2 minutes of CI's 22)
    "small": (10, 2, 1),
    "medium": (100, 10, 3),
    "large": (100, 10, 1),
    "xlarge": (50, 5, 1),
}
# Compiled bytecode as a deployment has it (``uv sync --compile-bytecode``, or written on the
# first run), but outside the repository: without it every fresh process — the server's
# memory probe, ``manage.py export`` — compiled ~800 modules first, ~1 s of CPU (issue 21).
PYCACHE = os.environ.get("PYTHONPYCACHEPREFIX") or str(Path.home() / ".cache/claimdesk/pycache")
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "LOG_LEVEL": "ERROR",
    "PYTHONPYCACHEPREFIX": PYCACHE,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="medium", choices=list(REPS))
    parser.add_argument("--db", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/…)")
    parser.add_argument("--only", default="", help="Comma-separated scenarios ('none': generate)")
    parser.add_argument("--reps", type=int, help="Requests per fast scenario (default by scale)")
    parser.add_argument("--articles", type=int, help="Override the scale's number of articles")
    parser.add_argument(
        "--keep",
        default="",
        metavar="NAME",
        help="Keep the generated database under NAME and reuse it in later runs with the same "
        "NAME (SQLite: bench/data/NAME-SCALE.sqlite3; PostgreSQL: database "
        "claimdesk_keep_NAME_SCALE on DATABASE_URL's server)",
    )
    parser.add_argument(
        "--side-by-side",
        action="store_true",
        help="With --db both: the two databases' runs at the same time, one process each "
        "(make bench-small in CI: figures only, of a busy machine; one after the other "
        "when left out)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--probe", default="", help=argparse.SUPPRESS)
    parser.add_argument("--memory-mode", default="requests", help=argparse.SUPPRESS)
    parser.add_argument("--restore", type=Path, help=argparse.SUPPRESS)
    return parser


# --- the parent: one subprocess per database ----------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    import sqlite3

    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def speed_probe() -> dict[str, float]:
    """This machine's speed and load now: the CPU time of a fixed piece of pure Python (the
    best of three) and the load average. Figures of runs on different days compare only
    through it: the same code's figures moved 2–4× between sessions with the machine (2 cores
    of a shared host), idle both times. The loop's time scales as interpreted work does."""
    best = float("inf")
    for _ in range(3):
        began = time.process_time()
        table: dict[int, str] = {}
        for i in range(200_000):
            table[i % 997] = str(i).encode().decode()
        sum(range(2_000_000))
        best = min(best, time.process_time() - began)
    try:
        load = float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        load = -1.0
    return {"loop_ms": round(best * 1000, 1), "load": load}


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


CREATE_OPTIONS = "TEMPLATE template0 ENCODING 'UTF8'"
KEEP_DIR = ROOT / "bench" / "data"  # kept SQLite databases (--keep; ignored by git)


def _keep_name(args: argparse.Namespace) -> str:
    """The kept database's name for ``--keep NAME`` (scale and article count in it, so that
    another scale never reuses it), or "" without the option."""
    if not args.keep:
        return ""
    if not args.keep.replace("_", "").isalnum() or not args.keep.isascii():
        raise SystemExit("--keep: letters, digits and underscores only")
    suffix = f"_{args.articles}" if args.articles else ""
    return f"{args.keep.lower()}_{args.scale}{suffix}"


def _postgres_exists(url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


def _postgres_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


def run_database(db: str, args: argparse.Namespace, *, probe: bool = True) -> dict[str, Any]:
    """One database's run in a worker subprocess; ``probe``: the machine's speed before and
    after it (``speed_probe``), left to the caller when two runs share this process."""
    env = {**os.environ, **ENV}
    keep = _keep_name(args)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # (the Makefile's, for the repository's tree)
    with tempfile.TemporaryDirectory(prefix=f"claimdesk-bench-{db}-") as tmp:
        created = ""
        if db == "sqlite":
            env.pop("DATABASE_URL", None)
            if keep:
                KEEP_DIR.mkdir(parents=True, exist_ok=True)
                env["SQLITE_PATH"] = str(KEEP_DIR / f"{keep}.sqlite3")
            else:
                env["SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
        else:
            url = os.environ.get("DATABASE_URL", "")
            if not url.startswith(("postgres://", "postgresql://")):
                return {"db": db, "error": "no PostgreSQL DATABASE_URL (use scripts/with-postgres)"}
            if keep:
                name = f"claimdesk_keep_{keep}"
                if not _postgres_exists(url, name):
                    _postgres_admin(url, f"CREATE DATABASE {name} {CREATE_OPTIONS}")
                env["DATABASE_URL"] = _with_database(url, name)
            else:
                created = f"claimdesk_bench_{os.getpid()}"
                _postgres_admin(url, f"DROP DATABASE IF EXISTS {created}")
                _postgres_admin(url, f"CREATE DATABASE {created} {CREATE_OPTIONS}")
                env["DATABASE_URL"] = _with_database(url, created)
        result_file = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "bench.run", "--worker", "--db", db]
        command += ["--scale", args.scale, "--result-file", str(result_file)]
        for flag in ("only", "reps", "articles", "keep"):
            value = getattr(args, flag)
            if value:
                command += [f"--{flag}", str(value)]
        speed_before = speed_probe() if probe else None
        began = time.perf_counter()
        print(f"bench: {db}, scale {args.scale}…", file=sys.stderr, flush=True)
        try:
            status = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        finally:
            if created:
                _postgres_admin(os.environ["DATABASE_URL"], f"DROP DATABASE IF EXISTS {created}")
        if status or not result_file.exists():
            return {"db": db, "error": f"the {db} run failed (exit status {status})"}
        data: dict[str, Any] = json.loads(result_file.read_text())
        data["wall_s"] = round(time.perf_counter() - began, 1)
        if probe:
            data["speed"] = {"before": speed_before, "after": speed_probe()}
        return data


def run_side_by_side(dbs: list[str], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The databases' runs at the same time (``--side-by-side``): each worker is one
    process using about one core, and CI runs bench-small beside schemathesis, which uses
    about half of one — one after the other, the second core was half idle for most of
    the step (issue 21). The speed probe is taken once before both and once after both
    (``process_time`` counts every thread of this process: two probes at once would time
    each other's loop)."""
    from concurrent.futures import ThreadPoolExecutor

    before = speed_probe()
    with ThreadPoolExecutor(max_workers=len(dbs)) as pool:
        futures = {db: pool.submit(run_database, db, args, probe=False) for db in dbs}
        runs = {db: future.result() for db, future in futures.items()}
    after = speed_probe()
    for run in runs.values():
        if "error" not in run:
            run["speed"] = {"before": before, "after": after, "side_by_side": True}
    return runs


# --- the worker: one database, in a process of its own -------------------------------------


def _setup_django() -> None:
    import django

    django.setup()
    quiet_logging()


def quiet_logging() -> None:
    """Only warnings and errors from Django's loggers between the bench's lines: LOG_LEVEL
    sets the root logger's level, but Django's own ``django`` logger is at INFO whatever it
    says, and the ImmediateBackend's tasks (an upload's search entries) wrote two INFO lines
    each (``django.tasks``) among the scenarios' lines."""
    for name in ("django", "django_tasks_db"):
        logging.getLogger(name).setLevel(logging.WARNING)


def worker(args: argparse.Namespace) -> int:
    """Migrate the empty database, generate the project, run the scenarios, write JSON."""
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import CLAIMS_AT_SCALE, CLAIMS_PER_ANNOTATOR, SCALES, generate_project
    from bench.scenarios import SCENARIOS, Context
    from corpus.models import Project

    say = lambda text: print(f"bench [{args.db}] {text}", file=sys.stderr, flush=True)  # noqa: E731
    began = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - began
    n_articles = args.articles or SCALES[args.scale]
    project = _kept_project(connection) if args.keep else None
    if project is not None:
        generate_s, analyze_s = 0.0, None
        say(
            f"reusing the kept database: {project.n_articles:,} articles, "
            f"{project.n_claims:,} annotator claims, {project.n_gold:,} gold claims"
        )
    else:
        if args.keep and Project.objects.exists():  # a kept run that stopped while generating
            call_command("flush", verbosity=0, interactive=False)
        began = time.perf_counter()
        claims = CLAIMS_AT_SCALE.get(args.scale, CLAIMS_PER_ANNOTATOR)
        project = generate_project(n_articles, claims_per_annotator=claims)
        generate_s = time.perf_counter() - began
        analyze_s = _analyze(connection)
        if args.keep:
            _keep_project(connection, project)
        say(
            f"generated {project.n_articles:,} articles, {project.n_claims:,} annotator claims, "
            f"{project.n_gold:,} gold claims in {generate_s:.1f} s"
        )
    # The scenarios run here as in a gunicorn worker, warmed up as config/wsgi.py warms
    # one: the URLconf and numpy loaded, the start-up objects frozen out of the garbage
    # collections (``common.warm``; the collection after a big request walked them all).
    from common.warm import warm_up

    warm_up()
    reps, warmup, heavy = REPS[args.scale]
    with tempfile.TemporaryDirectory(prefix="claimdesk-bench-files-") as tmp:
        ctx = Context(
            project=project,
            scale=args.scale,
            reps=args.reps or reps,
            heavy_reps=heavy,
            tmp=Path(tmp),
            warmup=warmup,
        )
        only = [s for s in args.only.split(",") if s] if args.only else list(SCENARIOS)
        results: list[dict[str, Any]] = []
        for name in only:
            if name in ("none", "memory"):  # ("memory": the probe below, no scenario)
                continue
            if name not in SCENARIOS:
                raise SystemExit(f"Unknown scenario {name!r}: use {', '.join(SCENARIOS)}.")
            say(f"{name}…")
            began = time.perf_counter()
            try:
                rows = SCENARIOS[name](ctx)
            except Exception as exc:  # one broken scenario must not lose the others' figures
                from bench.scenarios import Result

                rows = [Result(name, name, note=f"failed: {exc!r}"[:300])]
            results += [r.as_dict() for r in rows]
            say(f"{name}: {time.perf_counter() - began:.1f} s")
            if name == "archive" and ctx.archive_path.exists():
                results.append(_restore_elsewhere(args.db, ctx.archive_path))
    memory = None
    if not args.only or "memory" in args.only.split(","):
        memory = _probe_memory(project)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version"
        )
        version = cursor.fetchone()[0]
    payload = {
        "db": args.db,
        "db_version": f"{connection.vendor} {version}",
        "scale": args.scale,
        "project": {
            "articles": project.n_articles,
            "claims": project.n_claims,
            "gold": project.n_gold,
            "sources": project.n_sources,
            "aliases": project.n_aliases,
        },
        "generate_s": round(generate_s, 2),
        "reused": bool(args.keep) and generate_s == 0.0,
        "analyze_s": None if analyze_s is None else round(analyze_s, 2),
        "generate_phases_s": {k: round(v, 2) for k, v in project.seconds.items()},
        "migrate_s": round(migrate_s, 2),
        "server_memory": memory,
        "results": results,
    }
    assert args.result_file is not None
    args.result_file.write_text(json.dumps(payload, ensure_ascii=False, default=str))
    return 0


KEEP_TABLE = "bench_kept_project"


def _kept_project(connection: Any) -> Any:
    """The project a ``--keep`` run generated in this database before (``BenchProject``
    from the table ``KEEP_TABLE``), or None when there is none (then generate it)."""
    from bench.generate import BenchProject

    if KEEP_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {KEEP_TABLE}")
        row = cursor.fetchone()
    return None if row is None else BenchProject(**json.loads(row[0]))


def _keep_project(connection: Any, project: Any) -> None:
    """Write what the scenarios need to find (``BenchProject``) into the database itself,
    so that a later ``--keep`` run of the same name reuses it instead of generating."""
    import dataclasses

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {KEEP_TABLE} (data text NOT NULL)")
        cursor.execute(f"DELETE FROM {KEEP_TABLE}")
        cursor.execute(
            f"INSERT INTO {KEEP_TABLE} (data) VALUES (%s)",
            [json.dumps(dataclasses.asdict(project))],
        )


def _analyze(connection: Any) -> float | None:
    """On PostgreSQL, ``VACUUM (ANALYZE)`` the freshly generated tables (seconds taken). A
    database in use has statistics and a visibility map (autovacuum analyzes new rows
    within a minute or two and vacuums them soon after); right after the bulk load it has
    neither. Without statistics the planner's guesses made the first export after it take
    7 s instead of 1.5–3 (a hash join scanning every decision again for each claim with an
    origin); without the visibility map every index-only scan reads the table's rows too
    (the articles' ``COUNT`` a sequential scan at xlarge, the stance map's covering-index
    probe 30,000 heap fetches): that measured the moment, not the pages. SQLite keeps no
    statistics unless told to, as in production: nothing to do there."""
    if connection.vendor != "postgresql":
        return None
    began = time.perf_counter()
    with connection.cursor() as cursor:  # (autocommit: VACUUM runs outside a transaction)
        cursor.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - began


def _restore_elsewhere(db: str, archive: Path) -> dict[str, Any]:
    """Time the restore of ``archive`` in a fresh, empty database (a subprocess)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="claimdesk-bench-restore-") as tmp:
        created = ""
        if db == "sqlite":
            env["SQLITE_PATH"] = str(Path(tmp) / "restore.sqlite3")
        else:
            created = f"claimdesk_bench_restore_{os.getpid()}"
            _postgres_admin(env["DATABASE_URL"], f"DROP DATABASE IF EXISTS {created}")
            _postgres_admin(env["DATABASE_URL"], f"CREATE DATABASE {created} TEMPLATE template0")
            env["DATABASE_URL"] = _with_database(env["DATABASE_URL"], created)
        command = [sys.executable, "-m", "bench.run", "--restore", str(archive)]
        try:
            done = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
        finally:
            if created:
                _postgres_admin(os.environ["DATABASE_URL"], f"DROP DATABASE IF EXISTS {created}")
    if done.returncode:
        note = f"failed: {done.stderr.strip().splitlines()[-1:]}"[:300]
        return {"scenario": "archive", "name": "project restore", "n": 0, "median_ms": None,
                "p95_ms": None, "queries": None, "extra": {}, "target": "", "met": None,
                "note": note}  # fmt: skip
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def restore_probe(path: Path) -> None:
    _setup_django()
    from django.core.management import call_command

    from bench.scenarios import restore_archive

    call_command("migrate", verbosity=0, interactive=False)
    print(json.dumps(restore_archive(path).as_dict(), default=str))


def _probe_memory(project: Any) -> dict[str, Any] | None:
    """RSS of a fresh process that serves the workspace, the API and the autocomplete;
    then of one that also runs a bulk import and an export (``mixed``)."""
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="claimdesk-bench-memory-") as tmp:
        probe = json.dumps(
            {
                "user": project.annotator_ids[0],
                "manager": project.manager_id,
                "slug": project.slug,
                "big": project.big_article_id,
                "article": project.article_ids[0],
                **memory_probe_files(project.slug, Path(tmp)),
            }
        )
        for mode in ("requests", "mixed"):
            command = [sys.executable, "-m", "bench.run", "--memory-probe", "--probe", probe]
            command += ["--memory-mode", mode]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode:
                found[mode] = {"error": done.stderr[-500:]}
                continue
            found[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    # The figures of the plain probe at the top level, as before.
    plain = found.pop("requests")
    return {**plain, "mixed": found["mixed"]}


def memory_probe_files(slug: str, folder: Path) -> dict[str, str]:
    """The files the ``mixed`` memory probe uploads, written here (by the caller, so that
    making them does not count in the probe's memory): as many of the gold layer's JSON
    Lines as the upload limit (10 MiB) takes, and 1,000 documents."""
    from annotate.exchange.formats import stream
    from annotate.exchange.options import ExportOptions
    from bench.scenarios_api import _jsonl
    from corpus.models import Project

    project = Project.objects.get(slug=slug)
    claims, articles = folder / "claims.jsonl", folder / "articles.jsonl"
    size = 0
    with claims.open("wb") as out:
        data = b"".join(stream("jsonl", project, ExportOptions(layer="gold")))
        for line in data.splitlines(True):
            if size + len(line) > 10_000_000:
                break
            out.write(line)
            size += len(line)
    articles.write_bytes(_jsonl(1000, seed=5))
    return {"claims_file": str(claims), "articles_file": str(articles)}


def _status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def _private_mb() -> dict[str, float]:
    """This process's proportional (PSS) and private (USS) memory, in MB: what it adds
    beside other workers sharing the same libraries (from ``/proc/self/smaps_rollup``)."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                values[name] = int(rest.split()[0])
    private = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return {"pss_mb": round(values.get("Pss", 0) / 1024, 1), "uss_mb": round(private / 1024, 1)}


def memory_probe(probe: str, mode: str = "requests") -> None:
    """Serve 300 requests in this process (page, fragment, API, autocomplete) and print
    its resident memory, as a one-process server would hold it. ``mixed``: the
    production worker's day instead — the 300 requests, a bulk import of claims through
    the API (the gold layer's JSON Lines, ~10,000 claims at medium scale, as a new
    annotator's claims), an upload of 1,000 documents, an export streamed through the
    API (JSON Lines and Parquet), then the 300 requests again; the steady state is the
    RSS after it all (peak beside it)."""
    _setup_django()
    import gc

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from rest_framework.authtoken.models import Token

    ids = json.loads(probe)
    baseline = _status_kb("VmRSS")
    user = get_user_model().objects.get(pk=ids["user"])
    page = Client(SERVER_NAME="127.0.0.1")
    page.force_login(user)
    token = Token.objects.get_or_create(user=user)[0].key
    api = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")

    def requests() -> None:
        for i in range(100):
            page.get(reverse("annotate:workspace", args=[ids["big"]]))
            page.get(
                reverse("annotate:workspace-source-search", args=[ids["article"]]),
                {"q": ("dav", "орех", "kaz")[i % 3]},
                HTTP_HX_REQUEST="true",
            )
            api.get(reverse("api:claim-list", args=[ids["article"]]))

    requests()
    stages: dict[str, Any] = {"after_requests_mb": round(_status_kb("VmRSS") / 1024, 1)}
    if mode == "mixed":
        stages.update(_mixed_load(ids, Client, reverse, Token))
        requests()
        gc.collect()
        stages["steady_mb"] = round(_status_kb("VmRSS") / 1024, 1)
        stages.update(_private_mb())
        stages["heavy_modules"] = sorted(
            m for m in ("pyarrow", "pandas", "numpy", "sklearn", "scipy") if m in sys.modules
        )
    print(
        json.dumps(
            {
                "rss_mb": round(_status_kb("VmRSS") / 1024, 1),
                "peak_rss_mb": round(_status_kb("VmHWM") / 1024, 1),
                "after_setup_mb": round(baseline / 1024, 1),
                "requests": 600 if mode == "mixed" else 300,
                **stages,
            }
        )
    )


def _mixed_load(
    ids: dict[str, Any], client_class: Any, reverse: Any, token_model: Any
) -> dict[str, Any]:
    """The bulk import, the upload and the exports of ``memory_probe``'s ``mixed`` mode,
    each checked; the RSS after each."""
    from django.contrib.auth import get_user_model

    from corpus.models import Membership, Project, Role

    project = Project.objects.get(slug=ids["slug"])
    manager = get_user_model().objects.get(pk=ids["manager"])
    importer = get_user_model().objects.create_user(f"memory-probe-{os.getpid()}")
    Membership.objects.create(project=project, user=importer, role=Role.ANNOTATOR)
    api = client_class(
        SERVER_NAME="127.0.0.1",
        HTTP_AUTHORIZATION=f"Token {token_model.objects.get_or_create(user=manager)[0].key}",
    )
    out: dict[str, Any] = {}
    with open(ids["claims_file"], "rb") as claims:
        done = api.post(
            reverse("api:project-import", args=[ids["slug"]]),
            {"file": claims, "annotator": importer.username},
        )
    assert done.status_code == 201, done.content[:500]
    out["imported_claims"] = done.json()["created"]
    out["after_import_mb"] = round(_status_kb("VmRSS") / 1024, 1)
    upload = Project.objects.create(name="Memory probe", slug=f"memory-probe-{os.getpid()}")
    Membership.objects.create(project=upload, user=manager, role=Role.MANAGER)
    with open(ids["articles_file"], "rb") as articles:
        done = api.post(reverse("api:article-upload", args=[upload.slug]), {"file": articles})
    assert done.status_code == 201, done.content[:500]
    out["after_upload_mb"] = round(_status_kb("VmRSS") / 1024, 1)
    for fmt in ("jsonl", "parquet"):
        done = api.get(
            reverse("api:project-export", args=[ids["slug"]]), {"format": fmt, "layer": "gold"}
        )
        assert done.status_code == 200, done.content[:500]
        size = sum(len(part) for part in done.streaming_content)
        assert size > 0
    out["after_exports_mb"] = round(_status_kb("VmRSS") / 1024, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.restore:
        restore_probe(args.restore)
        return 0
    if args.memory_probe:
        memory_probe(args.probe, args.memory_mode)
        return 0
    if args.worker:
        return worker(args)
    from bench.report import peer_table, render

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if args.side_by_side and len(dbs) > 1:
        runs = run_side_by_side(dbs, args)
    else:
        runs = {db: run_database(db, args) for db in dbs}
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or ROOT / "bench" / "results" / f"{args.scale}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "scale": args.scale,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "runs": runs,
    }
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(render(payload))
    print(peer_table(payload))
    print(f"\nResults written to {out}")
    return 1 if any("error" in run for run in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
