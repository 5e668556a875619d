"""PostgreSQL: the claim import's server work under schema variants, alternately, in one
process, on a copy of a database a ``--keep`` bench run generated (issue 21, bulkpg32):

    DATABASE_URL=postgresql://…/COPY python -m bench.ab_pg_import --setup
    DATABASE_URL=postgresql://…/COPY python -m bench.ab_pg_import AGFKKFGA
    DATABASE_URL=postgresql://…/COPY python -m bench.ab_pg_import --search

Use a *copy* (``CREATE DATABASE … TEMPLATE …``): ``--setup`` changes the claims' table
for good. It adds a nullable tsvector column ``search_words`` to ``annotate_claim``
(filled for every claim), a GIN index over it partial on ``search_words IS NOT NULL``
(``claim_search_words``) and a B-tree of the ids partial on ``search_words IS NULL``
(``claim_search_unfilled``), and prints how long each step took: the migration's cost.

Each run is ``import_annotations`` as the API calls it (one annotator's layer), inside a
transaction rolled back, with the COMMIT's deferred foreign-key checks fired in the timed
span (``SET CONSTRAINTS ALL IMMEDIATE``, as ``bench.ab_overlap``). Before the timed span,
in the run's transaction (rolled back with it), each letter sets the schema up:

- ``A``: as now: the expression GIN index ``claim_search`` (the prototype's two indexes
  dropped);
- ``G``: the words as a column: ``claim_search`` dropped; the import's claims are written
  with ``search_words`` NULL (no GIN entry, one entry in ``claim_search_unfilled``). The
  fill after the answer (``UPDATE … WHERE search_words IS NULL``) is timed after the
  span and printed beside it;
- ``F``: as ``A``, with the three foreign keys whose rows all point at one row dropped
  (history → project, history → actor, claim → annotator), each of those rows locked
  ``FOR KEY SHARE`` once instead;
- ``K``: as ``A``, with every foreign key the import's rows are checked against dropped
  (the upper bound of item 1);
- ``B``: both ``G`` and ``K``.

``--search``: claim search's count query (``claims_matching``, capped as the page counts)
as now and with the column (the same query with its text match rewritten: the column
through its partial GIN index, OR the expression over the unfilled claims), with no claim
unfilled and with one imported layer unfilled; medians of 7 and the counts, which must
be equal.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from typing import Any, cast

# Importing it also sets the production settings' environment (before django.setup()).
from bench.ab_overlap import _idle, kept_bench, kept_import, order_arg

WORDS = "to_tsvector('simple', COALESCE(quote, '') || ' ' || COALESCE(note, ''))"
SETUP = [
    "ALTER TABLE annotate_claim ADD COLUMN IF NOT EXISTS search_words tsvector",
    f"UPDATE annotate_claim SET search_words = {WORDS}",
    "CREATE INDEX IF NOT EXISTS claim_search_words ON annotate_claim USING gin (search_words) "
    "WHERE search_words IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS claim_search_unfilled ON annotate_claim (id) "
    "WHERE search_words IS NULL",
    "VACUUM ANALYZE annotate_claim",
]
# The foreign keys the import's rows are checked against at COMMIT, by (table, column).
ONE_ROW_KEYS = [
    ("annotate_history", "project_id"),
    ("annotate_history", "actor_id"),
    ("annotate_claim", "annotator_id"),
]
ALL_KEYS = [
    *ONE_ROW_KEYS,
    ("annotate_claim", "article_id"),
    ("annotate_claim", "source_id"),
    ("annotate_claimstance", "claim_id"),
    ("annotate_claimstance", "target_id"),
]


class _Undo(Exception):
    pass


def _constraint(cursor: Any, table: str, column: str) -> str:
    cursor.execute(
        "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
        "AND a.attnum = c.conkey[1] WHERE c.contype = 'f' AND c.conrelid = %s::regclass "
        "AND a.attname = %s",
        [table, column],
    )
    return str(cursor.fetchone()[0])


def setup() -> None:
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()
    connection.connection.autocommit = True
    with connection.cursor() as cursor:
        for sql in SETUP:
            wall, db = time.perf_counter(), _db_cpu()
            cursor.execute(sql)
            print(
                f"{sql[:70]}…: {time.perf_counter() - wall:.2f} s wall, "
                f"{(_db_cpu() or 0) - (db or 0):.2f} s server CPU",
                flush=True,
            )


def _db_cpu() -> float | None:
    from bench.scenarios_api import backend_cpu_s

    return backend_cpu_s()


def main(order: str) -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from annotate.exchange import importing
    from corpus.models import Role
    from corpus.services import membership_set, user_ensure

    kept, project, manager, data = kept_import()

    def prepare(cursor: Any, which: str, user: Any) -> None:
        if which in "GB":
            cursor.execute("DROP INDEX claim_search")
        else:
            cursor.execute("DROP INDEX claim_search_words, claim_search_unfilled")
        keys = {"F": ONE_ROW_KEYS, "K": ALL_KEYS, "B": ALL_KEYS}.get(which, [])
        for table, column in keys:
            cursor.execute(
                f"ALTER TABLE {table} DROP CONSTRAINT {_constraint(cursor, table, column)}"
            )
        if keys:
            cursor.execute("SELECT 1 FROM corpus_project WHERE id = %s FOR KEY SHARE", [project.pk])
            cursor.execute(
                "SELECT 1 FROM auth_user WHERE id IN (%s, %s) FOR KEY SHARE", [user.pk, manager.pk]
            )

    def once(which: str) -> tuple[float, float, float, float]:
        try:
            with transaction.atomic():
                user = user_ensure(username="ab-pg-import-annotator")
                membership_set(project=project, user=user, role=Role.ANNOTATOR)
                with connection.cursor() as cursor:
                    prepare(cursor, which, user)
                db = _db_cpu() or 0.0
                wall, cpu = time.perf_counter(), time.process_time()
                report = importing.import_annotations(
                    project=project, annotator=user, data=data, fmt="jsonl", actor=manager
                )
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the COMMIT's checks
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                db_cpu = (_db_cpu() or 0.0) - db
                if not report.ok:
                    raise SystemExit(f"Rejected: {report.rejected[:3]}")
                fill = 0.0
                if which in "GB":
                    before = _db_cpu() or 0.0
                    with connection.cursor() as cursor:
                        cursor.execute(
                            f"UPDATE annotate_claim SET search_words = {WORDS} "
                            "WHERE search_words IS NULL"
                        )
                    fill = (_db_cpu() or 0.0) - before
                raise _Undo((wall, cpu, db_cpu, fill))
        except _Undo as undo:
            found: tuple[float, float, float, float] = undo.args[0]
            return found

    for which in sorted(set(order)):
        once(which)  # warm-up
    runs: dict[str, list[tuple[float, float, float, float]]] = {w: [] for w in sorted(set(order))}
    for which in order:
        idle, load = _idle(), os.getloadavg()[0]
        found = once(which)
        runs[which].append(found)
        wall, cpu, db, fill = found
        after = f"; the fill after it {fill:.3f} s server CPU" if which in "GB" else ""
        print(
            f"{which}: wall {wall:.3f} s, CPU {cpu:.3f} s, server CPU {db:.3f} s{after}; "
            f"load {load:.2f}, idle {idle:.0%}",
            flush=True,
        )
    for which, done in runs.items():
        med = [statistics.median(f[i] for f in done) for i in range(4)]
        print(
            f"{which}, {len(done)} runs: median wall {med[0]:.3f} s, CPU {med[1]:.3f} s, "
            f"server CPU {med[2]:.3f} s" + (f", fill {med[3]:.3f} s" if which in "GB" else "")
        )


def search() -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from annotate.analysis.filters import ClaimFilters
    from annotate.analysis.search import COUNT_CAP, claims_matching
    from corpus.models import Project

    kept = kept_bench()
    project = Project.objects.get(pk=kept.project_id)
    annotator = kept.annotator_ids[0]
    cases = {
        "common word, all layers": ClaimFilters(layer="all", q="pipeline"),
        "rare word, all layers": ClaimFilters(layer="all", q="Rahmon"),
        "common word + annotator": ClaimFilters(layer=str(annotator), q="pipeline"),
    }

    def timed(sql: str, params: Any) -> tuple[float, int]:
        times, n = [], 0
        with connection.cursor() as cursor:
            for _ in range(7):
                began = time.perf_counter()
                cursor.execute(sql, params)
                n = cursor.fetchone()[0]
                times.append((time.perf_counter() - began) * 1000)
        return statistics.median(times), n

    def rewritten(sql: str) -> str:
        query = re.search(r"plainto_tsquery\('simple'::regconfig, '[^']*'\)", sql)
        assert query is not None, sql
        where = sql.index(" WHERE ")
        expression = sql[sql.index("to_tsvector(", where) : sql.index(" @@ (", where)]
        match = f"{expression} @@ ({query[0]})"
        assert match in sql, sql
        return sql.replace(
            match,
            f"(annotate_claim.search_words @@ {query[0]} OR "
            f"(annotate_claim.search_words IS NULL AND {match}))",
        )

    def measure(label: str) -> None:
        for name, filters in cases.items():
            claims = claims_matching(project, filters).order_by().values("pk")[: COUNT_CAP + 1]
            # The parameters in the text: the rewrite repeats the words' query.
            sql = cast(Any, connection.ops).compose_sql(*claims.query.sql_with_params())
            count_sql = f"SELECT COUNT(*) FROM ({sql}) found"
            now, n1 = timed(count_sql, None)
            with connection.cursor() as cursor:
                cursor.execute("SAVEPOINT col")
                cursor.execute("DROP INDEX claim_search")
                column, n2 = timed(rewritten(count_sql), None)
                cursor.execute("ROLLBACK TO SAVEPOINT col")
            print(
                f"{label}, {name}: now {now:.1f} ms ({n1}), column {column:.1f} ms ({n2}); "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            assert n1 == n2, (n1, n2)

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM annotate_claim WHERE search_words IS NULL")
            print(f"unfilled claims: {cursor.fetchone()[0]}")
        measure("none unfilled")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE annotate_claim SET search_words = NULL WHERE annotator_id = %s",
                [kept.annotator_ids[1]],
            )
            print(f"unfilled claims: {cursor.rowcount}")
        measure("one layer unfilled")
        transaction.set_rollback(True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--setup"]:
        setup()
    elif sys.argv[1:2] == ["--search"]:
        search()
    else:
        main(
            order_arg(
                __doc__, "AGFKB", "AGFKKFGA", "[--help | --setup | --search | ORDER of AGFKB]"
            )
        )
