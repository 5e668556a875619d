"""The one way to read JSON that comes from outside (API bodies, imported files, archives).

``json.loads`` recurses once per level of nesting: ``[`` × 5,000 (10 KB) raises
``RecursionError``, which no caller expects, and anything that later walks a value nested
900 deep (serializers, the error handler, ``json.dumps`` of a JSONField) can fail the same
way. It also reads ``NaN``, ``Infinity`` and ``1e999`` (inf), which are no JSON, and an
integer of 5,000 digits raises a ``ValueError`` that is not a ``JSONDecodeError``.

``loads_bounded`` refuses all of that with a ``json.JSONDecodeError`` (so callers keep one
``except``): nesting deeper than ``MAX_DEPTH`` (64: our deepest document, an archive
record, is under 10), non-finite numbers and integers longer than ``MAX_INT_DIGITS``.

How it is checked, cheaply: the C parser reads the text (nesting past its recursion limit
raises ``RecursionError`` there, caught at once, before any Python code walks the value;
an integer past Python's own limit of 4,300 digits raises ``ValueError``), then one walk
over the parsed value's containers, a level at a time, measures its depth and looks at
its integers (the text is not scanned for brackets first: two passes over a long text
for nothing, since the walk visits every level anyway). Integers are not handed to a
Python hook as they are read: 40,000 of them, in a claim import, cost more than the walk.
``loads_bounded`` takes about 1.8 times as long as ``json.loads`` on a JSON Lines line of
20 claims (was 3 times with an integer hook and a walk of tuples); a regular expression
scan of the text before parsing was slower still. Only for an error message is the text
scanned, for where the fault is.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

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


_TOO_DEEP = object()
_BIG = 10**MAX_INT_DIGITS  # the smallest integer of MAX_INT_DIGITS + 1 digits


def _fault(value: Any, max_depth: int, *, depth: bool = True) -> Any:
    """What ``loads_bounded`` refuses in a parsed value: ``_TOO_DEEP`` if it nests
    containers deeper than ``max_depth`` (looked for only with ``depth``), else its first
    integer of more than ``MAX_INT_DIGITS`` digits, else None. A level at a time, no
    recursion."""
    kind = type(value)
    if kind is int:
        return value if not -_BIG < value < _BIG else None
    level = [value] if kind is dict or kind is list else []
    below: list[Any] = []
    at = 1
    while level:
        if depth and at > max_depth:
            return _TOO_DEEP
        for node in level:
            for child in node.values() if type(node) is dict else node:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
                elif kind is int and not -_BIG < child < _BIG:
                    return child
        level, below = below, []
        at += 1
    return None


_DIGITS = re.compile(rf"-?[0-9]{{{MAX_INT_DIGITS + 1},}}")


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

    def too_long(number: int | None = None) -> JSONInputError:
        # The number found by the walk (at most 4,300 digits: it was read), else the first
        # run of digits too long in the text.
        token = str(number) if number is not None else ""
        found = _DIGITS.search(document) if number is None else None
        token = found.group() if found else token
        digits = len(token) - token.startswith("-")
        where = max(document.find(token), 0) if token else 0
        return JSONInputError(f"a number of {digits} digits is too long", document, where)

    try:
        value = _decoder.decode(document)
    except RecursionError:
        raise too_deep() from None
    except _Refused as refused:
        where = max(document.find(refused.token), 0)
        raise JSONInputError(refused.message, document, where) from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer past Python's limit of digits (4,300)
        raise too_long() from None
    # The walk looks at every level anyway (for integers): measuring the depth on the way
    # costs nothing, where counting the brackets first cost two passes over the text (a
    # JSONL article's 6,000 characters: ~4 ms per 1,000 lines).
    fault = _fault(value, max_depth)
    if fault is _TOO_DEEP:
        raise too_deep()
    if fault is not None:
        raise too_long(fault)
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


# One decoder, built once (``json.loads`` with hooks builds one per call). Integers are
# checked after (``_fault``), not by a hook called for each.
_decoder = json.JSONDecoder(parse_constant=_constant, parse_float=_finite)


def loads_plain(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The value ``loads_bounded`` gives for the UTF-8 ``data`` when it plainly gives
    that value, else ``NOT_PLAIN`` (then ask ``loads_bounded``, for the value or the
    error and its message). Read by orjson straight from the bytes: no decoded copy of
    the text, three times as fast as the standard parser on an import's JSON Lines.

    Plainly the same value: orjson refuses what the standard parser refuses, and more
    (invalid UTF-8, a lone surrogate, NaN and infinities, nesting past 1,024 levels);
    what it reads, it reads to the same strings, integers, keys (the last of a repeated
    key wins) and floats, but for an integer past 64 bits, which it reads as a float.
    So: ``NOT_PLAIN`` on any refusal, on any float, and on nesting past ``max_depth``
    (``loads_bounded`` refuses that). Its integers have at most 20 digits."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return NOT_PLAIN
    kind = type(value)
    if kind is float:
        return NOT_PLAIN
    level = [value] if kind is dict or kind is list else []
    below: list[Any] = []
    at = 1
    while level:
        if at > max_depth:
            return NOT_PLAIN
        for node in level:
            for child in node.values() if type(node) is dict else node:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
                elif kind is float:
                    return NOT_PLAIN
        level, below = below, []
        at += 1
    return value


NOT_PLAIN: Any = object()
