"""The projects API: create, change, archive, delete; the scheme and its presets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotate.models import Claim
from corpus.models import Membership, Project, Role
from corpus.scheme import default_scheme
from tests.factories import ArticleFactory, AssignmentFactory, UserFactory, make_claim

pytestmark = pytest.mark.django_db

Clients = Callable[[Any], APIClient]


def test_a_user_creates_a_project_through_the_api(client_for: Clients) -> None:
    user = UserFactory()
    response = client_for(user).post(
        "/api/projects/", {"name": "Energy", "description": "d"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["slug"], body["role"], body["archived"]) == ("energy", "manager", False)
    assert Membership.objects.get(project__slug="energy", user=user).role == Role.MANAGER


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": 5}, {"name": "x", "sorce": 1}, {"name": "a\x00"}],
)
def test_bad_project_bodies_are_400_and_write_nothing(client_for: Clients, body: Any) -> None:
    response = client_for(UserFactory()).post("/api/projects/", body, format="json")
    assert response.status_code == 400
    assert not Project.objects.exists()


def test_creating_a_project_is_403_when_the_setting_says_staff(
    client_for: Clients, settings: Any
) -> None:
    settings.CLAIMDESK_PROJECT_CREATORS = "staff"
    response = client_for(UserFactory()).post("/api/projects/", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert not Project.objects.exists()


def test_duplicate_slug_is_a_400(client_for: Clients, project: Any) -> None:
    response = client_for(UserFactory()).post(
        "/api/projects/", {"name": "Other", "slug": project.slug}, format="json"
    )
    assert response.status_code == 400
    assert "already exists" in response.json()["detail"]


def test_patch_changes_and_archives_and_the_list_hides_it(
    client_for: Clients, project: Any, manager: Any
) -> None:
    api = client_for(manager)
    response = api.patch(
        f"/api/projects/{project.slug}/",
        {"name": "New name", "archived": True, "agreement_overlap": 0.6},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["agreement_overlap"]) == ("New name", 0.6)
    assert api.get("/api/projects/").json()["results"] == []
    assert [p["slug"] for p in api.get("/api/projects/?archived=true").json()["results"]] == [
        project.slug
    ]


def test_claims_of_an_archived_project_are_refused_with_a_400(
    client_for: Clients, project: Any, manager: Any, annotator: Any
) -> None:
    article = ArticleFactory(project=project)
    AssignmentFactory(article=article, annotator=annotator)
    claim = make_claim(article, annotator)
    client_for(manager).patch(f"/api/projects/{project.slug}/", {"archived": True}, format="json")
    response = client_for(annotator).patch(
        f"/api/claims/{claim.pk}/", {"note": "x", "version": claim.version}, format="json"
    )
    assert response.status_code == 400
    assert "archived" in response.json()["detail"]
    assert Claim.objects.get().note == ""


@pytest.mark.parametrize(
    "body",
    [
        {"agreement_overlap": 0},
        {"agreement_overlap": 1.01},
        {"agreement_background_claims": 0},
        {"archived": "maybe"},
        {"slug": "new"},
        {"name": ""},
    ],
)
def test_bad_patches_are_400_and_write_nothing(
    client_for: Clients, project: Any, manager: Any, body: Any
) -> None:
    before = Project.objects.values().get(pk=project.pk)
    response = client_for(manager).patch(f"/api/projects/{project.slug}/", body, format="json")
    assert response.status_code == 400
    assert Project.objects.values().get(pk=project.pk) == before


def test_delete_needs_the_name_and_confirm_gold(
    client_for: Clients, project: Any, manager: Any, curator: Any
) -> None:
    article = ArticleFactory(project=project)
    make_claim(article, None, actor=curator)
    api = client_for(manager)
    url = f"/api/projects/{project.slug}/"
    assert api.delete(url).status_code == 400
    response = api.delete(f"{url}?confirm_name={project.name}")
    assert response.status_code == 400
    assert "confirm_gold" in response.json()["errors"]
    assert Project.objects.filter(pk=project.pk).exists()
    assert api.delete(f"{url}?confirm_name={project.name}&confirm_gold=true").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()


def test_curators_cannot_change_or_delete(client_for: Clients, project: Any, curator: Any) -> None:
    api = client_for(curator)
    url = f"/api/projects/{project.slug}/"
    assert api.patch(url, {"archived": True}, format="json").status_code == 403
    assert api.delete(f"{url}?confirm_name={project.name}").status_code == 403
    assert api.put(f"{url}scheme/", {"preset": "checkworthy"}, format="json").status_code == 403
    project.refresh_from_db()
    assert not project.archived and project.scheme == default_scheme()


# --- Scheme -----------------------------------------------------------------------------------


def test_get_scheme_lists_presets(client_for: Clients, project: Any, annotator: Any) -> None:
    body = client_for(annotator).get(f"/api/projects/{project.slug}/scheme/").json()
    assert body["scheme"] == project.scheme
    assert [p["name"] for p in body["presets"]] == ["claims", "span-source", "checkworthy"]


def test_put_a_preset_then_a_scheme_with_a_new_value(
    client_for: Clients, project: Any, manager: Any
) -> None:
    api = client_for(manager)
    url = f"/api/projects/{project.slug}/scheme/"
    response = api.put(url, {"preset": "checkworthy"}, format="json")
    assert response.status_code == 200, response.json()
    scheme = response.json()["scheme"]
    scheme["fields"]["checkworthy"]["values"].append({"value": "maybe", "label": "Maybe"})
    response = api.put(url, {"scheme": scheme}, format="json")
    assert response.status_code == 200, response.json()
    project.refresh_from_db()
    assert project.scheme["fields"]["checkworthy"]["values"][-1]["value"] == "maybe"


def test_put_that_would_orphan_claims_is_a_400_listing_them(
    client_for: Clients, project: Any, manager: Any, annotator: Any
) -> None:
    article = ArticleFactory(project=project)
    make_claim(article, annotator, source_reliability="F")
    scheme = default_scheme()
    values = scheme["fields"]["source_reliability"]["values"]
    scheme["fields"]["source_reliability"]["values"] = [v for v in values if v["value"] != "F"]
    scheme["fields"]["source_reliability"]["missing"] = []
    response = client_for(manager).put(
        f"/api/projects/{project.slug}/scheme/", {"scheme": scheme}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["scheme"] == ["1 claim use Source reliability = F."]
    project.refresh_from_db()
    assert project.scheme == default_scheme()


def test_put_with_a_rename_migrates_the_claims(
    client_for: Clients, project: Any, manager: Any, annotator: Any
) -> None:
    article = ArticleFactory(project=project)
    make_claim(article, annotator, claim_type="factual")
    scheme = default_scheme()
    scheme["fields"]["claim_type"]["values"][0]["value"] = "fact"
    response = client_for(manager).put(
        f"/api/projects/{project.slug}/scheme/",
        {"scheme": scheme, "renames": {"claim_type": {"factual": "fact"}}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["migrated"] == 1
    assert Claim.objects.get().claim_type == "fact"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"preset": "nope"},
        {"preset": "claims", "scheme": {}},
        {"scheme": "text"},
        {"scheme": {"fields": []}},
        {"scheme": {"fields": {}}},
        {"scheme": None},
        {"preset": "claims", "renames": {"claim_type": {"factual": "fact"}}},
        {"preset": "claims", "renames": "x"},
        {"preset": "claims", "extra": 1},
    ],
)
def test_bad_scheme_puts_are_400_and_write_nothing(
    client_for: Clients, project: Any, manager: Any, body: Any
) -> None:
    response = client_for(manager).put(f"/api/projects/{project.slug}/scheme/", body, format="json")
    assert response.status_code == 400, response.json()
    project.refresh_from_db()
    assert project.scheme == default_scheme()
