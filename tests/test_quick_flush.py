"""The flush after a transactional test (``tests/quick_flush.py``: DELETEs of the tables
that hold rows on PostgreSQL, instead of one TRUNCATE of every table) leaves every table
empty, the version counters its deletes bump too."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import connection

from annotate.db_versions import VERSION_TABLE
from tests.factories import AssignmentFactory, make_claim

pytestmark = pytest.mark.django_db(transaction=True)


def _counts() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True)
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def test_the_flush_empties_every_table(article: Any, annotator: Any) -> None:
    AssignmentFactory(article=article, annotator=annotator)
    make_claim(article, annotator)
    before = _counts()
    assert before["annotate_claim"] == 1 and before[VERSION_TABLE] == 1
    # As a transactional test's teardown flushes (TransactionTestCase._fixture_teardown).
    statements = sql_flush(no_style(), connection, reset_sequences=False)
    if connection.vendor == "postgresql":
        assert all(sql.startswith("DELETE FROM ") for sql in statements), statements
        assert statements[-1] == f'DELETE FROM "{VERSION_TABLE}";'
        # Only the tables that hold rows (the empty ones cost nothing to leave alone).
        assert len(statements) == sum(1 for n in before.values() if n)
    else:
        assert statements[-1] == f'DELETE FROM "{VERSION_TABLE}";'
    call_command(
        "flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True
    )
    assert {table: n for table, n in _counts().items() if n} == {}


def test_a_flush_resetting_sequences_truncates(db: Any) -> None:
    statements = sql_flush(no_style(), connection, reset_sequences=True)
    if connection.vendor == "postgresql":
        assert len(statements) == 1 and statements[0].startswith("TRUNCATE ")
        assert "RESTART IDENTITY" in statements[0]
