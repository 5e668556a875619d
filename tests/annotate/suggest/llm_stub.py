"""A local stand-in for an OpenAI-compatible chat endpoint (``POST /v1/chat/completions``):
stdlib ``http.server`` in a thread on 127.0.0.1, port 0. It answers from a script of
recorded answers (status, headers, body, delay), one per request, then from ``default``;
it keeps every request it got and how many it served at once. Never the internet."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def completion(
    content: str, *, prompt_tokens: int = 120, completion_tokens: int = 40, model: str = "stub"
) -> Answer:
    """A chat completion as Ollama's OpenAI-compatible API answers one (recorded shape)."""
    body = {
        "id": "chatcmpl-417",
        "object": "chat.completion",
        "created": 1764979200,
        "model": model,
        "system_fingerprint": "fp_ollama",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return Answer(body=json.dumps(body, ensure_ascii=False).encode("utf-8"))


def claims(*items: dict[str, Any], **usage: Any) -> Answer:
    return completion(json.dumps({"claims": list(items)}, ensure_ascii=False), **usage)


def error(status: int, retry_after: str | None = None, delay: float = 0.0) -> Answer:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = json.dumps({"error": {"message": f"stub {status}", "code": status}}).encode()
    return Answer(status, body, headers, delay)


class Stub:
    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.default: Callable[[dict[str, Any]], Answer] = lambda request: claims()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def _next(self, request: dict[str, Any]) -> Answer:
        with self.lock:
            self.requests.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            scripted = self.script.pop(0) if self.script else None
        return scripted or self.default(request)

    def _done(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with stub.lock:
                    stub.headers.append(dict(self.headers.items()))
                try:
                    request = json.loads(raw)
                except ValueError:
                    request = {"unparsed": raw.decode("utf-8", "replace")}
                request["_path"] = self.path
                answer = stub._next(request)
                done = False
                try:
                    if answer.delay:
                        time.sleep(answer.delay)
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer.body)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    # No longer in flight once the last byte is on its way: the client
                    # may read it and send the next request before this thread runs again
                    # (counted after the write, that showed 3 in flight under a limit of 2).
                    stub._done()
                    done = True
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                finally:
                    if not done:
                        stub._done()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def user_texts(self) -> list[str]:
        """The article text each request carried (the user message)."""
        return [r["messages"][1]["content"] for r in self.requests if "messages" in r]


@contextmanager
def running() -> Iterator[Stub]:
    stub = Stub()
    thread = threading.Thread(target=stub.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        stub.server.server_close()
        thread.join(5)
