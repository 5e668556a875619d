"""API tokens: the login token (DRF's ``authtoken``, one per user, ``/api/auth/token/``)
and personal tokens (``corpus.models.ApiToken``: named, several per user, made on the
user's page or at ``/api/tokens/``, stored as a hash). Handing them out, their optional
expiry, and revoking them — when the user asks and whenever their password changes.

Both kinds are sent the same way (``Authorization: Token <key>``) and told apart by their
shape: a login token is 40 hex digits, a personal one ``cdp_`` and 40 more.

``API_TOKEN_TTL`` (seconds; unset = tokens do not expire) bounds a token's life (either
kind) from its creation: ``corpus.api_permissions.TokenAuthentication`` refuses an older
one with 401; ``POST /api/auth/token/`` replaces a login token, a personal one is made anew.

Why a password validator revokes the tokens: a password changes through Django's own code
(the password-change and reset views, the admin's form, ``manage.py changepassword``), with no
service of ours on the path. All of them end in ``User.save()`` after ``set_password()``,
which calls ``password_changed()`` of every validator in ``AUTH_PASSWORD_VALIDATORS`` — the
one hook Django gives for "a password was changed", so one place catches every path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

PERSONAL_PREFIX = "cdp_"
PERSONAL_KEY = re.compile(r"cdp_[0-9a-f]{40}")
# Enough for every script and machine a person runs; a bound on what one user can store.
MAX_PERSONAL_TOKENS = 50

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def new_personal_key() -> str:
    return PERSONAL_PREFIX + secrets.token_hex(20)


def key_hash(key: str) -> str:
    """What is stored of a personal token: its SHA-256 (the key is 160 random bits, so a
    fast hash is enough, and the lookup is by the hash's unique index)."""
    return hashlib.sha256(key.encode()).hexdigest()


def expires_at(token: Any) -> dt.datetime | None:
    """When the token stops working (None: never)."""
    ttl = settings.API_TOKEN_TTL
    return token.created + dt.timedelta(seconds=ttl) if ttl else None


def is_expired(token: Any) -> bool:
    end = expires_at(token)
    return end is not None and timezone.now() >= end


class RevokeTokensOnPasswordChange:
    """An ``AUTH_PASSWORD_VALIDATORS`` entry that checks nothing and, once a new password
    is saved, revokes the user's API tokens (see the module docstring for why here)."""

    def validate(self, password: str, user: User | None = None) -> None:
        return None

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is not None and user.pk is not None:
            from corpus.account_services import token_revoke  # (which imports this module)

            token_revoke(user=user)

    def get_help_text(self) -> str:
        return "Changing your password revokes your API tokens."
