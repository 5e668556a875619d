"""The source registry, stance targets and assignments through the API."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from annotate.models import Assignment, AssignmentStatus, Claim, Source, Target
from corpus.models import Role
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    MembershipFactory,
    SourceAliasFactory,
    SourceFactory,
    TargetFactory,
    UserFactory,
)

# --- Sources -------------------------------------------------------------------------


@pytest.fixture
def registry(project: Any) -> dict[str, Any]:
    akar = SourceFactory(project=project, name="Hulusi Akar")
    orekhova = SourceFactory(project=project, name="Яна Орехова", kind="person")
    ministry = SourceFactory(project=project, name="Ministry of Defence", kind="government")
    SourceAliasFactory(source=orekhova, alias="Yana Orekhova")
    return {"akar": akar, "orekhova": orekhova, "ministry": ministry}


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["name"] for s in response.json()["results"]]


@pytest.mark.django_db
def test_source_search_ignores_case_and_diacritics(
    client_for: Any, annotator: Any, project: Any, source: Any, registry: Any
) -> None:
    client = client_for(annotator)
    url = f"/api/projects/{project.slug}/sources/"
    assert _names(client.get(url, {"q": "davutoglu"})) == ["Ahmet Davutoğlu"]
    assert _names(client.get(url, {"q": "OREKHOVA"})) == ["Яна Орехова"]
    assert _names(client.get(url, {"q": "Орехова"})) == ["Яна Орехова"]
    assert _names(client.get(url, {"kind": "government"})) == ["Ministry of Defence"]
    assert len(_names(client.get(url))) == 4


@pytest.mark.django_db
def test_source_list_shows_aliases_and_counts_to_curators_only(
    client_for: Any,
    annotator: Any,
    curator: Any,
    project: Any,
    registry: Any,
    assigned_article: Any,
    make_claim: Any,
) -> None:
    claim = make_claim(assigned_article, annotator)
    Claim.objects.filter(pk=claim.pk).update(source=registry["orekhova"])
    url = f"/api/projects/{project.slug}/sources/"
    as_curator = client_for(curator).get(url, {"q": "orekhova"}).json()["results"][0]
    assert as_curator["aliases"] == ["Yana Orekhova"]
    assert as_curator["claim_count"] == 1
    as_annotator = client_for(annotator).get(url, {"q": "orekhova"}).json()["results"][0]
    assert as_annotator["claim_count"] is None


@pytest.mark.django_db
def test_source_list_bad_kind_is_400(client_for: Any, annotator: Any, project: Any) -> None:
    response = client_for(annotator).get(f"/api/projects/{project.slug}/sources/", {"kind": "x"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_source_list_query_count(
    client_for: Any, curator: Any, project: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(10):
        SourceAliasFactory(source=SourceFactory(project=project, name=f"Person {i}"))
    client = client_for(curator)
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/projects/{project.slug}/sources/").json()["count"] == 10


@pytest.mark.django_db
def test_annotator_adds_a_source(client_for: Any, annotator: Any, project: Any) -> None:
    response = client_for(annotator).post(
        f"/api/projects/{project.slug}/sources/",
        {"name": "Temur  Umarov", "kind": "person", "aliases": ["Umarov"], "external_id": "Q1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Temur Umarov"
    assert body["aliases"] == ["Umarov"]
    assert body["wikidata_url"] == "https://www.wikidata.org/wiki/Q1"
    assert Source.objects.get(pk=body["id"]).project == project


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "ahmet davutoglu"}, "name", "The registry already has “Ahmet Davutoğlu”."),
        ({"name": "!!!"}, "name", "A name needs at least one letter or digit."),
        ({"name": "X", "kind": "alien"}, "kind", "“alien” is not a kind; use one of: person"),
        ({"name": "X", "aliases": "Y"}, "aliases", 'Expected a list of items but got type "str".'),
        ({"name": "X", "alias": ["Y"]}, "non_field_errors", "unknown field(s): alias"),
        ({"name": "x" * 301}, "name", "Ensure this field has no more than 300 characters."),
    ],
)
def test_source_create_errors(
    client_for: Any, manager: Any, project: Any, source: Any, body: Any, field: str, message: str
) -> None:
    response = client_for(manager).post(
        f"/api/projects/{project.slug}/sources/", body, format="json"
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])


@pytest.mark.django_db
def test_curator_changes_a_source(client_for: Any, curator: Any, source: Any) -> None:
    response = client_for(curator).patch(
        f"/api/sources/{source.pk}/",
        {"description": "Former prime minister", "aliases": ["Davutoglu"], "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Ahmet Davutoğlu"  # untouched
    assert body["description"] == "Former prime minister"
    assert body["aliases"] == ["Davutoglu"]
    assert body["version"] == 2


@pytest.mark.django_db
def test_changing_a_source_needs_the_version_seen(
    client_for: Any, curator: Any, source: Any
) -> None:
    response = client_for(curator).patch(
        f"/api/sources/{source.pk}/", {"description": "Former prime minister"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()["errors"]
    source.refresh_from_db()
    assert (source.description, source.version) == ("", 1)


@pytest.mark.django_db
def test_a_stale_source_version_is_409_with_the_current_source(
    client_for: Any, curator: Any, source: Any
) -> None:
    client = client_for(curator)
    url = f"/api/sources/{source.pk}/"
    assert (
        client.patch(url, {"description": "First", "version": 1}, format="json").status_code == 200
    )
    response = client.patch(url, {"description": "Second", "version": 1}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert "version 2" in body["detail"]
    assert (body["current"]["id"], body["current"]["version"]) == (source.pk, 2)
    assert body["current"]["description"] == "First"
    source.refresh_from_db()
    assert (source.description, source.version) == ("First", 2)


@pytest.mark.django_db
def test_annotator_cannot_change_sources(client_for: Any, annotator: Any, source: Any) -> None:
    response = client_for(annotator).patch(
        f"/api/sources/{source.pk}/", {"name": "Someone"}, format="json"
    )
    assert response.status_code == 403
    source.refresh_from_db()
    assert source.name == "Ahmet Davutoğlu"


@pytest.mark.django_db
def test_source_of_another_project_is_404(client_for: Any, outsider: Any, source: Any) -> None:
    client = client_for(outsider)
    assert client.get(f"/api/sources/{source.pk}/").status_code == 404
    assert (
        client.patch(f"/api/sources/{source.pk}/", {"name": "X"}, format="json").status_code == 404
    )


@pytest.mark.django_db
def test_merge_moves_claims_and_names(
    client_for: Any,
    manager: Any,
    annotator: Any,
    source: Any,
    registry: Any,
    assigned_article: Any,
    make_claim: Any,
) -> None:
    claim = make_claim(assigned_article, annotator)
    duplicate = SourceFactory(project=source.project, name="A. Davutoglu")
    Claim.objects.filter(pk=claim.pk).update(source=duplicate)
    response = client_for(manager).post(
        f"/api/sources/{source.pk}/merge/", {"merge": duplicate.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert "A. Davutoglu" in response.json()["aliases"]
    assert response.json()["claim_count"] == 1
    claim.refresh_from_db()
    assert claim.source == source
    assert not Source.objects.filter(pk=duplicate.pk).exists()


@pytest.mark.django_db
def test_merge_errors(client_for: Any, manager: Any, source: Any) -> None:
    client = client_for(manager)
    url = f"/api/sources/{source.pk}/merge/"
    foreign = SourceFactory()
    response = client.post(url, {"merge": foreign.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["merge"] == [
        f"Source {foreign.pk} is not in this project's registry."
    ]
    response = client.post(url, {"merge": source.pk}, format="json")
    assert response.json()["errors"]["non_field_errors"] == [
        "A source cannot be merged into itself."
    ]
    assert client.post(url, {"merge": "x"}, format="json").status_code == 400
    assert Source.objects.filter(pk=foreign.pk).exists()


@pytest.mark.django_db
def test_annotator_cannot_merge(
    client_for: Any, annotator: Any, source: Any, registry: Any
) -> None:
    response = client_for(annotator).post(
        f"/api/sources/{source.pk}/merge/", {"merge": registry["akar"].pk}, format="json"
    )
    assert response.status_code == 403
    assert Source.objects.filter(pk=registry["akar"].pk).exists()


# --- Targets -------------------------------------------------------------------------


@pytest.mark.django_db
def test_targets_list_and_annotator_adds_one(
    client_for: Any, annotator: Any, project: Any, target: Any
) -> None:
    client = client_for(annotator)
    url = f"/api/projects/{project.slug}/targets/"
    created = client.post(url, {"name": "the CSTO"}, format="json")
    assert created.status_code == 201
    again = client.post(url, {"name": "THE csto"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    names = [t["name"] for t in client.get(url).json()["results"]]
    assert names == [target.name, "the CSTO"]


@pytest.mark.django_db
def test_target_errors(client_for: Any, annotator: Any, project: Any, outsider: Any) -> None:
    url = f"/api/projects/{project.slug}/targets/"
    response = client_for(annotator).post(url, {"name": ""}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["name"] == ["This field may not be blank."]
    assert client_for(outsider).post(url, {"name": "X"}, format="json").status_code == 404
    assert not Target.objects.exists()


# --- Assignments ---------------------------------------------------------------------


@pytest.mark.django_db
def test_manager_sees_all_assignments_annotator_their_own(
    client_for: Any,
    manager: Any,
    annotator: Any,
    other_annotator: Any,
    project: Any,
    assigned_article: Any,
) -> None:
    AssignmentFactory(article=assigned_article, annotator=other_annotator)
    url = f"/api/projects/{project.slug}/assignments/"
    everyone = client_for(manager).get(url).json()["results"]
    assert sorted(a["annotator_username"] for a in everyone) == ["annotator", "other-annotator"]
    own = client_for(annotator).get(url).json()["results"]
    assert [a["annotator_username"] for a in own] == ["annotator"]
    assert own[0]["status"] == AssignmentStatus.NOT_STARTED
    filtered = client_for(manager).get(url, {"annotator": other_annotator.pk}).json()["results"]
    assert [a["annotator"] for a in filtered] == [other_annotator.pk]


@pytest.mark.django_db
def test_annotator_cannot_list_others_assignments(
    client_for: Any, annotator: Any, other_annotator: Any, project: Any
) -> None:
    response = client_for(annotator).get(
        f"/api/projects/{project.slug}/assignments/", {"annotator": other_annotator.pk}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_manager_assigns_an_article(
    client_for: Any, manager: Any, annotator: Any, project: Any, article: Any
) -> None:
    client = client_for(manager)
    url = f"/api/projects/{project.slug}/assignments/"
    body = {"article": article.pk, "annotator": annotator.pk}
    response = client.post(url, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["assigned_by"] == manager.pk
    assert client.post(url, body, format="json").status_code == 200
    assert Assignment.objects.filter(article=article, annotator=annotator).count() == 1


@pytest.mark.django_db
def test_assignment_errors(client_for: Any, manager: Any, project: Any, article: Any) -> None:
    stranger = UserFactory()
    foreign_article = ArticleFactory()
    response = client_for(manager).post(
        f"/api/projects/{project.slug}/assignments/",
        {"article": foreign_article.pk, "annotator": stranger.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "article": [f"Article {foreign_article.pk} is not in this project."],
        "annotator": [f"User {stranger.pk} is not a member of this project."],
    }
    assert not Assignment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CURATOR, Role.ANNOTATOR])
def test_only_managers_assign(client_for: Any, project: Any, article: Any, role: str) -> None:
    user = MembershipFactory(project=project, role=role).user
    response = client_for(user).post(
        f"/api/projects/{project.slug}/assignments/",
        {"article": article.pk, "annotator": user.pk},
        format="json",
    )
    assert response.status_code == 403
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_assignment_detail_and_unassign(
    client_for: Any, manager: Any, annotator: Any, other_annotator: Any, assigned_article: Any
) -> None:
    assignment = Assignment.objects.get()
    url = f"/api/assignments/{assignment.pk}/"
    assert client_for(annotator).get(url).status_code == 200
    assert client_for(other_annotator).get(url).status_code == 404
    assert client_for(annotator).delete(url).status_code == 403
    assert client_for(manager).delete(url).status_code == 204
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_unassigning_an_annotator_with_claims_is_refused_and_keeps_their_claims(
    client_for: Any, manager: Any, annotator: Any, assigned_article: Any, make_claim: Any
) -> None:
    claim = make_claim(assigned_article, annotator)
    assignment = Assignment.objects.get()
    response = client_for(manager).delete(f"/api/assignments/{assignment.pk}/")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "has claims on the article" in body["detail"]
    assert Assignment.objects.filter(pk=assignment.pk).exists()
    # The annotator still reaches their claim.
    assert client_for(annotator).get(f"/api/claims/{claim.pk}/").status_code == 200


@pytest.mark.django_db
def test_unassigning_after_the_claims_are_deleted_is_allowed(
    client_for: Any, manager: Any, annotator: Any, assigned_article: Any, make_claim: Any
) -> None:
    claim = make_claim(assigned_article, annotator)
    assert client_for(annotator).delete(f"/api/claims/{claim.pk}/").status_code == 204
    assignment = Assignment.objects.get()
    assert client_for(manager).delete(f"/api/assignments/{assignment.pk}/").status_code == 204
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_assignments_of_another_project_are_404(
    client_for: Any, outsider: Any, assigned_article: Any, anon: APIClient
) -> None:
    assignment = Assignment.objects.get()
    assert client_for(outsider).get(f"/api/assignments/{assignment.pk}/").status_code == 404
    assert anon.get(f"/api/assignments/{assignment.pk}/").status_code == 401
    slug = assigned_article.project.slug
    assert client_for(outsider).get(f"/api/projects/{slug}/assignments/").status_code == 404


@pytest.mark.django_db
def test_target_query_is_scoped(client_for: Any, annotator: Any, project: Any) -> None:
    TargetFactory()  # another project's
    response = client_for(annotator).get(f"/api/projects/{project.slug}/targets/")
    assert response.json()["count"] == 0


@pytest.mark.django_db
def test_assignment_list_query_count(
    client_for: Any, manager: Any, project: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(8):
        annotator = MembershipFactory(project=project, role=Role.ANNOTATOR).user
        AssignmentFactory(article=ArticleFactory(project=project), annotator=annotator)
    client = client_for(manager)
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/projects/{project.slug}/assignments/")
    assert response.json()["count"] == 8
