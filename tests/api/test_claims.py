"""Claims through the API: the happy paths, every kind of validation error, the
permission boundaries, optimistic versions (409) and history."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from annotate.models import Assignment, AssignmentStatus, Claim, History
from tests.api.conftest import claim_body, span_of
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    SourceFactory,
    TargetFactory,
)


def _claims_url(article: Any) -> str:
    return f"/api/articles/{article.pk}/claims/"


# --- Create --------------------------------------------------------------------------


@pytest.mark.django_db
def test_annotator_creates_a_claim(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    body = claim_body(assigned_article, source, target)
    start, end = body["start"], body["end"]
    body["source_mention"] = dict(
        zip(("start", "end"), span_of(assigned_article, "Akıncı"), strict=True)
    )
    body["note"] = "  spaces kept  "
    response = client_for(annotator).post(_claims_url(assigned_article), body, format="json")
    assert response.status_code == 201, response.content
    claim = response.json()
    assert claim["article"] == assigned_article.pk
    assert claim["annotator"] == annotator.pk
    assert (claim["start"], claim["end"], claim["quote"]) == (start, end, "Turkey’s influence")
    assert claim["source"] == source.pk
    assert claim["source_mention"] == body["source_mention"]
    assert claim["stances"] == [{"target": target.pk, "stance": "favor"}]
    assert claim["source_reliability"] == "B" and claim["information_credibility"] == "2"
    assert claim["note"] == "  spaces kept  "
    assert claim["version"] == 1 and claim["deleted"] is False
    assert claim["created"] and claim["updated"]
    stored = Claim.objects.get(pk=claim["id"])
    assert stored.article.text[stored.start : stored.end] == "Turkey’s influence"
    assert Assignment.objects.get().status == AssignmentStatus.IN_PROGRESS


@pytest.mark.django_db
def test_offsets_are_code_points_past_emoji_and_cyrillic(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    # "🇹🇷" is two code points (four UTF-16 units); "Яна" comes after it.
    body = claim_body(assigned_article, source, target, words="Яна")
    assert body["start"] == len(assigned_article.text) - 4
    response = client_for(annotator).post(_claims_url(assigned_article), body, format="json")
    assert response.status_code == 201, response.content


def _post(client: APIClient, article: Any, body: dict[str, Any]) -> Any:
    response = client.post(_claims_url(article), body, format="json")
    assert response.status_code == 400, response.content
    assert not Claim.objects.exists()
    return response.json()


@pytest.mark.django_db
def test_end_past_the_text_says_how_long_the_text_is(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    body = claim_body(assigned_article, source, target) | {"end": 9120}
    errors = _post(client_for(annotator), assigned_article, body)["errors"]
    length = len(assigned_article.text)
    assert errors == {"end": [f"end 9120 is past the end of the text ({length} characters)"]}


@pytest.mark.django_db
def test_quote_that_does_not_match_says_where(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    body = claim_body(assigned_article, source, target) | {"quote": "Russia’s influence"}
    errors = _post(client_for(annotator), assigned_article, body)["errors"]
    start, end = body["start"], body["end"]
    assert errors["quote"] == [
        f"the quote does not match the text at {start}–{end}: expected “Turkey’s influence”, "
        "got “Russia’s influence”"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"start": "abc"}, "start", "A whole number is required."),
        ({"start": 1.5}, "start", "A whole number is required."),
        ({"start": True}, "start", "A whole number is required."),
        ({"start": None}, "start", "This field may not be null."),
        ({"start": -3}, "start", "start must not be negative, got -3"),
        ({"end": 10**30}, "end", f"end {10**30} is past the end of the text"),
        ({"start": 20, "end": 12}, "end", "the span is empty: end 12 comes before start 20"),
        ({"quote": 7}, "quote", "Not a valid string."),
        ({"source": 2**70}, "source", "Ensure this value is less than or equal to"),
        ({"source": "1"}, "source", "A whole number is required."),
        ({"stances": {"target": 1}}, "stances", 'Expected a list of items but got type "dict".'),
        ({"stances": [{"target": 1}]}, "stances[0].stance", "This field is required."),
        (
            {"stances": [{"target": 1, "stance": "favor", "x": 1}]},
            "stances[0]",
            "unknown field(s): x",
        ),
        ({"source_mention": {"start": 0}}, "source_mention.end", "This field is required."),
        ({"source_mention": [0, 5]}, "source_mention", "Invalid data. Expected a dictionary"),
        ({"source_mention": {"start": 0, "end": 999}}, "source_mention", "end 999 is past the end"),
        (
            {"attribution": "hearsay"},
            "attribution",
            "“hearsay” is not a value of Attribution; use one of: author, direct, reported, "
            "unnamed.",
        ),
        ({"source_reliability": "G"}, "source_reliability", "use one of: A, B, C, D, E, F."),
        ({"attribution": ""}, "attribution", "Attribution is required."),
        ({"checkworthy": "yes"}, "checkworthy", "“checkworthy” is not used in this project."),
        ({"stances": []}, "stances", "Give the stance toward at least one target."),
        ({"source": None}, "source", "Choose the source that makes the claim."),
        ({"confidence": 3}, "non_field_errors", "unknown field(s): confidence"),
        ({"id": 3, "version": 2}, "non_field_errors", "unknown field(s): id, version"),
    ],
)
def test_create_validation_errors(
    client_for: Any,
    annotator: Any,
    assigned_article: Any,
    source: Any,
    target: Any,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    body = claim_body(assigned_article, source, target) | change
    errors = _post(client_for(annotator), assigned_article, body)["errors"]
    assert message in " ".join(errors.get(field, [])), errors


@pytest.mark.django_db
def test_offset_inside_a_flag_is_refused_with_the_way_out(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    flag = assigned_article.text.index("🇹🇷")
    body = claim_body(assigned_article, source, target) | {
        "start": flag + 1,
        "end": flag + 2,
        "quote": "🇷",
    }
    errors = _post(client_for(annotator), assigned_article, body)["errors"]
    assert errors["start"] == [
        f"start {flag + 1} falls inside “🇹🇷”, which cannot be split: use {flag} or {flag + 2}"
    ]


@pytest.mark.django_db
def test_source_and_target_of_another_project_are_refused(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    foreign_source, foreign_target = SourceFactory(), TargetFactory()
    body = claim_body(assigned_article, source, target) | {
        "source": foreign_source.pk,
        "stances": [{"target": foreign_target.pk, "stance": "against"}],
    }
    errors = _post(client_for(annotator), assigned_article, body)["errors"]
    assert errors == {
        "source": [f"Source {foreign_source.pk} is not in this project's registry."],
        "stances": [f"Not targets of this project: {foreign_target.pk}."],
    }


@pytest.mark.django_db
def test_all_problems_come_in_one_answer(
    client_for: Any, annotator: Any, assigned_article: Any, source: Any, target: Any
) -> None:
    body = claim_body(assigned_article, source, target) | {
        "end": 5000,
        "attribution": "x",
        "claim_type": "",
    }
    errors = _post(client_for(annotator), assigned_article, body)["errors"]
    assert set(errors) == {"end", "attribution", "claim_type"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"start": 1,', "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'"text"', "application/json", 400),
        (b"null", "application/json", 400),
        (b'{"start": NaN}', "application/json", 400),
        (b'{"start": 1' + b"0" * 5000 + b"}", "application/json", 400),
        (b"start=1", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_bodies_are_4xx_json(
    client_for: Any,
    annotator: Any,
    assigned_article: Any,
    content: bytes,
    content_type: str,
    status: int,
) -> None:
    response = client_for(annotator).generic(
        "POST", _claims_url(assigned_article), content, content_type=content_type
    )
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.django_db
def test_annotator_cannot_annotate_an_unassigned_article(
    client_for: Any, annotator: Any, article: Any, source: Any, target: Any
) -> None:
    response = client_for(annotator).post(
        _claims_url(article), claim_body(article, source, target), format="json"
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_curator_annotates_only_articles_assigned_to_them(
    client_for: Any, curator: Any, article: Any, source: Any, target: Any
) -> None:
    client = client_for(curator)
    body = claim_body(article, source, target)
    response = client.post(_claims_url(article), body, format="json")
    assert response.status_code == 403
    AssignmentFactory(article=article, annotator=curator)
    assert client.post(_claims_url(article), body, format="json").status_code == 201


@pytest.mark.django_db
def test_manager_annotates_any_article(
    client_for: Any, manager: Any, article: Any, source: Any, target: Any
) -> None:
    response = client_for(manager).post(
        _claims_url(article), claim_body(article, source, target), format="json"
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_claims_of_another_project_are_404(
    client_for: Any, outsider: Any, annotator: Any, assigned_article: Any, make_claim: Any
) -> None:
    claim = make_claim(assigned_article, annotator)
    client = client_for(outsider)
    assert client.get(_claims_url(assigned_article)).status_code == 404
    assert client.post(_claims_url(assigned_article), {}, format="json").status_code == 404
    for method in ("get", "patch", "delete"):
        assert getattr(client, method)(f"/api/claims/{claim.pk}/").status_code == 404
    assert client.post(f"/api/claims/{claim.pk}/restore/").status_code == 404
    assert client.get(f"/api/claims/{claim.pk}/history/").status_code == 404


@pytest.mark.django_db
def test_claims_need_a_login(
    anon: APIClient, annotator: Any, assigned_article: Any, make_claim: Any
) -> None:
    claim = make_claim(assigned_article, annotator)
    assert anon.get(_claims_url(assigned_article)).status_code == 401
    assert anon.post(_claims_url(assigned_article), {}, format="json").status_code == 401
    assert anon.patch(f"/api/claims/{claim.pk}/", {}, format="json").status_code == 401
    assert anon.delete(f"/api/claims/{claim.pk}/").status_code == 401


# --- List and read -------------------------------------------------------------------


@pytest.fixture
def two_annotators_claims(
    annotator: Any, other_annotator: Any, assigned_article: Any, make_claim: Any
) -> dict[str, Any]:
    AssignmentFactory(article=assigned_article, annotator=other_annotator)
    return {
        "mine": make_claim(assigned_article, annotator),
        "theirs": make_claim(assigned_article, other_annotator, words="Central Asia"),
    }


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["results"]]


@pytest.mark.django_db
def test_annotator_lists_only_their_claims(
    client_for: Any, annotator: Any, assigned_article: Any, two_annotators_claims: Any
) -> None:
    client = client_for(annotator)
    assert _ids(client.get(_claims_url(assigned_article))) == [two_annotators_claims["mine"].pk]
    assert _ids(client.get(_claims_url(assigned_article), {"annotator": annotator.pk})) == [
        two_annotators_claims["mine"].pk
    ]
    for who in ("all", two_annotators_claims["theirs"].annotator_id):
        response = client.get(_claims_url(assigned_article), {"annotator": who})
        assert response.status_code == 403


@pytest.mark.django_db
def test_curator_lists_anyones_claims(
    client_for: Any,
    curator: Any,
    other_annotator: Any,
    assigned_article: Any,
    two_annotators_claims: Any,
) -> None:
    client = client_for(curator)
    url = _claims_url(assigned_article)
    assert _ids(client.get(url)) == []  # a curator's own: none
    mine, theirs = two_annotators_claims["mine"].pk, two_annotators_claims["theirs"].pk
    assert sorted(_ids(client.get(url, {"annotator": "all"}))) == sorted([mine, theirs])
    assert _ids(client.get(url, {"annotator": other_annotator.pk})) == [theirs]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["everyone", "-1", "0", "1" * 30])
def test_bad_annotator_filter_is_400(
    client_for: Any, curator: Any, assigned_article: Any, who: str
) -> None:
    response = client_for(curator).get(_claims_url(assigned_article), {"annotator": who})
    assert response.status_code == 400
    assert "annotator" in response.json()["errors"]


@pytest.mark.django_db
def test_deleted_claims_are_listed_only_on_request(
    client_for: Any, annotator: Any, assigned_article: Any, make_claim: Any
) -> None:
    claim = make_claim(assigned_article, annotator)
    client = client_for(annotator)
    assert client.delete(f"/api/claims/{claim.pk}/").status_code == 204
    assert _ids(client.get(_claims_url(assigned_article))) == []
    listed = client.get(_claims_url(assigned_article), {"include_deleted": "true"})
    assert _ids(listed) == [claim.pk]
    assert listed.json()["results"][0]["deleted"] is True


@pytest.mark.django_db
def test_claim_list_query_count_does_not_grow(
    client_for: Any,
    curator: Any,
    annotator: Any,
    assigned_article: Any,
    make_claim: Any,
    django_assert_max_num_queries: Any,
) -> None:
    second = TargetFactory(project=assigned_article.project)
    for words in ("Turkey’s influence", "Central Asia", "grows", "says", "Akıncı"):
        claim = make_claim(assigned_article, annotator, words=words)
        claim.stances.create(target=second, stance="none")
    client = client_for(curator)
    with django_assert_max_num_queries(8):
        response = client.get(_claims_url(assigned_article), {"annotator": "all"})
    results = response.json()["results"]
    assert len(results) == 5
    assert all(len(c["stances"]) == 2 for c in results)


@pytest.mark.django_db
def test_claim_detail_visibility(
    client_for: Any,
    annotator: Any,
    other_annotator: Any,
    curator: Any,
    manager: Any,
    two_annotators_claims: Any,
) -> None:
    url = f"/api/claims/{two_annotators_claims['mine'].pk}/"
    assert client_for(annotator).get(url).json()["quote"] == "Turkey’s influence"
    assert client_for(curator).get(url).status_code == 200
    assert client_for(manager).get(url).status_code == 200
    assert client_for(other_annotator).get(url).status_code == 404


@pytest.mark.django_db
def test_unassigned_annotator_loses_sight_of_their_claims(
    client_for: Any, annotator: Any, assigned_article: Any, make_claim: Any
) -> None:
    claim = make_claim(assigned_article, annotator)
    Assignment.objects.all().delete()
    assert client_for(annotator).get(f"/api/claims/{claim.pk}/").status_code == 404


@pytest.mark.django_db
def test_missing_claim_is_404(client_for: Any, manager: Any) -> None:
    for pk in (424242, 2**63 - 1, 2**64):
        assert client_for(manager).get(f"/api/claims/{pk}/").status_code == 404


# --- Update --------------------------------------------------------------------------


@pytest.fixture
def claim(annotator: Any, assigned_article: Any, make_claim: Any) -> Claim:
    claim: Claim = make_claim(assigned_article, annotator)
    return claim


@pytest.mark.django_db
def test_owner_updates_with_the_version_they_saw(
    client_for: Any, annotator: Any, claim: Claim
) -> None:
    start, end = span_of(claim.article, "influence in Central Asia")
    response = client_for(annotator).patch(
        f"/api/claims/{claim.pk}/",
        {
            "version": 1,
            "start": start,
            "end": end,
            "quote": "influence in Central Asia",
            "claim_type": "evaluative",
            "source_mention": None,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2
    assert body["quote"] == "influence in Central Asia"
    assert body["claim_type"] == "evaluative"
    assert body["attribution"] == "reported"  # untouched
    assert body["stances"] == [{"target": claim.stances.get().target_id, "stance": "favor"}]


@pytest.mark.django_db
def test_stale_version_is_409_with_the_current_claim(
    client_for: Any, annotator: Any, manager: Any, claim: Claim
) -> None:
    url = f"/api/claims/{claim.pk}/"
    assert (
        client_for(manager).patch(url, {"version": 1, "note": "first"}, format="json").status_code
        == 200
    )
    response = client_for(annotator).patch(url, {"version": 1, "note": "second"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert "version 2" in body["detail"]
    assert body["current"]["version"] == 2
    assert body["current"]["note"] == "first"
    assert body["current"]["stances"]
    claim.refresh_from_db()
    assert (claim.note, claim.version) == ("first", 2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"note": "x"}, "version", "This field is required."),
        ({"version": "1", "note": "x"}, "version", "A whole number is required."),
        ({"version": 1, "start": 0}, "quote", "give the quote at the new offsets"),
        ({"version": 1, "end": 9999, "quote": "x"}, "end", "end 9999 is past the end of the text"),
        ({"version": 1, "quote": "nope"}, "quote", "the quote does not match the text"),
        ({"version": 1, "stances": []}, "stances", "Give the stance toward at least one target."),
        ({"version": 1, "attribution": "x"}, "attribution", "“x” is not a value of Attribution"),
        ({"version": 1, "annotator": 5}, "non_field_errors", "unknown field(s): annotator"),
    ],
)
def test_update_validation_errors(
    client_for: Any, annotator: Any, claim: Claim, body: Any, field: str, message: str
) -> None:
    response = client_for(annotator).patch(f"/api/claims/{claim.pk}/", body, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    claim.refresh_from_db()
    assert claim.version == 1


@pytest.mark.django_db
def test_a_change_that_changes_nothing_keeps_the_version(
    client_for: Any, annotator: Any, claim: Claim
) -> None:
    response = client_for(annotator).patch(
        f"/api/claims/{claim.pk}/", {"version": 1, "attribution": "reported"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert History.objects.filter(action="update").count() == 0


@pytest.mark.django_db
def test_curator_reads_but_cannot_change_others_claims(
    client_for: Any, curator: Any, claim: Claim
) -> None:
    client = client_for(curator)
    url = f"/api/claims/{claim.pk}/"
    response = client.patch(url, {"version": 1, "note": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only the claim's annotator and the project's managers can change it."
    )
    assert client.delete(url).status_code == 403
    claim.refresh_from_db()
    assert claim.deleted_at is None and claim.note == ""


@pytest.mark.django_db
def test_another_annotator_cannot_touch_the_claim(
    client_for: Any, other_annotator: Any, assigned_article: Any, claim: Claim
) -> None:
    AssignmentFactory(article=assigned_article, annotator=other_annotator)
    client = client_for(other_annotator)
    url = f"/api/claims/{claim.pk}/"
    assert client.patch(url, {"version": 1, "note": "x"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert client.post(f"{url}restore/").status_code == 404


@pytest.mark.django_db
def test_manager_changes_anyones_claim(client_for: Any, manager: Any, claim: Claim) -> None:
    response = client_for(manager).patch(
        f"/api/claims/{claim.pk}/", {"version": 1, "note": "checked"}, format="json"
    )
    assert response.status_code == 200
    assert History.objects.filter(action="update").get().actor == manager


@pytest.mark.django_db
def test_deleted_claim_must_be_restored_before_editing(
    client_for: Any, annotator: Any, claim: Claim
) -> None:
    client = client_for(annotator)
    url = f"/api/claims/{claim.pk}/"
    assert client.delete(url).status_code == 204
    response = client.patch(url, {"version": 2, "note": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        "This claim was deleted; restore it before editing."
    ]


# --- Delete, restore, history ---------------------------------------------------------


@pytest.mark.django_db
def test_delete_with_a_stale_version_is_409(client_for: Any, annotator: Any, claim: Claim) -> None:
    client = client_for(annotator)
    url = f"/api/claims/{claim.pk}/"
    client.patch(url, {"version": 1, "note": "x"}, format="json")
    response = client.delete(f"{url}?version=1")
    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2
    assert client.delete(f"{url}?version=2").status_code == 204
    assert client.delete(f"{url}?version=abc").status_code == 400


@pytest.mark.django_db
def test_restore_brings_a_claim_back(
    client_for: Any, annotator: Any, manager: Any, curator: Any, claim: Claim
) -> None:
    url = f"/api/claims/{claim.pk}/"
    client_for(annotator).delete(url)
    assert client_for(curator).post(f"{url}restore/").status_code == 403
    response = client_for(annotator).post(f"{url}restore/")
    assert response.status_code == 200
    assert response.json()["deleted"] is False
    assert response.json()["version"] == 3
    client_for(annotator).delete(url)
    assert client_for(manager).post(f"{url}restore/").status_code == 200


@pytest.mark.django_db
def test_history_lists_every_change_with_before_and_after(
    client_for: Any, annotator: Any, curator: Any, claim: Claim
) -> None:
    client = client_for(annotator)
    url = f"/api/claims/{claim.pk}/"
    client.patch(url, {"version": 1, "note": "first"}, format="json")
    client.delete(url)
    client.post(f"{url}restore/")
    response = client_for(curator).get(f"{url}history/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["action"] for r in rows] == ["restore", "delete", "update", "create"]
    update = rows[2]
    assert update["actor_username"] == "annotator"
    assert (update["before"]["note"], update["after"]["note"]) == ("", "first")
    assert (update["before"]["version"], update["after"]["version"]) == (1, 2)
    assert rows[3]["before"] is None


@pytest.mark.django_db
def test_foreign_project_ids_never_reach_another_project(
    client_for: Any, annotator: Any, claim: Claim
) -> None:
    """A manager of another project can't touch this claim, and this annotator can't
    point it at that project's source."""
    other_article = ArticleFactory()
    foreign_source = SourceFactory(project=other_article.project)
    response = client_for(annotator).patch(
        f"/api/claims/{claim.pk}/", {"version": 1, "source": foreign_source.pk}, format="json"
    )
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.source_id != foreign_source.pk


@pytest.mark.django_db
def test_history_query_count(
    client_for: Any, annotator: Any, claim: Claim, django_assert_max_num_queries: Any
) -> None:
    client = client_for(annotator)
    for version in range(1, 6):
        client.patch(
            f"/api/claims/{claim.pk}/", {"version": version, "note": str(version)}, format="json"
        )
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/claims/{claim.pk}/history/")
    assert response.json()["count"] == 6
