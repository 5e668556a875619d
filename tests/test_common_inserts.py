"""common.inserts: set-based INSERTs of plain rows; on PostgreSQL one COPY (issue 21)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.inserts import insert_many, insert_rows
from corpus.models import Article
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _articles(project_id: int, n: int) -> list[Article]:
    return [
        Article(
            project_id=project_id,
            title=f"T{i} — “ş” \\ tab\there",
            text=f"Text {i}\nwith a second line, a tab\t, a backslash \\ and 😀",
            sha256=f"{i:064x}",
            char_count=10,
            published=dt.date(2024, 1, 1 + i % 28) if i % 2 else None,
            metadata={"i": i, "nested": {"list": [1, "two", None]}, "quote": 'a "q"'},
        )
        for i in range(n)
    ]


def test_insert_many_sets_keys_in_order_and_stores_every_value_as_given() -> None:
    project = ProjectFactory()
    articles = _articles(project.pk, 130)  # more than SQLite's rows per statement
    insert_many(Article, articles)
    assert [a.pk for a in articles] == sorted(a.pk for a in articles)
    stored = {a.pk: a for a in Article.objects.filter(project=project)}
    assert len(stored) == 130
    for article in articles:
        again = stored[article.pk]
        assert (again.title, again.text, again.published, again.metadata) == (
            article.title,
            article.text,
            article.published,
            article.metadata,
        )
        assert again.created == again.updated == article.created


def test_no_rows_no_statement_and_a_row_of_the_wrong_width_is_refused() -> None:
    project = ProjectFactory()
    with CaptureQueriesContext(connection) as captured:
        assert insert_rows(Article, ("project", "title"), [], returning=True) == []
        assert insert_rows(Article, ("project", "title"), iter([])) == []
    assert len(captured.captured_queries) == 0
    with pytest.raises(ValueError, match="3 values for 2 fields"):
        insert_rows(Article, ("project", "title"), [(project.pk, "x", "y")])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL writes with COPY")
def test_postgres_writes_the_rows_in_one_copy_logged_as_a_query() -> None:
    project = ProjectFactory()
    with CaptureQueriesContext(connection) as captured:
        insert_many(Article, _articles(project.pk, 3000))
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 2  # the keys drawn from the sequence, then one COPY of every row
    assert sql[0].startswith("SELECT nextval(")
    assert sql[1].startswith('COPY "corpus_article"') and sql[1].endswith("-- 3000 rows")
    assert Article.objects.filter(project=project).count() == 3000
