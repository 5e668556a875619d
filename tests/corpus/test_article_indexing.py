"""Search entries built after an import (corpus/indexing.py): the upload leaves them to a
task run after its commit, the task and ``manage.py index_articles`` do whatever is
pending (idempotent), in a constant number of queries per batch."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from common.fulltext import fts5_available
from corpus.models import Article
from corpus.search import articles_matching
from corpus.services import (
    ArticleInput,
    article_create,
    articles_create_many,
    articles_index_pending,
)
from tests.corpus.test_articles_create_many import _jsonl
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _import(n: int, start: int = 0) -> None:
    project = ProjectFactory()
    items = [ArticleInput(text=f"Text {i}: Яна говорит.", title=f"T{i}") for i in range(start, n)]
    articles_create_many(project=project, items=items)


def test_an_upload_is_indexed_by_the_task_after_its_commit(
    manager: Any, project: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url = f"/api/projects/{project.slug}/articles/upload/"
    client = APIClient()
    client.force_authenticate(manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            url, {"file": SimpleUploadedFile("feed.jsonl", _jsonl(20)), "unwrap": "no"}
        )
    assert response.status_code == 201, response.content
    articles = Article.objects.filter(project=project)
    assert articles.filter(search_pending=True).count() == 20  # the INSERT built nothing
    assert articles_matching(articles, "яна").count() == 20  # found meanwhile
    for callback in callbacks:  # the commit: the task (ImmediateBackend: at once)
        callback()
    assert not articles.filter(search_pending=True).exists()
    assert articles_matching(articles, "яна").count() == 20
    assert articles_matching(articles, "article").count() == 20


def test_one_article_is_indexed_as_it_is_written(project: Any) -> None:
    result = article_create(project=project, text="Один текст.", title="One")
    assert result.article.search_pending is None
    assert Article.objects.get(pk=result.article.pk).search_pending is None


def test_the_command_does_what_is_left_and_may_run_again() -> None:
    _import(7)
    out = io.StringIO()
    call_command("index_articles", stdout=out)
    assert out.getvalue().strip() == "7 article(s) indexed for search."
    out = io.StringIO()
    call_command("index_articles", stdout=out)  # nothing left: nothing done
    assert out.getvalue().strip() == "0 article(s) indexed for search."
    assert articles_matching(Article.objects.all(), "text").count() == 7


def test_indexing_is_a_constant_number_of_queries_per_batch() -> None:
    def queries(batch: int) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            done = articles_index_pending(batch=batch)
        return done, len(captured.captured_queries)

    empty = queries(batch=1000)  # nothing pending: one look
    _import(10)
    small = queries(batch=1000)
    _import(400, start=10)
    big = queries(batch=1000)
    assert (small[0], big[0]) == (10, 390)
    assert small[1] == big[1]
    _import(1000, start=400)  # three batches of 250 (and a last one of 100)
    done, count = queries(batch=250)
    assert done == 600
    per_batch = small[1] - empty[1]
    assert count == 3 * per_batch + empty[1]


def test_the_search_reads_the_indexes_not_every_article() -> None:
    """The indexed articles through the search index (PostgreSQL's partial GIN index,
    SQLite's FTS5 table), the pending ones through ``article_search_pending``: no scan
    of every article (SQLite would read each row's text to reach ``search_pending``)."""
    if connection.vendor == "sqlite" and not fts5_available():
        pytest.skip("no FTS5")
    _import(5)
    articles_index_pending()
    _import(8, start=5)
    matching = articles_matching(Article.objects.all(), "text")
    assert matching.count() == 8
    sql, params = matching.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A few rows: left free, the planner may walk a whole other index (the one of
            # the project's articles by update) as a scan of every article. Bitmap scans
            # only: each needs an index condition, so the plan shows which indexes answer.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    if connection.vendor == "postgresql":
        assert "Index Scan on article_search " in plan, plan
    else:
        assert "corpus_article_fts VIRTUAL TABLE" in plan, plan
        assert "SCAN corpus_article\n" not in plan + "\n", plan
    assert "article_search_pending" in plan, plan
