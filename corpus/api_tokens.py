"""API tokens (DRF's ``authtoken``, one per user): handing one out, its optional expiry,
and revoking them — when the user asks (``DELETE /api/auth/token/``) and whenever their
password changes.

``API_TOKEN_TTL`` (seconds; unset = tokens do not expire) bounds a token's life from its
creation: ``corpus.api_permissions.TokenAuthentication`` refuses an older one with 401, and
``POST /api/auth/token/`` replaces it with a new one.

Why a password validator revokes the tokens: a password changes through Django's own code
(the password-change and reset views, the admin's form, ``manage.py changepassword``), with no
service of ours on the path. All of them end in ``User.save()`` after ``set_password()``,
which calls ``password_changed()`` of every validator in ``AUTH_PASSWORD_VALIDATORS`` — the
one hook Django gives for "a password was changed", so one place catches every path.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def expires_at(token: Token) -> dt.datetime | None:
    """When the token stops working (None: never)."""
    ttl = settings.API_TOKEN_TTL
    return token.created + dt.timedelta(seconds=ttl) if ttl else None


def is_expired(token: Token) -> bool:
    end = expires_at(token)
    return end is not None and timezone.now() >= end


class RevokeTokensOnPasswordChange:
    """An ``AUTH_PASSWORD_VALIDATORS`` entry that checks nothing and, once a new password
    is saved, revokes the user's API tokens (see the module docstring for why here)."""

    def validate(self, password: str, user: User | None = None) -> None:
        return None

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is not None and user.pk is not None:
            from corpus.services import token_revoke  # services import this module

            token_revoke(user=user)

    def get_help_text(self) -> str:
        return "Changing your password revokes your API tokens."
