"""The indexes of the hot paths: the claim-search GIN index exists on PostgreSQL and the
search uses it, it is nothing on SQLite (even when SQLite rebuilds the table), and the
migration builds it CONCURRENTLY on PostgreSQL."""

from __future__ import annotations

import importlib
import io
import sqlite3
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from annotate.analysis.filters import ClaimFilters
from annotate.analysis.search import claims_matching
from annotate.models import Claim, ClaimStance
from tests.factories import ArticleFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="GIN indexes are PostgreSQL's"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's schema")

WORDS = [
    "pipeline",
    "corridor",
    "summit",
    "treaty",
    "gas",
    "railway",
    "border",
    "energy",
    "market",
    "talks",
]


def claim_indexes() -> dict[str, Any]:
    with connection.cursor() as cursor:
        found: dict[str, Any] = connection.introspection.get_constraints(cursor, "annotate_claim")
    return {name: info for name, info in found.items() if info["index"]}


def plan_of(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_every_claim_index_of_the_model_exists() -> None:
    indexes = claim_indexes()
    assert indexes["claim_article_annotator"]["columns"] == ["article_id", "annotator_id", "start"]
    if connection.vendor == "postgresql":
        assert indexes["claim_search"]["type"] == "gin"
    else:
        assert "claim_search" not in indexes


@postgres_only
@pytest.mark.django_db
def test_claim_search_index_is_valid_and_over_the_search_expression() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'claim_search'"
        )
        valid, definition = cursor.fetchone()
    assert valid
    assert "USING gin" in definition
    assert "to_tsvector('simple'::regconfig" in definition
    assert "COALESCE(quote, ''::text)" in definition and "COALESCE(note, ''::text)" in definition


@postgres_only
@pytest.mark.django_db
def test_claim_search_uses_the_gin_index(project: Any, annotator: Any) -> None:
    article = ArticleFactory(project=project)
    Claim.objects.bulk_create(
        Claim(
            article=article,
            annotator=annotator if i % 2 else None,
            start=i,
            end=i + 5,
            quote=f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]} said someone {i}",
            note="Rahmon" if i == 78 else "",  # a gold claim
        )
        for i in range(2_000)
    )
    with connection.cursor() as cursor:
        for table in (
            "annotate_claim",
            "corpus_article",
            "annotate_source",
            "annotate_claimstance",
        ):
            cursor.execute(f"ANALYZE {table}")
        # The claims earlier tests inserted and rolled back stay in the GIN index's pending
        # list (fastupdate) until VACUUM, autovacuum's ANALYZE (not a manual one) or this
        # function flush it, and the planner charges every search for reading the whole
        # list: in the whole suite it priced the GIN plan above a plan filtering the
        # layer's 1,000 claims one by one (cost 590 against 164 once flushed), for the
        # annotator layers first — the plans of a toy table, not the query's shape.
        cursor.execute("SELECT gin_clean_pending_list('claim_search'::regclass)")
        cursor.execute("SET LOCAL enable_seqscan = off")
    for filters in (
        ClaimFilters(q="rahmon"),
        ClaimFilters(layer="all", q="pipeline summit"),
        ClaimFilters(layer=str(annotator.pk), q="pipeline", attribution="direct"),
    ):
        claims = claims_matching(project, filters)
        assert "claim_search" in plan_of(claims), filters
        # The paginator's count too.
        assert "claim_search" in plan_of(claims.order_by().values("pk")), filters
    assert [c.note for c in claims_matching(project, ClaimFilters(q="Rahmon"))] == ["Rahmon"]


@sqlite_only
@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses to run in one
def test_sqlite_rebuilding_the_claim_table_builds_no_gin_index() -> None:
    # SQLite alters a table by creating it anew with every index of Meta.indexes: the
    # PostgreSQL-only index must come out as something SQLite runs, and as no index.
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        editor.create_model(Claim)
    statements = editor.collected_sql
    assert any("claim_article_annotator" in sql for sql in statements)
    assert not any("using gin" in sql.lower() for sql in statements)
    scratch = sqlite3.connect(":memory:")
    scratch.executescript("\n".join(statements))
    names = {row[0] for row in scratch.execute("SELECT name FROM sqlite_master")}
    assert "claim_article_annotator" in names and "claim_search" not in names


@pytest.mark.django_db(transaction=True)
def test_migration_builds_the_index_concurrently_on_postgresql_only() -> None:
    out = io.StringIO()
    call_command("sqlmigrate", "annotate", "0008", stdout=out)
    sql = out.getvalue()
    if connection.vendor == "postgresql":
        assert 'CREATE INDEX CONCURRENTLY "claim_search" ON "annotate_claim" USING gin' in sql
        assert "BEGIN;" not in sql  # not in a transaction
    else:
        assert "-- claim_search: a PostgreSQL index, none on sqlite" in sql
        assert "CREATE INDEX" not in sql
    out = io.StringIO()
    call_command("sqlmigrate", "annotate", "0026", stdout=out)
    sql = out.getvalue()
    if connection.vendor == "postgresql":
        assert 'CREATE INDEX CONCURRENTLY "claim_live_annotator_updated"' in sql
        assert "BEGIN;" not in sql
    else:
        assert 'CREATE INDEX "claim_live_annotator_updated"' in sql


# --- the source registry's claim counts (issue 21: 1.4 s → ~60 ms at 2.1 million claims) ---


@pytest.mark.django_db
def test_claims_have_one_index_on_source_and_it_is_source_then_deleted_at() -> None:
    """Migration 0030: the foreign key's own index and the partial ``claim_live_source``
    became one full index on (source_id, deleted_at), on both databases (issue 21: a bulk
    import writes one entry less per claim, on a random page)."""
    indexes = claim_indexes()
    assert indexes["claim_source_deleted"]["columns"] == ["source_id", "deleted_at"]
    on_source = [name for name, info in indexes.items() if "source_id" in info["columns"]]
    assert on_source == ["claim_source_deleted"], on_source
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'claim_source_deleted'"
            )
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'claim_source_deleted'")
        (definition,) = cursor.fetchone()
    assert "WHERE" not in definition.upper(), definition  # every claim: deleted ones too


def _source_claims(project: Any, annotator: Any) -> list[Any]:
    """Thirty sources cited by 900 claims of ``annotator`` and the gold layer, a tenth
    deleted; the first source by 10 claims only (as most sources of a registry are). The
    tables analyzed, PostgreSQL's sequential scans off for the transaction, as at a size
    where an index pays."""

    from django.utils import timezone

    from tests.factories import SourceFactory

    article = ArticleFactory(project=project)
    sources = SourceFactory.create_batch(30, project=project)
    Claim.objects.bulk_create(
        Claim(
            article=article,
            annotator=annotator if i % 4 else None,
            source=sources[0] if i % 97 == 1 else sources[1 + i % 29],
            start=i,
            end=i + 1,
            deleted_at=timezone.now() if i % 10 == 0 else None,
        )
        for i in range(900)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE annotate_claim")
            cursor.execute("SET LOCAL enable_seqscan = off")
        else:
            cursor.execute("ANALYZE")
    return sources


def _plan_of_sql(sql: str, params: Any = ()) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    return _plan_of_sql(sql, params)


def _captured_plans(run: Any) -> tuple[Any, list[str]]:
    """What ``run()`` answers and the plan of each claims query it ran."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        answer = run()
    plans = [
        _plan_of_sql(q["sql"])
        for q in captured.captured_queries
        if '"annotate_claim"' in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT")
    ]
    return answer, plans


@pytest.mark.django_db
def test_every_read_of_claims_by_source_uses_the_one_index(project: Any, annotator: Any) -> None:
    """Each read that searched one of the two old indexes searches ``claim_source_deleted``
    (EXPLAIN / EXPLAIN QUERY PLAN): the registry's live count, a source's live counts by
    layer (its page), the merge preview's and a source delete's counts (deleted claims
    too), the sources an annotator may see (autocomplete, citing), the source profile's
    claims, and the foreign-key check of a deleted source."""
    from annotate.models import Source, seen_by
    from annotate.sources import selectors

    sources = _source_claims(project, annotator)
    source = sources[0]
    live = Claim.objects.live().filter(source=source)
    reads: dict[str, Any] = {
        "live count": live.order_by().values("source").annotate(n=Count("*")).values("n"),
        "every claim of a source": Claim.objects.filter(source=source).order_by().values("pk"),
        "an annotator's claims of a source": Claim.objects.filter(
            source=source, annotator=annotator
        ).order_by(),
    }
    if connection.vendor == "sqlite":
        # (PostgreSQL's planner, at this toy size, probes the annotator's 600 claims for
        # the source instead; at medium it searches the source index: bench/RESULTS.md.)
        reads["seen by an annotator"] = (
            Source.objects.filter(pk=source.pk).filter(seen_by(annotator)).order_by()
        )
    for name, queryset in reads.items():
        plan = _plan(queryset)
        assert "claim_source_deleted" in plan, (name, plan)
    # The registry's count, counts by layer, the merge preview: as the app runs them.
    checks = {
        "registry count": lambda: list(
            selectors.with_claim_count(Source.objects.filter(project=project))
        ),
        "claim counts of": lambda: selectors.claim_counts_of(source),
        "claim count of": lambda: selectors.claim_count_of(source),
        "merge preview": lambda: selectors.merge_preview(sources[1], source),
    }
    for name, run in checks.items():
        _, plans = _captured_plans(run)
        assert plans and all("claim_source_deleted" in p for p in plans), (name, plans)
    # The foreign-key check of a deleted source is a search by source_id (SQLite's own
    # statement; PostgreSQL's RI trigger runs this very query with FOR KEY SHARE).
    plan = _plan_of_sql('SELECT 1 FROM "annotate_claim" WHERE "source_id" = %s', [source.pk])
    assert "claim_source_deleted" in plan, plan
    if connection.vendor == "sqlite":
        count = _plan(live.order_by().values("source").annotate(n=Count("*")).values("n"))
        # The live count reads the index alone: deleted_at is its second column.
        assert "COVERING INDEX claim_source_deleted (source_id=? AND deleted_at=?)" in count, count
    counted = {s.pk: s.claim_count for s in selectors.with_claim_count(Source.objects.all())}  # type: ignore[attr-defined]
    assert counted == {s.pk: Claim.objects.live().filter(source=s).count() for s in sources}
    assert sum(counted.values()) == 810
    preview = selectors.merge_preview(sources[1], source)
    assert preview["claims"] == {"live": 9, "deleted": 1, "mentions": 0, "gold": 1}


@pytest.mark.django_db(transaction=True)  # CONCURRENTLY; SQLite's schema editor
def test_0030_reversed_brings_both_source_indexes_back_and_forwards_again() -> None:
    migration = importlib.import_module("annotate.migrations.0030_claim_source_deleted")
    with connection.schema_editor(atomic=False) as editor:
        migration.backwards(None, editor)
    indexes = claim_indexes()
    assert "claim_source_deleted" not in indexes
    assert indexes["claim_live_source"]["columns"] == ["source_id"]
    assert _own_indexes("annotate_claim", "source_id") != []
    with connection.schema_editor(atomic=False) as editor:
        migration.forwards(None, editor)
    on_source = [name for name, info in claim_indexes().items() if "source_id" in info["columns"]]
    assert on_source == ["claim_source_deleted"]


@pytest.mark.django_db
def test_the_source_profile_reads_the_sources_claims_by_the_index(
    project: Any, annotator: Any
) -> None:
    from annotate.analysis.profiles import source_claims

    sources = _source_claims(project, annotator)
    for layer in ("gold", str(annotator.pk), "all"):
        claims = source_claims(project, ClaimFilters(layer=layer), sources[0].pk)
        plan = _plan(claims.order_by().values("source_reliability"))
        assert "claim_source_deleted" in plan, (layer, plan)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_registry_counts_claims_from_the_index_alone(project: Any, annotator: Any) -> None:
    """``with_claim_count`` counts rows (``COUNT(*)``), which ``claim_source_deleted``
    answers without reading the table (deleted_at IS NULL is in its condition);
    ``COUNT(id)`` made PostgreSQL read ~4,900 table rows per source shown (26 ms each at
    xlarge). Committed and vacuumed first, as a table that
    size is: inside a test's transaction the visibility map was whatever earlier tests
    left, and at 300 rows the planner then took the one-column foreign key index with a
    heap filter about one run in a few."""
    from django.db import transaction

    from annotate.sources.selectors import SourceFilters, source_registry
    from tests.factories import SourceFactory

    article = ArticleFactory(project=project)
    sources = SourceFactory.create_batch(3, project=project)
    Claim.objects.bulk_create(
        Claim(article=article, annotator=annotator, source=sources[i % 3], start=i, end=i + 1)
        for i in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE annotate_claim")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        registry = source_registry(project, SourceFilters(), with_counts=True)
        plan = plan_of(registry)
        assert "Index Only Scan using claim_source_deleted" in plan, plan
        assert sorted(s.claim_count for s in registry) == [100, 100, 100]  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_my_last_claim_is_the_first_entry_of_the_annotators_index(
    project: Any, annotator: Any
) -> None:
    """``my_last_claim`` (every workspace page) reads the annotator's newest live claim
    from ``claim_live_annotator_updated``: without it PostgreSQL read every claim to
    sort the annotator's (2 s at the xlarge bench, 2.45 million claims), SQLite sorted
    them in a temporary B-tree. The newest saved live claim, a deleted one skipped."""
    from datetime import timedelta

    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from annotate.claims.selectors import my_last_claim

    article = ArticleFactory(project=project)
    Claim.objects.bulk_create(
        Claim(article=article, annotator=annotator if i % 3 else None, start=i, end=i + 1)
        for i in range(300)
    )
    now = timezone.now()
    ids = list(
        Claim.objects.filter(annotator=annotator).order_by("pk").values_list("pk", flat=True)
    )
    Claim.objects.filter(pk=ids[5]).update(updated=now + timedelta(minutes=1))
    Claim.objects.filter(pk=ids[7]).update(updated=now + timedelta(minutes=2), deleted_at=now)
    Claim.objects.exclude(pk__in=ids[5:8:2]).update(updated=now - timedelta(hours=1))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE annotate_claim")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
    with CaptureQueriesContext(connection) as captured:
        found = my_last_claim(annotator, project)
    assert found is not None and found.pk == ids[5]
    with connection.cursor() as cursor:
        explain = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
        cursor.execute(f"{explain} {captured.captured_queries[0]['sql']}")
        plan = "\n".join(
            str(row[-1] if connection.vendor == "sqlite" else row[0]) for row in cursor.fetchall()
        )
    assert "claim_live_annotator_updated" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def _covered() -> dict[tuple[str, str], str]:
    migration = importlib.import_module("annotate.migrations.0027_drop_covered_foreign_key_indexes")
    covered: dict[tuple[str, str], str] = migration.COVERED
    return covered


def _own_indexes(table: str, column: str) -> list[str]:
    """The plain one-column indexes of ``table`` on ``column``."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in found.items()
        if info["index"] and not info["unique"] and info["columns"] == [column]
    ]


@postgres_only
@pytest.mark.django_db
def test_a_foreign_key_a_wider_index_begins_with_has_no_index_of_its_own() -> None:
    for (table, column), covering in _covered().items():
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        assert found[covering]["columns"][0] == column, (table, covering)
        assert _own_indexes(table, column) == [], (table, column)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_covered_indexes_come_back_when_the_migration_is_reversed() -> None:
    migration = importlib.import_module("annotate.migrations.0027_drop_covered_foreign_key_indexes")
    with connection.schema_editor(atomic=False) as editor:
        migration.create(None, editor)
    assert all(_own_indexes(table, column) for table, column in _covered())
    with connection.schema_editor(atomic=False) as editor:
        migration.drop(None, editor)
    assert not any(_own_indexes(table, column) for table, column in _covered())


@postgres_only
@pytest.mark.django_db
def test_an_articles_claims_and_a_claims_stances_are_still_read_by_index(
    project: Any, annotator: Any
) -> None:
    article = ArticleFactory(project=project)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    claims = plan_of(Claim.objects.filter(article_id=article.id))
    stances = plan_of(ClaimStance.objects.filter(claim_id=1))
    assert "claim_article_annotator" in claims or "claim_live_article" in claims, claims
    assert "stance_unique_target" in stances, stances


# --- SQLite's side of 0027 (migration 0029; issue 21: a bulk import writes fewer entries) ---


def _sqlite_covered() -> Any:
    return importlib.import_module(
        "annotate.migrations.0029_sqlite_drop_covered_foreign_key_indexes"
    )


@sqlite_only
@pytest.mark.django_db
def test_sqlite_has_no_index_of_its_own_for_a_covered_foreign_key() -> None:
    migration = _sqlite_covered()
    assert _covered() == migration.COVERED  # the same five as PostgreSQL's 0027
    for (table, column), covering in migration.COVERED.items():
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        assert found[covering]["columns"][0] == column, (table, covering)
        assert _own_indexes(table, column) == [], (table, column)


@sqlite_only
@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses to run in one
def test_sqlite_gets_the_covered_indexes_back_when_0029_is_reversed() -> None:
    migration = _sqlite_covered()
    with connection.schema_editor(atomic=False) as editor:
        migration.create(None, editor)
    assert all(_own_indexes(table, column) for table, column in migration.COVERED)
    with connection.schema_editor(atomic=False) as editor:
        migration.drop(None, editor)
    assert not any(_own_indexes(table, column) for table, column in migration.COVERED)


@sqlite_only
@pytest.mark.django_db
def test_sqlite_reads_by_a_covered_foreign_key_through_the_wider_index() -> None:
    # Each lookup by the column (Django's, and SQLite's own foreign-key check of a deleted
    # parent, which is the same search) is a SEARCH of the index that begins with it.
    for (table, column), covering in _sqlite_covered().COVERED.items():
        with connection.cursor() as cursor:
            cursor.execute(f'EXPLAIN QUERY PLAN SELECT 1 FROM "{table}" WHERE "{column}" = 1')
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        # (A unique constraint is SQLite's automatic index of the table.)
        used = covering in plan or f"sqlite_autoindex_{table}_" in plan
        assert f"SEARCH {table} USING" in plan and used, (table, plan)
