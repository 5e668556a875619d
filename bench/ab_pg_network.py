"""PostgreSQL bulk mode's network upsert (the claim import's end step) in two forms,
alternately, in one process, on a database a ``--keep`` bench run generated (issue 21,
pgnet34):

    DATABASE_URL=postgresql://…/claimdesk_keep_NAME_medium python -m bench.ab_pg_network ABBAABBA
    … python -m bench.ab_pg_network --explain A|B|C
    … python -m bench.ab_pg_network --statement ORDER [--select]

- ``A``: before pgnet34: the waiting stances joined with ``annotate_claim`` (every live
  claim: a sequential scan and a hash);
- ``B``: as ``annotate.db_network_counts.pg_bulk_add_counts_sql`` is now (the waiting
  stances joined with the waiting claims; the others' claims looked up by id), at the
  server's ``work_mem``;
- ``C``: B with ``work_mem`` at 32 MB for the upsert (its sort in memory; tried, no gain,
  not kept).

Each run is ``import_annotations`` as the API calls it (the bench's file: one annotator's
layer), the pipeline off (every statement on this thread), the COMMIT's foreign-key checks
fired in the timed span, rolled back by an outer block (``bench.ab_claim_indexes``' run).
It prints the run's CPU, the backend's CPU (``/proc``) and the network upsert's own (the
backend's CPU around the statement), then the medians per letter. ``--explain`` runs one
import with the letter's upsert under ``EXPLAIN (ANALYZE, BUFFERS)`` and prints the plan.
``--statement ORDER`` runs one import and, at its end step (the waiting tables full), each
letter's upsert in ``ORDER``, each in a savepoint rolled back: the statement's own server
CPU, many times, without the rest of the import's noise; with ``--select``, its SELECT
alone (the rows it would upsert, counted: what the letters change, without the insert).
"""

from __future__ import annotations

import os
import statistics
import sys
from collections import defaultdict
from typing import Any

from bench.ab_claim_indexes import _Undo, import_timed, import_undone, timed_kept_import
from bench.ab_overlap import _idle, order_arg

NETWORK = "end step: networkcount"


def before_sql() -> str:
    """The upsert before pgnet34 (bulkpg32's and idx33's figures)."""
    from annotate import db_network_counts as n
    from annotate import db_triggers

    layer, month, dated = n._bucket("postgresql", "a", "c")
    return n._UPSERT.format(
        select=f"SELECT a.project_id, {layer}, {month}, c.source_id, "
        f"r.target_id, r.stance, COUNT(*) FROM {db_triggers.PG_BULK_STANCES} r "
        "JOIN annotate_claim c ON c.id = r.claim_id "
        f"JOIN corpus_article a ON a.id = c.article_id {n._BUCKETS} WHERE "
        + n._LIVE.format(c="c")
        + f" AND {dated} GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
    )


# Letter C's setting: this transaction's (a savepoint's rollback undoes it).
WORK_MEM = "SELECT set_config('work_mem', '32MB', true)"


def _with_work_mem(maintain: Any) -> Any:
    """The end step with C's ``work_mem`` set for the rest of the run's transaction."""

    def run(cursor: Any) -> None:
        cursor.execute(WORK_MEM)
        maintain(cursor)

    return run


def _select_only(sql: str) -> str:
    """The upsert's grouped SELECT, its rows counted."""
    select = sql[sql.index(" SELECT ") : sql.index(" ON CONFLICT ")]
    return f"SELECT COUNT(*) FROM ({select}) s"


def statements(order: str, select: bool = False) -> None:
    """Each letter's upsert in ``order`` at one import's end step, in savepoints."""
    kept, project, manager, data, timer = timed_kept_import()
    from django.db import transaction

    from annotate import db_bulk, db_network_counts

    maintain = db_bulk._maintain_postgres
    sqls = {"A": before_sql(), "B": db_network_counts.pg_bulk_add_counts_sql()}
    sqls["C"] = sqls["B"]
    if select:
        sqls = {k: _select_only(v) for k, v in sqls.items()}
    runs: dict[str, list[float]] = defaultdict(list)

    def each(cursor: Any) -> None:
        for which in order:
            load, cpu = os.getloadavg()[0], 0.0
            try:
                with transaction.atomic():
                    if which == "C":
                        cursor.execute(WORK_MEM)
                    cpu = timer.server()
                    cursor.execute(sqls[which])
                    cpu = timer.server() - cpu
                    raise _Undo
            except _Undo:
                pass
            runs[which].append(cpu)
            print(f"{which}: network upsert {cpu:.3f} s server CPU; load {load:.2f}", flush=True)
        maintain(cursor)

    db_bulk._maintain_postgres = each
    try:
        import_undone(project, manager, data, "ab-pg-network-annotator")
    finally:
        db_bulk._maintain_postgres = maintain
    for which, found in sorted(runs.items()):
        print(
            f"{which}, {len(found)} runs: median {statistics.median(found):.3f} s, "
            f"min {min(found):.3f} s, max {max(found):.3f} s"
        )


def main(order: str, explain: bool = False) -> None:
    kept, project, manager, data, timer = timed_kept_import()

    from annotate import db_bulk, db_network_counts

    maintain = db_bulk._maintain_postgres
    after_sql = db_network_counts.pg_bulk_add_counts_sql
    plans: list[str] = []

    def once(which: str) -> tuple[float, float, float, float]:
        sql = before_sql() if which == "A" else after_sql()
        if explain:
            sql = "EXPLAIN (ANALYZE, BUFFERS) " + sql
        db_network_counts.pg_bulk_add_counts_sql = lambda: sql
        db_bulk._maintain_postgres = _with_work_mem(maintain) if which == "C" else maintain
        try:
            wall, cpu, db_cpu, kinds = import_timed(
                project, manager, data, timer, "ab-pg-network-annotator", lambda cursor: None
            )
            return wall, cpu, db_cpu, kinds.get(NETWORK, [0.0, 0.0, 0])[1]
        finally:
            db_network_counts.pg_bulk_add_counts_sql = after_sql
            db_bulk._maintain_postgres = maintain

    if explain:
        from django.db.backends.utils import CursorWrapper

        fetch = CursorWrapper.execute

        def keep_plan(self: Any, sql: str, params: Any = None) -> Any:
            result = fetch(self, sql, params)
            if sql.startswith("EXPLAIN"):
                plans.append("\n".join(row[0] for row in self.fetchall()))
            return result

        CursorWrapper.execute = keep_plan  # type: ignore[method-assign, assignment]
        once(order)
        print(plans[-1])
        return

    once("B")  # warm-up
    runs: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    for which in order:
        idle, load = _idle(), os.getloadavg()[0]
        found = once(which)
        runs[which].append(found)
        wall, cpu, db, network = found
        print(
            f"{which}: wall {wall:.3f} s, CPU {cpu:.3f} s, server CPU {db:.3f} s, network "
            f"upsert {network:.3f} s; load {load:.2f}, idle {idle:.0%}",
            flush=True,
        )
    for which, found_runs in sorted(runs.items()):
        med = [statistics.median(f[i] for f in found_runs) for i in range(4)]
        print(
            f"{which}, {len(found_runs)} runs, medians: CPU {med[1]:.3f} s, server {med[2]:.3f} "
            f"s, network upsert {med[3]:.3f} s, wall {med[0]:.3f} s",
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--statement"]:
        arg = sys.argv[2] if len(sys.argv) > 2 else "ABCCBA" * 4
        if not arg or not set(arg) <= set("ABC"):
            sys.exit("usage: --statement ORDER of ABC")
        statements(arg, select="--select" in sys.argv[3:])
    elif sys.argv[1:2] == ["--explain"]:
        letter = sys.argv[2] if len(sys.argv) > 2 else "B"
        if letter not in ("A", "B", "C"):
            sys.exit("usage: --explain A|B|C")
        main(letter, explain=True)
    else:
        main(order_arg(__doc__, "ABC", "ABBAABBA", "[--help | --explain A|B|C | ORDER of ABC]"))
