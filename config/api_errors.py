"""How the API fails, and how its OpenAPI schema says so.

Every error answer is JSON with a ``detail`` a person can read and a machine ``code``:

- 400 ``{"detail", "code", "errors": {field: [message, …]}}``: a Django ``ValidationError``
  from the services (the one place writes are checked) or a DRF one from the serializers.
  Nested fields are named by path: ``stances[0].target``, ``source_mention.end``. A body
  that is no JSON we take (nested deeper than 64 levels, ``NaN``) is ``parse_error``, one
  over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is ``too_large`` (not Django's HTML page).
- 401, 403, 404 ``{"detail", "code"}``: not logged in, not allowed, not there (or not
  for you to know it is there).
- 409 ``{"detail", "code", "current"}``: the claim (or source) changed since the
  ``version`` the writer based the change on; ``current`` is it as it is now. A write that lost a
  race on a unique constraint is a 409 too (without ``current``).
- 409 ``{"detail", "code": "duplicate_claim", "existing", "url"}``: you already have a live
  claim with this span, source, labels and stances; ``existing`` is it, ``url`` its address.

The services' conflicts are ``common.conflicts.StaleVersion`` (one type for every versioned
row) and the kinds of ``Duplicate``; each row in an answer is shown by the serializer its app
registered (``conflicts.represent``), so this module imports no app.

``AutoSchema`` adds those answers to every operation of the schema, and
``close_request_bodies`` marks request bodies as taking no other fields, as the
serializers enforce.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from common.conflicts import Duplicate, StaleVersion, address, representation

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


# --- The shapes ----------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(
        help_text="For programs: not_authenticated, authentication_failed, "
        "permission_denied, not_found, conflict, …"
    )


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; nested fields by path (“stances[0].target”); "
        f"problems of the request as a whole under “{NON_FIELD}”.",
    )


# --- The handler ---------------------------------------------------------------------


class TooLarge(exceptions.APIException):
    # 400 rather than 413: the limits on files, articles and bodies all answer 400.
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request body is larger than the server takes."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The change conflicts with another one made at the same time; try again."
    default_code = "conflict"


def _django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            NON_FIELD if field == "__all__" else field: list(messages)
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: list(error.messages)}


def _flatten(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"stances[0].target": [messages]}``."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if key == NON_FIELD and path:
                name = path
            elif isinstance(key, int):
                name = f"{path}[{key}]"
            else:
                name = f"{path}.{key}" if path else str(key)
            for field, messages in _flatten(value, name).items():
                out.setdefault(field, []).extend(messages)
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {path or NON_FIELD: [str(item) for item in detail]}
        out = {}
        for i, item in enumerate(detail):
            if item:
                for field, messages in _flatten(item, f"{path}[{i}]").items():
                    out.setdefault(field, []).extend(messages)
        return out
    return {path or NON_FIELD: [str(detail)]}


def _summary(errors: dict[str, list[str]]) -> str:
    parts = [m if f == NON_FIELD else f"{f}: {m}" for f, ms in errors.items() for m in ms]
    return "; ".join(parts) or "The request is not valid."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with the services' exceptions mapped and every body shaped alike."""
    if isinstance(exc, StaleVersion):
        set_rollback()
        return Response(
            {"detail": str(exc), "code": "stale_version", "current": representation(exc.current)},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Duplicate):
        set_rollback()
        return Response(
            {
                "detail": exc.messages[0],
                "code": exc.code,
                "existing": representation(exc.existing),
                "url": address(exc.existing),
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    elif isinstance(exc, IntegrityError):
        exc = Conflict()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        # Django's own answer would be its HTML 400 page.
        exc = TooLarge(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes."
        )
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent | BadRequest):
        exc = exceptions.ParseError(str(exc) or "The request is not valid.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        response.data = {"detail": _summary(errors), "code": "invalid", "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else exc.default_code,
        }
        if response.status_code == status.HTTP_400_BAD_REQUEST:
            # Every 400 has the same shape (malformed JSON is a problem of the whole body).
            response.data["errors"] = {NON_FIELD: [str(exc.detail)]}
    response.data = _encodable(response.data)
    return response


def _encodable(data: Any) -> Any:
    """The error with any lone surrogate replaced by U+FFFD: a message that quotes the input
    ("“a\\ud800b” is not a kind") must still encode as UTF-8 (else the 400 becomes a 500)."""
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(data, dict):
        return {_encodable(k): _encodable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_encodable(v) for v in data]
    return data


# --- The schema ----------------------------------------------------------------------

_WRITES = ("POST", "PUT", "PATCH", "DELETE")


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, with the error answers each operation can give."""

    def _error_responses(self) -> dict[str, OpenApiResponse]:
        errors: dict[str, OpenApiResponse] = {}
        # Every operation: a body or a parameter that is not valid, and on every route a
        # query string holding NUL, a lone surrogate or a control character
        # (common.text.QueryTextMiddleware), whatever the view reads.
        errors["400"] = OpenApiResponse(
            ValidationErrorSerializer, "Not valid: messages per field or query parameter."
        )
        if not any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            errors["401"] = OpenApiResponse(ErrorSerializer, "Not logged in (no or a bad token).")
            errors["403"] = OpenApiResponse(ErrorSerializer, "Your role does not allow this.")
        if "{" in self.path or self._is_list_view():
            errors["404"] = OpenApiResponse(
                ErrorSerializer, "Not found, or not visible to you (or no such page)."
            )
        if self.method in _WRITES:
            errors["409"] = OpenApiResponse(ErrorSerializer, "A concurrent change won; retry.")
        return errors

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses


def close_request_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: request bodies take no fields but their own (the serializers
    answer 400 "unknown field(s)"), so say ``additionalProperties: false``."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and schema.get("type") == "object":
            schema["additionalProperties"] = False
    return result
