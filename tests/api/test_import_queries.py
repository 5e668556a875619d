"""One claim import request (``POST /api/projects/{slug}/import/``, a JSONL file) runs the
same queries for every batch of claims it writes (issue 21): a file of three batches costs
the request's fixed queries plus three times one batch's, whatever each batch names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotate.exchange import importing
from annotate.models import Claim
from corpus.services import membership_set
from tests.annotate.exchange.test_import_queries import _file, _member
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _request_queries(client: APIClient, manager: Any, articles: int) -> int:
    """Queries of one import request of ``articles`` articles' claims (three each, their
    sources named by name, id and alias), into a project of their own."""
    project = ProjectFactory()
    membership_set(project=project, user=manager, role="manager")
    data, expected = _file(project, articles)
    annotator = _member(project)
    body = {"file": SimpleUploadedFile("model.jsonl", data), "annotator": annotator.username}
    url = f"/api/projects/{project.slug}/import/"
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, body, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["created"] == expected
    assert Claim.objects.filter(annotator=annotator).count() == expected
    return len(captured.captured_queries)


def test_every_batch_of_an_import_request_runs_the_same_queries(
    client_for: Callable[[Any], APIClient], manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "CHUNK", 6)  # two articles' claims a batch
    client = client_for(manager)
    one, two, three = (_request_queries(client, manager, 2 * n) for n in (1, 2, 3))
    per_batch = two - one
    assert three - two == per_batch  # the third batch costs what the second did
    assert three - one == 2 * per_batch  # 1 vs 3 batches: the same queries a batch
    # Find the articles, the sources (by id, name, alias), the claims already there;
    # assign the articles; check the sources and targets not checked by an earlier batch
    # (here the new sources: the target is the first batch's); insert claims, stances,
    # history: 15 (PostgreSQL 16), not one per claim, article or source (one more when
    # every batch read its targets again; four more when each batch's checks and write
    # ran in two nested savepoints, before the write moved beside the next batch's checks).
    assert per_batch <= (15 if connection.vendor == "sqlite" else 16), per_batch


def test_a_batch_of_many_rows_runs_the_queries_of_a_batch_of_few(
    client_for: Callable[[Any], APIClient], manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 21: on SQLite a batch's rows went in statements of SQLITE_ROWS (64) rows, so a
    # batch of 195 claims (195 stances, 195 history rows) ran more queries than one of 69.
    # (A batch of fewer rows than a statement's, 64, writes each table in one INSERT.)
    client = client_for(manager)
    monkeypatch.setattr(importing, "CHUNK", 69)  # 23 articles' claims a batch
    few = _request_queries(client, manager, 46) - _request_queries(client, manager, 23)
    monkeypatch.setattr(importing, "CHUNK", 195)  # 65 articles' claims a batch
    many = _request_queries(client, manager, 130) - _request_queries(client, manager, 65)
    assert many == few
