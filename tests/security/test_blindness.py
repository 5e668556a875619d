"""Annotators are blind to each other: B, assigned to the same article as A, never sees
A's claims, their counts or their history, anywhere (pages, fragments, autocomplete, API,
exports, analysis)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from annotate.models import Claim
from tests.factories import make_claim
from tests.security.conftest import World, api_client, page_client

SECRET = "A-SECRET-NOTE"
HTMX_OR_NOT: tuple[dict[str, Any], ...] = ({}, {"HTTP_HX_REQUEST": "true"})


@pytest.fixture
def blind(world: World) -> World:
    """A has three claims with a secret note (one deleted); B has one."""
    a = world.a
    extra = [
        make_claim(world.article, a, words, source=world.source, target=world.target)
        for words in ("Central Asia", "says Akıncı")
    ]
    Claim.objects.filter(annotator=a).update(note=SECRET)
    Claim.objects.filter(pk=extra[-1].pk).update(deleted_at="2025-01-01T00:00:00Z")
    return world


def _a_claim_ids(world: World) -> list[int]:
    return list(Claim.objects.filter(annotator=world.a).values_list("pk", flat=True))


def _assert_blind(world: World, content: str, where: str) -> None:
    assert SECRET not in content, f"{where}: shows A's note"
    for pk in _a_claim_ids(world):
        for name in ("claim-edit", "claim-update", "claim-delete", "claim-restore"):
            url = reverse(f"annotate:{name}", args=[pk])
            assert url not in content, f"{where}: links to A's claim {pk} ({url})"
        assert f'id="claim-row-{pk}"' not in content, f"{where}: lists A's claim {pk}"


@pytest.mark.django_db
def test_pages_and_fragments_show_b_only_their_claims(blind: World) -> None:
    client = page_client(blind.b)
    slug, article = blind.project.slug, blind.article.pk
    urls: list[tuple[str, dict[str, Any]]] = [
        (reverse("annotate:workspace", args=[article]), {}),
        (reverse("annotate:claim-new", args=[article]), {"start": 0, "end": 7}),
        (reverse("annotate:workspace-source-search", args=[article]), {"q": "ahmet"}),
        (reverse("annotate:suggestion-list", args=[article]), {}),
        (reverse("annotate:queue"), {}),
        (reverse("corpus:project-detail", args=[slug]), {}),
        (reverse("corpus:article-list", args=[slug]), {}),
        (reverse("corpus:article-detail", args=[article]), {}),
        (reverse("annotate:source-list", args=[slug]), {}),
        (reverse("annotate:source-detail", args=[blind.source.pk]), {}),
    ]
    for url, params in urls:
        for headers in HTMX_OR_NOT:
            response = client.get(url, params, **headers)
            assert response.status_code in (200, 422), f"{url}: {response.status_code}"
            _assert_blind(blind, response.content.decode(), f"{url} {headers}")


@pytest.mark.django_db
def test_the_workspace_lists_only_b_s_claims(blind: World) -> None:
    response = page_client(blind.b).get(reverse("annotate:workspace", args=[blind.article.pk]))
    # Rows are plain dicts (annotate/workspace/context.py): compare by id.
    ids = {row["pk"] for row in response.context["claims"]}
    assert ids == set(Claim.objects.filter(annotator=blind.b).values_list("pk", flat=True))
    assert response.context["claim_count"] == 1


@pytest.mark.django_db
def test_queue_counts_only_b_s_claims(blind: World) -> None:
    response = page_client(blind.b).get(reverse("annotate:queue"))
    (assignment,) = response.context["assignments"]
    assert assignment.claim_count == 1
    response = page_client(blind.a).get(reverse("annotate:queue"))
    assert response.context["assignments"][0].claim_count == 2  # A's live claims


@pytest.mark.django_db
def test_source_counts_are_hidden_from_annotators(blind: World) -> None:
    for url in (
        reverse("annotate:source-list", args=[blind.project.slug]),
        reverse("annotate:source-detail", args=[blind.source.pk]),
    ):
        response = page_client(blind.b).get(url)
        assert response.context["show_counts"] is False
    body = api_client(blind.b).get(reverse("api:source-list", args=[blind.project.slug])).json()
    assert all(row.get("claim_count") in (None, 0, 1) for row in body["results"])
    detail = api_client(blind.b).get(reverse("api:source-detail", args=[blind.source.pk])).json()
    assert detail.get("claim_count") in (None, 0, 1), detail


@pytest.mark.django_db
def test_the_api_shows_b_only_their_claims(blind: World) -> None:
    api = api_client(blind.b)
    article = blind.article.pk
    listed = api.get(reverse("api:claim-list", args=[article]), {"include_deleted": "true"})
    assert listed.status_code == 200
    assert {row["annotator"] for row in listed.json()["results"]} == {blind.b.pk}
    assert SECRET not in listed.content.decode()
    for who in (str(blind.a.pk), "all"):
        response = api.get(reverse("api:claim-list", args=[article]), {"annotator": who})
        assert response.status_code == 403, who
    for pk in _a_claim_ids(blind):
        for name in ("api:claim-detail", "api:claim-history"):
            assert api.get(reverse(name, args=[pk])).status_code == 404, (name, pk)
        assert api.patch(reverse("api:claim-detail", args=[pk]), {}).status_code == 404
        assert api.delete(reverse("api:claim-detail", args=[pk])).status_code == 404
        assert api.post(reverse("api:claim-restore", args=[pk])).status_code == 404


@pytest.mark.django_db
def test_the_api_shows_b_only_their_assignments(blind: World) -> None:
    api = api_client(blind.b)
    url = reverse("api:assignment-list", args=[blind.project.slug])
    rows = api.get(url).json()["results"]
    assert {row["annotator"] for row in rows} == {blind.b.pk}
    assert api.get(url, {"annotator": blind.a.pk}).status_code == 403
    assert api.get(reverse("api:assignment-detail", args=[blind.assignment.pk])).status_code == 404


@pytest.mark.django_db
def test_annotators_get_no_exports_and_no_analysis(blind: World) -> None:
    slug = blind.project.slug
    client, api = page_client(blind.b), api_client(blind.b)
    for fmt in ("jsonl", "csv", "archive"):
        response: Any = client.get(
            reverse("annotate:export-download", args=[slug]), {"format": fmt}
        )
        assert response.status_code == 403, fmt
        assert SECRET.encode() not in b"".join(getattr(response, "streaming_content", [b""]))
        response = api.get(reverse("api:project-export", args=[slug]), {"format": fmt})
        assert response.status_code == 403, fmt
    for name in ("analysis-overview", "stance-map", "stance-map-csv", "claim-search"):
        response = client.get(reverse(f"annotate:{name}", args=[slug]), {"q": "Turkey"})
        assert response.status_code == 403, name
    response = client.get(reverse("annotate:source-profile", args=[blind.source.pk]))
    assert response.status_code == 403
    for name in ("api:project-agreement", "api:decision-list"):
        assert api.get(reverse(name, args=[slug])).status_code == 403


@pytest.mark.django_db
def test_curators_do_see_every_claim(blind: World) -> None:
    """The other side of blindness: the review pages and the API show curators everything
    (so the checks above are about annotators, not about claims being hidden from all)."""
    api = api_client(blind.users["curator"])
    rows = api.get(reverse("api:claim-list", args=[blind.article.pk]), {"annotator": "all"}).json()[
        "results"
    ]
    assert {row["annotator"] for row in rows} >= {blind.a.pk, blind.b.pk}
