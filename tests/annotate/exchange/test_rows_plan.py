"""The plan PostgreSQL makes for the exports' claims query (issue 21): right after a bulk
import, before autovacuum has analyzed the tables, the planner took the claims table for
empty and, for each article, ANDed every entry of ``claim_live_source`` (all the live
claims) with the article's: 1.2 s instead of 0.24 s for 20,000 claims, the production
shape's export twice as slow on PostgreSQL as on SQLite. The index of live claims by
article in export order (``claim_live_article``) is one scan per article."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q

from annotate.exchange import rows_query
from annotate.exchange.options import ExportOptions
from annotate.models import Claim
from tests.annotate.exchange.conftest import Corpus

# One corpus for the module, each test in a savepoint of its own (conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_module_corpus")]


def _claims_sql(corpus: Corpus, options: ExportOptions, monkeypatch: Any) -> tuple[str, Any]:
    """The SQL (and parameters) the row source runs for the claims."""
    seen: list[tuple[str, Any]] = []

    def record(alias: str, sql: str, params: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append((sql, params))
        return iter(())

    monkeypatch.setattr(rows_query, "fetch_rows", record)
    list(rows_query._raw_batches(corpus.project, options, 2000))
    assert len(seen) == 1
    return seen[0]


def test_live_claims_are_indexed_by_article_in_export_order() -> None:
    index = next(i for i in Claim._meta.indexes if i.name == "claim_live_article")
    assert list(index.fields) == ["article", "start", "end", "id"]
    assert index.condition == Q(deleted_at__isnull=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.parametrize("layer", ["annotators", "gold", "all"])
def test_unanalyzed_claims_are_read_one_index_scan_per_article(
    corpus: Corpus, monkeypatch: Any, layer: str
) -> None:
    sql, params = _claims_sql(corpus, ExportOptions(layer=layer), monkeypatch)
    with connection.cursor() as cursor:
        # The test database's tables were never analyzed, as right after a bulk import.
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "claim_live_source" not in plan, plan
    assert "BitmapAnd" not in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
@pytest.mark.parametrize("layer", ["annotators", "gold", "all"])
def test_sqlite_reads_the_claims_in_export_order_without_sorting_them(
    corpus: Corpus, monkeypatch: Any, layer: str
) -> None:
    """The articles by their (project, title, id) index, each one's claims by
    ``claim_live_article``: no temporary B-tree sorting every claim (the ORDER BY names
    the article's own id; the claim's ``article_id`` there made SQLite sort them all)."""
    sql, params = _claims_sql(corpus, ExportOptions(layer=layer), monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "article_project_title" in plan, plan
    assert "claim_live_article" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.parametrize("layer", ["annotators", "gold", "all"])
def test_postgresql_can_walk_the_articles_in_export_order(
    corpus: Corpus, monkeypatch: Any, layer: str
) -> None:
    """PostgreSQL can send the first row without sorting every claim first: the articles
    in export order by ``article_project_title`` (corpus 0014), each one's claims sorted
    within it. Without sorts the planner must take it; without the index it could not
    (a Sort of every row)."""
    sql, params = _claims_sql(corpus, ExportOptions(layer=layer), monkeypatch)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "article_project_title" in plan, plan
    steps = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
    # Only the sort within each article ("Incremental Sort"), no Sort node of every row.
    assert not [step for step in steps if step.startswith("Sort  (cost=")], plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.parametrize("layer", ["annotators", "gold", "all"])
def test_postgresql_reads_the_stances_per_article_not_per_claim(
    corpus: Corpus, monkeypatch: Any, layer: str
) -> None:
    """The stances of each article's claims by one index scan (``rows_stances``), not a
    subquery run again for every claim (~40 % of the query's server CPU, pgx33 and
    csvpg34 in bench/RESULTS.md); the articles still walked in export order."""
    sql, params = _claims_sql(corpus, ExportOptions(layer=layer), monkeypatch)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "SubPlan" not in plan, plan
    assert "claim_id = ANY" in plan, plan
    assert "article_project_title" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_an_export_of_chosen_articles_reads_their_stances_per_claim(
    corpus: Corpus, monkeypatch: Any
) -> None:
    """With an ``article`` filter the walk of every article of the project would read
    the others' claims for nothing: the claims are found by the filter, each one's
    stances by the per-claim subquery."""
    options = ExportOptions(layer="all", articles=(corpus.articles[0].pk,))
    sql, _ = _claims_sql(corpus, options, monkeypatch)
    assert "LATERAL" not in sql
