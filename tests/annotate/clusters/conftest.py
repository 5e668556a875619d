"""The cluster tests' corpus (``scene.make_corpus``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.annotate.clusters.scene import Corpus, make_corpus


@pytest.fixture
def corpus(project: Any) -> Corpus:
    return make_corpus(project)
