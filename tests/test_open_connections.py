"""The guard against connections left open to the test database (tests/open_connections.py)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from tests.open_connections import _Watch, left_open, other_sessions

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's sessions (pg_stat_activity)"
)


def _connect_in_a_thread(kept: list[Any]) -> None:
    """A thread that queries through the ORM and does not close its connection; its
    connection object is kept alive, as a pool's idle worker keeps its own."""

    def work() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 'left-open-probe'")
        kept.append(connections["default"])

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


@pytest.mark.django_db(transaction=True)
def test_a_connection_a_thread_left_open_is_named_and_ended() -> None:
    kept: list[Any] = []
    assert not _Watch.other_thread_connected
    _connect_in_a_thread(kept)
    try:
        assert _Watch.other_thread_connected  # so the check runs after this test
        assert len(other_sessions()) == 1
        problem = left_open("tests/x.py::test_leaky", grace=0.2)
        assert problem is not None
        assert problem.startswith("tests/x.py::test_leaky left 1 other connection(s)")
        assert "SELECT 'left-open-probe'" in problem
        # Ended: the next test is not blamed for it.
        assert left_open("tests/x.py::test_next", grace=2.0) is None
    finally:
        kept[0].connection.close()  # psycopg's, closed from here: the session is gone


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_closes_its_connection_leaves_nothing() -> None:
    def work() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            connections["default"].close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert left_open("tests/x.py::test_tidy") is None
