"""``Idempotency-Key`` for the API's creates: a client that retries a POST (a timeout, a
double click) with the same key gets the first answer again instead of a second object.

The key is scoped to the user and the URL. The first request with it takes the key in the
cache (``cache.add``, atomic on every backend) while it runs; a second one meanwhile is
told 409 ``idempotency_key_in_use``. A success (2xx) is kept for ``IDEMPOTENCY_KEY_TTL``
seconds (24 h) and replayed — same status and body, with ``Idempotent-Replayed: true`` —
to a request with the same key and the same body; the same key with another body is a 422
``idempotency_key_reused``. A failure frees the key, so a corrected request may reuse it.

The cache is the store: the database cache in production is shared by every app process
and outlives restarts; with the per-process local-memory cache (development) a replay only
works within one process.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY_KEY_TTL = 24 * 3600
# How long a key stays taken by a request still running (or whose process died).
IN_FLIGHT_SECONDS = 60
MAX_KEY_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID) of up to 255 characters. Retrying with the same "
    "key and body within 24 hours answers the first response again (with "
    f"`{REPLAYED}: true`) instead of creating a second object.",
)


class KeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = f"A request with this {HEADER} is still being processed; retry in a moment."
    default_code = "idempotency_key_in_use"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        f"This {HEADER} was used with a different request body; use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


def _key(request: Request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not (0 < len(raw) <= MAX_KEY_LENGTH) or not raw.isascii() or not raw.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."]}
        )
    scope = f"{request.user.pk}\x00{request.path}\x00{raw}"
    return "idempotency:" + hashlib.sha256(scope.encode()).hexdigest()


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, cls=JSONEncoder, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _replay(stored: dict[str, Any], fingerprint: str) -> Response:
    if stored["fingerprint"] != fingerprint:
        raise KeyReused()
    if stored["status"] is None:
        raise KeyInUse()
    return Response(stored["data"], status=stored["status"], headers={REPLAYED: "true"})


Method = Callable[..., Response]


def idempotent(method: Method) -> Method:
    """Decorate an API view's ``post`` to honour ``Idempotency-Key`` (module docstring)."""

    @functools.wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _key(request)
        if key is None:
            return method(view, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        pending = {"fingerprint": fingerprint, "status": None, "data": None}
        while not cache.add(key, pending, IN_FLIGHT_SECONDS):
            stored = cache.get(key)
            if stored is not None:  # else it expired just now: try to take it again
                return _replay(stored, fingerprint)
        try:
            response = method(view, request, *args, **kwargs)
        except BaseException:
            cache.delete(key)
            raise
        if status.is_success(response.status_code):
            data = json.loads(json.dumps(response.data, cls=JSONEncoder))
            done = {"fingerprint": fingerprint, "status": response.status_code, "data": data}
            cache.set(key, done, IDEMPOTENCY_KEY_TTL)
        else:
            cache.delete(key)
        return response

    return wrapper
