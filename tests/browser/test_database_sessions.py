"""Playwright's sync API leaves no session on the test database behind (PostgreSQL).

While it is on, an event loop runs in the tests' thread and Django keeps that thread's
connections per context (asgiref): without ``launched_chromium``'s closing, the connection
of before and the one of meanwhile were both left open, and the test database's drop at the
end of the PostgreSQL leg warned "being accessed by other users". Run in a process of its
own: in this one the session's browser may already be on.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.helpers import python_json

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's sessions (pg_stat_activity)"
    ),
]

SCRIPT = """
import json, sys, time
import django
django.setup()
from django.db import connections
from tests.browser.conftest import launched_chromium

def own():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]

before = own()
with launched_chromium():
    during = own()
after = own()
deadline = time.monotonic() + 5
while True:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [[before, during]]
        )
        left = [row[0] for row in cursor.fetchall() if row[0] != after]
    if not left or time.monotonic() > deadline:
        break
    time.sleep(0.05)
print(json.dumps({"before": before, "during": during, "after": after, "left": left}))
"""


@pytest.mark.django_db(transaction=True)
def test_chromium_started_and_stopped_leaves_no_session_open() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL names no PostgreSQL server")
    test_database = urlunsplit(urlsplit(url)._replace(path=f"/{connection.settings_dict['NAME']}"))
    env = {**os.environ, "DATABASE_URL": test_database, "DJANGO_ALLOW_ASYNC_UNSAFE": "true"}
    found = python_json(SCRIPT, env, timeout=120)
    # The connection of before was not the one of meanwhile (the loop's context) ...
    assert found["during"] != found["before"]
    # ... and neither stayed open.
    assert found["left"] == [], found
