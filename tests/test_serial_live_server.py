"""The live server sharing an in-memory SQLite connection answers one request at a time
(tests/serial_live_server.py): the CI failure it fixes came from two at once."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.test.testcases import LiveServerThread

from tests.serial_live_server import SharedSQLiteServer


class Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class Shared:
    """Stands for the shared connection: the server closes its threads' connections."""

    def close(self) -> None:
        pass


def most_at_once(connections_override: Any, requests: int = 6) -> int:
    """How many of ``requests`` simultaneous requests the server answered at once."""
    state = {"now": 0, "most": 0}
    guard = threading.Lock()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        with guard:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)

        def body() -> Any:
            time.sleep(0.05)  # a streamed body is still inside the turn
            with guard:
                state["now"] -= 1
            yield b"ok"

        start_response("200 OK", [("Content-Type", "text/plain")])
        return body()

    server = SharedSQLiteServer(
        ("127.0.0.1", 0),
        Quiet,
        allow_reuse_address=False,
        connections_override=connections_override,
    )
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with ThreadPoolExecutor(requests) as pool:
            bodies = list(
                pool.map(lambda _: urllib.request.urlopen(url, timeout=10).read(), range(requests))
            )
    finally:
        server.shutdown()
        server.server_close()
    assert bodies == [b"ok"] * requests
    return state["most"]


def test_requests_take_turns_when_a_connection_is_shared() -> None:
    assert most_at_once({"default": Shared()}) == 1


def test_requests_stay_threaded_without_a_shared_connection() -> None:
    assert most_at_once(None) > 1


@pytest.mark.django_db
def test_the_live_server_is_the_serial_one() -> None:
    assert LiveServerThread.server_class is SharedSQLiteServer


@pytest.mark.django_db(transaction=True)
def test_closing_the_server_ends_a_kept_alive_request_and_its_database_connection() -> None:
    """A request thread waiting on a kept-alive connection closes its database connection
    only when that connection ends; closing the server ends it (leak34: on PostgreSQL the
    session outlived the run and the test database's drop warned)."""
    from django.db import connections

    from tests.open_connections import _lingering

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = SharedSQLiteServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(app)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    browser = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        browser.request("GET", "/")
        answer = browser.getresponse()
        assert answer.read() == b"ok" and not answer.will_close
        # The request's thread waits for the next request on the kept-alive connection.
        threads = list(server.open_requests.values())
        assert len(threads) == 1 and threads[0].is_alive()
        server.shutdown()
        server.server_close()
        assert not server.open_requests and not threads[0].is_alive()
        if connections["default"].vendor == "postgresql":
            assert _lingering("default", grace=5.0) == []
    finally:
        browser.close()
