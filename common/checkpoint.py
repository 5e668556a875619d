"""SQLite: the checkpoint of a big write runs after the answer, not inside its COMMIT.

In WAL mode SQLite copies the write-ahead log back into the database file (a checkpoint,
with an fsync of each) at the first COMMIT that leaves the log at 1,000 pages or more
(``wal_autocheckpoint``). A 1,000-document upload writes ~1,700 pages (6.7 MB of text),
so its own COMMIT did the checkpoint before the answer could go: 30–45 ms of the
request's wall time on this machine, 10–15 ms of its CPU (bench/RESULTS.md, imp25).

``deferred`` turns the automatic checkpoint off on this connection for the length of a
big write (an import file's transaction) and back on after it; the checkpoint itself is
run by ``run_deferred``, connected to ``request_finished`` and ``task_finished``
(``config.apps``): once the answer has been sent (gunicorn fires ``request_finished`` when
it closes the response), or the task is done. Nothing is left undone if neither fires (a
management command): the next COMMIT of any connection whose log is over the threshold
checkpoints as before, and closing the last connection checkpoints too. What is stored
and when it is committed do not change; PostgreSQL is left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# SQLite's default ``wal_autocheckpoint`` (pages), restored after the write.
AUTOCHECKPOINT_PAGES = 1000

_state = threading.local()  # ``pending``: a deferred checkpoint to run (per thread: per connection)


def _applies() -> bool:
    return connection.vendor == "sqlite" and not connection.in_atomic_block


@contextmanager
def deferred() -> Iterator[None]:
    """The block's COMMITs on SQLite do not checkpoint; ``run_deferred`` does it later.
    Two PRAGMAs, whatever the size of the write (an upload's queries stay the same for 10
    documents as for 1,000). Inside a transaction (the COMMIT is someone else's) and on
    PostgreSQL it does nothing."""
    if not _applies():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
        _state.pending = True


def run_deferred(sender: Any = None, **kwargs: Any) -> bool:
    """Run the checkpoint ``deferred`` left, if any (PASSIVE: it waits for no reader or
    writer, and copies what it can). For ``request_finished`` and ``task_finished``.
    Whether it ran."""
    if not getattr(_state, "pending", False):
        return False
    _state.pending = False
    if not _applies() or connection.connection is None:
        return False  # closed meanwhile: closing it checkpointed, or the next COMMIT will
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except DatabaseError:  # after the answer: nothing to report to; a later COMMIT does it
        logger.warning("The deferred SQLite checkpoint failed.", exc_info=True)
        return False
    return True
