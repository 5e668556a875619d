"""The claim import's pipeline (issue 21): a batch's write runs in a writer thread while
the next batch is checked and built; a failing write rolls the whole import back, and
the rejections and retries stay as they were."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection

from annotate.exchange import importing
from annotate.exchange.importing import import_annotations
from annotate.models import Assignment, Claim, ClaimStance, History
from common import overlap
from tests.annotate.exchange.test_import_queries import _file, _member
from tests.factories import ProjectFactory
from tests.helpers import ConnectionWatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _overlap_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline on both databases (by default it is on for PostgreSQL only); a test
    that wants it off says so."""
    monkeypatch.setattr(overlap, "OVERLAP", True)


def _bad_sql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_b28")


@pytest.mark.parametrize("failure", ["python", "database"])
def test_a_failing_write_in_batch_3_leaves_nothing_written(
    monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    monkeypatch.setattr(importing, "CHUNK", 6)  # two articles' claims a batch
    project = ProjectFactory()
    data, _ = _file(project, 8)  # 24 claims, 4 batches
    user = _member(project)
    writes: list[str] = []
    # The batches pass their checks: they are written as rows (``claims_write_rows``).
    real = importing.claims_write_rows

    def claims_write_rows(rows: Any, **kwargs: Any) -> Any:
        writes.append(threading.current_thread().name)
        made = real(rows, **kwargs)
        if len(writes) == 3:
            if failure == "python":
                raise RuntimeError("disk full")
            _bad_sql()
        return made

    monkeypatch.setattr(importing, "claims_write_rows", claims_write_rows)
    error = RuntimeError if failure == "python" else DatabaseError
    with pytest.raises(error):
        import_annotations(project=project, annotator=user, data=data, fmt="jsonl")
    # Batches 1–3 were written (3 in the writer thread, beside batch 4's checks), then
    # everything was rolled back.
    assert writes == ["overlap-writer"] * 3
    assert not Claim.objects.filter(annotator=user).exists()
    assert not ClaimStance.objects.filter(claim__annotator=user).exists()
    assert not History.objects.filter(entity="claim", actor=user).exists()
    assert not Assignment.objects.filter(annotator=user).exists()
    # The connection is usable and the project takes the same file afterwards.
    monkeypatch.setattr(importing, "claims_write_rows", real)
    report = import_annotations(project=project, annotator=user, data=data, fmt="jsonl")
    assert report.written and report.created == 24


def test_the_batches_writes_run_beside_the_next_batchs_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importing, "CHUNK", 6)
    project = ProjectFactory()
    data, expected = _file(project, 6)  # 3 batches
    user = _member(project)
    watch = ConnectionWatch()
    with connection.execute_wrapper(watch):
        report = import_annotations(project=project, annotator=user, data=data, fmt="jsonl")
    assert report.written and report.created == expected
    assert not watch.clashes
    assert "overlap-writer" in watch.threads  # batches 1 and 2 were written in the writer
    assert Claim.objects.filter(annotator=user).count() == expected
    assert Assignment.objects.filter(annotator=user).count() == 6


@pytest.mark.parametrize("enabled", [True, False])
def test_a_rejected_item_in_a_later_batch_keeps_the_rest_with_partial(
    monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    monkeypatch.setattr(importing, "CHUNK", 6)
    monkeypatch.setattr(overlap, "OVERLAP", enabled)
    project = ProjectFactory()
    data, expected = _file(project, 6)  # 18 claims, 3 batches
    lines = [json.loads(line) for line in data.decode().split("\n")]
    lines[4]["claims"][1]["start"] = 10**6  # batch 3
    lines[5]["claims"].append(dict(lines[5]["claims"][0]))  # a duplicate in batch 3
    user = _member(project)
    report = import_annotations(
        project=project,
        annotator=user,
        data="\n".join(json.dumps(line) for line in lines),
        fmt="jsonl",
        partial=True,
    )
    assert report.written
    assert [r.where for r in report.rejected] == ["line 5, claim 2"]
    assert (report.created, report.skipped) == (expected - 1, 1)
    assert Claim.objects.filter(annotator=user).count() == expected - 1
    assert report.assigned == 6 == Assignment.objects.filter(annotator=user).count()
