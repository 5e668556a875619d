"""common.memory: a worker gives back the memory of a big request (issue 21)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.test import Client

from common import memory


@pytest.fixture
def rss(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The RSS ``memory`` sees (set ``rss[0]``), and the trims it made (counted in ``rss[1]``)."""
    state = [100.0, 0.0]

    def trim() -> float:
        state[1] += 1
        state[0] -= 50
        return state[0]

    monkeypatch.setattr(memory, "rss_mb", lambda: state[0])
    monkeypatch.setattr(memory, "trim", trim)
    monkeypatch.setattr(memory, "_last", [0.0])
    yield state


def test_release_trims_once_the_rss_has_grown_enough(rss: list[float]) -> None:
    assert not memory.release(32)  # notes 100 MB
    rss[0] = 120
    assert not memory.release(32)  # +20: not yet
    rss[0] = 190
    assert memory.release(32)  # +90: collected and trimmed, to 140
    assert rss[1] == 1
    assert not memory.release(32)  # from 140, nothing grew
    rss[0] = 100
    assert not memory.release(32)  # lower: the new mark
    rss[0] = 140
    assert memory.release(32)
    assert rss[1] == 2


@pytest.mark.django_db
def test_a_request_that_grew_the_process_is_followed_by_a_release(rss: list[float]) -> None:
    memory.release(32)
    rss[0] += 64  # as if the request had grown the heap
    Client().get("/healthz")
    assert rss[1] == 1


def test_the_real_trim_runs_and_reads_the_rss() -> None:
    assert memory.rss_mb() > 0
    assert memory.trim() > 0


def test_freeze_takes_what_is_alive_out_of_the_collections() -> None:
    import gc

    class Cycle:
        pass

    alive = Cycle()
    alive.me = alive  # type: ignore[attr-defined]
    try:
        frozen = memory.freeze()
        # Frozen objects freed by reference counting since leave the count (another
        # thread's, say): it can only shrink until the next freeze.
        assert 0 < gc.get_freeze_count() <= frozen
        assert not any(o is alive for o in gc.get_objects())  # no generation holds it now
        garbage = Cycle()
        garbage.me = garbage  # type: ignore[attr-defined]
        del garbage
        assert gc.collect() >= 1  # what is made afterwards is collected as before
    finally:
        gc.unfreeze()


def _statm_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * memory._PAGE / 2**20


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
# The child only reads /proc and allocates, then leaves with os._exit: no lock it needs.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_the_rss_is_the_process_own_after_a_fork() -> None:
    """``rss_mb`` keeps /proc/self/statm open: a forked gunicorn worker must read its own
    (64 MB more here), not the file its parent opened, which is the parent's."""
    before = memory.rss_mb()
    assert abs(before - _statm_mb()) < 4
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's result is its exit status)
        start, fresh_start = memory.rss_mb(), _statm_mb()
        block = b"\x01" * (64 * 2**20)
        seen, fresh = memory.rss_mb(), _statm_mb()
        own = abs(start - fresh_start) < 4 and abs(seen - fresh) < 4
        os._exit(0 if own and seen > start + 48 and block else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert abs(memory.rss_mb() - _statm_mb()) < 4


def test_gc_paused_stops_collections_inside_and_restores_the_state_after() -> None:
    import gc

    assert gc.isenabled()
    with memory.gc_paused():
        assert not gc.isenabled()
        with memory.gc_paused():  # nested: the outer block's state comes back
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), memory.gc_paused():
        raise RuntimeError
    assert gc.isenabled()


class _Worker:
    """What ``release`` uses of a gunicorn worker."""

    def __init__(self) -> None:
        import logging

        self.alive = True
        self.log = logging.getLogger("tests.worker")


def test_a_worker_still_too_big_after_a_trim_is_replaced(
    rss: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a trim that leaves the RSS above ``recycle_mb``, a registered gunicorn worker
    ends after its request (``alive``, as ``max_requests`` does); below it, or with no
    worker registered (the task worker, the tests), nothing more happens."""
    monkeypatch.setattr(memory, "_worker", [])
    memory.release(32, 150)  # notes 100
    rss[0] = 300
    assert memory.release(32, 150)  # trimmed to 250, but no worker: nothing else
    worker = _Worker()
    memory.recycle_with(worker)
    rss[0] = 180
    memory.release(32, 150)  # from 250 down to 180: a new mark, no trim
    rss[0] = 230
    assert memory.release(32, 150)  # trimmed to 180 > 150
    assert worker.alive is False

    fresh = _Worker()
    memory.recycle_with(fresh)
    rss[0] = 120
    memory.release(32, 150)  # the new mark
    rss[0] = 190
    assert memory.release(32, 150)  # trimmed to 140 < 150: kept
    assert fresh.alive is True
    rss[0] = 400
    assert memory.release(32, 0)  # 0: never recycled
    assert fresh.alive is True


def test_gunicorn_registers_its_workers() -> None:
    """``config/gunicorn.conf.py``'s ``post_fork`` hands the worker to ``common.memory``."""
    import runpy
    from pathlib import Path

    conf = runpy.run_path(str(Path(__file__).resolve().parents[1] / "config/gunicorn.conf.py"))
    worker = _Worker()
    saved = list(memory._worker)
    try:
        conf["post_fork"](None, worker)
        assert memory._worker == [worker]
    finally:
        memory._worker[:] = saved
