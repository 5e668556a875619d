"""Numbers that come from outside: the one place that turns request values (query, form,
path, JSON body values) and imported file values into ``int`` and ``float``.

``str.isdigit()`` then ``int()`` is the trap this module replaces: "²" and "٣" are digits
to ``isdigit`` that ``int`` refuses or reads, a 5,000-digit number trips Python's
int-to-string limit, an id above 2**63 − 1 overflows SQLite's INTEGER, and ``float()``
reads "nan", "inf" and "1e999". Here a whole number is ASCII digits only (a leading "-"
only where negatives are allowed; no "+", no spaces around it, leading zeros are fine),
at most ``MAX_DIGITS`` long and within a range; a float is finite.

A value that is not accepted raises ``InvalidNumber``: a Django ``ValidationError`` keyed
by the parameter's name (forms show it by the field, services' callers already catch it,
the API's exception handler answers its JSON 400) and a ``BadRequest``, so that where
nobody catches it Django answers 400, never 500.

For filters of list pages, where a value that is no id means "not filtered" (the
project's choice, see the assignment page), ``id_or_none`` answers None instead of raising.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.core.exceptions import BadRequest, ValidationError

# The largest value of SQLite's INTEGER and PostgreSQL's bigint: ids (BigAutoField).
MAX_ID = 2**63 - 1
# The largest value of a PositiveIntegerField on PostgreSQL (integer): offsets, versions.
MAX_INT32 = 2**31 - 1
# Longer than any number we take (19 digits for MAX_ID), with room for leading zeros.
MAX_DIGITS = 32

_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|-?\.[0-9]+(?:[eE][-+]?[0-9]+)?")


class InvalidNumber(ValidationError, BadRequest):
    """A request or file value that is not a number we take: a 400 wherever it surfaces."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__({name: [message]})
        self.name = name
        self.text = message

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[type[InvalidNumber], tuple[str, str]]:
        return (InvalidNumber, (self.name, self.text))  # args are not (name, message)


def _shown(raw: Any) -> str:
    text = str(raw)
    return f"“{text[:20]}…”" if len(text) > 20 else f"“{text}”"


def parse_int(raw: Any, *, name: str, min_value: int = 0, max_value: int = MAX_ID) -> int:
    """A whole number in ``min_value``..``max_value`` from a string of ASCII digits (a
    request value) or a JSON ``int`` (not a bool, not a float, not even 2.0)."""
    between = f"{name} must be a whole number from {min_value} to {max_value}"
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidNumber(name, f"{between}.")
    if isinstance(raw, str):
        if len(raw) > MAX_DIGITS or not _INTEGER.fullmatch(raw):
            raise InvalidNumber(name, f"{between}, not {_shown(raw)}.")
        if raw.startswith("-") and min_value >= 0:
            raise InvalidNumber(name, f"{between}, not {_shown(raw)}.")
        value = int(raw)
    else:
        value = raw
    if not min_value <= value <= max_value:
        raise InvalidNumber(name, f"{between}, not {_shown(value)}.")
    return value


def optional_int(raw: Any, *, name: str, min_value: int = 0, max_value: int = MAX_ID) -> int | None:
    """``parse_int``, with None or "" (the field left empty) as None."""
    if raw is None or raw == "":
        return None
    return parse_int(raw, name=name, min_value=min_value, max_value=max_value)


def parse_id(raw: Any, *, name: str) -> int:
    """An object id: 1..2**63 − 1."""
    return parse_int(raw, name=name, min_value=1, max_value=MAX_ID)


def optional_id(raw: Any, *, name: str) -> int | None:
    return optional_int(raw, name=name, min_value=1, max_value=MAX_ID)


def parse_version(raw: Any, *, name: str = "version") -> int:
    """A claim's or source's version: 1..2**31 − 1 (the column's range)."""
    return parse_int(raw, name=name, min_value=1, max_value=MAX_INT32)


def parse_offset(raw: Any, *, name: str) -> int:
    """A code-point offset into a text: 0..2**31 − 1 (whether it fits the text is
    ``annotate.claims.offsets``'s business)."""
    return parse_int(raw, name=name, min_value=0, max_value=MAX_INT32)


def int_or_none(raw: Any, *, min_value: int = 0, max_value: int = MAX_ID) -> int | None:
    """``parse_int``, or None for anything it refuses: for values shown back in a form
    (whose errors are reported elsewhere) and for filters, where a value that is no number
    means "not filtered"."""
    # The common cases without raising (an import asks this of every id it reads).
    if raw is None or raw == "":
        return None
    if type(raw) is int:
        return raw if min_value <= raw <= max_value else None
    try:
        return parse_int(raw, name="value", min_value=min_value, max_value=max_value)
    except InvalidNumber:
        return None


def id_or_none(raw: Any) -> int | None:
    """An id, or None for anything else (empty, "abc", "²", "-1", 2**63)."""
    return int_or_none(raw, min_value=1)


def parse_float(
    raw: Any,
    *,
    name: str,
    min_value: float | None = None,
    max_value: float | None = None,
) -> float:
    """A finite number from a decimal string ("0.8", "1e-3"; not "nan", "inf", "1e999",
    "0x1p3" or "١") or a JSON number (an ``int`` too large for a float, such as 10**400, is
    refused rather than an ``OverflowError``)."""
    bounds = ""
    if min_value is not None and max_value is not None:
        bounds = f" from {min_value} to {max_value}"
    what = f"{name} must be a finite number{bounds}"
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidNumber(name, f"{what}.")
    if isinstance(raw, str) and (len(raw) > 64 or not _DECIMAL.fullmatch(raw)):
        raise InvalidNumber(name, f"{what}, not {_shown(raw)}.")
    try:
        value = float(raw)
    except OverflowError:  # int too large to convert to float
        raise InvalidNumber(name, f"{what}, not {_shown(raw)}.") from None
    if not math.isfinite(value):
        raise InvalidNumber(name, f"{what}, not {_shown(raw)}.")
    if (min_value is not None and value < min_value) or (
        max_value is not None and value > max_value
    ):
        raise InvalidNumber(name, f"{what}, not {_shown(raw)}.")
    return value


class IdConverter:
    """The ``<id:pk>`` path converter: ``<int:pk>`` up to 2**63 − 1. A longer number does
    not match (404) instead of overflowing the database's integer."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("not an id")  # the resolver tries the next pattern, then 404s
        return number

    def to_url(self, value: Any) -> str:
        return str(value)
