"""common.memory: a worker gives back the memory of a big request (issue 21)."""

from __future__ import annotations

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
