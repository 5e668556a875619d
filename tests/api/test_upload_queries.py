"""The article upload through the API: one transaction, a constant number of queries
whatever the number of documents (``articles_create_many``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corpus.models import Article
from corpus.services import membership_set
from tests.corpus.test_articles_create_many import _jsonl
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _upload_queries(client: Any, project: Any, data: bytes) -> int:
    upload = SimpleUploadedFile("feed.jsonl", data)
    url = f"/api/projects/{project.slug}/articles/upload/"
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, {"file": upload, "unwrap": "no", "strip_boilerplate": "false"})
    assert response.status_code == 201, response.content
    return len(captured.captured_queries)


def test_an_upload_of_1000_documents_runs_as_many_queries_as_one_of_10(
    client_for: Any, manager: Any, project: Any
) -> None:
    client = client_for(manager)
    small = _upload_queries(client, project, _jsonl(10))
    other = ProjectFactory()
    membership_set(project=other, user=manager, role="manager")
    big = _upload_queries(client, other, _jsonl(1000))
    assert Article.objects.filter(project=other).count() == 1000
    assert big == small
    assert big <= 10  # auth, project, role, savepoints, one lookup, one INSERT


def test_the_upload_answer_is_the_summary_serializers(
    client_for: Any, manager: Any, project: Any
) -> None:
    """The answer is built without the serializer (``article_summaries_as_json``), the same
    as ``ArticleSummarySerializer`` gives, for created and skipped articles alike."""
    from corpus.serializers import ArticleSummarySerializer
    from corpus.services import article_create

    article_create(project=project, text="Article 1: Akıncı, Яна, 🇹🇷.")
    client = client_for(manager)
    upload = SimpleUploadedFile("feed.jsonl", _jsonl(3))
    url = f"/api/projects/{project.slug}/articles/upload/"
    body = client.post(url, {"file": upload}).json()
    assert (len(body["created"]), len(body["skipped"])) == (2, 1)
    for key in ("created", "skipped"):
        stored = [Article.objects.get(pk=a["id"]) for a in body[key]]
        assert body[key] == ArticleSummarySerializer(stored, many=True).data


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL column setting")
def test_article_texts_are_compressed_with_lz4_on_postgresql() -> None:
    """Migration 0011: pglz took half the server's CPU time of an upload."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)"
        )
        if cursor.fetchone() is None:
            pytest.skip("this PostgreSQL was built without lz4")
        cursor.execute(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'corpus_article'::regclass AND attname = 'text'"
        )
        assert cursor.fetchone()[0] == "l"
