"""The source registry's writes: unique normalised names, aliases, merging."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotate.models import Claim, History, Source, SourceAlias, SourceKind
from annotate.sources.services import (
    StaleVersion,
    source_alias_add,
    source_aliases_add,
    source_create,
    source_merge,
    source_update,
)
from tests.factories import ArticleFactory, ClaimFactory, ProjectFactory, SourceFactory


def aliases_of(source: Source) -> list[str]:
    return sorted(source.aliases.values_list("alias", flat=True))


# --- Names ----------------------------------------------------------------------------


def test_names_clash_after_normalising_case_diacritics_and_spaces(project: Any) -> None:
    source_create(project=project, name="Ahmet Davutoğlu")

    with pytest.raises(ValidationError) as exc:
        source_create(project=project, name="ahmet  davutoglu")

    assert exc.value.message_dict == {"name": ["The registry already has “Ahmet Davutoğlu”."]}
    assert Source.objects.filter(project=project).count() == 1


def test_the_same_name_in_two_projects_is_fine(project: Any) -> None:
    other = ProjectFactory()

    first = source_create(project=project, name="Ahmet Davutoğlu")
    second = source_create(project=other, name="ahmet  davutoglu")

    assert first.name_key == second.name_key == "ahmet davutoglu"
    assert first.pk != second.pk


def test_name_is_stored_tidy_with_its_key(project: Any) -> None:
    source = source_create(project=project, name="  Mevlüt   Çavuşoğlu ")

    assert source.name == "Mevlüt Çavuşoğlu"
    assert source.name_key == "mevlut cavusoglu"


def test_renaming_onto_another_sources_name_is_refused(project: Any) -> None:
    source_create(project=project, name="Hulusi Akar")
    other = source_create(project=project, name="Hakan Fidan")

    with pytest.raises(ValidationError, match="already has “Hulusi Akar”"):
        source_update(source=other, name="HULUSI AKAR")

    other.refresh_from_db()
    assert other.name == "Hakan Fidan"


def test_renaming_a_source_to_another_spelling_of_its_own_name_is_fine(project: Any) -> None:
    source = source_create(project=project, name="Ahmet Davutoglu")

    source_update(source=source, name="Ahmet Davutoğlu")

    assert Source.objects.get(pk=source.pk).name == "Ahmet Davutoğlu"


def test_the_database_itself_refuses_a_duplicate_normalised_name(project: Any) -> None:
    SourceFactory(project=project, name="Ahmet Davutoğlu")

    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(project=project, name="ahmet davutoglu", name_key="ahmet davutoglu")


def test_a_name_that_is_another_sources_alias_is_refused(project: Any) -> None:
    source_create(project=project, name="Organization of Turkic States", aliases=["OTS"])

    with pytest.raises(ValidationError, match="already an alias of “Organization of Turkic"):
        source_create(project=project, name="ots", kind=SourceKind.ORGANISATION)


@pytest.mark.parametrize("name", ["", "   ", "—", "!?"])
def test_a_name_needs_a_letter_or_digit(project: Any, name: str) -> None:
    with pytest.raises(ValidationError, match="at least one letter or digit"):
        source_create(project=project, name=name)


def test_unknown_kind_is_refused(project: Any) -> None:
    with pytest.raises(ValidationError, match="Unknown kind “newspaper”"):
        source_create(project=project, name="Cumhuriyet", kind="newspaper")


# --- Aliases --------------------------------------------------------------------------


def test_aliases_are_kept_once_per_key_and_never_repeat_the_name(project: Any) -> None:
    source = source_create(
        project=project,
        name="Ahmet Davutoğlu",
        aliases=["Davutoğlu", "davutoglu", "DAVUTOGLU ", "Ahmet Davutoglu"],
    )

    assert aliases_of(source) == ["Davutoğlu"]


def test_adding_known_aliases_adds_nothing(project: Any) -> None:
    source = source_create(project=project, name="Hulusi Akar", aliases=["Akar"])

    added = source_aliases_add(source=source, aliases=["akar", "Hulusi Akar", "Akar, H."])

    assert [a.alias for a in added] == ["Akar, H."]
    assert aliases_of(source) == ["Akar", "Akar, H."]


def test_two_sources_may_share_a_surname_alias(project: Any) -> None:
    first = source_create(project=project, name="Hakan Fidan", aliases=["Hakan"])
    second = source_create(project=project, name="Hakan Aksay", aliases=["Hakan"])

    assert aliases_of(first) == aliases_of(second) == ["Hakan"]


def test_an_alias_that_is_another_sources_name_is_refused(project: Any) -> None:
    source_create(project=project, name="Cumhuriyet", kind=SourceKind.OUTLET)
    turkey = source_create(project=project, name="Government of Turkey", kind="government")

    with pytest.raises(ValidationError, match="“cumhuriyet” is the name of another source"):
        source_alias_add(source=turkey, alias="cumhuriyet")

    assert aliases_of(turkey) == []


def test_update_with_aliases_replaces_them(project: Any) -> None:
    source = source_create(project=project, name="Temur Umarov", aliases=["Umarov", "T. U."])

    source_update(source=source, aliases=["Umarov", "Temur"])

    assert aliases_of(source) == ["Temur", "Umarov"]


# --- Merging --------------------------------------------------------------------------


@pytest.fixture
def two_spellings(project: Any) -> tuple[Source, Source]:
    keep = source_create(
        project=project,
        name="Mevlüt Çavuşoğlu",
        aliases=["Çavuşoğlu", "Turkish foreign minister"],
    )
    merge = source_create(
        project=project,
        name="Mevlit Cavusoglu",
        description="Turkish Minister of Foreign Affairs",
        external_id="Q1234567",
        # "Cavusoglu" has the same key as keep's "Çavuşoğlu".
        aliases=["Cavusoglu", "M. Cavusoglu"],
    )
    return keep, merge


def test_merge_moves_every_claim_of_the_merged_source(
    project: Any, two_spellings: tuple[Source, Source]
) -> None:
    keep, merge = two_spellings
    article = ArticleFactory(project=project)
    own = ClaimFactory(article=article, source=keep)
    moved = [ClaimFactory(article=article, source=merge) for _ in range(3)]
    deleted = ClaimFactory(article=article, source=merge, deleted_at=timezone.now())
    elsewhere = ClaimFactory(article=article, source=SourceFactory(project=project))

    source_merge(keep=keep, merge=merge)

    assert not Source.objects.filter(pk=merge.pk).exists()
    for claim in [own, *moved, deleted]:
        claim.refresh_from_db()
        assert claim.source_id == keep.pk
    assert Claim.objects.filter(source=keep).count() == 5
    elsewhere.refresh_from_db()
    assert elsewhere.source_id not in (keep.pk, merge.pk)


def test_merge_makes_the_merged_names_aliases_once_per_key(
    project: Any, two_spellings: tuple[Source, Source]
) -> None:
    keep, merge = two_spellings

    source_merge(keep=keep, merge=merge)

    assert aliases_of(keep) == [
        "M. Cavusoglu",
        "Mevlit Cavusoglu",
        "Turkish foreign minister",
        "Çavuşoğlu",  # kept, not doubled by the merged "Cavusoglu"
    ]
    assert not SourceAlias.objects.filter(source_id=merge.pk).exists()


def test_merge_fills_what_the_kept_source_lacks_and_keeps_what_it_has(
    project: Any, two_spellings: tuple[Source, Source]
) -> None:
    keep, merge = two_spellings
    source_update(source=keep, description="Foreign minister of Turkey")

    source_merge(keep=keep, merge=merge)

    keep.refresh_from_db()
    assert keep.description == "Foreign minister of Turkey"
    assert keep.external_id == "Q1234567"


def test_after_a_merge_the_merged_name_finds_the_kept_source(
    project: Any, two_spellings: tuple[Source, Source]
) -> None:
    keep, merge = two_spellings

    source_merge(keep=keep, merge=merge)

    assert list(Source.objects.in_project(project).search("mevlit")) == [keep]


def test_merged_name_can_be_reused_only_through_the_kept_source(
    project: Any, two_spellings: tuple[Source, Source]
) -> None:
    keep, merge = two_spellings
    source_merge(keep=keep, merge=merge)

    with pytest.raises(ValidationError, match="already an alias of “Mevlüt Çavuşoğlu”"):
        source_create(project=project, name="Mevlit Cavusoglu")


def test_a_source_cannot_be_merged_into_itself(project: Any) -> None:
    source = source_create(project=project, name="Hulusi Akar")

    with pytest.raises(ValidationError, match="into itself"):
        source_merge(keep=source, merge=source)


def test_sources_of_different_projects_cannot_be_merged(project: Any) -> None:
    keep = source_create(project=project, name="Hulusi Akar")
    merge = source_create(project=ProjectFactory(), name="Hulusi Akar")
    claim = ClaimFactory(article=ArticleFactory(project=merge.project), source=merge)

    with pytest.raises(ValidationError, match="same project"):
        source_merge(keep=keep, merge=merge)

    claim.refresh_from_db()
    assert claim.source_id == merge.pk
    assert Source.objects.filter(pk=merge.pk).exists()


# --- Versions ---------------------------------------------------------------------------


def test_every_update_and_merge_bumps_the_version_of_the_kept_source(
    project: Any, two_spellings: tuple[Source, Source]
) -> None:
    keep, merge = two_spellings
    assert keep.version == 1

    source_update(source=keep, description="Foreign minister of Turkey", version=1)
    assert Source.objects.get(pk=keep.pk).version == 2

    source_merge(keep=keep, merge=merge)
    assert Source.objects.get(pk=keep.pk).version == 3


def test_an_update_on_a_stale_version_writes_nothing_and_carries_the_current_source(
    project: Any,
) -> None:
    source = source_create(project=project, name="Hakan Fidan")
    source_update(source=source, description="first", version=1)
    history = History.objects.filter(entity="source", object_id=source.pk).count()

    with pytest.raises(StaleVersion) as caught:
        source_update(
            source=Source.objects.get(pk=source.pk),
            description="second",
            aliases=["Fidan"],
            version=1,
        )

    assert (caught.value.current.description, caught.value.current.version) == ("first", 2)
    source.refresh_from_db()
    assert (source.description, source.version) == ("first", 2)
    assert aliases_of(source) == []
    assert History.objects.filter(entity="source", object_id=source.pk).count() == history
