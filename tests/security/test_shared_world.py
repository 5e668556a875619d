"""``shared_world`` (tests/security/conftest.py): the world's rows are written once per
module, and yet each test starts from the same state and sees nothing another test wrote
or changed: rows, the objects in memory, the cache, the files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from annotate.exchange import tasks as export_tasks
from annotate.models import Suggestion, Target
from corpus import import_jobs
from tests.security import hostile
from tests.security.conftest import World

# What the first test of this module to run saw, for the next one to compare.
SEEN: dict[str, Any] = {}


def _state(world: World) -> dict[str, Any]:
    export = export_tasks.job_status(world.job)
    assert export is not None
    return {
        "tables": hostile.tables_state(),
        "claim": (world.claim.pk, world.claim.version, world.claim.quote),
        "project": world.project.name,
        "export": (export["state"], export["path"]),
        "export_file": (Path(settings.MEDIA_ROOT) / export["path"]).read_bytes(),
        "import_job": (import_jobs.job_status(world.job) or {}).get("state"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("run", ["first", "second", "third"])
def test_each_test_meets_the_same_world_whatever_the_one_before_did(
    shared_world: World, run: str
) -> None:
    world = shared_world
    state = _state(world)
    assert state["export_file"] == b"{}\n" and state["import_job"] == "done"
    SEEN.setdefault("state", state)
    assert state == SEEN["state"], f"the {run} run met another world"
    # Everything a test can change: rows written and deleted, objects changed in memory,
    # the cache emptied, the export's file removed.
    Target.objects.create(project=world.project, name=f"Written by the {run} run")
    Suggestion.objects.filter(pk=world.suggestion.pk).delete()
    world.claim.quote = "changed in memory"
    world.project.name = "changed in memory"
    world.project.save()
    (Path(settings.MEDIA_ROOT) / state["export"][1]).unlink()
    cache.clear()
    assert hostile.state_diff(state["tables"], hostile.tables_state())
