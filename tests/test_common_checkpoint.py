"""common.checkpoint: SQLite's checkpoint of an import runs after the answer (issue 21)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import OperationalError, connection, transaction
from django.tasks.signals import task_finished
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from common import checkpoint
from corpus.models import Article
from tests.corpus.test_articles_create_many import _jsonl

SQLITE = connection.vendor == "sqlite"


def _autocheckpoint() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return int(cursor.fetchone()[0])


@pytest.fixture
def clean_state() -> Any:
    checkpoint._state.pending = False
    yield
    checkpoint._state.pending = False


@pytest.mark.django_db(transaction=True)
def test_deferred_turns_the_automatic_checkpoint_off_for_the_block(clean_state: Any) -> None:
    with checkpoint.deferred():
        if SQLITE:
            assert _autocheckpoint() == 0
    if not SQLITE:  # PostgreSQL: nothing to do
        assert not checkpoint.run_deferred()
        return
    assert _autocheckpoint() == checkpoint.AUTOCHECKPOINT_PAGES
    assert checkpoint.run_deferred()  # the checkpoint, once
    assert not checkpoint.run_deferred()


@pytest.mark.django_db(transaction=True)
def test_the_setting_comes_back_when_the_block_fails(clean_state: Any) -> None:
    with pytest.raises(RuntimeError), checkpoint.deferred():
        raise RuntimeError("the import failed")
    if SQLITE:
        assert _autocheckpoint() == checkpoint.AUTOCHECKPOINT_PAGES


@pytest.mark.django_db
def test_inside_a_transaction_the_commit_is_someone_elses(clean_state: Any) -> None:
    with transaction.atomic(), checkpoint.deferred():
        if SQLITE:
            assert _autocheckpoint() == checkpoint.AUTOCHECKPOINT_PAGES
    assert not checkpoint.run_deferred()


def test_it_runs_after_each_request_and_task() -> None:
    for signal in (request_finished, task_finished):
        assert checkpoint.run_deferred in signal._live_receivers(None)[0]


@pytest.mark.django_db(transaction=True)
def test_an_upload_leaves_no_checkpoint_pending(
    manager: Any, project: Any, clean_state: Any
) -> None:
    """Through the API (the test client fires ``request_finished`` as gunicorn does, once
    the answer is written): the articles stored, the setting back, nothing left to do."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    response = client.post(
        f"/api/projects/{project.slug}/articles/upload/",
        {"file": SimpleUploadedFile("feed.jsonl", _jsonl(30))},
    )
    assert response.status_code == 201, response.content
    assert Article.objects.filter(project=project).count() == 30
    assert not getattr(checkpoint._state, "pending", False)
    if SQLITE:
        assert _autocheckpoint() == checkpoint.AUTOCHECKPOINT_PAGES


def test_sqlite_commits_without_checkpointing_when_told(tmp_path: Path) -> None:
    """What the module relies on, in a WAL database of its own: with the setting at 0 a
    COMMIT past the threshold leaves the log whole; a PASSIVE checkpoint then copies it."""
    db = sqlite3.connect(tmp_path / "wal.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x TEXT)")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?)", [("x" * 6000,)] * 1000)  # ~1,500 pages
    db.execute("COMMIT")
    busy, frames, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, copied) == (0, frames) and frames > 1000
    db.close()


@pytest.mark.django_db(transaction=True)
def test_a_failed_checkpoint_is_logged_not_raised(
    clean_state: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """After the answer there is no one to tell: the next COMMIT over the threshold, or
    closing the connection, checkpoints instead."""
    if not SQLITE:
        pytest.skip("SQLite only")
    with checkpoint.deferred():
        pass

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(connection, "cursor", broken)
    assert not checkpoint.run_deferred()
    assert "checkpoint failed" in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_claims_import_defers_its_checkpoint_unless_a_dry_run(
    monkeypatch: pytest.MonkeyPatch, clean_state: Any, dry_run: bool
) -> None:
    """The claims import (API, command, task) commits without SQLite's checkpoint, as the
    upload does; a dry run commits nothing and leaves the setting alone."""
    from annotate.exchange import importing
    from tests.annotate.exchange.test_import_queries import _file, _member
    from tests.factories import ProjectFactory

    seen: list[int] = []
    real = checkpoint.deferred

    @contextlib.contextmanager
    def spying() -> Any:
        with real():
            seen.append(_autocheckpoint() if SQLITE else -1)
            yield

    monkeypatch.setattr(checkpoint, "deferred", spying)
    project = ProjectFactory()
    annotator = _member(project)
    data, _ = _file(project, 3)
    report = importing.import_annotations(
        project=project, annotator=annotator, data=data, fmt="jsonl", dry_run=dry_run
    )
    assert report.ok, report.rejected
    assert seen == ([] if dry_run else [0 if SQLITE else -1])
    assert getattr(checkpoint._state, "pending", False) is (SQLITE and not dry_run)
    if SQLITE:
        assert checkpoint.run_deferred() is (not dry_run)
        assert _autocheckpoint() == checkpoint.AUTOCHECKPOINT_PAGES
