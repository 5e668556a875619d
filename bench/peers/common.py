"""What every tool's runner shares: a keep-alive HTTP client, multipart bodies, free ports,
waiting for a server, the memory of a process tree, and the figures of one run."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class HttpError(RuntimeError):
    pass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One keep-alive connection to ``base`` (``http://127.0.0.1:PORT``), with default
    headers (a token) and the cookies a server sets (a session, a CSRF token)."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = dict(headers or {})
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        expect: Iterable[int] = (200,),
    ) -> Answer:
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed: once more on a new one.
                conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        got = {k.lower(): v for k, v in response.getheaders()}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("connection", "").lower() == "close":
            conn.close()
            self._conn = None
        answer = Answer(response.status, got, data)
        if response.status not in tuple(expect):
            raise HttpError(f"{method} {path}: {response.status} {data[:500]!r}")
        return answer

    def get(self, path: str, **kw: Any) -> Answer:
        return self.request("GET", path, **kw)

    def post_json(self, path: str, data: Any, **kw: Any) -> Answer:
        headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
        return self.request("POST", path, json.dumps(data).encode(), headers=headers, **kw)

    def post_multipart(
        self,
        path: str,
        files: dict[str, tuple[str, bytes, str]],
        fields: dict[str, str] | None = None,
        **kw: Any,
    ) -> Answer:
        body, content_type = multipart(files, fields or {})
        headers = {"Content-Type": content_type, **kw.pop("headers", {})}
        return self.request("POST", path, body, headers=headers, **kw)


def multipart(
    files: dict[str, tuple[str, bytes, str]], fields: dict[str, str]
) -> tuple[bytes, str]:
    boundary = "peers" + secrets.token_hex(12)
    out: list[bytes] = []
    for name, value in fields.items():
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, data, media) in files.items():
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {media}\r\n\r\n'.encode()
        )
        out.append(data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def stop(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each process's group (each was started in a session of its own), then
    SIGKILL to those still there after 30 seconds."""
    processes = list(processes)
    for p in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    for p in processes:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@contextlib.contextmanager
def serving(
    figures: Figures, commands: list[list[str]], *, env: dict[str, str], cwd: Path | str, log: Path
) -> Iterator[Sampler]:
    """Start ``commands`` (a server and its workers, each in a session of its own, output
    to ``log``); yield a :class:`Sampler` of their memory. An error in the ``with`` body is
    recorded in ``figures`` (the table shows it; the run goes on with the next tool); on
    leaving, the peaks are kept and every process is stopped."""
    with open(log, "wb") as out:
        processes = [
            subprocess.Popen(
                cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
            for cmd in commands
        ]
        sampler = Sampler(processes)
        try:
            yield sampler
        except Exception as exc:  # noqa: BLE001 (reported in the table)
            figures.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            figures.memory = sampler.result()
            stop(processes)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, seconds: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until ``url`` answers anything below 500 (or fail after ``seconds``)."""
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"the server ended (exit {process.returncode}) before {url} answered"
            )
        try:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
            conn.request("GET", parts.path or "/")
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, alive now."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if Path(f"/proc/{p}").exists():
            out.append(p)
            todo.extend(_children(p))
    return out


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
    except OSError:
        return ""


@dataclass
class Memory:
    """The largest single process (its peak, VmHWM) and the sum of the peaks, in MB."""

    largest_mb: float
    largest: str
    total_mb: float
    processes: int


class Sampler:
    """Polls a process tree's peaks while the workload runs (processes come and go: a
    worker recycled, a job's child), keeping the largest seen per pid."""

    def __init__(self, processes: list[subprocess.Popen[bytes]]) -> None:
        self.processes = processes
        self.peaks: dict[int, tuple[int, str]] = {}

    def sample(self) -> None:
        for root in self.processes:
            for pid in process_tree(root.pid):
                kb = _status_kb(pid, "VmHWM")
                cmd = _cmdline(pid)
                if kb and kb > self.peaks.get(pid, (0, ""))[0]:
                    self.peaks[pid] = (kb, cmd)

    def result(self) -> Memory:
        self.sample()
        if not self.peaks:
            return Memory(0.0, "", 0.0, 0)
        pid, (kb, cmd) = max(self.peaks.items(), key=lambda kv: kv[1][0])
        return Memory(
            kb / 1024, cmd, sum(v[0] for v in self.peaks.values()) / 1024, len(self.peaks)
        )


@dataclass
class Figures:
    tool: str
    variant: str = ""
    import_s: float | None = None
    import_note: str = ""
    spans_s: float | None = None
    spans_note: str = ""
    export_s: float | None = None
    exported: int | None = None
    export_note: str = ""
    fetch_ms: list[float] = field(default_factory=list)
    fetch_note: str = ""
    memory: Memory | None = None
    past_end_status: int | None = None
    errors: list[str] = field(default_factory=list)

    def fetch_p(self, q: float) -> float | None:
        if not self.fetch_ms:
            return None
        ordered = sorted(self.fetch_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def fetch_p50(self) -> float | None:
        return statistics.median(self.fetch_ms) if self.fetch_ms else None


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def wait_idle(max_load: float = 0.6, seconds: float = 120) -> float:
    """Wait (up to ``seconds``) until the 1-minute load average per core is under
    ``max_load``; returns the load average seen last."""
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + seconds
    load = os.getloadavg()[0]
    while load / cores > max_load and time.monotonic() < deadline:
        time.sleep(5)
        load = os.getloadavg()[0]
    return load


def install_venv(venv: Path, packages: list[str], label: str) -> Path:
    """A virtualenv at ``venv`` holding ``packages`` (pip requirement strings), made or brought
    up to date when the list written beside it last time differs: a pin added later (a
    dependency's new major version that breaks the peer) reaches a cache installed before."""
    marker = venv / ".claimdesk-packages"
    wanted = "\n".join(packages) + "\n"
    if marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return venv
    print(f"bench-peers: installing {label} into {venv}…", flush=True)
    if not (venv / "bin" / "pip").exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin/pip"), "install", "-q", *packages], check=True, capture_output=True
    )
    marker.write_text(wanted, encoding="utf-8")
    return venv
