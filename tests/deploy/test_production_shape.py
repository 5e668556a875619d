"""The production shape, for real: ``scripts/serve-prod`` (PostgreSQL, gunicorn with two
workers, one ``db_worker``) plus a second gunicorn server on another port sharing the
database, driven over HTTP like a load balancer would.

It runs in both legs of the suite, each through a different path of ``serve-prod``: in the
PostgreSQL leg on a database of its own created on ``DATABASE_URL``'s server; in the SQLite
leg ``serve-prod`` starts its own throwaway cluster (skipped only if PostgreSQL is missing
and cannot be installed). No pytest-django database: everything goes through the servers.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "deploy-test-secret-key-not-for-production-0123456789-abcdef"
SLUG = "central-asia"  # seed_demo's project
MANAGER = ("manager", "claimdesk-manager")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_env(**extra: str) -> dict[str, str]:
    dropped = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "SQLITE_PATH"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "TASKS_BACKEND": "database",
        "CACHE_BACKEND": "database",
        "STATIC_MANIFEST": "1",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@pytest.fixture
def own_database() -> Iterator[str | None]:
    """A fresh database on the suite's PostgreSQL server, or None (serve-prod starts one)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        has_pg = any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not has_pg and os.geteuid() != 0:
            pytest.skip("PostgreSQL is not installed and cannot be (not root); set DATABASE_URL")
        yield None
        return
    import psycopg

    name = f"claimdesk_deploy_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Browser:
    """Just enough of a client: one server (host:port), optional cookies or token."""

    def __init__(self, port: int, *, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.token = ""

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Any = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            sent["Authorization"] = f"Token {self.token}"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def json(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        body = json.dumps(payload).encode() if payload is not None else None
        status, _, data = self.request(
            method, path, body, {"Content-Type": "application/json", "Accept": "application/json"}
        )
        return status, json.loads(data) if data else None


def wait_until(what: str, check: Any, timeout: float, log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    tail = log.read_text()[-4000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def healthy(port: int) -> bool:
    try:
        return Browser(port).request("GET", "/healthz")[0] == 200
    except OSError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_two_app_servers_and_a_task_worker_share_sessions_and_run_exports(
    own_database: str | None, tmp_path: Path
) -> None:
    port_a, port_b = free_port(), free_port()
    log_a, log_b = tmp_path / "serve-prod.log", tmp_path / "gunicorn-b.log"
    env = production_env(
        MEDIA_ROOT=str(tmp_path / "media"), STATIC_ROOT=str(tmp_path / "static"), SEED_DEMO="1"
    )
    if own_database:
        env["DATABASE_URL"] = own_database
    server_a = subprocess.Popen(
        ["scripts/serve-prod"],
        cwd=ROOT,
        env={**env, "PORT": str(port_a), "WEB_CONCURRENCY": "2", "TASK_WORKERS": "1"},
        stdout=log_a.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server_b: subprocess.Popen[bytes] | None = None
    try:
        ready = wait_until(
            "serve-prod to be ready",
            lambda: re.search(r"serve-prod: ready: .*DATABASE_URL=(\S+)\)", log_a.read_text()),
            # Migrations, the demo seed and collectstatic: ~40 s on a quiet 2-core machine,
            # past 90 s when it is loaded (a timeout here says nothing about the shape).
            240,
            log_a,
        )
        # A second app server (another machine behind the load balancer, in effect).
        server_b = subprocess.Popen(
            [".venv/bin/gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT,
            env={
                **env,
                "DATABASE_URL": ready.group(1),
                "GUNICORN_BIND": f"127.0.0.1:{port_b}",
                "WEB_CONCURRENCY": "1",
            },
            stdout=log_b.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until("the second server", lambda: healthy(port_b), 30, log_b)
        assert Browser(port_a).json("GET", "/healthz") == (200, {"status": "ok"})

        # Log in on server A; the session cookie works on server B.
        a = Browser(port_a)
        status, _, page = a.request("GET", "/accounts/login/")
        assert status == 200
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf is not None
        form = urlencode(
            {
                "username": MANAGER[0],
                "password": MANAGER[1],
                "csrfmiddlewaretoken": csrf.group(1).decode(),
            }
        ).encode()
        status, headers, _ = a.request(
            "POST",
            "/accounts/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302, headers
        assert "sessionid" in a.cookies
        b = Browser(port_b, cookies={"sessionid": a.cookies["sessionid"]})
        status, _, page = b.request("GET", "/projects/")
        assert status == 200
        assert SLUG.encode() in page
        assert Browser(port_b).request("GET", "/projects/")[0] == 302  # no cookie, no entry

        # A token from B; a background export through the API, run by the task worker.
        api = Browser(port_b)
        status, body = api.json(
            "POST", "/api/auth/token/", {"username": MANAGER[0], "password": MANAGER[1]}
        )
        assert status == 200, body
        api.token = body["token"]
        status, job = api.json(
            "GET", f"/api/projects/{SLUG}/export/?format=jsonl&layer=all&background=1"
        )
        assert status == 202, job
        # The ImmediateBackend would have finished it inside the request.
        assert job["state"] in {"queued", "running"}
        poll = Browser(port_a)
        poll.token = api.token
        done = wait_until(
            "the export job",
            lambda: (
                (found := poll.json("GET", f"/api/projects/{SLUG}/export/jobs/{job['job']}/")[1])
                and found["state"] in {"done", "failed"}
                and found
            ),
            30,
            log_a,
        )
        assert done["state"] == "done", done
        download = urlsplit(done["download"])
        assert download.path == f"/api/projects/{SLUG}/export/jobs/{job['job']}/file/"
        # The token client downloads it (it used to be redirected to the login page).
        status, headers, data = api.request("GET", download.path)
        assert status == 200, headers
        assert "attachment" in headers["content-disposition"]
        lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
        assert len(lines) == done["total"]
        # The file went through the storage API, into MEDIA_ROOT.
        assert list((tmp_path / "media" / "exports" / SLUG / job["job"]).iterdir())
    finally:
        if server_b is not None:
            stop(server_b)
        stop(server_a)
    # serve-prod stops everything it started, its own PostgreSQL included.
    assert server_a.returncode is not None
    if own_database is None:
        dir_match = re.search(r"throwaway, in (\S+)\)", log_a.read_text())
        assert dir_match is not None
        assert not Path(dir_match.group(1)).exists()
