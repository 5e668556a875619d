"""Where one upload's time goes over HTTP, worker side (issue 21).

    python -m bench.upload_http [--uploads 6] [--tree PATH]
    PG_SOCKET=1 scripts/with-postgres python -m bench.upload_http

Starts gunicorn as ``bench/peers/claimdesk.py`` does (production settings, 2 sync
workers; no task worker: the search entries stay pending), on a fresh SQLite file or the
PostgreSQL of ``DATABASE_URL``, with ``config.wsgi``'s application wrapped by this module's
``_wrapped``. Then posts the peers' 1,000 documents (``bench.peers.workload``, cleanup
off) ``--uploads`` times into fresh projects, one connection each, and prints a row per
upload: the client's wall and CPU, and what the worker noted — its CPU and wall inside the
application until the answer, the part of it spent reading ``wsgi.input`` (CPU, wall,
reads), the wall from the application's return to the answer's close (sending), the CPU
after the answer (``request_finished``: the SQLite checkpoint, the memory release) and,
on PostgreSQL, the server backend's CPU over the request (``/proc``, 10 ms ticks; empty
when the connection was opened inside the request). ``--tree`` serves another checkout
(a ``git archive`` of the base, say) with this one's harness: A/B back to back.
The first upload of a server is left out (the workers may still be warming up).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


# --- In the worker: the wrapped application ---------------------------------------------


class _TimedInput:
    """``wsgi.input`` with the CPU and wall of its reads added up."""

    def __init__(self, raw: Any) -> None:
        self.raw, self.cpu, self.wall, self.reads = raw, 0.0, 0.0, 0

    def _timed(self, read: Callable[..., bytes], *args: Any) -> bytes:
        cpu, wall = time.process_time(), time.perf_counter()
        data = read(*args)
        self.cpu += time.process_time() - cpu
        self.wall += time.perf_counter() - wall
        self.reads += 1
        return data

    def read(self, *args: Any) -> bytes:
        return self._timed(self.raw.read, *args)

    def readline(self, *args: Any) -> bytes:
        return self._timed(self.raw.readline, *args)


def _backend_cpu_ms() -> float | None:
    """The PostgreSQL backend's CPU so far (same machine), or None."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.connection is None:
        return None
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


class _Answer:
    """The application's answer; on ``close`` (after gunicorn sent it) the notes go out."""

    def __init__(self, result: Iterable[bytes], note: dict[str, Any]) -> None:
        self.result, self.note, self.returned = result, note, time.perf_counter()

    def __iter__(self) -> Any:
        return iter(self.result)

    def close(self) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        self.note["send_wall_ms"] = (wall - self.returned) * 1000
        close = getattr(self.result, "close", None)
        if close is not None:
            close()
        self.note["after_cpu_ms"] = (time.process_time() - cpu) * 1000
        with open(os.environ["UPLOAD_HTTP_LOG"], "a") as log:
            log.write(json.dumps(self.note) + "\n")


def _wrapped() -> Callable[..., Any]:
    from config.wsgi import application as app

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        timed = _TimedInput(environ["wsgi.input"])
        environ["wsgi.input"] = timed
        backend = _backend_cpu_ms()
        cpu, wall = time.process_time(), time.perf_counter()
        result = app(environ, start_response)
        note = {
            "path": environ.get("PATH_INFO", ""),
            "app_cpu_ms": (time.process_time() - cpu) * 1000,
            "app_wall_ms": (time.perf_counter() - wall) * 1000,
            "read_cpu_ms": timed.cpu * 1000,
            "read_wall_ms": timed.wall * 1000,
            "reads": timed.reads,
        }
        after = _backend_cpu_ms()
        note["db_cpu_ms"] = None if backend is None or after is None else after - backend
        return _Answer(result, note)

    return application


# What gunicorn loads (``upload_http_app:application``, written next to the database): this
# file by its path, so that a tree without it (the base of an A/B) is served all the same.
APP_MODULE = """
import importlib.util
spec = importlib.util.spec_from_file_location("upload_http_harness", HARNESS)
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)
application = harness._wrapped()
"""


# --- The driver ---------------------------------------------------------------------------


SETUP = """
import json
from rest_framework.authtoken.models import Token
from corpus.models import Role
from corpus.services import membership_set, project_create, user_ensure
user = user_ensure(username="upload-http")
for i in range(UPLOADS):
    project = project_create(name=f"u{i}", slug=f"u{i}")
    membership_set(project=project, user=user, role=Role.MANAGER)
print(json.dumps(Token.objects.create(user=user).key))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upload_http")
    parser.add_argument("--uploads", type=int, default=6)
    parser.add_argument("--tree", default=str(ROOT), help="the checkout to serve")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from bench.peers import claimdesk
    from bench.peers import workload as wl
    from bench.peers.common import free_port, multipart

    tree = Path(args.tree).resolve()
    database = os.environ.get("DATABASE_URL", "sqlite")
    port = free_port()
    python = str(ROOT / ".venv/bin/python")
    with tempfile.TemporaryDirectory(prefix="upload-http-") as tmp:
        env = claimdesk._env(database, port, Path(tmp))
        env.update(PYTHONPATH=f"{tree}:{tmp}", UPLOAD_HTTP_LOG=f"{tmp}/notes.jsonl")
        Path(f"{tmp}/upload_http_app.py").write_text(f"HARNESS = {__file__!r}\n{APP_MODULE}")
        manage = [python, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=tree, env=env, check=True)
        setup = f"UPLOADS = {args.uploads + 1}\n{SETUP}"
        done = subprocess.run(
            [*manage, "shell", "-c", setup], cwd=tree, env=env, check=True, capture_output=True
        )
        token = json.loads(done.stdout.decode().strip().splitlines()[-1])
        gunicorn = [str(ROOT / ".venv/bin/gunicorn"), "-c", "config/gunicorn.conf.py"]
        with open(f"{tmp}/server.log", "wb") as server_log:
            server = subprocess.Popen(
                [*gunicorn, "upload_http_app:application"],
                cwd=tree,
                env=env,
                stdout=server_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                rows = _uploads(port, token, args.uploads + 1, wl, multipart)
            finally:
                os.killpg(server.pid, 15)
                server.wait(30)
        notes = [json.loads(line) for line in Path(f"{tmp}/notes.jsonl").read_text().splitlines()]
    uploads = [n for n in notes if n["path"].endswith("/articles/upload/")]
    print(f"{tree.name} on {database.split(':')[0]}, load {os.getloadavg()[0]:.1f}")
    for (wall, cpu), note in list(zip(rows, uploads, strict=True))[1:]:
        db = "" if note["db_cpu_ms"] is None else f"  db cpu {note['db_cpu_ms']:.0f}"
        print(
            f"  wall {wall:5.0f} ms (client cpu {cpu:4.1f}) | worker: app cpu "
            f"{note['app_cpu_ms']:5.1f} wall {note['app_wall_ms']:5.0f}, reading "
            f"{note['read_cpu_ms']:4.1f} cpu {note['read_wall_ms']:4.1f} wall "
            f"({note['reads']} reads), sending {note['send_wall_ms']:4.1f}, after the "
            f"answer {note['after_cpu_ms']:4.1f} cpu{db}"
        )
    return 0


def _uploads(
    port: int, token: str, count: int, wl: Any, multipart: Any
) -> list[tuple[float, float]]:
    for _ in range(1200):  # the server's port, then its workers' warm-up
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    time.sleep(3)
    body, content_type = multipart(
        {"file": ("documents.jsonl", wl.make(1000, 1).jsonl(), "application/x-ndjson")},
        {"unwrap": "no", "strip_boilerplate": "false"},
    )
    headers = {"Content-Type": content_type, "Authorization": f"Token {token}"}
    rows = []
    for i in range(count):
        cpu, wall = time.process_time(), time.perf_counter()
        client = http.client.HTTPConnection("127.0.0.1", port)
        client.request("POST", f"/api/projects/u{i}/articles/upload/", body, headers)
        answer = client.getresponse()
        data = answer.read()
        client.close()
        rows.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
        if answer.status != 201:
            raise SystemExit(f"upload {i}: {answer.status} {data[:300]!r}")
        time.sleep(1.0)  # the after-answer work, off the next upload's clock
    time.sleep(0.5)
    return rows


if __name__ == "__main__":
    sys.exit(main())
