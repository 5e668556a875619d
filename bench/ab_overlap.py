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

On PostgreSQL each run also fires, inside its timed span, the foreign-key checks its
COMMIT would run (``SET CONSTRAINTS ALL IMMEDIATE``: Django makes every foreign key
DEFERRABLE INITIALLY DEFERRED, and the rollback would skip them): ~0.5 s of the server's
CPU for this file, the most of what the bench's request (committed) took beyond this
figure. And it prints, per run, the writes run beside the caller (``jobs``: the caller's
CPU between a job's start and its join; the job's, its writer thread's CPU plus the
server's during it) and what the run would take on two free cores if CPU were all
(``2 free cores``: the run's CPU, client and server, with each job and the caller's work
beside it counted as the longer of the two; printed just before its run's line): on a
loaded machine the wall says little.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
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


def order_arg(doc: str | None, letters: str, default: str, usage: str = "") -> str:
    """The A/B order a script was given (its first argument, letters of ``letters``), or
    ``default``; ``-h``/``--help`` prints ``doc`` and exits, anything else is refused."""
    arg = sys.argv[1] if len(sys.argv) > 1 else default
    if arg in ("-h", "--help"):
        print(doc)
        sys.exit(0)
    if not arg or not set(arg) <= set(letters):
        sys.exit(f"usage: {usage or f'[--help | ORDER of {letters}]'}; not {arg!r}")
    return arg


def kept_bench() -> Any:
    """The kept bench project's record (``bench.run --keep``) in this database; exits
    with a message when there is none."""
    from django.db import connection

    from bench.run import _kept_project

    kept = _kept_project(connection)
    if kept is None:
        sys.exit("No kept bench project in this database: run bench.run with --keep first.")
    return kept


def kept_import() -> tuple[Any, Any, Any, bytes]:
    """The kept bench project's record, its project, its manager and the import's file
    (one annotator's layer, as ``bench.run``'s ``import_claims_api`` posts it)."""
    from django.contrib.auth import get_user_model

    from bench.scenarios_api import _claims_file
    from corpus.models import Project

    kept = kept_bench()
    project = Project.objects.get(pk=kept.project_id)
    manager = get_user_model().objects.get(pk=kept.manager_id)
    data, _ = _claims_file(cast(Any, types.SimpleNamespace(project=kept)))
    return kept, project, manager, data


def main(order: str) -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from annotate.exchange import importing
    from bench.scenarios_api import backend_cpu_s
    from common import overlap
    from corpus.models import Role
    from corpus.services import membership_set, user_ensure

    jobs: list[tuple[float, float]] = []  # (caller's CPU, the job's CPU), per job
    server = _server_cpu(connection)

    class Timed(overlap.Overlap):
        """The pipeline, with each job's CPU and the caller's beside it noted in ``jobs``."""

        caller_began = 0.0
        job_cpu = 0.0

        def start(self, job: Any) -> None:
            super().start(job)
            self.caller_began = time.thread_time()

        def join(self) -> None:
            if self._thread is None:
                super().join()
                return
            caller = time.thread_time() - self.caller_began
            super().join()
            jobs.append((caller, self.job_cpu))

        def _run(self, job: Any) -> None:
            began, on_server = time.thread_time(), server()
            try:
                super()._run(job)
            finally:
                self.job_cpu = time.thread_time() - began + server() - on_server

    importing.Overlap = Timed  # type: ignore[misc]
    kept, project, manager, data = kept_import()

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
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the COMMIT's checks
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                db_cpu = None if db is None else (backend_cpu_s() or 0.0) - db
                if not report.ok:
                    raise SystemExit(f"Rejected: {report.rejected[:3]}")
                if jobs:
                    beside = sum(c + j for c, j in jobs)
                    longer = sum(max(c, j) for c, j in jobs)
                    print(
                        f"  {len(jobs)} jobs: the caller's CPU beside them "
                        f"{sum(c for c, _ in jobs):.3f} s, theirs {sum(j for _, j in jobs):.3f} s;"
                        f" 2 free cores: {cpu + (db_cpu or 0.0) - beside + longer:.3f} s",
                        flush=True,
                    )
                jobs.clear()
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


def _server_cpu(connection: Any) -> Callable[[], float]:
    """The CPU time so far of the connection's PostgreSQL backend (any thread may ask:
    ``/proc``, not a query), or 0.0 on SQLite (its work is this process's)."""
    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def read() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return read


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
    main(order_arg(__doc__, "AB", "ABBAABBA"))
