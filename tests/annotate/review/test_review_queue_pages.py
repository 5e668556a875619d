"""The disagreement queue's page numbers, read as Django's paginator reads them: every case
against the same 53 disputed articles, written once for the module
(``rows_kept_for_the_module``: each test runs in a savepoint of its own)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from corpus.models import Role
from tests.conftest import login
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.helpers import rows_kept_for_the_module
from tests.scenes import Scene, disputed_article, review_scene


def _queue() -> tuple[Scene, Any]:
    """The review scene (its article the 53rd) with 52 disputed articles, and a curator."""
    project = ProjectFactory()
    users = {}
    for username, role in (
        ("annotator", Role.ANNOTATOR),
        ("other-annotator", Role.ANNOTATOR),
        ("curator", Role.CURATOR),
    ):
        users[username] = UserFactory(username=username)
        MembershipFactory(project=project, user=users[username], role=role)
    scene = review_scene(project, users["annotator"], users["other-annotator"])
    for k in range(52):
        disputed_article(scene, f"Article {k:02d}")
    return scene, users["curator"]


@pytest.fixture(scope="module")
def _module_queue(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[Scene, Any]]:
    with rows_kept_for_the_module(django_db_blocker, _queue) as built:
        yield built


@pytest.fixture
def queue(db: Any, _module_queue: tuple[Scene, Any]) -> tuple[Scene, Any]:
    """The module's rows (copies of its objects), the cache empty as the test starts."""
    cache.clear()
    return copy.deepcopy(_module_queue)


@pytest.mark.parametrize("page", ["", "1", "2", "last", "0", "-1", "x", "99999999999"])
def test_page_numbers_are_read_as_the_paginator_reads_them(
    client: Client, queue: tuple[Scene, Any], page: str
) -> None:
    scene, curator = queue
    login(client, curator)
    # (as Paginator.get_page: below 1 or past the end is the last page, not a number the
    # first)
    expected = {"2": 2, "0": 2, "-1": 2, "99999999999": 2}.get(page, 1)
    url = reverse("annotate:review-queue", args=[scene.project.slug])
    for _ in range(2):  # computed, then cached
        response = client.get(url, {"page": page})
        assert response.status_code == 200
        assert response.context["page"].number == expected
        assert len(response.context["rows"]) == (3 if expected == 2 else 50)
