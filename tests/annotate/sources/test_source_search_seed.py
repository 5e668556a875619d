"""Searching the seed source registry (seeds/sources.csv) by name or alias, whatever the
case, diacritics and spacing: every query against one project holding the registry,
imported once for the module (``rows_kept_for_the_module``: each test runs in a savepoint
of its own)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from annotate.models import Source
from annotate.sources import registry
from tests.factories import ProjectFactory
from tests.helpers import rows_kept_for_the_module

SEED_REGISTRY = Path(settings.BASE_DIR) / "seeds" / "sources.csv"


def names(project: Any, query: str) -> list[str]:
    return [s.name for s in Source.objects.in_project(project).search(query)]


def _seeded_project() -> Any:
    project = ProjectFactory()
    registry.import_file(project=project, path=SEED_REGISTRY)
    return project


@pytest.fixture(scope="module")
def _module_seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    with rows_kept_for_the_module(django_db_blocker, _seeded_project) as project:
        yield project


@pytest.fixture
def seeded(db: Any, _module_seeded: Any) -> Any:
    """A project holding the seed registry (a copy of the module's object)."""
    return copy.deepcopy(_module_seeded)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("davutoglu", "Ahmet Davutoğlu"),
        ("Davutoğlu", "Ahmet Davutoğlu"),
        ("ahmet  davutoglu", "Ahmet Davutoğlu"),
        ("cavusoglu", "Mevlüt Çavuşoğlu"),
        ("mevlit", "Mevlüt Çavuşoğlu"),
        ("isachenko", "Daria Isachenko"),
        ("ISACHENKO", "Daria Isachenko"),
        ("Орехова", "Яна Орехова"),
        ("orekhova", "Яна Орехова"),
        ("yana", "Яна Орехова"),
        ("akar", "Hulusi Akar"),
        ("erdogan", "Recep Tayyip Erdoğan"),
        ("ihsan sener", "İhsan Şener"),
        ("İHSAN", "İhsan Şener"),
        ("sentop", "Mustafa Şentop"),
        ("Șentop", "Mustafa Şentop"),
        ("tokayev", "Kassym-Jomart Tokayev"),
        ("umarov", "Temur Umarov"),
        ("aksay", "Hakan Aksay"),
        ("karauz", "Yücel Karauz"),
        ("OTS", "Organization of Turkic States"),
        ("organisation of turkic", "Organization of Turkic States"),
        ("turkic council", "Organization of Turkic States"),
        ("csto", "Collective Security Treaty Organization"),
        ("sco", "Shanghai Cooperation Organisation"),
        ("bz", "Berliner Zeitung"),
        ("inosmi", "inosmi.ru"),
        ("ИноСМИ", "inosmi.ru"),
        ("turkiye", "Türkiye (newspaper)"),
        ("cumhuriyet", "Cumhuriyet"),
        ("ET", "The Economic Times"),
        ("emerging-europe.com", "Emerging Europe"),
        ("new eastern", "New Eastern Outlook"),
        ("vision 2040", "Turkic World Vision 2040"),
        ("ankara", "Government of Turkey"),
        ("state department", "United States Department of State"),
    ],
)
def test_search_finds_seed_sources_whatever_the_case_and_diacritics(
    seeded: Any, query: str, expected: str
) -> None:
    assert names(seeded, query)[0] == expected


def test_a_limited_search_returns_the_best_in_one_query(
    seeded: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        top = [s.name for s in Source.objects.in_project(seeded).search("tur")[:3]]

    assert top == [
        "Turkic World Vision 2040",  # names that start with "tur", by name
        "Türkiye (newspaper)",
        "Government of Turkey",  # an alias ("Turkish government") starts with it
    ]
