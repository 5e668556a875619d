"""Optimistic concurrency across "tabs": the workspace and the API edit the same claim.

A write made on a version that moved on is refused with 409 and the current state, and
writes nothing. Sources have a version too: a stale source PATCH is refused the same way.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from annotate.models import Claim, History, Source
from tests.security.conftest import LABELS, World, api_client, page_client

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``); each test's writes are rolled
    back with its savepoint."""
    return shared_world


def ui_form(world: World, *, version: int, note: str) -> dict[str, Any]:
    claim = world.claim
    return {
        "start": claim.start,
        "end": claim.end,
        "quote": claim.quote,
        "source": world.source.pk,
        f"stance-{world.target.pk}": "against",
        "note": note,
        "version": str(version),
        **LABELS,
    }


@pytest.mark.django_db
def test_ui_edit_then_stale_api_patch_gets_409_with_the_current_state(world: World) -> None:
    seen = world.claim.version
    ui = page_client(world.a)
    response: Any = ui.post(
        reverse("annotate:claim-update", args=[world.claim.pk]),
        ui_form(world, version=seen, note="from the UI"),
        **HX,
    )
    assert response.status_code == 200
    response = api_client(world.a).patch(
        reverse("api:claim-detail", args=[world.claim.pk]),
        {"version": seen, "note": "from the API"},
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert body["current"]["note"] == "from the UI"
    assert body["current"]["version"] == seen + 1
    claim = Claim.objects.get(pk=world.claim.pk)
    assert (claim.note, claim.version) == ("from the UI", seen + 1)


@pytest.mark.django_db
def test_api_patch_then_stale_ui_edit_shows_the_stale_message(world: World) -> None:
    seen = world.claim.version
    response: Any = api_client(world.a).patch(
        reverse("api:claim-detail", args=[world.claim.pk]),
        {"version": seen, "note": "from the API"},
        format="json",
    )
    assert response.status_code == 200
    history = History.objects.count()
    response = page_client(world.a).post(
        reverse("annotate:claim-update", args=[world.claim.pk]),
        ui_form(world, version=seen, note="from the UI"),
        **HX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed elsewhere" in html
    assert ">from the API</textarea>" in html
    assert f'name="version" value="{seen + 1}"' in html
    assert Claim.objects.get(pk=world.claim.pk).note == "from the API"
    assert History.objects.count() == history


@pytest.mark.django_db
def test_a_delete_on_a_stale_version_deletes_nothing(world: World) -> None:
    seen = world.claim.version
    api = api_client(world.a)
    url = reverse("api:claim-detail", args=[world.claim.pk])
    assert api.patch(url, {"version": seen, "note": "newer"}, format="json").status_code == 200
    response: Any = api.delete(f"{url}?version={seen}")
    assert response.status_code == 409
    assert response.json()["current"]["note"] == "newer"
    response = page_client(world.a).post(
        reverse("annotate:claim-delete", args=[world.claim.pk]), {"version": seen}, **HX
    )
    assert response.status_code == 409
    assert Claim.objects.get(pk=world.claim.pk).deleted_at is None


@pytest.mark.django_db
def test_a_manager_and_the_annotator_racing_on_one_claim(world: World) -> None:
    """The manager's API edit and the annotator's UI edit, both from version 1: one wins."""
    seen = world.claim.version
    manager = api_client(world.users["manager"])
    url = reverse("api:claim-detail", args=[world.claim.pk])
    assert (
        manager.patch(url, {"version": seen, "note": "manager"}, format="json").status_code == 200
    )
    response = page_client(world.a).post(
        reverse("annotate:claim-update", args=[world.claim.pk]),
        ui_form(world, version=seen, note="annotator"),
        **HX,
    )
    assert response.status_code == 409
    assert Claim.objects.get(pk=world.claim.pk).note == "manager"


@pytest.mark.django_db
def test_a_stale_source_patch_gets_409_with_the_current_state(world: World) -> None:
    first_tab = api_client(world.users["curator"])
    second_tab = api_client(world.users["manager"])
    url = reverse("api:source-detail", args=[world.source.pk])
    seen = first_tab.get(url).json()["version"]
    first = first_tab.patch(url, {"description": "first", "version": seen}, format="json")
    assert first.status_code == 200
    assert first.json()["version"] == seen + 1
    history = History.objects.filter(entity="source", object_id=world.source.pk).count()
    second = second_tab.patch(
        url, {"description": "second", "aliases": ["Second"], "version": seen}, format="json"
    )
    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "stale_version"
    assert body["current"]["description"] == "first"
    assert body["current"]["version"] == seen + 1
    assert "claim_count" in body["current"]  # the source as the API shows it
    source = Source.objects.get(pk=world.source.pk)
    assert (source.description, source.version) == ("first", seen + 1)
    assert not source.aliases.filter(alias="Second").exists()
    assert History.objects.filter(entity="source", object_id=world.source.pk).count() == history


@pytest.mark.django_db
def test_a_source_patch_on_the_current_version_after_a_conflict_succeeds(world: World) -> None:
    curator = api_client(world.users["curator"])
    url = reverse("api:source-detail", args=[world.source.pk])
    seen = curator.get(url).json()["version"]
    curator.patch(url, {"description": "first", "version": seen}, format="json")
    stale = curator.patch(url, {"description": "second", "version": seen}, format="json")
    assert stale.status_code == 409
    current = stale.json()["current"]["version"]
    retry = curator.patch(url, {"description": "second", "version": current}, format="json")
    assert retry.status_code == 200
    assert retry.json()["description"] == "second"
