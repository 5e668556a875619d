"""Playwright (sync API) driving Debian's /usr/bin/chromium against pytest-django's
live_server. A missing Chromium fails these tests: CI installs it (``make browser``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.urls import get_resolver
from playwright.sync_api import Browser, Page, sync_playwright

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are plain synchronous calls, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def close_connections() -> None:
    """This thread's database connections closed (those outside a transaction)."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Chromium through Playwright's sync API, this thread's database connections closed
    as it starts and as it ends. While the sync API is on, an event loop runs in this
    thread, and Django then keeps a thread's connections per context, not per thread
    (asgiref's thread-critical ``Local``): the connection opened before is no longer the
    thread's, nor, after, the one opened meanwhile. Left open, each held its session on
    the test database until the process ended, and PostgreSQL refused the database's drop
    at the end of the run ("being accessed by other users"; session 20)."""
    close_connections()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            close_connections()
            launched.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (scripts/ensure-chromium).")
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Import the URLconf before the first page: its imports (the suggesters' libraries)
    # take seconds on a loaded machine, which the first request would otherwise spend
    # against the 8-second step timeout.
    assert get_resolver().url_patterns
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(8000)
    # The first page a live server renders compiles templates and reads static files cold:
    # on a loaded 2-core machine that alone passed 8 s. Navigation may take longer than an
    # action; a wait for an element still fails after 8 s.
    context.set_default_navigation_timeout(30000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def log_in(page: Page, base_url: str, user: Any) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
