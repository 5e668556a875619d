"""Slowing down password guessing: after repeated failed logins for one username from one
address, further attempts are refused for a while — on the login page and the token API.

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


def locked(username: str, request: HttpRequest) -> Lock | None:
    """The lock on this username from this address, if failures reached the limit."""
    failures = cache.get(_key(username, request), 0)
    if failures >= settings.LOGIN_THROTTLE_FAILURES:
        return Lock(settings.LOGIN_THROTTLE_SECONDS)
    return None


def record_failure(username: str, request: HttpRequest) -> None:
    key = _key(username, request)
    window = settings.LOGIN_THROTTLE_SECONDS
    if cache.add(key, 1, window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)


def reset(username: str, request: HttpRequest) -> None:
    cache.delete(_key(username, request))
