"""No test leaves a connection to the test database open (PostgreSQL only; tests only).

A thread that uses the ORM opens a connection of its own, and with ``CONN_MAX_AGE`` it
stays open after the thread's work is done, for as long as the thread or its connection
object lives (a pool's idle worker, a live server's kept-alive request). At the end of
the run pytest-django drops the test database and PostgreSQL refuses while another
session is connected to it: a teardown warning ("is being accessed by other users") that
names no test. One query lists the other sessions on the test database
(``pg_stat_activity``) after each test in which a thread other than the test's own opened
a connection (``connection_created``), and after the last test of each module (for what
connects otherwise: a server process, psycopg directly); if one is still there after a short
grace (a connection closed a moment ago leaves when its server process exits), the test
fails at teardown with each session's application name, state and last query (which
says what left it open), and those sessions are ended so that the next tests are not
blamed for them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from typing import Any

import pytest
from django.db import connections
from django.db.backends.signals import connection_created

# A session closed by its client leaves pg_stat_activity when its server process has
# exited: a few milliseconds, longer on a loaded machine.
GRACE_SECONDS = 2.0

_OTHERS = """
    SELECT pid, application_name, state, backend_type, left(query, 200)
    FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
    ORDER BY pid
"""


def other_sessions(alias: str = "default") -> list[tuple[Any, ...]]:
    """The other sessions connected to ``alias``'s database (this one excepted)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(_OTHERS)
        return list(cursor.fetchall())


def _lingering(alias: str, grace: float) -> list[tuple[Any, ...]]:
    deadline = time.monotonic() + grace
    sessions = other_sessions(alias)
    while sessions and time.monotonic() < deadline:
        time.sleep(0.05)
        sessions = other_sessions(alias)
    return sessions


def left_open(nodeid: str, alias: str = "default", grace: float = GRACE_SECONDS) -> str | None:
    """What ``nodeid`` left connected to the test database, or None; the sessions it left
    are ended, so that the next tests are not blamed for them. Outside a transaction:
    within one, PostgreSQL answers ``pg_stat_activity`` from the snapshot it took first."""
    sessions = _lingering(alias, grace)
    if not sessions:
        return None
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid",
            [[pid for pid, *_ in sessions]],
        )
    listed = "\n".join(
        f"  pid {pid} application_name={name!r} state={state} ({kind}), last query: {query!r}"
        for pid, name, state, kind, query in sessions
    )
    return (
        f"{nodeid} left {len(sessions)} other connection(s) to the test database open "
        f"(tests/open_connections.py):\n{listed}"
    )


class _Watch:
    """Whether a thread other than the tests' own opened a connection during this test;
    and which tests had each server process (backend pid) as the tests' own connection,
    so that a session left at the end is named by the tests it served (``before_drop``)."""

    test_thread: int | None = None
    other_thread_connected = False
    # backend pid -> (the first test, the last test) it was the main connection after
    main_pids: dict[int, tuple[str, str]] = {}


def _note_main_pid(nodeid: str) -> None:
    """The tests' own connection's server process after ``nodeid`` (no query: psycopg
    knows it)."""
    raw = connections["default"].connection
    pid = getattr(getattr(raw, "info", None), "backend_pid", None)
    if raw is None or pid is None or getattr(raw, "closed", True):
        return
    first, _ = _Watch.main_pids.get(pid, (nodeid, nodeid))
    _Watch.main_pids[pid] = (first, nodeid)


def _connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if threading.get_ident() != _Watch.test_thread:
        _Watch.other_thread_connected = True


connection_created.connect(_connection_created, dispatch_uid="tests.open_connections")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _Watch.test_thread = threading.get_ident()
    _Watch.other_thread_connected = False


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    # After every fixture of the test is finalized: its transaction rolled back, the
    # threads and servers it stopped gone.
    result = yield
    connection = connections["default"]
    # No connection in this thread: no test of this process used the database yet (the
    # ORM refuses threads too until one does: pytest-django's blocker).
    if connection.vendor != "postgresql" or connection.connection is None:
        return result
    _note_main_pid(item.nodeid)
    if connection.in_atomic_block:  # not expected after teardown; nothing reliable to read
        return result
    # The query after a test whose threads connected (ORM connections: named by test),
    # otherwise once per module, at its last test (what else connects: a server process,
    # psycopg directly), so that it costs ~400 queries in the run rather than ~4,000.
    last_of_module = nextitem is None or nextitem.path != item.path
    if not (_Watch.other_thread_connected or last_of_module):
        return result
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        module = item.nodeid.split("::")[0]
        problem = left_open(item.nodeid if _Watch.other_thread_connected else f"a test of {module}")
    if problem:
        pytest.fail(problem, pytrace=False)
    return result


def before_drop(blocker: Any) -> None:
    """At the end of the run, just before pytest-django drops the test database: warn with
    the other sessions still on it and this process's live threads. Nothing fails here
    (the drop's own warning says only "being accessed by other users"); this says by
    whom — the check after each test cannot see what is open after a worker's last one."""
    import warnings

    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    try:
        with blocker.unblock():
            sessions = _lingering("default", GRACE_SECONDS)
    except Exception as error:  # a diagnostic: never the run's failure
        warnings.warn(f"tests/open_connections.py: no check before the drop: {error}", stacklevel=1)
        return
    if sessions:
        threads = ", ".join(
            f"{t.name}{' (daemon)' if t.daemon else ''}" for t in threading.enumerate()
        )

        def served(pid: int) -> str:
            if pid not in _Watch.main_pids:
                return "never this process's own connection after a test"
            first, last = _Watch.main_pids[pid]
            return f"this process's own connection after the tests from {first} to {last}"

        listed = "; ".join(
            f"pid {pid} application_name={name!r} state={state} ({kind}) last query "
            f"{query!r}, {served(pid)}"
            for pid, name, state, kind, query in sessions
        )
        warnings.warn(
            f"tests/open_connections.py: {len(sessions)} other session(s) on the test database "
            f"before its drop: {listed}. This process's threads: {threads}",
            stacklevel=1,
        )
