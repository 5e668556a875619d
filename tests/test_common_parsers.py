"""common.parsers.InMemoryMultiPartParser gives what DRF's multipart parser gives (its
fields, its files with their names, types and bytes, or its error) for every body, the
plainly formed ones it cuts itself and the others it hands to Django (issue 21)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory
from rest_framework.exceptions import ParseError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request

from common import parsers
from common.parsers import InMemoryMultiPartParser

B = "b0undary-xyz"
CT = f"multipart/form-data; boundary={B}"


def _part(headers: str, content: bytes) -> bytes:
    return f"--{B}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"


def _file(
    name: str = "f", filename: str = "docs.jsonl", content: bytes = b"x", ctype: str = ""
) -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'
    if ctype:
        head += f"\r\nContent-Type: {ctype}"
    return _part(head, content)


def _field(name: str, value: bytes) -> bytes:
    return _part(f'Content-Disposition: form-data; name="{name}"', value)


END = f"--{B}--\r\n".encode()
JSONL = '{"text": "Akıncı, Яна 🇹🇷\\n\\nline"}\n'.encode() * 50

BODIES = {
    "file and fields": _field("unwrap", b"no")
    + _file(content=JSONL, ctype="application/x-ndjson")
    + _field("strip_boilerplate", b"false")
    + END,
    "no CRLF after the end": _file(content=JSONL) + END[:-2],
    "a charset and a non-ASCII name": _file(
        filename="Bericht Ü.jsonl", content=b"{}", ctype="text/plain; charset=utf-8"
    )
    + END,
    "a path in the name": _file(filename="../../etc/x.jsonl") + END,
    "an empty file name": _file(filename="") + END,
    "a name that sanitises to nothing": _file(filename="..") + END,
    "CRLF and dashes in the content": _file(content=b"a\r\n--b0undary\r\n--\r\n\r\nz") + END,
    "the boundary in the content": _file(content=f"x\r\n--{B}y".encode()) + END,
    "the boundary without CRLF before it": _file(content=b"x")[:-2] + END,
    "a preamble": b"preamble\r\n" + _file() + END,
    "an epilogue": _file() + END + b"epilogue",
    "no closing boundary": _file(),
    "LF only": _file().replace(b"\r\n", b"\n") + END.replace(b"\r\n", b"\n"),
    "base64": _part(
        'Content-Disposition: form-data; name="f"; filename="a.jsonl"\r\n'
        "Content-Transfer-Encoding: base64",
        b"eyJ0ZXh0IjogImEifQ==",
    )
    + END,
    "a part without a name": _part('Content-Disposition: form-data; filename="a.jsonl"', b"x")
    + _file()
    + END,
    "a part without headers": _part("", b"x") + _file() + END,
    "a header past 1,024 bytes": _part(
        'Content-Disposition: form-data; name="f"; filename="a.jsonl"\r\nX-Pad: ' + "p" * 1100, b"x"
    )
    + END,
    "a header ending at the part's end": (
        f'--{B}\r\nContent-Disposition: form-data; name="f"\r\n\r\n--{B}--\r\n'.encode()
    ),
    "an empty part": f"--{B}\r\n\r\n--{B}--\r\n".encode(),
    "the same field twice": _field("a", b"1") + _field("a", "ü".encode()) + END,
    "a field not UTF-8": _field("a", b"\xff\xfe") + END,
    "two files": _file(name="files", filename="a.jsonl")
    + _file(name="files", filename="b.jsonl", content=b"y")
    + END,
    "many parts": b"".join(_field(f"k{i}", b"v") for i in range(40)) + END,
    "empty": b"",
}


def _parsed(parser: Any, body: bytes, rf: RequestFactory) -> Any:
    request = Request(rf.generic("POST", "/", data=body, content_type=CT), parsers=[parser()])
    try:
        data, files = request.data, request.FILES
    except ParseError as exc:
        return ("error", str(exc.detail))
    except SuspiciousOperation as exc:  # Django's bounds (a 400 in a view)
        return (type(exc).__name__, str(exc))
    return (
        {k: data.getlist(k) for k in data if k not in files},
        {
            k: [
                (
                    f.name,
                    getattr(f, "field_name", None),
                    f.content_type,
                    f.charset,
                    f.content_type_extra,
                    f.size,
                    f.read(),
                )
                for f in files.getlist(k)
            ]
            for k in files
        },
    )


@pytest.mark.parametrize("case", list(BODIES))
def test_the_same_as_drfs_parser(case: str, rf: RequestFactory, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 30  # "many parts" goes over
    body = BODIES[case]
    assert _parsed(InMemoryMultiPartParser, body, rf) == _parsed(MultiPartParser, body, rf)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DATA_UPLOAD_MAX_NUMBER_FILES", 1),
        ("DATA_UPLOAD_MAX_MEMORY_SIZE", 10),
        ("FILE_UPLOAD_MAX_MEMORY_SIZE", 10),
    ],
)
def test_the_same_at_djangos_bounds(
    setting: str, value: int, rf: RequestFactory, settings: Any
) -> None:
    setattr(settings, setting, value)
    body = BODIES["two files"][: -len(END)] + _field("long", b"z" * 20) + END
    assert _parsed(InMemoryMultiPartParser, body, rf) == _parsed(MultiPartParser, body, rf)


def test_a_plain_upload_is_cut_without_djangos_parser(rf: RequestFactory, monkeypatch: Any) -> None:
    """The plain body takes the short way, and the file's bytes are the slice itself."""
    calls = []
    monkeypatch.setattr(
        parsers.parsers.MultiPartParser, "parse", lambda *a, **k: calls.append(a) or None
    )
    request = Request(
        rf.generic("POST", "/", data=BODIES["file and fields"], content_type=CT),
        parsers=[InMemoryMultiPartParser()],
    )
    assert request.data["unwrap"] == "no" and request.data["strip_boilerplate"] == "false"
    upload = request.FILES["f"]
    assert (upload.name, upload.content_type, upload.size) == (
        "docs.jsonl",
        "application/x-ndjson",
        len(JSONL),
    )
    assert upload.read() == JSONL
    assert calls == []
