"""A pipeline of two: one job (a batch's write) runs in a writer thread on the caller's
database connection while the caller goes on in Python (builds the next batch).

Why it pays: the two halves of a bulk write wait for each other otherwise. SQLite's
``sqlite3_step`` runs with the GIL released (Python's ``sqlite3`` lets go of it around
each step), and so do psycopg's waits for the PostgreSQL server (a COPY's data, its
end); the Python work of building the next batch fills that time on the other core.

``Overlap`` (a context manager around the batches): ``start(job)`` runs ``job()`` in a
writer thread; ``join()`` waits for it and raises what it raised, in the caller's
thread, so the caller's transaction is rolled back as for any error of its own. The job
uses the caller's connection object of ``using`` (the same DB-API connection, so the same
transaction): Django's connections are per thread, so the writer thread is given the
caller's (``connections[alias] = …``) and the connection allows the sharing
(``inc_thread_sharing``) while the block runs. Python's ``sqlite3`` connections are
opened by Django with ``check_same_thread=False``; psycopg's are thread-safe.

The connection is never used by two threads at once:

- at most one job runs: ``start`` joins the one before;
- a query of the caller's thread waits for the job first (an execute wrapper on the
  connection joins it): code between ``start`` and ``join`` is meant to be pure Python,
  and a query there is slower, never concurrent;
- between ``start`` and ``join`` the caller opens and leaves no atomic block and calls no
  ``on_commit`` (Django's transaction state, which the job's ``bulk_create`` changes, is
  the connection's, not a thread's): the job's own savepoint-less blocks stay the job's;
- leaving the block joins the job (also on an error of the caller's: the error is
  raised, the job's, if any, is dropped as a consequence of it), before the caller's
  transaction ends.

By default it is on for PostgreSQL only (``OVERLAP = None``; see there why not SQLite).
With ``enabled=False`` (or ``OVERLAP = False``) ``start`` runs the job at once in the
caller's thread: the same writes in the same order, one thing at a time (the A/B's
baseline, and a way out if a backend misbehaves).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from types import TracebackType
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# Whether ``Overlap`` runs jobs in a writer thread at all (False: in the caller's thread;
# None: where the database works in a process of its own, PostgreSQL — there the server's
# CPU runs beside the client's. On SQLite the database's work is this process's: on two
# idle cores the import's wall came out level (2.46 vs 2.36 s, 2.40 vs 2.51 s median, two
# alternated sets) for 0.3-0.4 s more CPU, so it is off there; PostgreSQL 2.44 -> 2.23 s,
# every pair ahead. bench/RESULTS.md, "Session 15, the lead".)
OVERLAP: bool | None = None
# The interpreter's switch interval while a block runs (seconds; None: left as it is).
SWITCH_INTERVAL: float | None = 0.0005

_switch_lock = threading.Lock()
_switch_users = 0
_switch_before = 0.0


def _switch_enter() -> None:
    global _switch_users, _switch_before
    with _switch_lock:
        if _switch_users == 0:
            _switch_before = sys.getswitchinterval()
            if SWITCH_INTERVAL is not None:
                sys.setswitchinterval(min(SWITCH_INTERVAL, _switch_before))
        _switch_users += 1


def _switch_exit() -> None:
    global _switch_users
    with _switch_lock:
        _switch_users -= 1
        if _switch_users == 0:
            sys.setswitchinterval(_switch_before)


class Overlap:
    """One write at a time beside the caller's thread, on its connection of ``using``."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS, *, enabled: bool | None = None) -> None:
        self.alias = using
        self.connection = connections[using]
        if enabled is None:
            enabled = OVERLAP if OVERLAP is not None else self.connection.vendor == "postgresql"
        self.enabled = enabled
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._stack = ExitStack()

    def __enter__(self) -> Overlap:
        if self.enabled:
            self.connection.inc_thread_sharing()
            _switch_enter()
            self._stack.callback(_switch_exit)
            self._stack.callback(self.connection.dec_thread_sharing)
            self._stack.enter_context(self.connection.execute_wrapper(self._before_query))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.join()
        except BaseException:
            if error is None:
                raise
            # The caller's own error stands (the job failed beside it: the transaction
            # is rolled back all the same).
        finally:
            self._stack.close()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, job: Callable[[], Any]) -> None:
        """Run ``job()`` in the writer thread (after the one before has ended)."""
        self.join()
        if not self.enabled:
            job()
            return
        thread = threading.Thread(target=self._run, args=(job,), name="overlap-writer")
        self._thread = thread
        thread.start()

    def join(self) -> None:
        """Wait for the job, if one runs, and raise what it raised."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.join()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self, job: Callable[[], Any]) -> None:
        connections[self.alias] = self.connection  # this thread's: the caller's
        try:
            job()
        except BaseException as error:  # handed to the caller's thread by ``join``
            self._error = error
        finally:
            del connections[self.alias]

    def _before_query(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any
    ) -> Any:
        """The caller's queries wait for the job (the job's own pass)."""
        thread = self._thread
        if thread is not None and thread.ident != threading.get_ident():
            self.join()
        return execute(sql, params, many, context)
