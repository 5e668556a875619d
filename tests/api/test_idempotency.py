"""A create sent twice makes one claim: an identical live claim of the same annotator is
refused with 409 pointing at it, and an ``Idempotency-Key`` replays the first answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import yaml
from django.db import connection
from django.urls import reverse

from annotate.assignments import services as assignment_services
from annotate.claims import services as claim_services
from annotate.models import Claim, History
from common import idempotency
from tests.api.conftest import claim_body


def _url(article: Any) -> str:
    return f"/api/articles/{article.pk}/claims/"


@pytest.mark.django_db
def test_a_second_identical_create_is_409_pointing_at_the_first(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    client = client_for(annotator)
    body = claim_body(assigned_article, source, target)
    first = client.post(_url(assigned_article), body, format="json")
    assert first.status_code == 201
    history = History.objects.count()

    second = client.post(_url(assigned_article), {**body, "note": "again"}, format="json")

    assert second.status_code == 409
    answer = second.json()
    assert answer["code"] == "duplicate_claim"
    assert answer["existing"]["id"] == first.json()["id"]
    assert answer["url"] == reverse("api:claim-detail", args=[first.json()["id"]])
    assert f"claim {first.json()['id']}" in answer["detail"]
    assert Claim.objects.count() == 1
    assert History.objects.count() == history


@pytest.mark.django_db
def test_claims_differing_in_a_label_or_stance_or_by_another_annotator_are_not_duplicates(
    client_for: Any,
    annotator: Any,
    other_annotator: Any,
    assigned_article: Any,
    source: Any,
    target: Any,
) -> None:
    assignment_services.assignment_create(article=assigned_article, annotator=other_annotator)
    body = claim_body(assigned_article, source, target)
    client = client_for(annotator)
    assert client.post(_url(assigned_article), body, format="json").status_code == 201
    changed = {**body, "source_reliability": "C"}
    assert client.post(_url(assigned_article), changed, format="json").status_code == 201
    other_stance = {**body, "stances": [{"target": target.pk, "stance": "against"}]}
    assert client.post(_url(assigned_article), other_stance, format="json").status_code == 201
    theirs = client_for(other_annotator).post(_url(assigned_article), body, format="json")
    assert theirs.status_code == 201
    assert Claim.objects.count() == 4


@pytest.mark.django_db
def test_a_deleted_claim_does_not_block_the_same_claim_again(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    client = client_for(annotator)
    body = claim_body(assigned_article, source, target)
    first = client.post(_url(assigned_article), body, format="json").json()
    assert client.delete(f"/api/claims/{first['id']}/").status_code == 204
    assert client.post(_url(assigned_article), body, format="json").status_code == 201


@pytest.mark.django_db
def test_the_same_idempotency_key_replays_the_first_answer(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    client = client_for(annotator)
    body = claim_body(assigned_article, source, target)
    first = client.post(_url(assigned_article), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(_url(assigned_article), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_an_idempotency_key_is_per_user_and_refuses_another_body(
    client_for: Any,
    annotator: Any,
    manager: Any,
    assigned_article: Any,
    source: Any,
    target: Any,
) -> None:
    body = claim_body(assigned_article, source, target)
    mine = client_for(annotator)
    assert (
        mine.post(_url(assigned_article), body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code
        == 201
    )
    other = mine.post(
        _url(assigned_article),
        {**body, "source_reliability": "C"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    # The manager's request with the same key is theirs: a new claim of theirs.
    theirs = client_for(manager).post(
        _url(assigned_article), body, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Claim.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_request_frees_its_key(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    client = client_for(annotator)
    body = claim_body(assigned_article, source, target)
    bad = client.post(
        _url(assigned_article), {**body, "quote": "wrong"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert bad.status_code == 400
    fixed = client.post(_url(assigned_article), body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert fixed.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_idempotency_key_is_400(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any, key: str
) -> None:
    response = client_for(annotator).post(
        _url(assigned_article),
        claim_body(assigned_article, source, target),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert Claim.objects.count() == 0


@pytest.mark.django_db
def test_a_key_still_in_flight_is_409(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    client = client_for(annotator)
    body = claim_body(assigned_article, source, target)
    seen: list[int] = []
    real = claim_services.claim_create

    def create_while_another_arrives(**kwargs: Any) -> Any:
        inner = client.post(_url(assigned_article), body, format="json", HTTP_IDEMPOTENCY_KEY="k")
        seen.append(inner.status_code)
        return real(**kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(claim_services, "claim_create", create_while_another_arrives)
        outer = client.post(_url(assigned_article), body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert seen == [409]
    assert outer.status_code == 201
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_the_header_and_the_409_are_in_the_schema(anon: Any) -> None:
    schema = yaml.safe_load(anon.get("/api/schema/").content)
    create = schema["paths"]["/api/articles/{id}/claims/"]["post"]
    headers = [(p["name"], p["in"]) for p in create["parameters"]]
    assert (idempotency.HEADER, "header") in headers
    conflict = create["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert conflict.endswith("/DuplicateClaim")


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel writers need PostgreSQL"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_key", [False, True])
def test_parallel_identical_creates_make_exactly_one_claim(
    client_for: Any,
    annotator: Any,
    assigned_article: Any,
    source: Any,
    target: Any,
    with_key: bool,
) -> None:
    body = claim_body(assigned_article, source, target)
    headers = {"HTTP_IDEMPOTENCY_KEY": "same"} if with_key else {}
    clients = [client_for(annotator) for _ in range(8)]
    start = threading.Barrier(len(clients))

    def post(client: Any) -> int:
        try:
            start.wait()
            return int(
                client.post(_url(assigned_article), body, format="json", **headers).status_code
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = sorted(pool.map(post, clients))
    assert Claim.objects.count() == 1
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    if not with_key:
        assert statuses == [201] + [409] * 7
