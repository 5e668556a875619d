"""Benchmark scenario of the exports from a fresh process: ``manage.py export SLUG --format F
--layer all -o FILE`` for each format, as someone runs it on the server (issue 21: Parquet,
W3C and brat >= 50,000 claims/s *including* the process start; JSON Lines and CSV are
held to 100,000 claims/s in a warm process, ``bench.scenarios.exports``).

Each run is a process of its own started with this worker's environment (the same
database, production settings, compiled bytecode kept as ``bench.run`` sets it up), timed
from the start of the process to its exit. Besides the wall time, its own CPU time (user
+ system) and its peak RSS come from ``os.wait4`` in a small process that starts it
(``_TIMER``) — the command's own, whatever ran before it — so that a loaded machine
(the wall time is then pessimistic) still reads right. The process's start-up
(``django.setup()``, imports) is in every figure. Importing this module adds the scenario
to ``bench.scenarios.SCENARIOS``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from django.db import connection

from annotate.models import Claim
from bench.scenarios import SCENARIOS, Context, Result, summary
from corpus.models import Project

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("jsonl", "csv", "parquet", "w3c", "brat")
# claims/s from process start to exit, by format (issue 21)
GOALS = {"parquet": 50_000, "w3c": 50_000, "brat": 50_000}


# Starts the command and reports its wall time, CPU time and peak RSS. The command is the
# child of this small process, not of the benchmark's: a child's peak RSS counts the
# image it was forked from before its exec (the benchmark's worker, ~300 MB).
_TIMER = """
import json, os, subprocess, sys, time
began = time.perf_counter()
process = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(process.pid, 0)
wall = time.perf_counter() - began
print(json.dumps([os.waitstatus_to_exitcode(status), wall,
                  usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024]))
"""


def run_export(slug: str, fmt: str, out: Path, layer: str = "all") -> tuple[float, float, float]:
    """One ``manage.py export`` in a fresh process: (wall s, CPU s, peak RSS MB)."""
    command = [sys.executable, "-c", _TIMER, sys.executable, "manage.py", "export", slug]
    command += ["--format", fmt, "--layer", layer, "-o", str(out), "--no-progress", "-v", "0"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"manage.py export --format {fmt}: {done.stderr[-300:]}")
    status, wall, cpu, rss = json.loads(done.stdout.strip().splitlines()[-1])
    if status:
        raise RuntimeError(f"manage.py export --format {fmt} exited with {status}")
    return wall, cpu, rss


def exports_process(ctx: Context) -> list[Result]:
    """Each format exported by ``manage.py export`` in a fresh process: the whole project
    (both layers), and the gold layer alone (a seventh of the claims: flat memory, the two
    peaks stay close)."""
    if connection.in_atomic_block:
        # A test's open transaction (the smoke test): another process would not see its data.
        why = "not available yet (inside a transaction: a fresh process would not see the data)"
        return [Result("exports", "export, fresh process", note=why)]
    project = Project.objects.get(pk=ctx.project.project_id)
    claims = Claim.objects.filter(article__project=project, deleted_at__isnull=True).count()
    reps = max(1, min(ctx.heavy_reps, 2))
    rows = []
    for fmt in FORMATS:
        out = ctx.tmp / f"export-process.{fmt}"
        try:
            _, _, gold_mb = run_export(project.slug, fmt, out, layer="gold")
            runs = [run_export(project.slug, fmt, out) for _ in range(reps)]
        except (RuntimeError, OSError) as exc:
            rows.append(Result("exports", f"export {fmt}, fresh process", note=repr(exc)[:200]))
            continue
        finally:
            size = out.stat().st_size if out.exists() else 0
            out.unlink(missing_ok=True)
        walls = [wall * 1000 for wall, _, _ in runs]
        cpu = min(c for _, c, _ in runs)
        peak = max(m for _, _, m in runs)
        result = summary("exports", f"export {fmt}, fresh process ({claims:,} claims)", walls)
        rate = claims / (result.median_ms / 1000) if result.median_ms else 0
        result.extra = {
            "claims": claims,
            "claims_per_s": round(rate),
            "cpu_s": round(cpu, 2),
            "claims_per_cpu_s": round(claims / cpu) if cpu else None,
            "mb": round(size / 1e6, 1),
            "peak_rss_mb": round(peak, 1),
            "peak_rss_gold_mb": round(gold_mb, 1),
        }
        goal = GOALS.get(fmt)
        if goal:
            result.target, result.met = f">= {goal:,} claims/s", rate >= goal
        rows.append(result)
        print(
            f"bench [{connection.vendor}] manage.py export {fmt}: {claims:,} claims in "
            f"{result.median_ms:,.0f} ms = {rate:,.0f} claims/s; {cpu:.2f} s CPU; peak RSS "
            f"{peak:.0f} MB ({gold_mb:.0f} MB for the gold layer)",
            file=sys.stderr,
            flush=True,
        )
    return rows


SCENARIOS["exports_process"] = exports_process
