"""Huge inputs meet a clear limit, never a 500: article size, upload size, request body
size, number of stances in one claim."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from corpus import importers
from corpus.models import Article
from tests.security.conftest import LABELS, World, api_client


@pytest.mark.django_db
def test_an_article_over_the_limit_is_refused_by_the_api(world: World, settings: Any) -> None:
    settings.CLAIMDESK_MAX_ARTICLE_CHARS = 1000
    before = Article.objects.count()
    response = api_client(world.users["manager"]).post(
        reverse("api:article-list", args=[world.project.slug]),
        {"text": "word " * 400},
        format="json",
    )
    assert response.status_code == 400
    assert "1,000" in json.dumps(response.json()) or "1000" in json.dumps(response.json())
    assert Article.objects.count() == before


@pytest.mark.django_db
def test_an_article_over_the_limit_is_refused_by_the_import(world: World, settings: Any) -> None:
    settings.CLAIMDESK_MAX_ARTICLE_CHARS = 1000
    before = Article.objects.count()
    lines = [json.dumps({"text": "short one."}), json.dumps({"text": "word " * 400})]
    result = importers.import_file(
        project=world.project, name="big.jsonl", data="\n".join(lines).encode()
    )
    assert result.failed
    assert "line 2" in result.error
    assert Article.objects.count() == before
    upload = SimpleUploadedFile("big.jsonl", "\n".join(lines).encode())
    response = api_client(world.users["manager"]).post(
        reverse("api:article-upload", args=[world.project.slug]),
        {"file": upload},
        format="multipart",
    )
    assert response.status_code == 400
    assert "line 2" in response.json()["detail"] or "line 2" in json.dumps(response.json())


@pytest.mark.django_db
def test_a_request_body_over_the_limit_is_a_400_not_a_500(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api_client(world.users["manager"]).post(
        reverse("api:article-list", args=[world.project.slug]),
        {"text": "word " * 5000},
        format="json",
    )
    assert response.status_code in (400, 413), response.status_code


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000
    upload = SimpleUploadedFile("big.txt", b"word " * 5000)
    response = api_client(world.users["manager"]).post(
        reverse("api:article-upload", args=[world.project.slug]),
        {"file": upload},
        format="multipart",
    )
    assert response.status_code in (400, 413), response.status_code
    assert response.status_code < 500


@pytest.mark.django_db
def test_a_claim_with_a_huge_number_of_stances_is_refused(world: World) -> None:
    claim = world.claim
    stances = [{"target": world.target.pk + i, "stance": "favor"} for i in range(5000)]
    response = api_client(world.a).post(
        reverse("api:claim-list", args=[world.article.pk]),
        {
            "start": claim.start,
            "end": claim.end,
            "quote": claim.quote,
            "source": world.source.pk,
            "stances": stances,
            **LABELS,
        },
        format="json",
    )
    assert response.status_code == 400, response.status_code
