"""The live server's requests one at a time when it shares an in-memory SQLite database.

pytest-django hands the test's in-memory SQLite connection to the live server, and Django's
threaded server answers each browser connection in its own thread: two requests at once
(a search typed while a form loads) then run statements on one ``sqlite3`` connection from
two threads, and one of them reads the other's rows (``IndexError`` in the compiler's
converters: a CI failure of the source autocomplete test). A separate database per thread
is not possible in memory, so the requests take turns: a lock around the whole answer,
body included, held only while a request is being answered, never while a kept-alive
connection waits for the next one. PostgreSQL and file databases are left threaded.

Closing the server also ends the requests still open: Django's threads are daemons, each
closes its database connections only when its browser connection ends (``close_request``),
and ``server_close`` does not wait for them. A request thread left waiting on a kept-alive
connection held its PostgreSQL session past the end of the run, and pytest-django's drop
of the test database warned "is being accessed by other users" (leak34 in
bench/RESULTS.md). ``server_close`` now shuts those sockets, so each thread's request ends
and closes its connections, and joins the threads.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import TYPE_CHECKING, Any

from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication


def one_at_a_time(application: WSGIApplication, lock: threading.Lock) -> WSGIApplication:
    """``application`` answering under ``lock``, its body read and closed inside it
    (a streamed response reads the database while it is iterated)."""

    def answer(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        with lock:
            result = application(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return answer


# How long closing the server waits for each open request's thread to end.
JOIN_SECONDS = 10.0


class SharedSQLiteServer(ThreadedWSGIServer):
    """Threaded as Django's, but one request at a time when given connections to share."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, connections_override=connections_override, **kwargs)
        self.turns = threading.Lock() if connections_override else None
        self.open_requests: dict[Any, threading.Thread] = {}
        self._open_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self.open_requests[request] = threading.current_thread()
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self.open_requests.pop(request, None)

    def server_close(self) -> None:
        """Stop listening, then end the requests still open (a kept-alive connection
        waiting for its next request): their sockets shut, their threads close their
        database connections as a request's end does, and are waited for."""
        super().server_close()
        with self._open_lock:
            still_open = list(self.open_requests.items())
        for request, _ in still_open:
            with contextlib.suppress(OSError):
                request.shutdown(socket.SHUT_RDWR)
        for _, thread in still_open:
            thread.join(timeout=JOIN_SECONDS)

    def set_app(self, application: WSGIApplication | None) -> None:
        if application is not None and self.turns is not None:
            application = one_at_a_time(application, self.turns)
        super().set_app(application)


def install() -> None:
    LiveServerThread.server_class = SharedSQLiteServer
