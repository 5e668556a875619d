"""Searching the source registry: by name or alias, ignoring case, diacritics and spacing,
best matches first, each source once."""

from __future__ import annotations

from typing import Any

from annotate.models import Source, SourceAlias
from annotate.sources.services import source_create
from corpus.text import search_key
from tests.factories import ProjectFactory


def names(project: Any, query: str) -> list[str]:
    return [s.name for s in Source.objects.in_project(project).search(query)]


def test_search_folds_turkish_dotless_i(project: Any) -> None:
    source_create(project=project, name="Akıncı", kind="document")
    source_create(project=project, name="Temur Umarov")

    assert names(project, "AKINCI") == ["Akıncı"]
    assert names(project, "akıncı") == ["Akıncı"]


def test_a_word_prefix_finds_the_source(project: Any) -> None:
    source_create(project=project, name="Hulusi Akar")

    assert names(project, "aka") == ["Hulusi Akar"]
    assert names(project, "hulusi ak") == ["Hulusi Akar"]


def test_exact_matches_come_first_then_prefixes_then_words_then_the_rest(project: Any) -> None:
    for name in ["Bakar Ltd", "Akarsu", "Hulusi Akar", "Zeynep Akar-Demir"]:
        source_create(project=project, name=name)
    source_create(project=project, name="Anadolu Ajansı", aliases=["AKAR"])

    assert names(project, "akar") == [
        "Anadolu Ajansı",  # an exact alias
        "Akarsu",  # the name starts with the query
        "Hulusi Akar",  # a word of the name starts with it (ties: by name)
        "Zeynep Akar-Demir",
        "Bakar Ltd",  # somewhere inside
    ]


def test_an_exact_name_comes_before_a_longer_name(project: Any) -> None:
    source_create(project=project, name="Cumhuriyet Halk Partisi", kind="organisation")
    source_create(project=project, name="Cumhuriyet", kind="outlet")

    assert names(project, "cumhuriyet") == ["Cumhuriyet", "Cumhuriyet Halk Partisi"]


def test_an_alias_match_ranks_by_its_best_alias(project: Any) -> None:
    source_create(project=project, name="Government of Turkey", aliases=["Ankara"])
    source_create(project=project, name="Ankara University press office")

    assert names(project, "ankara") == ["Government of Turkey", "Ankara University press office"]


def test_each_source_comes_once_however_many_aliases_match(project: Any) -> None:
    source_create(
        project=project,
        name="Organization of Turkic States",
        aliases=["Organisation of Turkic States", "Turkic Council", "OTS"],
    )

    found = list(Source.objects.in_project(project).search("turkic"))

    assert [s.name for s in found] == ["Organization of Turkic States"]


def test_search_stays_in_the_project(project: Any) -> None:
    source_create(project=project, name="Hulusi Akar")
    source_create(project=ProjectFactory(), name="Hulusi Akar")

    assert Source.objects.in_project(project).search("akar").count() == 1


def test_search_treats_like_wildcards_as_text(project: Any) -> None:
    source_create(project=project, name="Hulusi Akar")
    source_create(project=project, name="100% Turkish")

    assert names(project, "%") == ["100% Turkish"]
    assert names(project, "_") == []


def test_an_empty_query_returns_every_source(project: Any) -> None:
    source_create(project=project, name="Hulusi Akar")
    source_create(project=project, name="Hakan Fidan")

    assert sorted(names(project, "  ")) == ["Hakan Fidan", "Hulusi Akar"]


def test_search_finds_one_name_among_thousands_in_one_query(
    project: Any, django_assert_num_queries: Any
) -> None:
    sources = Source.objects.bulk_create(
        Source(project=project, name=f"Source {n:05}", name_key=f"source {n:05}")
        for n in range(5000)
    )
    SourceAlias.objects.bulk_create(
        SourceAlias(source=s, alias=f"Alias {s.pk} Öz", alias_key=search_key(f"Alias {s.pk} Öz"))
        for s in sources
    )
    source_create(project=project, name="Hulusi Akar", aliases=["Akar"])

    with django_assert_num_queries(1):
        found = [s.name for s in Source.objects.in_project(project).search("akar")[:10]]

    assert found == ["Hulusi Akar"]  # timed in the benchmark (autocomplete), not here


def test_punctuation_separates_words_in_names_and_queries(project: Any) -> None:
    source_create(project=project, name="Kassym-Jomart Tokayev")
    source_create(project=project, name="inosmi.ru", kind="outlet")

    assert names(project, "kassym jomart") == ["Kassym-Jomart Tokayev"]
    assert names(project, "Kassym-Jomart") == ["Kassym-Jomart Tokayev"]
    assert names(project, "inosmi ru") == ["inosmi.ru"]
