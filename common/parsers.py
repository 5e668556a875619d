"""The API's JSON parser (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``): DRF's, reading
with ``loads_bounded`` so that nesting deeper than 64 levels, ``NaN``, ``1e999`` and
over-long integers are a JSON 400 ("JSON parse error - …"), never a ``RecursionError``."""

from __future__ import annotations

from typing import Any

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
