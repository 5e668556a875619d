"""Exports make their pieces with Python's cyclic garbage collector paused
(``formats.collector_paused``): off while a piece is made, back as it was between pieces,
at the end, on an error and when the reader stops early."""

from __future__ import annotations

import gc
from collections.abc import Generator, Iterator

import pytest

from annotate.exchange import formats
from annotate.exchange.options import ExportOptions
from tests.annotate.exchange.conftest import Corpus


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:  # pragma: no cover - pytest runs with the collector on
        gc.disable()


def _pieces(seen: list[bool], fail: bool = False) -> Iterator[bytes]:
    for piece in (b"a", b"b"):
        seen.append(gc.isenabled())
        yield piece
    if fail:
        raise RuntimeError("a writer failed")


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_off_while_a_piece_is_made_and_on_between_pieces() -> None:
    seen: list[bool] = []
    between = [gc.isenabled() for _ in formats.collector_paused(_pieces(seen))]
    assert seen == [False, False]
    assert between == [True, True]
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_comes_back_after_an_error_and_an_early_stop() -> None:
    with pytest.raises(RuntimeError, match="a writer failed"):
        list(formats.collector_paused(_pieces([], fail=True)))
    assert gc.isenabled()

    closed: list[bool] = []

    def endless() -> Iterator[bytes]:
        try:
            while True:
                yield b"x"
        finally:
            closed.append(gc.isenabled())

    stream = formats.collector_paused(endless())
    assert next(stream) == b"x"
    stream.close()  # a client that went away: the writer is closed too (its thread stops)
    assert closed == [True]
    assert gc.isenabled()


def test_a_collector_kept_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        assert list(formats.collector_paused(_pieces([]))) == [b"a", b"b"]
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


@pytest.mark.django_db
@pytest.mark.usefixtures("_module_corpus", "collector_on")  # one corpus for the five (conftest.py)
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "w3c", "brat"])
def test_every_format_streams_through_it(
    corpus: Corpus, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``formats.stream`` of each format goes through it (the golden tests, which read
    through ``formats.stream``, say the bytes are the same), the collector on afterwards."""
    wrapped: list[int] = []
    paused = formats.collector_paused

    def counting(pieces: Iterator[bytes]) -> Generator[bytes, None, None]:
        wrapped.append(1)
        return paused(pieces)

    monkeypatch.setattr(formats, "collector_paused", counting)
    data = b"".join(formats.stream(fmt, corpus.project, ExportOptions(layer="all")))
    assert data
    assert wrapped == [1]
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_exports_in_two_threads_leave_the_collector_on() -> None:
    """The interleaving that left it off for good when each piece noted and restored the
    switch on its own: B notes "off" while A's piece runs, A turns it back on, B's piece
    ends. Driven step by step with events, and then many times at random."""
    import threading

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def a_pieces() -> Iterator[bytes]:
        a_in.set()
        b_in.wait(5)
        yield b"a"

    def b_pieces() -> Iterator[bytes]:
        b_in.set()
        a_out.wait(5)  # A's piece has ended (A restored the switch) while B's runs
        seen.append(gc.isenabled())  # B's piece still runs with the collector paused
        yield b"b"

    def run_a() -> None:
        list(formats.collector_paused(a_pieces()))
        a_out.set()

    ta = threading.Thread(target=run_a)
    ta.start()
    a_in.wait(5)
    tb = threading.Thread(target=lambda: list(formats.collector_paused(b_pieces())))
    tb.start()
    ta.join(5)
    tb.join(5)
    assert seen == [False]
    assert gc.isenabled()

    def many() -> None:
        for _ in range(2_000):
            list(formats.collector_paused(iter((b"x", b"y"))))

    threads = [threading.Thread(target=many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()
