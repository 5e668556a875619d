"""Slowing down password guessing: after repeated failed logins for one username from one
address, further attempts are refused for a while — on the login page and the token API.

Each attempt is counted *before* its password is checked, and the count cannot be raced:
an attempt takes one of ``LOGIN_THROTTLE_FAILURES`` slots with ``cache.add`` (atomic on
every cache backend: a lock in local memory, ``SET NX`` on Redis, the table's primary key
on the database cache — whose ``incr`` is a read then a write, so it is not used), and an
attempt that finds every slot taken is refused unchecked. So N parallel attempts check at
most ``LOGIN_THROTTLE_FAILURES`` passwords, however they interleave. A successful login
frees the slots; a failed one keeps its slot until ``LOGIN_THROTTLE_SECONDS`` pass.

Counts live in Django's cache (per process by default; configure a shared cache such as
the database cache when several app processes serve the site).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR is the peer; behind a trusted proxy configure it to set REMOTE_ADDR
    # (X-Forwarded-For can be forged by the client, so it is not read here).
    return str(request.META.get("REMOTE_ADDR", ""))


def _key(username: str, request: HttpRequest) -> str:
    raw = f"{username.strip().casefold()}\x00{_client_ip(request)}"
    return "login-fail:" + hashlib.sha256(raw.encode()).hexdigest()


def _slots(username: str, request: HttpRequest) -> list[str]:
    key = _key(username, request)
    return [f"{key}:{n}" for n in range(settings.LOGIN_THROTTLE_FAILURES)]


@dataclass(frozen=True)
class Lock:
    seconds: int

    @property
    def message(self) -> str:
        minutes = max(1, round(self.seconds / 60))
        return (
            "Too many failed logins for this username. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


def attempt(username: str, request: HttpRequest) -> Lock | None:
    """Count a login attempt for this username from this address, before its password is
    checked: ``None`` if it may go on (it holds a slot until ``reset`` or the window
    passes), else the lock — the password must then not be checked at all."""
    window = settings.LOGIN_THROTTLE_SECONDS
    for slot in _slots(username, request):
        if cache.add(slot, 1, window):
            return None
    return Lock(window)


def reset(username: str, request: HttpRequest) -> None:
    """Forget the failures (after a successful login)."""
    cache.delete_many(_slots(username, request))
