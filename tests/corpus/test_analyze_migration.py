"""corpus 0013 gives PostgreSQL statistics for article search's expression index: without
them the planner guessed 2 matches for a word in nearly every article (issue 21, xlarge)."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.db import connection

from tests.factories import ArticleFactory, ProjectFactory


def _expression_stats() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'article_search'")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_the_migration_analyzes_the_search_index_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's statistics")
    project = ProjectFactory()
    for i in range(30):
        ArticleFactory(project=project, title=f"Pipeline politics {i}")
    assert _expression_stats() == 0  # a new index: no statistics until an ANALYZE
    migration = import_module("corpus.migrations.0013_analyze_article_search")
    with connection.schema_editor() as editor:
        migration.analyze(None, editor)
    assert _expression_stats() > 0


def test_the_migration_does_nothing_on_sqlite() -> None:
    executed: list[str] = []
    editor = SimpleNamespace(connection=SimpleNamespace(vendor="sqlite"), execute=executed.append)
    migration = import_module("corpus.migrations.0013_analyze_article_search")
    migration.analyze(None, editor)
    assert executed == []
    editor.connection.vendor = "postgresql"
    migration.analyze(None, editor)
    assert executed == ["ANALYZE corpus_article"]
