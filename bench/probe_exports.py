"""Where an in-process export's time goes, thread by thread (issue 21), on a database a
``--keep`` bench run generated:

    DATABASE_URL=postgresql://…/claimdesk_keep_NAME_medium python -m bench.probe_exports brat,w3c 3
    SQLITE_PATH=bench/data/NAME_medium.sqlite3 python -m bench.probe_exports brat 3 --profile

Each run is the whole export (``annotate.exchange.formats.stream``, both layers,
``timezone.now`` fixed), its bytes hashed. It prints the wall, the process's CPU
(``time.process_time()``), the main thread's CPU, each reading thread's CPU (by its
function: ``read`` and ``then_in_snapshot`` on PostgreSQL, ``fetch`` on SQLite), the
server's CPU on PostgreSQL (the cluster's processes, reaped ones included), when the
first piece of output came, the load average and the share of idle CPU before.
``--python-runs``: PostgreSQL leaves the runs of cells to Python (``rows_query.WRITTEN_BY``
without it), to weigh the server's share against the main thread's.
``--profile``: a cProfile of the last run (all threads: Python 3.12's profiler sees
them all), the top functions by own time.
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import os
import pstats
import statistics
import sys
import threading
import time
from collections import defaultdict

# Importing it also sets the production settings' environment (before django.setup()).
from bench.ab_exports import server_cpu_s
from bench.ab_overlap import _idle, kept_bench

_threads: dict[str, float] = defaultdict(float)
_run = threading.Thread.run


def _measured_run(self: threading.Thread) -> None:
    """``Thread.run`` that adds the thread's CPU to ``_threads`` by its function's name."""
    name = getattr(getattr(self, "_target", None), "__name__", self.name)
    try:
        _run(self)
    finally:
        _threads[name] += time.thread_time()


def main(formats: list[str], runs: int, profile: bool, python_runs: bool) -> None:
    import django

    django.setup()
    from unittest import mock

    from django.db import connection

    from annotate.exchange import formats as exchange_formats
    from annotate.exchange import rows_query
    from annotate.exchange.options import ExportOptions
    from corpus.models import Project

    if python_runs:
        rows_query.WRITTEN_BY = rows_query.WRITTEN_BY - {"postgresql"}
    threading.Thread.run = _measured_run  # type: ignore[method-assign]
    kept = kept_bench()
    project = Project.objects.get(pk=kept.project_id)
    fixed = mock.patch("django.utils.timezone.now", return_value=project.created)

    for fmt in formats:
        found: dict[str, list[float]] = defaultdict(list)
        for index in range(runs + 1):  # the first one warms up
            # Python 3.12's profiler sees every thread: one profile has them all.
            main_profile = cProfile.Profile() if profile and index == runs else None
            _threads.clear()
            idle, load = _idle(), os.getloadavg()[0]
            digest, size, first = hashlib.sha256(), 0, None
            server = server_cpu_s(connection)
            wall, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
            if main_profile is not None:
                main_profile.enable()
            with fixed:
                for data in exchange_formats.stream(fmt, project, ExportOptions(layer="all")):
                    if first is None:
                        first = time.perf_counter() - wall
                    digest.update(data)
                    size += len(data)
            if main_profile is not None:
                main_profile.disable()
            own = time.thread_time() - own
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            time.sleep(0.3)  # the readers' backends end after their connections: reaped
            server_cpu = None if server is None else (server_cpu_s(connection) or 0) - server
            figures = {"wall": wall, "CPU": cpu, "main": own, **_threads}
            if server_cpu is not None:
                figures["server"] = server_cpu
            figures["first"] = first or 0.0
            line = ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
            print(
                f"{fmt} {'warm-up' if index == 0 else index}: {line}; load {load:.2f}, "
                f"idle {idle:.0%}; {digest.hexdigest()[:8]} {size:,} bytes",
                flush=True,
            )
            if index:
                for key, value in figures.items():
                    found[key].append(value)
            if main_profile is not None:
                _print_profile(main_profile)
        medians = ", ".join(f"{k} {statistics.median(v):.3f}" for k, v in found.items())
        print(f"{fmt} medians of {runs}: {medians}", flush=True)


def _print_profile(profile: cProfile.Profile) -> None:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(18)
    text = out.getvalue()
    print(text[text.find("   ncalls") :], flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    main(
        sys.argv[1].split(","),
        int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 3,
        "--profile" in sys.argv,
        "--python-runs" in sys.argv,
    )
