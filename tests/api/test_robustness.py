"""Junk in, a 4xx JSON answer out: never a 500, on SQLite and on PostgreSQL alike (which
refuses NUL characters and lone surrogates that SQLite would store)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotate.models import Claim, Source, Target


@pytest.fixture
def manager_client(client_for: Any, manager: Any) -> APIClient:
    client: APIClient = client_for(manager)
    return client


def _assert_4xx_json(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body: dict[str, Any] = response.json()
    assert body["detail"] and body["code"]
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"q": "a\x00b"},
        {"outlet": "\x00"},
        {"kind": "\x00"},
        {"annotator": "\x00"},
        {"article": "1\x00"},
        {"page": "99999999999999999999999"},
        {"page": "-1"},
        {"include_deleted": "maybe"},
    ],
)
def test_bad_query_parameters_on_every_list(
    manager_client: APIClient, project: Any, article: Any, query: dict[str, str]
) -> None:
    for url in (
        "/api/projects/",
        f"/api/projects/{project.slug}/articles/",
        f"/api/projects/{project.slug}/sources/",
        f"/api/projects/{project.slug}/targets/",
        f"/api/projects/{project.slug}/assignments/",
        f"/api/articles/{article.pk}/claims/",
    ):
        response = manager_client.get(url, query)
        assert response.status_code < 500, (url, query)
        if response.status_code >= 400:
            _assert_4xx_json(response)


@pytest.mark.django_db
def test_query_strings_that_are_not_utf8_are_harmless(
    manager_client: APIClient, project: Any
) -> None:
    # A lone surrogate, UTF-8-encoded: invalid UTF-8 that Django decodes with replacement.
    response = manager_client.get(f"/api/projects/{project.slug}/sources/?q=%ED%A0%80")
    assert response.status_code == 200


def _post_json(client: APIClient, url: str, body: Any) -> Any:
    """POST ``body`` as JSON text, escaped as a client would send it (the test client's
    own encoder can't encode a lone surrogate)."""
    return client.generic("POST", url, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("junk", ["\x00", "a\ud800b", "\udfff"])
def test_strings_postgres_cannot_store_are_refused(
    manager_client: APIClient, project: Any, article: Any, source: Any, target: Any, junk: str
) -> None:
    slug = project.slug
    for url, body in [
        (f"/api/projects/{slug}/sources/", {"name": junk}),
        (f"/api/projects/{slug}/sources/", {"name": "Ok", "aliases": [junk]}),
        (f"/api/projects/{slug}/targets/", {"name": junk}),
        (f"/api/projects/{slug}/articles/", {"text": "Fine text.", "metadata": {junk: 1}}),
        (f"/api/projects/{slug}/articles/", {"text": "Fine text.", "title": junk}),
        (
            f"/api/articles/{article.pk}/claims/",
            {"start": 0, "end": 7, "quote": "Article", "note": junk, "attribution": junk},
        ),
        (
            f"/api/articles/{article.pk}/claims/",
            {
                "start": 0,
                "end": 7,
                "quote": junk,
                "stances": [{"target": target.pk, "stance": junk}],
            },
        ),
    ]:
        _assert_4xx_json(_post_json(manager_client, url, body))
    assert not Claim.objects.exists()
    assert list(Source.objects.all()) == [source]
    assert list(Target.objects.all()) == [target]


@pytest.mark.django_db
def test_overlong_names_are_400(manager_client: APIClient, project: Any) -> None:
    long = "x" * 100_000
    for url, body in [
        (f"/api/projects/{project.slug}/sources/", {"name": long}),
        (f"/api/projects/{project.slug}/targets/", {"name": long}),
        (f"/api/projects/{project.slug}/articles/", {"text": "Fine text.", "title": long}),
    ]:
        body_out = _assert_4xx_json(manager_client.post(url, body, format="json"))
        assert "no more than" in " ".join(next(iter(body_out["errors"].values())))


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", [0, -1, 2**63, 10**40, "1", 1.0, None, [1], {"id": 1}])
def test_bad_ids_in_bodies_are_400(
    manager_client: APIClient, project: Any, article: Any, source: Any, bad_id: Any
) -> None:
    slug = project.slug
    for url, body in [
        (
            f"/api/articles/{article.pk}/claims/",
            {"start": 0, "end": 7, "quote": "Article", "source": bad_id},
        ),
        (
            f"/api/articles/{article.pk}/claims/",
            {
                "start": 0,
                "end": 7,
                "quote": "Article",
                "stances": [{"target": bad_id, "stance": "favor"}],
            },
        ),
        (f"/api/projects/{slug}/assignments/", {"article": bad_id, "annotator": bad_id}),
        (f"/api/sources/{source.pk}/merge/", {"merge": bad_id}),
    ]:
        response = manager_client.post(url, body, format="json")
        assert response.status_code == 400, (url, body, response.content)


@pytest.mark.django_db
def test_bodies_that_are_not_objects_are_400(
    manager_client: APIClient, project: Any, article: Any, source: Any
) -> None:
    for url in (
        f"/api/projects/{project.slug}/sources/",
        f"/api/projects/{project.slug}/targets/",
        f"/api/projects/{project.slug}/articles/",
        f"/api/projects/{project.slug}/assignments/",
        f"/api/articles/{article.pk}/claims/",
        f"/api/sources/{source.pk}/merge/",
        "/api/auth/token/",
    ):
        bodies: list[Any] = [[], "x", 3, None, True]
        for body in bodies:
            response = manager_client.post(url, body, format="json")
            assert response.status_code == 400, (url, body)
            assert response.json()["errors"]
