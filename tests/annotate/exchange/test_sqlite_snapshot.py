"""Two SQLite readers in one snapshot (``fetch.SqliteSnapshot``): JSON Lines written by
SQLite reads every other block of articles with a reader thread each
(``jsonl_sql.article_rows``); each reader's snapshot is taken at its first read, so a
write committed between the two starts was in one half of the export and not the
other. The write lock held until both have begun keeps it out of both."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from annotate.exchange import fetch, jsonl_sql
from annotate.exchange.options import ExportOptions
from tests.annotate.exchange.conftest import Corpus

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's readers")

COUNT = "SELECT count(*) FROM t"


@pytest.fixture
def file_database(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """A SQLite database in a file (WAL, as the settings make it) under an alias of its
    own: the tests' in-memory database shares one cache, where readers have no snapshots
    of their own."""
    alias = "snapshot_file"
    path = tmp_path / "snapshot.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (n integer)")
        setup.execute("INSERT INTO t VALUES (1)")
    setup.close()
    connections.settings[alias] = connections.configure_settings(
        {
            "default": connections.settings["default"],
            alias: {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            },
        }
    )[alias]
    try:
        with django_db_blocker.unblock():  # this database only
            yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def _first(rows: Iterator[tuple[list[Any], Any]]) -> Any:
    batch, _ = next(rows)
    return batch[0][0]


def _two_readers_with_a_write_between(alias: str, snapshot: Any) -> tuple[Any, Any, bool]:
    """Reader 1 starts (and reads), a writer commits (or waits), reader 2 starts: what
    each read, and whether the write had committed before reader 2 started."""
    path = connections.settings[alias]["NAME"]
    done = threading.Event()

    def write() -> None:
        writer = sqlite3.connect(path, timeout=20)
        with writer:
            writer.execute("INSERT INTO t VALUES (2)")
        writer.close()
        done.set()

    first = fetch.fetch_rows(alias, COUNT, [], 10, len, snapshot=snapshot)
    second = fetch.fetch_rows(alias, COUNT, [], 10, len, snapshot=snapshot)
    one = _first(first)
    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)  # the write commits now, unless the lock holds it back
    before = done.is_set()
    two = _first(second)
    for rows in (first, second):
        rows.close()
    writer.join(20)
    assert done.is_set()  # the writer was not held past the readers' start
    return one, two, before


def test_without_a_shared_snapshot_the_second_reader_sees_the_write(file_database: str) -> None:
    """What the lock prevents: each reader's own snapshot, taken at its start."""
    one, two, before = _two_readers_with_a_write_between(file_database, None)
    assert before
    assert (one, two) == (1, 2)


def test_two_readers_read_one_snapshot(file_database: str) -> None:
    with fetch.SqliteSnapshot(file_database, 2) as snapshot:
        one, two, before = _two_readers_with_a_write_between(file_database, snapshot)
    assert not before  # the writer waited for both readers' start
    assert (one, two) == (1, 1)
    with sqlite3.connect(connections.settings[file_database]["NAME"]) as check:
        assert check.execute(COUNT).fetchone() == (2,)
    check.close()


def test_the_lock_goes_when_the_readers_never_start(file_database: str) -> None:
    """A caller that stops before its readers (or after one): the ``with``'s end lets
    writers in."""
    path = connections.settings[file_database]["NAME"]
    with fetch.SqliteSnapshot(file_database, 2) as snapshot:
        rows = fetch.fetch_rows(file_database, COUNT, [], 10, len, snapshot=snapshot)
        assert _first(rows) == 1
        rows.close()
        assert snapshot.guard is not None  # still held: one reader of two began
    writer = sqlite3.connect(path, timeout=0.5)
    with writer:
        writer.execute("INSERT INTO t VALUES (3)")
    writer.close()


def test_a_reader_that_fails_does_not_hold_the_lock(file_database: str) -> None:
    with fetch.SqliteSnapshot(file_database, 2) as snapshot:
        bad = fetch.fetch_rows(
            file_database, "SELECT nothing FROM t", [], 10, len, snapshot=snapshot
        )
        with pytest.raises(Exception, match="nothing"):
            next(bad)
        good = fetch.fetch_rows(file_database, COUNT, [], 10, len, snapshot=snapshot)
        assert _first(good) == 1
        good.close()
        assert snapshot.guard is None  # both counted: the lock went


@pytest.mark.django_db(transaction=True)
def test_json_lines_readers_share_one_snapshot(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``article_rows`` outside a transaction: both readers told one ``SqliteSnapshot``,
    released once both began (the export's rows as before)."""
    made: list[fetch.SqliteSnapshot] = []

    class Recorded(fetch.SqliteSnapshot):
        def __init__(self, alias: str, readers: int) -> None:
            super().__init__(alias, readers)
            made.append(self)

    monkeypatch.setattr(jsonl_sql, "SqliteSnapshot", Recorded)
    options = ExportOptions(layer="all", all_articles=True)
    rows = list(jsonl_sql.article_rows(corpus.project, options, block=1))
    assert len(rows) >= 2  # two blocks at least: two readers
    assert [(s.waiting, s.guard) for s in made] == [(0, None)]


@pytest.mark.django_db(transaction=True)
def test_json_lines_in_a_transaction_reads_in_it(corpus: Corpus) -> None:
    """Inside the caller's transaction there are no reader threads and no lock: the
    transaction is the snapshot."""
    from django.db import transaction

    options = ExportOptions(layer="all", all_articles=True)
    with transaction.atomic():
        outside = list(jsonl_sql.article_rows(corpus.project, options, block=1))
    assert outside == list(jsonl_sql.article_rows(corpus.project, options, block=1))
