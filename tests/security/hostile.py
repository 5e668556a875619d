"""The pieces of the hostile-parameter sweep (tests/security/test_hostile_sweep.py).

- ``HOSTILE``: the values, each as the raw bytes a form or query string carries and as the
  JSON fragments a JSON body carries (a string, and a number where JSON has one).
- ``recording()``: which parameters a view reads, found by calling it. While it is open,
  every key read from a ``QueryDict``/``MultiValueDict`` (``request.GET``, ``POST``,
  ``FILES``, DRF's ``query_params`` and form data) and from a parsed JSON body (at any
  depth: ``("stances", 0, "target")``) is noted.
- ``encode_query``/``encode_form``/``encode_multipart``/``json_with``: requests built by
  hand, so that a lone surrogate travels as the bytes ``%ED%A0%80`` a browser would send
  (the test client refuses to encode it) and JSON can carry ``NaN`` or a 5,000-digit
  number.
- ``tables_state()`` and ``watching_writes()``: whether a refused write changed any table.
"""

from __future__ import annotations

import hashlib
import json
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

from django.apps import apps
from django.db import connection
from django.utils.datastructures import MultiValueDict
from rest_framework.request import Request

ROOT = Path(__file__).resolve().parents[2]
DEPTH = 5000
TEN_MB = 10 * 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    label: str
    raw: bytes  # as a form field, query parameter, file or path segment carries it
    json: tuple[str, ...]  # JSON fragments standing for it in a body
    in_path: bool = True


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _js(value: str) -> str:
    return json.dumps(value)  # ensure_ascii: a lone surrogate becomes the escape \ud800


HOSTILE: tuple[Hostile, ...] = (
    Hostile("superscript two", _text("²"), (_js("²"),)),
    Hostile("5,000 digits", b"9" * 5000, (_js("9" * 5000), "9" * 5000)),
    Hostile("-1", b"-1", (_js("-1"), "-1")),
    Hostile("2**63", str(2**63).encode(), (_js(str(2**63)), str(2**63))),
    Hostile("nan", b"nan", (_js("nan"), "NaN")),
    Hostile("NUL", b"\x00", (_js("a\x00b"),)),
    Hostile("lone surrogate", _text("\ud800"), (_js("a\ud800b"),)),
    Hostile(f"nested {DEPTH} deep", b"[" * DEPTH, ("[" * DEPTH + "]" * DEPTH,), in_path=False),
)
# A form field or query parameter is a string: deep nesting means nothing there.
IN_FORM = tuple(v for v in HOSTILE if v.in_path)
# One request for a user who reads no parameter: all of them at once, with all of this.
MIXED = Hostile(
    "² NUL surrogate 5,000 digits",
    _text("²\x00\ud800") + b"9" * 5000,
    (_js("²\x00\ud800" + "9" * 5000),),
)
# Every parameter at once, for a user who reads the same ones as a user already swept.
AT_ONCE = tuple(v for v in HOSTILE if v.label in ("NUL", "lone surrogate", "5,000 digits"))
# 10 MB goes in one body field per route and user (a request that size takes a while).
HUGE = Hostile("10 MB", b"x" * TEN_MB, (_js("x" * TEN_MB),), in_path=False)
# In place of a URL keyword: as every user, then (the rest) as one user. ``<int:...>``
# only matches digits; ``<slug:...>`` matches -1, nan and numbers.
PATH_EVERY_USER = {
    "int": (Hostile("2**63", str(2**63).encode(), ()),),
    "slug": (Hostile("5,000 digits", b"9" * 5000, ()),),
    "str": tuple(v for v in HOSTILE if v.label in ("NUL", "lone surrogate")),
}
PATH_ONE_USER = {
    "int": (Hostile("5,000 digits", b"9" * 5000, ()), Hostile("0", b"0", ())),
    "slug": tuple(v for v in HOSTILE if v.in_path and v.label != "5,000 digits"),
    "str": tuple(v for v in HOSTILE if v.in_path and v.label not in ("NUL", "lone surrogate")),
}


# --- Which parameters a view reads --------------------------------------------------------

Key = tuple[Any, ...]  # ("name",) for a form or query field, a path for JSON


@dataclass
class Reads:
    """What one call read: (the dict it came from, the key)."""

    multi: list[tuple[MultiValueDict, str]] = field(default_factory=list)
    json: set[Key] = field(default_factory=set)


_current: list[Reads] = []


def _note(container: Any, key: Any) -> None:
    if _current and isinstance(key, str):
        _current[-1].multi.append((container, key))


class RecordingDict(dict[Any, Any]):
    """A parsed JSON object that notes the keys read from it (with their path)."""

    def __init__(self, data: dict[str, Any], path: Key) -> None:
        super().__init__({k: _wrap(v, (*path, k)) for k, v in data.items()})
        self._path = path

    def _seen(self, key: Any) -> None:
        if _current:
            _current[-1].json.add((*self._path, key))

    def __getitem__(self, key: Any) -> Any:
        self._seen(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._seen(key)
        return super().get(key, default)

    def __contains__(self, key: Any) -> bool:
        self._seen(key)
        return super().__contains__(key)


def _wrap(value: Any, path: Key) -> Any:
    if isinstance(value, dict):
        return RecordingDict(value, path)
    if isinstance(value, list):
        return [_wrap(v, (*path, i)) for i, v in enumerate(value)]
    return value


@contextmanager
def recording() -> Iterator[Reads]:
    """Note the keys a request reads from its query, form, files and JSON body."""
    reads = Reads()
    saved = {
        name: MultiValueDict.__dict__.get(name)
        for name in ("__getitem__", "get", "getlist", "__contains__", "items", "values", "dict")
    }
    original_parse = Request._parse  # type: ignore[attr-defined]

    def getitem(self: MultiValueDict, key: str) -> Any:
        _note(self, key)
        return saved["__getitem__"](self, key)  # type: ignore[misc]

    def get(self: MultiValueDict, key: str, default: Any = None) -> Any:
        _note(self, key)
        return saved["get"](self, key, default)  # type: ignore[misc]

    def getlist(self: MultiValueDict, key: str, default: Any = None) -> Any:
        _note(self, key)
        return saved["getlist"](self, key, default)  # type: ignore[misc]

    def contains(self: MultiValueDict, key: object) -> bool:
        if sys._getframe(1).f_code.co_name not in ("setlistdefault", "setdefault"):
            _note(self, key)  # not Django filling the dict
        return dict.__contains__(self, key)

    def parse(self: Request) -> Any:
        data, files = original_parse(self)
        if isinstance(data, dict) and not isinstance(data, MultiValueDict):
            data = _wrap(data, ())
        return data, files

    # Walking every item is no sign of reading a parameter (a template copying the query,
    # a log line): these don't note the keys.
    def items(self: MultiValueDict) -> Iterator[tuple[str, Any]]:
        for key in dict.__iter__(self):
            yield key, saved["__getitem__"](self, key)  # type: ignore[misc]

    def values(self: MultiValueDict) -> Iterator[Any]:
        for _, value in items(self):
            yield value

    def as_dict(self: MultiValueDict) -> dict[str, Any]:
        return dict(items(self))

    patches = {
        "__getitem__": getitem,
        "get": get,
        "getlist": getlist,
        "__contains__": contains,
        "items": items,
        "values": values,
        "dict": as_dict,
    }
    _current.append(reads)
    try:
        for name, function in patches.items():
            setattr(MultiValueDict, name, function)
        Request._parse = parse  # type: ignore[attr-defined]
        yield reads
    finally:
        _current.pop()
        for name, original in saved.items():
            if original is None:
                delattr(MultiValueDict, name)
            else:
                setattr(MultiValueDict, name, original)
        Request._parse = original_parse  # type: ignore[attr-defined]


# --- Building requests ---------------------------------------------------------------------

Value = bytes | str | int | list[Any] | dict[str, Any]


def as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else _text(str(value))


def _pairs(params: dict[str, Any]) -> Iterator[tuple[bytes, bytes]]:
    for key, value in params.items():
        for one in value if isinstance(value, list) else [value]:
            yield _text(key), as_bytes(one)


def encode_query(params: dict[str, Any]) -> str:
    """``a=1&b=%ED%A0%80``: bytes are sent as they are, whatever their encoding."""
    return "&".join(
        f"{quote_from_bytes(k, safe='')}={quote_from_bytes(v, safe='')}" for k, v in _pairs(params)
    )


def segment(value: bytes) -> str:
    """A path segment carrying the bytes as they are."""
    return quote_from_bytes(value, safe="")


def encode_form(params: dict[str, Any]) -> bytes:
    return encode_query(params).encode("ascii")


BOUNDARY = "HostileBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def encode_multipart(fields: dict[str, Any], files: dict[str, bytes]) -> bytes:
    parts = []
    for key, value in _pairs(fields):
        parts.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
            % (BOUNDARY.encode(), key, value)
        )
    for name, content in files.items():
        parts.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="hostile.jsonl"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n%s\r\n"
            % (BOUNDARY.encode(), _text(name), content)
        )
    return b"".join(parts) + b"--%s--\r\n" % BOUNDARY.encode()


_HOLE = "\x00HOSTILE\x00"


def json_with(body: dict[str, Any], path: Key, fragment: str) -> str:
    """The JSON text of ``body`` with the value at ``path`` replaced by the raw fragment
    (which may be JSON that ``json.dumps`` can't write: NaN, deep nesting, big numbers)."""
    copy = json.loads(json.dumps(body))
    node: Any = copy
    for step in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(step, {})
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return json.dumps(copy)  # the path doesn't exist in this body
    if isinstance(node, dict) or (isinstance(node, list) and path[-1] < len(node)):
        node[path[-1]] = _HOLE
    text = json.dumps(copy)
    return text.replace(json.dumps(_HOLE), fragment)


# --- Tables ----------------------------------------------------------------------------------


def tables_state() -> dict[str, tuple[int, str]]:
    """Every table of every installed model: its row count and a digest of its rows."""
    state = {}
    for model in apps.get_models():
        meta = model._meta
        if not meta.managed or meta.proxy:
            continue
        names = [f.attname for f in meta.concrete_fields]
        rows = sorted(
            repr(tuple(str(v) for v in row))
            for row in model._default_manager.order_by().values_list(*names)
        )
        digest = hashlib.sha1("\n".join(rows).encode("utf-8", "surrogatepass")).hexdigest()
        state[meta.db_table] = (len(rows), digest)
    return state


def state_diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> str:
    changed = [
        f"{table} {before.get(table, (0, ''))[0]}→{after.get(table, (0, ''))[0]} rows"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]
    return ", ".join(changed)


WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def watching_writes() -> Iterator[list[str]]:
    """The INSERT/UPDATE/DELETE statements run while open (only then is a table read)."""
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith(WRITES):
            seen.append(sql[:80])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


# --- Reporting -------------------------------------------------------------------------------


def where(error: BaseException) -> str:
    """The deepest frame of the project's own code in the error's traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [
        f
        for f in frames
        if f.filename.startswith(str(ROOT))
        and "/.venv/" not in f.filename
        and "/tests/" not in f.filename
    ]
    if not frames:
        return "?"
    frame = (own or frames)[-1]
    name = frame.filename
    shown = Path(name).relative_to(ROOT) if name.startswith(str(ROOT)) else Path(name).name
    return f"{shown}:{frame.lineno} {frame.name}"


def short(text: str, limit: int = 160) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + f"…(+{len(text) - limit})"
