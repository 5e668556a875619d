"""The memory of a bulk claim import in a server process of its own (``import_claims_api``).

    python -m bench.probe_import BODY.multipart BOUNDARY PROBE_JSON

A fresh process (Django set up, as a worker after its start) serves, through Django's
WSGI handler as gunicorn would call it, a small import request (warm-up: imports and
first-call set-up), then the big one, its body read from a file (gunicorn hands the app
a stream, not the body in memory). It prints, as JSON, its resident memory before the big
request, the peak during it (``VmHWM``, reset just before through ``/proc/self/clear_refs``)
and after it. The database and the settings are the benchmark worker's (its environment).
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Any


def _status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def wsgi_post(
    app: Any, path: str, stream: Any, length: int, content_type: str, token: str
) -> tuple[str, bytes]:
    """POST ``stream`` (``length`` bytes) to the WSGI ``app`` with a token, as gunicorn
    would hand it over: the status line and the body of the answer (closed after)."""
    answer: dict[str, str] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        answer["status"] = status

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(length),
        "HTTP_AUTHORIZATION": f"Token {token}",
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return answer["status"], content


def _request(app: Any, path: str, body: Path, boundary: str, token: str) -> tuple[str, bytes]:
    with body.open("rb") as stream:
        return wsgi_post(
            app,
            path,
            stream,
            body.stat().st_size,
            f"multipart/form-data; boundary={boundary}",
            token,
        )


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    probe = json.loads(argv[2])
    app = WSGIHandler()
    setup = _status_kb("VmRSS")
    status, content = _request(app, probe["path"], Path(probe["warm"]), argv[1], probe["token"])
    if not status.startswith("201"):
        raise SystemExit(f"warm-up: {status} {content[:300]!r}")
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status_kb("VmRSS")
    status, content = _request(app, probe["path"], Path(argv[0]), argv[1], probe["token"])
    if not status.startswith("201"):
        raise SystemExit(f"import: {status} {content[:300]!r}")
    peak, after = _status_kb("VmHWM"), _status_kb("VmRSS")
    created = json.loads(content)["created"]
    print(
        json.dumps(
            {
                "created": created,
                "rss_setup_mb": round(setup / 1024, 1),
                "rss_before_mb": round(before / 1024, 1),
                "peak_growth_mb": round((peak - before) / 1024, 1),
                "rss_after_mb": round(after / 1024, 1),
                "kept_mb": round((after - before) / 1024, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
