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
