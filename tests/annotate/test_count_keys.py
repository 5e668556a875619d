"""The count tables the triggers keep (``NetworkCount``, ``OverviewCount``) are keyed by their
key alone — no surrogate ``id``, one B-tree (migration 0031, issue 21: each upserted row of
a claim import's end step wrote a second index) — and 0031 changes a populated database
both ways with the counts and their triggers intact."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.db import connection

from annotate import db_network_counts, db_overview_counts
from annotate.analysis import recount
from annotate.models import NetworkCount, OverviewCount
from tests.factories import ArticleFactory, make_claim
from tests.helpers import installed_triggers

TABLES = {
    db_network_counts.COUNT_TABLE: [
        "project_id",
        "month",
        "layer",
        "source_id",
        "target_id",
        "stance",
    ],
    db_overview_counts.COUNT_TABLE: ["article_id", "layer", "total", "claim_type", "attribution"],
}


def shape(table: str) -> tuple[list[str], list[str], list[list[str]]]:
    """The table's columns, its primary key's columns in the key's order, and each of its
    indexes' columns (SQLite's automatic index of a PRIMARY KEY or UNIQUE too)."""
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indisprimary, ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH "
                "ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = k.n ORDER BY k.o) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass",
                [table],
            )
            found = [(bool(primary), list(names)) for primary, names in cursor.fetchall()]
            primary = next((names for is_key, names in found if is_key), [])
            return columns, primary, [names for _, names in found]
        cursor.execute(f"SELECT name FROM pragma_table_info('{table}') WHERE pk > 0 ORDER BY pk")
        primary = [name for (name,) in cursor.fetchall()]
        cursor.execute(f"SELECT name FROM pragma_index_list('{table}')")
        indexes = []
        for (index,) in cursor.fetchall():
            cursor.execute(f"SELECT name FROM pragma_index_info('{index}') ORDER BY seqno")
            indexes.append([name for (name,) in cursor.fetchall()])
        return columns, primary, indexes


def assert_counts_recounted() -> None:
    for kept in recount.KEPT.values():
        assert recount.drift(kept).ok, kept.name


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_count_table_is_keyed_by_its_key_alone(table: str) -> None:
    columns, primary, indexes = shape(table)
    assert "id" not in columns
    assert primary == TABLES[table]
    assert indexes == [TABLES[table]], indexes  # the key's B-tree, no other


@pytest.mark.django_db
def test_count_rows_are_read_and_found_by_their_key(project: Any, annotator: Any) -> None:
    article = ArticleFactory(project=project, published=dt.date(2024, 5, 2))
    make_claim(article, annotator)
    row = NetworkCount.objects.get(project_id=project.pk, layer=annotator.pk, month=202405)
    assert row.pk == (project.pk, 202405, annotator.pk, row.source_id, row.target_id, "favor")
    assert NetworkCount.objects.get(pk=row.pk).n == 1
    total = OverviewCount.objects.get(article=article, layer=annotator.pk, total=1)
    assert total.pk == (article.pk, annotator.pk, 1, "", "")


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor
def test_0031_reversed_and_again_keeps_the_counts_and_their_triggers(
    project: Any, annotator: Any
) -> None:
    migration = importlib.import_module("annotate.migrations.0031_count_tables_keyed")
    articles = [ArticleFactory(project=project, published=dt.date(2024, m, 3)) for m in (1, 2)] + [
        ArticleFactory(project=project, published=None)
    ]
    for article in articles:
        make_claim(article, annotator)
    triggers = installed_triggers()
    try:
        with connection.schema_editor(atomic=False) as editor:
            migration.backwards(None, editor)
        for table, key in TABLES.items():
            columns, primary, indexes = shape(table)
            assert "id" in columns and primary == ["id"], table
            assert key in indexes, table  # the unique constraint's
        assert installed_triggers() == triggers
        make_claim(articles[0], annotator, "Central Asia")  # counted by the triggers reinstalled
        assert_counts_recounted()
    finally:
        with connection.schema_editor(atomic=False) as editor:
            migration.forwards(None, editor)
    for table, key in TABLES.items():
        columns, primary, _ = shape(table)
        assert "id" not in columns and primary == key, table
    assert installed_triggers() == triggers
    make_claim(articles[1], annotator, "Central Asia")
    assert_counts_recounted()
    # Five claims of one source, all favouring one target: written before, between and after.
    assert NetworkCount.objects.get(layer=annotator.pk, month=0).n == 5
