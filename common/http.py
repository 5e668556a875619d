"""Requests as the views see them: with a real ``User``.

Django types ``request.user`` as a user or ``AnonymousUser``; behind ``login_required`` (pages)
and ``IsAuthenticated`` (the API's default) it is always a ``User``. Annotating a view's
request with these classes says so, so that the user reaches permissions, selectors and
services typed (the classes are for type checkers: Django and DRF make the requests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    """A page's request from a logged-in user (a ``login_required`` view)."""

    user: User


class HtmxHttpRequest(AuthenticatedHttpRequest):
    """A page's request from a logged-in user, with what htmx sent (``django_htmx``'s
    middleware sets ``request.htmx``)."""

    htmx: HtmxDetails


class AuthenticatedRequest(Request):
    """An API request from an authenticated user (every API view but the token's)."""

    user: User


def user_of(request: HttpRequest) -> User:
    """The logged-in user of a request typed as Django's (an admin method's: the admin is
    for staff only); 403 for an anonymous one, which never gets there."""
    user = request.user
    if isinstance(user, AnonymousUser):
        raise PermissionDenied("Log in first.")
    return user
