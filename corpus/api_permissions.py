"""Who the API lets in: its token authentication.

The rules of who may see and do what are ``corpus.permissions`` (shared with the pages): an
object the user may not see is a 404 (``project_for`` and ``article_for`` raise it), an action
their role does not allow on something they can see is a 403 with a sentence that says who
may (``project_for(..., at_least=...)``, ``require_role``).

Nothing here imports DRF's views: settings name ``TokenAuthentication`` and DRF loads it
while ``rest_framework.views`` is being imported.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from common.prepared import Prepared, attnames, instance

_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


def _token_query(key: str) -> QuerySet[Any]:
    from rest_framework.authtoken.models import Token

    user_columns = (f"user__{name}" for name in attnames(get_user_model()))
    return Token.objects.filter(key=key).values_list(*attnames(Token), *user_columns)


# DRF's ``Token.objects.select_related("user").get(key=key)``, built and compiled once
# (``common.prepared``): the ORM's building of it cost ~0.3 ms of every API request.
_TOKEN = Prepared(_token_query, key=str)


def _token_and_user(key: str) -> tuple[Any, Any]:
    """What DRF's ``authenticate_credentials`` gives for a 40-character key, and the same
    401s: an unknown key, an inactive user."""
    from rest_framework.authtoken.models import Token

    found = _TOKEN.rows(key=key)
    if not found:
        raise exceptions.AuthenticationFailed(_("Invalid token."))
    n_token = len(Token._meta.concrete_fields)
    token = instance(Token, found[0][:n_token])
    user = instance(get_user_model(), found[0][n_token:])
    Token._meta.get_field("user").set_cached_value(token, user)  # as select_related("user")
    if not user.is_active:
        raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
    return user, token


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (``Authorization: Token <key>``), refusing a key that
    can't be one before it reaches the database (a NUL byte would fail on PostgreSQL), and
    a token older than ``API_TOKEN_TTL``; personal tokens (``cdp_…``) too."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from corpus import api_tokens  # the authtoken models load with the apps

        if api_tokens.PERSONAL_KEY.fullmatch(key):
            return self._personal(key)
        if not _TOKEN_KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        user, token = _token_and_user(key)
        if api_tokens.is_expired(token):
            raise exceptions.AuthenticationFailed(
                "This token has expired: POST your username and password to "
                "/api/auth/token/ for a new one.",
                code="token_expired",
            )
        return user, token

    def _personal(self, key: str) -> tuple[Any, Any]:
        """A personal token (``corpus.models.ApiToken``), found by its hash; its use is
        noted (``last_used``)."""
        from corpus import api_tokens, services
        from corpus.models import ApiToken

        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=api_tokens.key_hash(key))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if api_tokens.is_expired(token):
            raise exceptions.AuthenticationFailed(
                "This token has expired: make a new one on your account page or with "
                "POST /api/tokens/.",
                code="token_expired",
            )
        services.api_token_touch(token=token)
        return token.user, token
