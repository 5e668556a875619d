"""A JSON Lines import read from bytes (orjson, ``loads_plain``, issue 21) gives exactly the
items the decoded text gives (``loads_bounded``): the same lines, records, problems and
storable flags, and the same error, at the same byte, for a file that is not UTF-8."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.exchange import importing_files
from annotate.exchange.importing_files import Item, read_items
from common import jsonload

CLAIM = {"start": 0, "end": 5, "quote": "Hello", "source": {"name": "Ayşe Kaya"}}

LINES = [
    json.dumps({"sha256": "a" * 64, "claims": [CLAIM, CLAIM]}, ensure_ascii=False),
    "",  # blank
    "   \t ",  # ASCII blanks
    "\u3000\u2003",  # other white space: blank for the text reading too
    json.dumps({"sha256": "b", "claims": [{**CLAIM, "note": "emoji 😀 and \u2028 here"}]}),
    '{"sha256": "c", "claims": [{"start": 1.5, "end": 2}]}',  # a float: the standard parser
    '{"sha256": "d", "claims": [{"start": 0, "end": 1, "note": "a \\ud83d alone"}]}',
    '{"sha256": "e", "claims": [{"start": 0, "end": 1, "note": "NUL \\u0000"}]}',
    '{"sha256": "f", "claims": [{"start": 0, "end": 1, "note": "DEL \x7f"}]}',
    '{"sha256": "g", "claims": [{"start": 0, "end": 1, "quote": 12}]}',
    '{"sha256": "h", "claims": "no"}',
    '{"sha256": "i", "claims": [1, {"start": 0, "end": 1}]}',
    "[1, 2]",
    "{not json",
    '{"a": NaN}',
    '{"a": ' + "[" * 70 + "]" * 70 + "}",  # deeper than MAX_DEPTH
    '{"a": 1' + "0" * 120 + "}",  # an integer too long
    '{"sha256": "j", "sha256": "k", "claims": [{"start": 0, "end": 2}]}',  # last key wins
    '{"sha256": "l", "claims": []}\r',  # a CR before the newline
    '{"id": 18446744073709551616, "claims": [{"start": 0, "end": 2}]}',  # past 64 bits
]


def _shape(items: list[Item]) -> list[tuple[Any, ...]]:
    return [(i.where, i.article, i.claim, i.problems, i.storable) for i in items]


def _both(text: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return (
        _shape(list(read_items(text, "jsonl"))),
        _shape(list(read_items(text.encode("utf-8", "surrogatepass"), "jsonl"))),
    )


def test_bytes_give_the_items_the_text_gives() -> None:
    text = "\n".join(LINES) + "\n"
    as_text, as_bytes = _both(text)
    assert as_bytes == as_text
    assert len(as_text) > 10
    # and from a file open at its start (an upload on disk), with a byte-order mark
    from_file = list(read_items(io.BytesIO(b"\xef\xbb\xbf" + text.encode()), "jsonl"))
    assert _shape(from_file) == as_text


def test_plain_lines_are_read_by_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain line never reaches the standard parser; a float sends its line there."""
    called: list[str] = []
    bounded = jsonload.loads_bounded

    def spy(line: str, **kwargs: Any) -> Any:
        called.append(line)
        return bounded(line, **kwargs)

    monkeypatch.setattr(importing_files, "loads_bounded", spy)
    plain = (LINES[0] + "\n" + LINES[4] + "\n").encode()
    assert len(list(read_items(plain, "jsonl"))) == 3
    assert called == []
    assert len(list(read_items((LINES[5] + "\n").encode(), "jsonl"))) == 1
    assert called == [LINES[5]]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_file_that_is_not_utf8_says_the_same_byte(bom: bytes) -> None:
    good = (LINES[0] + "\n").encode()
    broken = bom + good + '{"sha256": "Akıncı"}'.encode("cp1254") + b"\n"
    at = len(bom) + len(good) + len('{"sha256": "Ak') + 1
    for data in (broken, io.BytesIO(broken)):
        with pytest.raises(ValidationError, match=rf"The file is not UTF-8 \(byte {at}\)\."):
            list(read_items(data, "jsonl"))


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(
                lambda claims: json.dumps({"sha256": "x", "claims": claims}, ensure_ascii=False),
                st.lists(st.dictionaries(st.sampled_from(list(CLAIM) + ["note"]), _values)),
            ),
            st.text(max_size=30),
        ),
        max_size=5,
    )
)
def test_any_file_reads_the_same_from_bytes(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        as_text = _shape(list(read_items(text, "jsonl")))
    except ValidationError:
        return
    assert _shape(list(read_items(text.encode("utf-8", "surrogatepass"), "jsonl"))) == as_text
