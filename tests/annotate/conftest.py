"""Fixtures of the annotate tests (the scenes they build are in ``tests/scenes.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import default_targets, isachenko
from tests.scenes import Scene, review_scene


@pytest.fixture
def scene(project: Any, annotator: Any, other_annotator: Any, curator: Any) -> Scene:
    """Two annotators done with one article, two sources, two targets, and a curator."""
    return review_scene(project, annotator, other_annotator)


@pytest.fixture
def targets(project: Any) -> list[Any]:
    """The project's default stance targets."""
    return default_targets(project)


@pytest.fixture
def source(project: Any) -> Any:
    """Daria Isachenko, with the alias "Isachenko"."""
    return isachenko(project)
