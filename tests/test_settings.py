"""Settings come from the environment: safe in production, nothing needed in development."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Only what a deployment would have: no test-run leftovers such as the browser
    # tests' DJANGO_ALLOW_ASYNC_UNSAFE.
    dropped = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "SQLITE_PATH": "/tmp/claimdesk-settings-test.sqlite3", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="claims.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_deploy_checks_are_clean_under_production_settings() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-0123456789",
        ALLOWED_HOSTS="claims.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_need_nothing() -> None:
    result = run_manage("check")
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        timeout_ms = cursor.fetchone()[0]
    # The test database is in memory, where SQLite reports "memory"; a file is "wal".
    assert mode in {"wal", "memory"}
    assert timeout_ms >= 20000
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_sqlite_file_database_uses_wal(tmp_path: Path) -> None:
    db = tmp_path / "wal.sqlite3"
    code = (
        "import django, os; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", "SQLITE_PATH": str(db)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "wal", result.stderr


@pytest.mark.django_db
def test_postgresql_connections_run_without_the_jit_compiler() -> None:
    """Compiling the whole-project reads (exports, networks) cost more than it saved:
    the app's connections have ``jit`` off unless ``DATABASE_JIT=1``."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
