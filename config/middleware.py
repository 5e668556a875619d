"""Response headers the security middleware of Django does not set.

- ``Permissions-Policy``: the browser features no page of Claimdesk uses are switched off
  (``PERMISSIONS_POLICY``), so that injected or third-party code could not ask for them.
- ``Cache-Control: private, no-store`` on every answer to a logged-in user (pages, htmx
  fragments, API answers to a token): annotations, texts and names must not stay in a shared
  proxy or the browser's disk cache after logout. Static files never reach this middleware
  (whitenoise answers them earlier, cacheable), and ``/healthz`` is anonymous.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.functional import LazyObject, empty


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.permissions_policy = ", ".join(
            f"{feature}=({' '.join(allowed)})"
            for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        if _logged_in(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _logged_in(request: HttpRequest) -> bool:
    """Whether the answer is for a logged-in user. A user nobody looked at (``/healthz``,
    anonymous pages) is not loaded here: that would read the session and add ``Vary:
    Cookie``. DRF sets ``request.user`` to a token's user, so API answers count."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, LazyObject) and user._wrapped is empty):
        return False
    return bool(user.is_authenticated)
