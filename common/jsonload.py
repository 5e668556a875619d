"""The one way to read JSON that comes from outside (API bodies, imported files, archives).

``json.loads`` recurses once per level of nesting: ``[`` × 5,000 (10 KB) raises
``RecursionError``, which no caller expects, and anything that later walks a value nested
900 deep (serializers, the error handler, ``json.dumps`` of a JSONField) can fail the same
way. It also reads ``NaN``, ``Infinity`` and ``1e999`` (inf), which are no JSON, and an
integer of 5,000 digits raises a ``ValueError`` that is not a ``JSONDecodeError``.

``loads_bounded`` refuses all of that with a ``json.JSONDecodeError`` (so callers keep one
``except``): nesting deeper than ``MAX_DEPTH`` (64: our deepest document, an archive
record, is under 10), non-finite numbers and integers longer than ``MAX_INT_DIGITS``.
Depth is checked before parsing by one scan of the brackets outside strings, which is
skipped when the text has fewer brackets than the limit (every small API body).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
# Longer than any id or count; a score of 10**400 is refused here rather than overflowing
# a float later.
MAX_INT_DIGITS = 100

# A string (skipped whole, so brackets inside it do not count) or a bracket.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JSONInputError(json.JSONDecodeError):
    """JSON we do not take (too deep, not finite, too long a number), where it is."""


def nesting_error(text: str | bytes, max_depth: int = MAX_DEPTH) -> int | None:
    """The position of the first bracket nested deeper than ``max_depth``, or None."""
    if isinstance(text, bytes):
        # Latin-1 keeps byte positions, and no byte of a multi-byte UTF-8 character is a
        # bracket, a quote or a backslash.
        text = text.decode("latin-1")
    if text.count("[") + text.count("{") <= max_depth:
        return None
    depth = 0
    for match in _TOKENS.finditer(text):
        first = match.group()[0]
        if first in "[{":
            depth += 1
            if depth > max_depth:
                return match.start()
        elif first in "]}":
            depth -= 1
    return None


def _document(text: str | bytes | bytearray) -> str:
    if isinstance(text, str):
        return text
    return bytes(text).decode("utf-8", errors="replace")


def loads_bounded(text: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads``, refusing (``JSONInputError``, a ``JSONDecodeError``) nesting deeper
    than ``max_depth``, ``NaN``/``Infinity``, numbers that overflow a float (``1e999``)
    and integers of more than ``MAX_INT_DIGITS`` digits."""
    source = bytes(text) if isinstance(text, bytearray) else text
    where = nesting_error(source, max_depth)
    if where is not None:
        raise JSONInputError(f"nested deeper than {max_depth} levels", _document(source), where)

    def refuse(message: str, token: str) -> JSONInputError:
        document = _document(source)
        return JSONInputError(message, document, max(document.find(token), 0))

    def constant(token: str) -> Any:
        raise refuse(f"{token} is not a JSON number", token)

    def finite(token: str) -> float:
        value = float(token)
        if not math.isfinite(value):
            raise refuse(f"the number {token[:20]} is too large", token)
        return value

    def integer(token: str) -> int:
        digits = len(token.lstrip("-"))
        if digits > MAX_INT_DIGITS:
            raise refuse(f"a number of {digits} digits is too long", token[:40])
        return int(token)

    try:
        return json.loads(source, parse_constant=constant, parse_float=finite, parse_int=integer)
    except RecursionError:  # not reachable within MAX_DEPTH; kept so it can never escape
        raise JSONInputError("nested too deeply", _document(source), 0) from None
