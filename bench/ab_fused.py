"""The claim import with and without its fused pass (``claims_rows_build``), alternately,
in one process, on a database a ``--keep`` bench run generated (issue 21):

    SQLITE_PATH=bench/data/NAME_medium.sqlite3 python -m bench.ab_fused ABBAABBA
    DATABASE_URL=postgresql://…/claimdesk_keep_NAME_medium python -m bench.ab_fused ABBA
    … python -m bench.ab_fused --profile A   (cProfile on the CPU clock, one run)

A = every batch checked and built by ``claims_build_many`` (the fused pass off), B = the
fused pass (the default). Each run is ``import_annotations`` as the API calls it (the
bench's file, one annotator's layer), rolled back by an outer block; on PostgreSQL the
COMMIT's foreign-key checks fire inside the timed span (``SET CONSTRAINTS ALL
IMMEDIATE``). Printed per run: wall, CPU (``time.process_time()``), the database's CPU on
PostgreSQL, the load average and idle share just before; then the medians (compare them
only within one invocation)."""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import time
from typing import Any

from bench.ab_overlap import _idle, _server_cpu, _Undo, kept_import, order_arg


def main(order: str, profile: bool) -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from annotate.claims import bulk as claim_bulk
    from annotate.exchange import importing
    from corpus.models import Role
    from corpus.services import membership_set, user_ensure

    fused = claim_bulk.claims_rows_build
    server = _server_cpu(connection)
    kept, project, manager, data = kept_import()

    def off(*args: Any, **kwargs: Any) -> None:
        return None

    def once(on: bool, profiler: cProfile.Profile | None = None) -> tuple[float, float, float]:
        claim_bulk.claims_rows_build = fused if on else off
        try:
            with transaction.atomic():
                user = user_ensure(username="ab-fused-annotator")
                membership_set(project=project, user=user, role=Role.ANNOTATOR)
                db = server()
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler is not None:
                    profiler.enable()
                report = importing.import_annotations(
                    project=project, annotator=user, data=data, fmt="jsonl", actor=manager
                )
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the COMMIT's checks
                if profiler is not None:
                    profiler.disable()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if not report.ok:
                    raise SystemExit(f"Rejected: {report.rejected[:3]}")
                raise _Undo((wall, cpu, server() - db))
        except _Undo as undo:
            found: tuple[float, float, float] = undo.args[0]
            return found
        finally:
            claim_bulk.claims_rows_build = fused

    once(True)
    once(False)  # warm-up
    if profile:
        for which in order:
            profiler = cProfile.Profile(time.process_time)
            wall, cpu, db = once(which == "B", profiler)
            print(f"{which}: wall {wall:.3f} s, CPU {cpu:.3f} s (profiled)")
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(40)
        return
    runs: dict[str, list[tuple[float, float, float]]] = {"A": [], "B": []}
    for which in order:
        idle, load = _idle(), os.getloadavg()[0]
        wall, cpu, db = once(which == "B")
        runs[which].append((wall, cpu, db))
        shown = f", database CPU {db:.3f} s" if connection.vendor == "postgresql" else ""
        print(
            f"{which}: wall {wall:.3f} s, CPU {cpu:.3f} s{shown}; load {load:.2f}, idle {idle:.0%}",
            flush=True,
        )
    for which, found in runs.items():
        if found:
            walls, cpus = [w for w, _, _ in found], [c for _, c, _ in found]
            line = (
                f"{which} ({'fused' if which == 'B' else 'claims_build_many'}), {len(found)} "
                f"runs: median wall {statistics.median(walls):.3f} s, CPU "
                f"{statistics.median(cpus):.3f} s (min {min(cpus):.3f})"
            )
            if connection.vendor == "postgresql":
                line += f", database CPU {statistics.median(d for _, _, d in found):.3f} s"
            print(line)


if __name__ == "__main__":
    profiling = "--profile" in sys.argv
    if profiling:
        sys.argv.remove("--profile")
    main(order_arg(__doc__, "AB", "ABBAABBA"), profiling)
