"""JSON Lines and CSV exports with and without what the database writes for them
(``rows_query.WRITTEN_BY``, ``rows_query.ISO_BY``), alternately, in one process, on a
database a ``--keep`` bench run generated (issue 21):

    DATABASE_URL=postgresql://…/claimdesk_keep_NAME_medium python -m bench.ab_exports ABBA
    SQLITE_PATH=bench/data/NAME_medium.sqlite3 python -m bench.ab_exports ABBA jsonl runs

B = as the code is; A = without the changes named (default all): ``runs``, the runs
of cells written by Python (as before on PostgreSQL), ``iso``, the times made
``isoformat``'s text by Python, ``stream``, the rows fetched from a cursor rather than
streamed (``fetch.STREAMED``), ``stances``, the stances read per claim rather than per
article (``rows_query.STANCES_BY_ARTICLE``; not in the default set). Each run is the
whole export in process (``annotate.exchange.formats.stream``, both layers,
``timezone.now`` fixed), its bytes hashed: A and B must agree. It prints each run's wall, client CPU
(``time.process_time()``: all threads), the server's CPU on PostgreSQL (the cluster's
processes, the reaped ones included, from ``/proc``), the load average and the share
of idle CPU just before, then the medians: compare them only within one invocation.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# Importing it also sets the production settings' environment (before django.setup()).
from bench.ab_overlap import _idle, kept_bench, order_arg


def server_cpu_s(connection: Any) -> float | None:
    """The CPU time so far of the PostgreSQL cluster this connection is on (its
    postmaster's reaped children and its live ones), or None (SQLite, or a server
    elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def stat(pid: int | str) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    try:
        postmaster = int(stat(backend)[1])
        fields = stat(postmaster)
        total = int(fields[13]) + int(fields[14])  # cutime, cstime: reaped children
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    child = stat(entry)
                except OSError:
                    continue
                if int(child[1]) == postmaster:
                    total += int(child[11]) + int(child[12])
    except OSError:
        return None
    return total / tick


def main(order: str, formats: list[str], changes: set[str]) -> None:
    import django

    django.setup()
    from unittest import mock

    from django.db import connection

    from annotate.exchange import fetch, rows_query
    from annotate.exchange import formats as exchange_formats
    from annotate.exchange.options import ExportOptions
    from corpus.models import Project

    kept = kept_bench()
    project = Project.objects.get(pk=kept.project_id)
    written_by, iso_by = rows_query.WRITTEN_BY, rows_query.ISO_BY
    by_article = rows_query.STANCES_BY_ARTICLE
    fixed = mock.patch("django.utils.timezone.now", return_value=project.created)

    def once(fmt: str, written: bool) -> tuple[float, float, float | None, str, int]:
        if not written:
            if "runs" in changes:
                rows_query.WRITTEN_BY = frozenset({"sqlite"})
            if "iso" in changes:
                rows_query.ISO_BY = frozenset()
            if "stream" in changes:
                fetch.STREAMED = False
            if "stances" in changes:
                rows_query.STANCES_BY_ARTICLE = frozenset()
        try:
            digest = hashlib.sha256()
            size = 0
            server = server_cpu_s(connection)
            wall, cpu = time.perf_counter(), time.process_time()
            with fixed:
                for data in exchange_formats.stream(fmt, project, ExportOptions(layer="all")):
                    digest.update(data)
                    size += len(data)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            time.sleep(0.3)  # the reader's backend ends after its connection: reaped, counted
            server_cpu = None if server is None else (server_cpu_s(connection) or 0) - server
            return wall, cpu, server_cpu, digest.hexdigest(), size
        finally:
            rows_query.WRITTEN_BY, rows_query.ISO_BY = written_by, iso_by
            rows_query.STANCES_BY_ARTICLE = by_article
            fetch.STREAMED = True

    for fmt in formats:
        once(fmt, True)
        once(fmt, False)  # warm-up
        runs: dict[str, list[tuple[float, float, float | None]]] = {"A": [], "B": []}
        hashes = set()
        for which in order:
            idle, load = _idle(), os.getloadavg()[0]
            wall, cpu, server, digest, size = once(fmt, which == "B")
            hashes.add((digest, size))
            runs[which].append((wall, cpu, server))
            shown = "" if server is None else f", server CPU {server:.3f} s"
            print(
                f"{fmt} {which}: wall {wall:.3f} s, CPU {cpu:.3f} s{shown}; "
                f"load {load:.2f}, idle {idle:.0%}; {digest[:8]} {size:,} bytes",
                flush=True,
            )
        for which, found in runs.items():
            walls, cpus = [w for w, _, _ in found], [c for _, c, _ in found]
            servers = [s for _, _, s in found if s is not None]
            label = "as now" if which == "B" else "without " + "+".join(sorted(changes))
            line = (
                f"{fmt} {which} ({label}), "
                f"{len(found)} runs: median wall {statistics.median(walls):.3f} s "
                f"(min {min(walls):.3f}), CPU {statistics.median(cpus):.3f} s"
            )
            if servers:
                line += f", server CPU {statistics.median(servers):.3f} s"
            print(line)
        if len(hashes) != 1:
            sys.exit(f"{fmt}: A and B wrote different bytes: {hashes}")
        print(f"{fmt}: A and B the same bytes")


if __name__ == "__main__":
    main(
        order_arg(__doc__, "AB", "ABBAABBA", "[--help | ORDER of AB [FORMATS [PARTS]]]"),
        sys.argv[2].split(",") if len(sys.argv) > 2 else ["jsonl", "csv"],
        set(sys.argv[3].split(",")) if len(sys.argv) > 3 else {"runs", "iso", "stream"},
    )
