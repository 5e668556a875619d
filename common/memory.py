"""A long-lived worker gives back the memory a big request or task used.

A bulk import or an export builds many objects and frees them when it ends, but the
process keeps the pages: glibc keeps freed memory in its heap for the next allocation,
so a worker's resident memory stays at the peak of the biggest request it ever served
(issue 21: 258–274 MB for the worker that ran a bulk import, against ~100 MB for one that
served pages). ``release`` hands it back — a full garbage collection, then glibc's
``malloc_trim(0)``, which returns every free page of the heap to the system — when the
resident memory has grown by ``MEMORY_RELEASE_MB`` (setting, default 32) since it last
ran: after the few requests that grew the process, not after every request (reading the
RSS costs microseconds; a collection and a trim, 10–100 ms). It runs after every request
(``request_finished``) and every task (``task_finished``), connected in
``config.apps``. Elsewhere than Linux with glibc it only collects.

A trim does not give back everything: the heap the biggest requests fragmented (a bulk
import, a 1,000-document upload) and libraries loaded on the way (pyarrow, for Parquet) stay,
~230 MB after such a day against ~100 MB for a worker that served pages. So a gunicorn
worker whose RSS is still above ``recycle_mb`` (``CLAIMDESK_WORKER_RECYCLE_MB``, default
150) after a trim finishes the request and is replaced by a fresh one, as gunicorn's
``max_requests`` does — the same switch (``worker.alive``), set by memory rather than by a
count. Only a process that ``config/gunicorn.conf.py``'s ``post_fork`` registered
(``recycle_with``) is ever recycled: the task worker, ``runserver`` and the tests are not.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM = Path("/proc/self/statm")
_lock = threading.Lock()
_last: list[float] = [0.0]  # the RSS (MB) after the last release, or at the first look
_worker: list[Any] = []  # this process's gunicorn worker, when it is one (``recycle_with``)
_statm: list[Any] = [0, None]  # the pid that opened /proc/self/statm, and the descriptor


def recycle_with(worker: Any) -> None:
    """Make this process recyclable: ``worker`` is its gunicorn worker (whose ``alive``
    ends the worker's loop after the current request)."""
    _worker[:] = [worker]


def rss_mb() -> float:
    """This process's resident memory in MB (0.0 where ``/proc`` is missing). Read from
    ``/proc/self/statm`` kept open (``pread``: ~2 µs, where opening it each time took
    ~50 µs of every request), reopened in a new process: a forked worker must not read
    the file its parent opened, which is the parent's."""
    try:
        pid = os.getpid()
        if _statm[0] != pid:
            if _statm[1] is not None:
                os.close(_statm[1])
            _statm[:] = [pid, os.open(_STATM, os.O_RDONLY | os.O_CLOEXEC)]
        return int(os.pread(_statm[1], 128, 0).split()[1]) * _PAGE / 2**20
    except (OSError, IndexError, ValueError):
        _statm[:] = [0, None]
        return 0.0


@cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def trim() -> float:
    """Collect garbage and give the heap's free pages back; the RSS after, in MB."""
    gc.collect()
    malloc_trim = _malloc_trim()
    if malloc_trim is not None:
        malloc_trim(0)
    return rss_mb()


def release(grown_mb: float, recycle_mb: float = 0) -> bool:
    """``trim`` if the RSS grew by ``grown_mb`` or more since the last release (the first
    call only notes the RSS); then, if it is still above ``recycle_mb`` (0: never) and this
    is a registered gunicorn worker, have the worker replaced after this request. Whether
    it trimmed."""
    now = rss_mb()
    with _lock:
        if not _last[0] or now < _last[0]:
            _last[0] = now
            return False
        if now - _last[0] < grown_mb:
            return False
        _last[0] = trim()
        if recycle_mb and _last[0] > recycle_mb and _worker:
            worker = _worker[0]
            if getattr(worker, "alive", False):
                worker.log.info(
                    "Replacing the worker after this request: %.0f MB resident after giving "
                    "memory back (CLAIMDESK_WORKER_RECYCLE_MB=%s).",
                    _last[0],
                    recycle_mb,
                )
                worker.alive = False
        return True


def freeze() -> int:
    """Collect, then move every object still alive into the collector's permanent
    generation (``gc.freeze``), which no later collection walks; how many were frozen.

    For a process's start (``common.warm``, from ``config/wsgi.py``): the modules, the
    URL configuration and numpy live as long as the worker, yet each full collection
    walked them all — ``release``'s after a big request spent 60–100 ms of the worker's
    CPU on them (issue 21, the 1,000-document upload), and so did the interpreter's own
    collections of the oldest generation. Frozen, they cost nothing; what later requests
    make is collected as before. An object frozen here is never freed by the collector
    (reference counting still frees it), which is what start-up objects need."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (as it was after): for a bulk write, which
    makes hundreds of thousands of objects that live until its chunk ends and form no
    cycles. Each collection of the older generations walks every object of the process:
    a 20,000-claim import ran ~800 of them, 15% of its time. Its garbage is freed by
    reference counting as it goes; cycles wait for the next collection after the block
    (``release`` after the request, or the interpreter's own)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
