"""The claim import's SQL under index variants, alternately, in one process, on a database
a ``--keep`` bench run generated, migrated to 0030 (issue 21, idx33):

    SQLITE_PATH=bench/data/NAME_medium.sqlite3 python -m bench.ab_claim_indexes ABBAABBA
    DATABASE_URL=postgresql://…/claimdesk_keep_NAME_medium python -m bench.ab_claim_indexes ABBA
    … python -m bench.ab_claim_indexes --each [ROUNDS]

Each run is ``import_annotations`` as the API calls it (the bench's file: one annotator's
layer), with the pipeline off (``common.overlap.OVERLAP = False``: every statement on this
thread, so that each is timed alone), rolled back by an outer block; on PostgreSQL the
COMMIT's foreign-key checks are fired inside the timed span (``SET CONSTRAINTS ALL
IMMEDIATE``). Before the span, in the run's transaction (rolled back with it), the
letter sets the schema up:

- ``A``: before 0030: the source foreign key's own index and the partial
  ``claim_live_source`` made again, ``claim_source_deleted`` dropped;
- ``B``: as 0030 leaves it (one index, ``claim_source_deleted``).

``--each``: B's schema with each B-tree the import writes dropped in turn (``-`` = none
dropped), ``ROUNDS`` times (default 2) in rotating order: what each index costs the
import. Each run prints the SQL's cost by statement kind — the process's CPU
(``time.process_time()``: SQLite's engine works in it) and, on PostgreSQL, the backend's
CPU (``/proc/<pid>/stat``, 10 ms ticks) around each statement, the COPYs
(``common.inserts._copy_rows``) included — then the medians per letter.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Importing it also sets the production settings' environment (before django.setup()).
from bench.ab_overlap import _idle, kept_import, order_arg

CLAIMS = "annotate_claim"
OLD_FK = "annotate_claim_source_id_old"  # the foreign key's own index, made again for A
# Dropped one at a time by --each (the primary keys and the stances' UNIQUE stay:
# integrity); those absent on a database are skipped.
EACH = [
    "claim_article_annotator",
    "claim_source_deleted",
    "claim_live_article",
    "claim_live_annotator_updated",
    "claim_search",
    "annotate_claim_annotator_id",
    "annotate_claimstance_target_id",
    "history_project",
    "annotate_history_actor_id",
]


class _Undo(Exception):
    pass


def _kind(sql: str) -> str:
    """A statement's kind: its verb and first table (the end step's upserts by name)."""
    text = " ".join(sql.split())
    for name in ("networkcount", "overviewcount", "claim_fts", "projectversion"):
        if name in text and text.upper().startswith(("INSERT", "WITH", "UPDATE")):
            return f"end step: {name}"
    verb = text.split(" ", 1)[0].upper()
    table = re.search(r'(?:INTO|FROM|UPDATE|TABLE)\s+"?([a-z_\.]+)"?', text, re.I)
    return f"{verb} {table.group(1) if table else '?'}"


class Timer:
    """The CPU of each statement, summed by kind: this process's and the backend's."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pid: int | None = None
        self.by_kind: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])

    def server(self) -> float:
        if self.connection.vendor != "postgresql":
            return 0.0
        if self.pid is None:
            self.pid = self.connection.connection.info.backend_pid
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @contextmanager
    def timed(self, kind: str) -> Iterator[None]:
        cpu, server = time.process_time(), self.server()
        try:
            yield
        finally:
            found = self.by_kind[kind]
            found[0] += time.process_time() - cpu
            found[1] += self.server() - server
            found[2] += 1

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any
    ) -> Any:
        with self.timed(_kind(sql)):
            return execute(sql, params, many, ctx)


def _index_sql(cursor: Any, vendor: str, name: str) -> str | None:
    if vendor == "postgresql":
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname LIKE %s", [name + "%"])
    else:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name LIKE %s", [name + "%"])
    row = cursor.fetchone()
    return row[0] if row else None


def _drop(cursor: Any, vendor: str, prefix: str) -> bool:
    if vendor == "postgresql":
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", [prefix + "%"])
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE %s", [prefix + "%"]
        )
    names = [name for (name,) in cursor.fetchall()]
    for name in names:
        cursor.execute(f'DROP INDEX "{name}"')
    return bool(names)


def prepare(cursor: Any, vendor: str, which: str) -> None:
    if which == "A":
        cursor.execute(f'CREATE INDEX "{OLD_FK}" ON "{CLAIMS}" ("source_id")')
        cursor.execute(
            f'CREATE INDEX "claim_live_source" ON "{CLAIMS}" ("source_id") '
            'WHERE "deleted_at" IS NULL'
        )
        cursor.execute('DROP INDEX "claim_source_deleted"')
    elif which not in "B-":
        _drop(cursor, vendor, EACH[int(which)])
    if vendor == "postgresql":
        cursor.execute(f"ANALYZE {CLAIMS}")


def timed_kept_import() -> tuple[Any, Any, Any, Any, Timer]:
    """Django set up, the import's overlap off, the kept database's import (``kept_import``:
    kept, project, manager, data) and a ``Timer`` on the connection: what each A/B of the
    import's SQL starts from."""
    import django

    django.setup()
    from django.db import connection

    from common import overlap

    overlap.OVERLAP = False
    kept, project, manager, data = kept_import()
    connection.ensure_connection()
    return kept, project, manager, data, Timer(connection)


def import_undone(project: Any, manager: Any, data: Any, username: str) -> None:
    """One import of ``data`` by a new annotator ``username``, rolled back: what an A/B
    that times statements inside the import's end step runs once."""
    from django.db import transaction

    from annotate.exchange import importing
    from corpus.models import Role
    from corpus.services import membership_set, user_ensure

    try:
        with transaction.atomic():
            user = user_ensure(username=username)
            membership_set(project=project, user=user, role=Role.ANNOTATOR)
            importing.import_annotations(
                project=project, annotator=user, data=data, fmt="jsonl", actor=manager
            )
            raise _Undo
    except _Undo:
        pass


Timed = tuple[float, float, float, dict[str, list[float]]]


def import_timed(
    project: Any,
    manager: Any,
    data: Any,
    timer: Timer,
    username: str,
    prepared: Callable[[Any], None],
) -> Timed:
    """One import of ``data`` by a new annotator ``username``, after ``prepared(cursor)``
    (the letter's shape), timed and rolled back: wall, this process's CPU, the server's
    CPU and ``timer``'s figures by statement kind. On PostgreSQL the COMMIT's deferred
    checks fire inside the timed span."""
    from django.db import connection, transaction

    from annotate.exchange import importing
    from corpus.models import Role
    from corpus.services import membership_set, user_ensure

    try:
        with transaction.atomic():
            user = user_ensure(username=username)
            membership_set(project=project, user=user, role=Role.ANNOTATOR)
            with connection.cursor() as cursor:
                prepared(cursor)
            timer.by_kind.clear()
            db = timer.server()
            wall, cpu = time.perf_counter(), time.process_time()
            with connection.execute_wrapper(timer):
                report = importing.import_annotations(
                    project=project, annotator=user, data=data, fmt="jsonl", actor=manager
                )
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # COMMIT's checks
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            db_cpu = timer.server() - db
            if not report.ok:
                raise SystemExit(f"Rejected: {report.rejected[:3]}")
            raise _Undo((wall, cpu, db_cpu, {k: list(v) for k, v in timer.by_kind.items()}))
    except _Undo as undo:
        found: Timed = undo.args[0]
        return found


def letters_timed(
    project: Any,
    manager: Any,
    data: Any,
    timer: Timer,
    username: str,
    prepare: Callable[[Any, str, str], None],
) -> Callable[[str], Timed]:
    """``once(which)``: ``import_timed`` after ``prepare(cursor, vendor, which)``."""
    from django.db import connection

    vendor = connection.vendor
    return lambda which: import_timed(
        project, manager, data, timer, username, lambda cursor: prepare(cursor, vendor, which)
    )


def main(order: str) -> None:
    kept, project, manager, data, timer = timed_kept_import()

    from common import inserts

    copy_rows = inserts._copy_rows

    def timed_copy(connection: Any, meta: Any, *args: Any, **kwargs: Any) -> list[Any]:
        with timer.timed(f"COPY {meta.db_table}"):
            return copy_rows(connection, meta, *args, **kwargs)

    inserts._copy_rows = timed_copy

    once = letters_timed(project, manager, data, timer, "ab-claim-indexes-annotator", prepare)

    once("B")  # warm-up
    runs: dict[str, list[Any]] = defaultdict(list)
    for which in order:
        idle, load = _idle(), os.getloadavg()[0]
        wall, cpu, db, kinds = once(which)
        runs[which].append((wall, cpu, db, kinds))
        sql_cpu = sum(v[0] for v in kinds.values())
        sql_db = sum(v[1] for v in kinds.values())
        label = which if which in "AB-" else f"-{EACH[int(which)]}"
        print(
            f"{label}: wall {wall:.3f} s, CPU {cpu:.3f} s (SQL {sql_cpu:.3f}), server CPU "
            f"{db:.3f} s (in statements {sql_db:.3f}); load {load:.2f}, idle {idle:.0%}",
            flush=True,
        )
        top = sorted(kinds.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:9]
        print(
            "   " + "; ".join(f"{k} {v[0]:.3f}/{v[1]:.2f} ×{int(v[2])}" for k, v in top),
            flush=True,
        )
    print("medians (CPU, SQL CPU, server CPU; the top statements' CPU/server CPU):")
    for which, found in runs.items():
        label = which if which in "AB-" else f"-{EACH[int(which)]}"
        med = [statistics.median(f[i] for f in found) for i in range(3)]
        sql = statistics.median(sum(v[0] for v in f[3].values()) for f in found)
        names = sorted({k for f in found for k in f[3]})
        per = {
            k: (
                statistics.median(f[3].get(k, [0.0, 0.0])[0] for f in found),
                statistics.median(f[3].get(k, [0.0, 0.0])[1] for f in found),
            )
            for k in names
        }
        ranked = sorted(per.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:10]
        print(
            f"{label}, {len(found)} runs: CPU {med[1]:.3f} s, SQL {sql:.3f} s, server "
            f"{med[2]:.3f} s, wall {med[0]:.3f} s\n   "
            + "; ".join(f"{k} {c:.3f}/{s:.3f}" for k, (c, s) in ranked),
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--each"]:
        rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
        letters = "-" + "".join(str(i) for i in range(len(EACH)))
        order = "".join(
            letters[(i + r) % len(letters)] for r in range(rounds) for i in range(len(letters))
        )
        main(order)
    else:
        main(order_arg(__doc__, "AB", "ABBAABBA", "[--help | --each [ROUNDS] | ORDER of AB]"))
