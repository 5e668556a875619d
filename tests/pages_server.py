"""A local web server for the add-by-URL tests: pages on 127.0.0.1, never the internet.

``serve(pages)`` runs a threading ``http.server`` on a free port of 127.0.0.1 for the
``with`` block; ``pages`` maps a path to ``Page`` (status, content type, body, headers, a
delay before answering). Tests that fetch from it must set
``CLAIMDESK_URL_FETCH_ALLOW_PRIVATE = True`` (it is a loopback address).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    length: bool = True  # send Content-Length (else the body ends with the connection)


def article_html(title: str, body: str, *, author: str = "", lang: str = "en") -> bytes:
    """A news page as a CMS writes it: navigation, the article, a footer."""
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    meta = f'<meta name="author" content="{author}">' if author else ""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title>{meta}</head><body>"
        '<nav><a href="/">Home</a> <a href="/world">World</a></nav>'
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>© The Daily Example</footer></body></html>"
    ).encode()


@dataclass
class Server:
    base: str
    requests: list[str]

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve(pages: dict[str, Page]) -> Iterator[Server]:
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            requests.append(self.path)
            page = pages.get(self.path)
            if page is None:
                page = Page(b"<html><body>Not found</body></html>", status=404)
            if page.delay:
                time.sleep(page.delay)
            try:
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                if page.length:
                    self.send_header("Content-Length", str(len(page.body)))
                else:
                    self.close_connection = True
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(page.body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()
