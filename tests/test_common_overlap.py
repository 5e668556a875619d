"""``common.overlap``: one job in a writer thread on the caller's connection, its error
raised in the caller's thread, the caller's queries waiting for it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from common import overlap as overlap_module
from common.overlap import Overlap
from tests.helpers import ConnectionWatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _overlap_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism on both databases (by default it is on for PostgreSQL only)."""
    monkeypatch.setattr(overlap_module, "OVERLAP", True)


def test_by_default_it_runs_where_the_database_is_a_process_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(overlap_module, "OVERLAP", None)
    assert Overlap().enabled is (connection.vendor == "postgresql")
    assert Overlap(enabled=True).enabled
    monkeypatch.setattr(overlap_module, "OVERLAP", False)
    assert not Overlap().enabled


def _one(sql: str = "SELECT 1") -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_the_job_runs_in_another_thread_on_the_callers_connection() -> None:
    seen: list[Any] = []

    def job() -> None:
        seen.append((threading.current_thread().name, connections["default"], _one()))

    with Overlap() as overlap:
        overlap.start(job)
        overlap.join()
    [(name, used, one)] = seen
    assert name == "overlap-writer"
    assert used is connections["default"]  # the caller's object, so its transaction
    assert one == 1


def test_the_jobs_error_is_raised_by_join_in_the_callers_thread() -> None:
    def job() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"), Overlap() as overlap:
        overlap.start(job)
        overlap.join()
    assert _one() == 1  # the connection is the caller's again, usable


def test_leaving_the_block_joins_the_job_and_raises_its_error() -> None:
    with pytest.raises(RuntimeError, match="late"), Overlap() as overlap:
        overlap.start(lambda: (_ for _ in ()).throw(RuntimeError("late")))
    assert not overlap.running


def test_the_callers_error_stands_when_the_job_failed_too() -> None:
    def job() -> None:
        raise RuntimeError("job")

    with pytest.raises(KeyError), Overlap() as overlap:
        overlap.start(job)
        raise KeyError("caller")
    assert not overlap.running


def test_a_query_of_the_caller_waits_for_the_job() -> None:
    release = threading.Event()
    order: list[str] = []

    def job() -> None:
        release.wait(5)
        _one()
        order.append("job")

    with Overlap() as overlap:
        overlap.start(job)
        assert overlap.running
        release.set()
        _one()  # joins the job first
        order.append("caller")
        assert not overlap.running
    assert order == ["job", "caller"]


def test_the_connection_is_never_in_two_threads_at_once() -> None:
    watch = ConnectionWatch()

    def job() -> None:
        for _ in range(200):
            _one()

    # The watcher runs inside Overlap's wrapper: what it sees is what reaches the database.
    with Overlap() as overlap, connection.execute_wrapper(watch):
        for _ in range(5):
            overlap.start(job)
            for _ in range(20):
                _one()
    assert not watch.clashes
    assert set(watch.threads) == {"overlap-writer", threading.current_thread().name}


def test_disabled_it_runs_the_job_at_once_in_the_callers_thread() -> None:
    names: list[str] = []
    with Overlap(enabled=False) as overlap:
        overlap.start(lambda: names.append(threading.current_thread().name))
        assert not overlap.running
    assert names == [threading.current_thread().name]
