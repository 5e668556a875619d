"""The API's JSON parser (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``): DRF's, reading
with ``loads_bounded`` so that nesting deeper than 64 levels, ``NaN``, ``1e999`` and
over-long integers are a JSON 400 ("JSON parse error - …"), never a ``RecursionError``.
``DiskMultiPartParser``: DRF's multipart parser with the files written to disk as they
arrive, for uploads that are read line by line (the annotation import)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import TemporaryFileUploadHandler
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from common.jsonload import loads_bounded


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # DRF's check of the charset (text codecs only: no bz2_codec bombs); not in the stubs.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            return loads_bounded(stream.read().decode(encoding))
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None


class DiskMultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, every uploaded file written to a temporary file as it
    arrives (``TemporaryFileUploadHandler``), never held in memory whatever its size: the
    view reads it from there, line by line."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {})["request"]
        django_request = request._request
        django_request.upload_handlers = [TemporaryFileUploadHandler(django_request)]
        return super().parse(stream, media_type, parser_context)
