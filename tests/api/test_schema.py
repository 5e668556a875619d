"""The OpenAPI schema and the docs: public, valid, and complete."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate
from rest_framework.test import APIClient

ENDPOINTS = {
    "/api/auth/token/": {"post", "delete"},
    "/api/projects/": {"get", "post"},
    "/api/projects/{slug}/": {"get", "patch", "delete"},
    "/api/projects/{slug}/scheme/": {"get", "put"},
    "/api/tokens/": {"get", "post"},
    "/api/tokens/{id}/": {"delete"},
    "/api/projects/{slug}/members/": {"get", "post"},
    "/api/projects/{slug}/members/{id}/": {"patch", "delete"},
    "/api/projects/{slug}/invitations/": {"get", "post"},
    "/api/projects/{slug}/invitations/{id}/": {"delete"},
    "/api/invitations/accept/": {"post"},
    "/api/projects/{slug}/articles/": {"get", "post"},
    "/api/projects/{slug}/articles/upload/": {"post"},
    "/api/projects/{slug}/articles/import/": {"post"},
    "/api/projects/{slug}/articles/from-urls/": {"post"},
    "/api/projects/{slug}/articles/jobs/{job}/": {"get"},
    "/api/articles/{id}/": {"get"},
    "/api/projects/{slug}/sources/": {"get", "post"},
    "/api/sources/{id}/": {"get", "patch"},
    "/api/sources/{id}/merge/": {"post"},
    "/api/sources/{id}/merges/": {"get"},
    "/api/sources/{id}/confirm/": {"post"},
    "/api/source-merges/{id}/split/": {"post"},
    "/api/projects/{slug}/targets/": {"get", "post"},
    "/api/projects/{slug}/assignments/": {"get", "post"},
    "/api/assignments/{id}/": {"get", "delete"},
    "/api/articles/{id}/claims/": {"get", "post"},
    "/api/claims/{id}/": {"get", "patch", "delete"},
    "/api/claims/{id}/restore/": {"post"},
    "/api/claims/{id}/history/": {"get"},
    "/api/projects/{slug}/agreement/": {"get"},
    "/api/projects/{slug}/clusters/": {"get", "post"},
    "/api/clusters/{id}/": {"get"},
    "/api/claims/{id}/cluster-suggestions/": {"get"},
    "/api/projects/{slug}/networks/{kind}/": {"get"},
    "/api/projects/{slug}/suggesters/": {"get"},
    "/api/projects/{slug}/decisions/": {"get"},
    "/api/projects/{slug}/export/": {"get"},
    "/api/projects/{slug}/export/jobs/{job}/": {"get"},
    "/api/projects/{slug}/export/jobs/{job}/file/": {"get"},
    "/api/projects/{slug}/import/": {"post"},
}


@pytest.fixture
def schema(anon: APIClient, db: Any) -> dict[str, Any]:
    response = anon.get("/api/schema/")
    assert response.status_code == 200
    loaded: dict[str, Any] = yaml.safe_load(response.content)
    return loaded


def test_schema_is_public_and_valid_openapi_3(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_schema_has_every_endpoint_and_method(schema: dict[str, Any]) -> None:
    methods = {
        path: {m for m in item if m in ("get", "post", "put", "patch", "delete")}
        for path, item in schema["paths"].items()
    }
    assert methods == ENDPOINTS


def test_every_api_url_is_in_the_schema(schema: dict[str, Any]) -> None:
    """A view added to config/api_urls.py without reaching the schema fails here."""
    api = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "api"
    )
    routes = {
        "/api/"
        + str(p.pattern)
        .replace("<slug:slug>", "{slug}")
        .replace("<id:pk>", "{id}")
        .replace("<str:job>", "{job}")
        .replace("<str:kind>", "{kind}")
        for p in api.url_patterns
        if isinstance(p, URLPattern) and p.name not in ("schema", "docs", "not-found")
    }
    assert routes == set(schema["paths"])


def test_every_operation_documents_its_errors(schema: dict[str, Any]) -> None:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            public = (path, method) in {
                ("/api/auth/token/", "post"),
                ("/api/invitations/accept/", "post"),
            }
            if not public:
                assert {"401", "403"} <= codes, (path, method)
            if method in ("post", "patch"):
                assert "400" in codes, (path, method)
            if "{" in path:
                assert "404" in codes, (path, method)


def test_claim_changes_document_the_409_with_the_current_claim(schema: dict[str, Any]) -> None:
    for method in ("patch", "delete"):
        conflict = schema["paths"]["/api/claims/{id}/"][method]["responses"]["409"]
        ref = conflict["content"]["application/json"]["schema"]["$ref"]
        component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert component["properties"]["current"]["allOf"][0]["$ref"].endswith("/Claim")


def test_claim_has_every_field_of_the_issue(schema: dict[str, Any]) -> None:
    claim = schema["components"]["schemas"]["Claim"]["properties"]
    for name in [
        "id",
        "article",
        "annotator",
        "start",
        "end",
        "quote",
        "source",
        "source_mention",
        "attribution",
        "stances",
        "source_reliability",
        "information_credibility",
        "claim_type",
        "note",
        "version",
        "created",
        "updated",
    ]:
        assert name in claim, name


def test_request_bodies_take_no_unknown_fields(schema: dict[str, Any]) -> None:
    request = schema["components"]["schemas"]["ClaimWriteRequest"]
    assert request["additionalProperties"] is False
    update = schema["components"]["schemas"]["ClaimUpdateRequest"]
    assert update["required"] == ["version"]


def test_docs_page_is_public_and_serves_its_scripts_locally(anon: APIClient, db: Any) -> None:
    response = anon.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
