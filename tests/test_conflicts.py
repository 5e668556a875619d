"""``common.conflicts``: the API shows a conflicting row with the serializer its model
registered, whatever app raised the conflict."""

from __future__ import annotations

import pytest

from annotate.models import Claim
from common import conflicts
from corpus.models import Project
from tests.factories import SourceFactory


@pytest.mark.django_db
def test_a_row_is_shown_by_its_models_registered_serializer() -> None:
    source = SourceFactory(name="Ahmet Davutoğlu")
    shown = conflicts.representation(source)
    assert (shown["id"], shown["name"], shown["version"]) == (source.pk, "Ahmet Davutoğlu", 1)
    assert conflicts.address(source) is None
    assert conflicts.address(Claim(pk=5)) == "/api/claims/5/"


def test_a_model_without_a_serializer_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="No serializer for Project"):
        conflicts.representation(Project(pk=1))


@pytest.mark.django_db
def test_one_stale_version_names_the_rows_model_and_version() -> None:
    source = SourceFactory(name="Ahmet Davutoğlu")
    assert str(conflicts.StaleVersion(source)) == (
        f"This source was changed elsewhere (now version {source.version}); "
        "reload it and apply your change again."
    )
    assert str(conflicts.StaleVersion(Claim(version=4))) == (
        "This claim was changed elsewhere (now version 4); reload it and apply your change again."
    )
    assert str(conflicts.StaleVersion(source, "Someone decided.")) == "Someone decided."
