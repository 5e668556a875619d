"""The one way to read JSON that comes from outside (API bodies, imported files, archives).

``json.loads`` recurses once per level of nesting: ``[`` × 5,000 (10 KB) raises
``RecursionError``, which no caller expects, and anything that later walks a value nested
900 deep (serializers, the error handler, ``json.dumps`` of a JSONField) can fail the same
way. It also reads ``NaN``, ``Infinity`` and ``1e999`` (inf), which are no JSON, and an
integer of 5,000 digits raises a ``ValueError`` that is not a ``JSONDecodeError``.

``loads_bounded`` refuses all of that with a ``json.JSONDecodeError`` (so callers keep one
``except``): nesting deeper than ``MAX_DEPTH`` (64: our deepest document, an archive
record, is under 10), non-finite numbers and integers longer than ``MAX_INT_DIGITS``.

How depth is checked, cheaply: a text with no more brackets than the limit (every small
API body) can't be too deep. Otherwise the C parser reads it — nesting past its recursion
limit raises ``RecursionError`` there, caught at once, before any Python code walks the
value — and the parsed value's depth is measured without recursion. With the number
hooks, ``loads_bounded`` takes 2-3 times as long as ``json.loads`` on a 30 KB JSON Lines
line of 60 claims (about 1 ms against 0.4 ms) and twice as long on a small API body
(15 µs); a regular expression scan of the text before parsing was slower still. Only for
the error message is the text scanned for the position of the first bracket too deep.
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
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class JSONInputError(json.JSONDecodeError):
    """JSON we do not take (too deep, not finite, too long a number), where it is."""


def nesting_error(text: str | bytes, max_depth: int = MAX_DEPTH) -> int | None:
    """The position of the first bracket nested deeper than ``max_depth``, or None."""
    if isinstance(text, bytes):
        # Latin-1 keeps byte positions, and no byte of a multi-byte UTF-8 character is a
        # bracket, a quote or a backslash.
        text = text.decode("latin-1")
    if _brackets(text) <= max_depth:
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


def _brackets(text: str | bytes) -> int:
    if isinstance(text, str):
        return text.count("[") + text.count("{")
    return text.count(b"[") + text.count(b"{")


def _deeper_than(value: Any, max_depth: int) -> bool:
    """Whether the parsed value nests containers deeper than ``max_depth`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def _document(text: str | bytes | bytearray) -> str:
    """The text, decoded as ``json.loads`` decodes bytes (UTF-8, -16 or -32)."""
    if isinstance(text, str):
        return text
    data = bytes(text)
    return data.decode(json.detect_encoding(data), "surrogatepass")


def loads_bounded(text: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads``, refusing (``JSONInputError``, a ``JSONDecodeError``) nesting deeper
    than ``max_depth``, ``NaN``/``Infinity``, numbers that overflow a float (``1e999``)
    and integers of more than ``MAX_INT_DIGITS`` digits."""
    try:
        document = _document(text)
    except UnicodeDecodeError as exc:
        raise JSONInputError(f"not UTF-8 text (byte {exc.start})", "", 0) from None

    def too_deep() -> JSONInputError:
        where = nesting_error(document, max_depth) or 0
        return JSONInputError(f"nested deeper than {max_depth} levels", document, where)

    try:
        value = _decoder.decode(document)
    except RecursionError:
        raise too_deep() from None
    except _Refused as refused:
        where = max(document.find(refused.token), 0)
        raise JSONInputError(refused.message, document, where) from None
    deep = isinstance(value, dict | list) and _brackets(document) > max_depth
    if deep and _deeper_than(value, max_depth):
        raise too_deep()
    return value


class _Refused(Exception):
    """A number the hooks below refuse; ``loads_bounded`` says where it is."""

    def __init__(self, message: str, token: str) -> None:
        super().__init__(message)
        self.message, self.token = message, token


def _constant(token: str) -> Any:
    raise _Refused(f"{token} is not a JSON number", token)


def _finite(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _Refused(f"the number {token[:20]} is too large", token)
    return value


def _integer(token: str) -> int:
    digits = len(token) - token.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise _Refused(f"a number of {digits} digits is too long", token[:40])
    return int(token)


# One decoder, built once (``json.loads`` with hooks builds one per call).
_decoder = json.JSONDecoder(parse_constant=_constant, parse_float=_finite, parse_int=_integer)
