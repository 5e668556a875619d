"""Helpers several test modules share (fixtures are in the conftest.py files)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.test import override_settings

from annotate.models import Target
from annotate.sources.services import project_targets_ensure
from tests.factories import SourceAliasFactory, SourceFactory

# The header htmx sends: a view answers with the fragment alone.
HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def default_targets(project: Any) -> list[Target]:
    """The project's default stance targets (made if missing)."""
    return project_targets_ensure(project=project)


def isachenko(project: Any) -> Any:
    """The source Daria Isachenko, with the alias "Isachenko"."""
    source = SourceFactory(project=project, name="Daria Isachenko")
    SourceAliasFactory(source=source, alias="Isachenko")
    return source


def claim_form(article: Any, word: str, source: Any, target: Any, **extra: str) -> dict[str, Any]:
    """The workspace's new-claim form over the first occurrence of ``word``, as posted."""
    start = article.text.index(word)
    return {
        "start": start,
        "end": start + len(word),
        "quote": word,
        "source": source.pk,
        "attribution": "direct",
        f"stance-{target.pk}": "against",
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "evaluative",
        "note": "",
        **extra,
    }


def post_merge(client: Any, article: Any, left: Any, right: Any, takes: dict[str, Any]) -> Any:
    """The review page's merge of two claims of unit 0 (both at version 1), as htmx posts it:
    ``takes`` are the form's other fields (``{"take-attribution": right.pk}``, …)."""
    from django.urls import reverse

    return client.post(
        reverse("annotate:review-merge", args=[article.pk]),
        {
            "unit": 0,
            "claims": [left.pk, right.pk],
            f"version-{left.pk}": 1,
            f"version-{right.pk}": 1,
            **takes,
        },
        **HX,
    )


def installed_triggers() -> set[str]:
    """The names of the database's triggers (PostgreSQL's user triggers, SQLite's)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def rows_kept_for_the_module[T](django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """What ``build`` writes, written once for a module (per xdist worker) in a transaction
    left open until the module's last test and then rolled back; each test's ``db`` runs
    in a savepoint inside it (rolled back after the test), as ``setUpTestData`` does for
    a class. For a module whose every test reads the same rows: a module-scoped fixture
    of a module whose tests all use it (another test there would see these rows too).
    The passwords are hashed as the tests check them (tests/conftest.py)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
            ):
                built = build()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


class ConnectionWatch:
    """An execute wrapper for ``connection.execute_wrapper``: the queries that reached the
    database while another thread's query was running on the same connection
    (``clashes``, must stay empty) and the names of the threads that sent any."""

    def __init__(self) -> None:
        self._busy = threading.Lock()
        self.clashes: list[str] = []
        self.threads: list[str] = []

    def __call__(self, execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        if not self._busy.acquire(blocking=False):
            self.clashes.append(sql)
            return execute(sql, params, many, context)
        try:
            self.threads.append(threading.current_thread().name)
            return execute(sql, params, many, context)
        finally:
            self._busy.release()


def memory_cache() -> Any:
    """The tests' cache: the local-memory one (config/settings.py), whose entries can be
    copied as they are (Any: the stubs don't declare its ``_cache`` and ``_expire_info``)."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    memory = caches["default"]
    assert isinstance(memory, LocMemCache), "the tests' cache is in memory"
    return memory


def cache_entries() -> dict[str, Any]:
    """Every entry of the tests' cache, by key (pickled, with its expiry): what data built
    once for a module left there, for ``cache_entries_put`` in each of its tests."""
    memory = memory_cache()
    return {key: (value, memory._expire_info.get(key)) for key, value in memory._cache.items()}


def cache_entries_put(entries: dict[str, Any]) -> None:
    """Put ``cache_entries``' entries back into the tests' cache, as they were."""
    memory = memory_cache()
    for key, (value, expires) in entries.items():
        memory._cache[key] = value
        memory._expire_info[key] = expires


def python_json(code: str, env: dict[str, str], timeout: float = 300) -> Any:
    """``code`` run by this Python in a process of its own, from the repository's root
    with ``env``; what its last line of output says, as JSON (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
