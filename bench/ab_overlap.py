"""The claim import with and without its pipeline (``common.overlap``), alternately, in one
process, on a database a ``--keep`` bench run generated (issue 21):

    SQLITE_PATH=bench/data/NAME_medium.sqlite3 python -m bench.ab_overlap ABBAABBA
    DATABASE_URL=postgresql://…/claimdesk_keep_NAME_medium python -m bench.ab_overlap ABBA

A = each batch's write at once (``OVERLAP = False``), B = beside the next batch's checks
(the default). Each run is ``import_annotations`` as the API calls it (the bench's file:
one annotator's layer), its writes committed to the import's block, then rolled back by
an outer one. It prints each run's wall and CPU time (``time.process_time()``: all
threads), the database's CPU on PostgreSQL, the load average and the share of idle CPU
just before, then the medians: compare them only within one invocation.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import types
from typing import Any, cast

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
for _key, _value in {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "testserver",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "ERROR",
}.items():
    os.environ.setdefault(_key, _value)


class _Undo(Exception):
    pass


def _idle(span: float = 0.3) -> float:
    """The share of the machine's CPU time idle over ``span`` seconds (``/proc/stat``)."""

    def read() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return values[3] + values[4], sum(values)

    idle, total = read()
    time.sleep(span)
    idle2, total2 = read()
    return (idle2 - idle) / max(1, total2 - total)


def main(order: str) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from annotate.exchange import importing
    from bench.run import _kept_project
    from bench.scenarios_api import _claims_file, backend_cpu_s
    from common import overlap
    from corpus.models import Project, Role
    from corpus.services import membership_set, user_ensure

    kept = _kept_project(connection)
    if kept is None:
        sys.exit("No kept bench project in this database: run bench.run with --keep first.")
    project = Project.objects.get(pk=kept.project_id)
    manager = get_user_model().objects.get(pk=kept.manager_id)
    data, _ = _claims_file(cast(Any, types.SimpleNamespace(project=kept)))

    def once(on: bool) -> tuple[float, float, float | None]:
        overlap.OVERLAP = on
        try:
            with transaction.atomic():
                user = user_ensure(username="ab-overlap-annotator")
                membership_set(project=project, user=user, role=Role.ANNOTATOR)
                db = backend_cpu_s()
                wall, cpu = time.perf_counter(), time.process_time()
                report = importing.import_annotations(
                    project=project, annotator=user, data=data, fmt="jsonl", actor=manager
                )
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                db_cpu = None if db is None else (backend_cpu_s() or 0.0) - db
                if not report.ok:
                    raise SystemExit(f"Rejected: {report.rejected[:3]}")
                raise _Undo((wall, cpu, db_cpu))
        except _Undo as undo:
            found: tuple[float, float, float | None] = undo.args[0]
            return found
        finally:
            overlap.OVERLAP = None

    once(True)
    once(False)  # warm-up
    runs: dict[str, list[tuple[float, float, float | None]]] = {"A": [], "B": []}
    for which in order:
        idle, load = _idle(), os.getloadavg()[0]
        wall, cpu, db = once(which == "B")
        runs[which].append((wall, cpu, db))
        shown = "" if db is None else f", database CPU {db:.3f} s"
        print(
            f"{which}: wall {wall:.3f} s, CPU {cpu:.3f} s{shown}; load {load:.2f}, idle {idle:.0%}",
            flush=True,
        )
    for which, found in runs.items():
        if found:
            print(_medians(which, found))


def _medians(which: str, found: list[tuple[float, float, float | None]]) -> str:
    walls, cpus = [w for w, _, _ in found], [c for _, c, _ in found]
    dbs = [d for _, _, d in found if d is not None]
    line = (
        f"{which} ({'pipeline' if which == 'B' else 'one thing at a time'}), {len(found)} runs: "
        f"median wall {statistics.median(walls):.3f} s, CPU {statistics.median(cpus):.3f} s"
    )
    if dbs:
        line += f", database CPU {statistics.median(dbs):.3f} s"
    return line


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "ABBAABBA")
