"""The production profile of config/settings.py, read in a fresh process."""

from __future__ import annotations

from tests.test_settings import run_manage


def test_production_shares_cache_and_can_queue_tasks() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.CACHES['default']['BACKEND'], s.TASKS['default']['BACKEND'], s.LOG_FORMAT)"
    )
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        DEBUG="0",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="claims.example.org",
        TASKS_BACKEND="database",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.db.DatabaseCache",
        "django_tasks_db.DatabaseBackend",
        "json",
    ]


def test_an_unknown_tasks_backend_is_refused() -> None:
    result = run_manage("check", TASKS_BACKEND="celery")
    assert result.returncode != 0
    assert "TASKS_BACKEND must be one of" in result.stderr


def test_api_token_ttl_is_read_from_the_environment_and_checked() -> None:
    code = "from django.conf import settings as s; print(s.API_TOKEN_TTL)"
    assert run_manage("shell", "-v", "0", "-c", code).stdout.split() == ["None"]
    ttl = run_manage("shell", "-v", "0", "-c", code, API_TOKEN_TTL="86400")
    assert ttl.stdout.split() == ["86400"]
    refused = run_manage("check", API_TOKEN_TTL="0")
    assert refused.returncode != 0
    assert "API_TOKEN_TTL must be a positive number" in refused.stderr
