"""The live server's requests one at a time when it shares an in-memory SQLite database.

pytest-django hands the test's in-memory SQLite connection to the live server, and Django's
threaded server answers each browser connection in its own thread: two requests at once
(a search typed while a form loads) then run statements on one ``sqlite3`` connection from
two threads, and one of them reads the other's rows (``IndexError`` in the compiler's
converters: a CI failure of the source autocomplete test). A separate database per thread
is not possible in memory, so the requests take turns: a lock around the whole answer,
body included, held only while a request is being answered, never while a kept-alive
connection waits for the next one. PostgreSQL and file databases are left threaded.
"""

from __future__ import annotations

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


class SharedSQLiteServer(ThreadedWSGIServer):
    """Threaded as Django's, but one request at a time when given connections to share."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, connections_override=connections_override, **kwargs)
        self.turns = threading.Lock() if connections_override else None

    def set_app(self, application: WSGIApplication | None) -> None:
        if application is not None and self.turns is not None:
            application = one_at_a_time(application, self.turns)
        super().set_app(application)


def install() -> None:
    LiveServerThread.server_class = SharedSQLiteServer
