"""static/claimdesk/offsets.js must agree with annotate/claims/offsets.py: run it under node."""

from __future__ import annotations

import functools
import html
import json
import random
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from annotate.claims.offsets import OffsetMap, snap_to_words
from tests.annotate.claims.test_offsets import ATOMS, SNAP_CASES, sel

MODULE = Path(__file__).resolve().parents[3] / "static" / "claimdesk" / "offsets.js"

RUNNER = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const js = await import(pathToFileURL(process.argv[2]).href);
const input = JSON.parse(readFileSync(0, "utf8"));
const attempt = (f) => {
  try { return f(); } catch (e) { return `${e.name}`; }
};
const convert = (text) => {
  const map = new js.OffsetMap(text);
  const cps = [...Array(map.length + 1).keys()];
  const units = [...Array(text.length + 1).keys()];
  return {
    length: map.length,
    toUtf16: cps.map((cp) => map.toUtf16(cp)),
    toCodePoint: units.map((u) => attempt(() => map.toCodePoint(u))),
    end: [js.codePointToUtf16(text, map.length), js.utf16ToCodePoint(text, text.length)],
    slice: attempt(() => js.sliceCodePoints(text, 1, map.length)),
  };
};
process.stdout.write(JSON.stringify({
  snap: input.snap.map(([t, s, e]) => attempt(() => js.snapToWords(t, s, e))),
  convert: input.convert.map(convert),
  locate: input.locate.map(([lengths, unit, isStart]) => js.locateUnit(lengths, unit, isStart)),
}));
"""

# (text node lengths, UTF-16 offset, is the range's start) -> [node index, offset in it]
LOCATE_CASES: list[tuple[list[int], int, bool, list[int]]] = [
    ([5, 3, 4], 0, True, [0, 0]),
    ([5, 3, 4], 5, True, [1, 0]),  # a start at a node edge begins in the next node
    ([5, 3, 4], 5, False, [0, 5]),  # an end at a node edge stays in the previous one
    ([5, 3, 4], 7, False, [1, 2]),
    ([5, 0, 3], 5, True, [2, 0]),  # empty text nodes are skipped
    ([5, 3, 4], 12, False, [2, 4]),
    ([5, 3, 4], 12, True, [2, 4]),
]


def random_texts(count: int, seed: int = 20240) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 24))) for _ in range(count)]


def random_selections(count: int, seed: int = 7) -> list[tuple[str, int, int]]:
    rng = random.Random(seed)
    out = []
    for text in random_texts(count, seed):
        start = rng.randrange(len(text))
        out.append((text, start, rng.randint(start + 1, len(text))))
    return out


def python_snap(text: str, start: int, end: int) -> list[int] | None:
    try:
        return list(snap_to_words(text, start, end))
    except ValidationError:
        return None


TABLE = [(text, *sel(text, fragment)) for text, fragment, _ in SNAP_CASES]
RANDOM = random_selections(600)
BAD = [("abc", 1, 1), ("abc", 2, 1), ("abc", 0, 4), ("abc", -1, 2), ("a😀", 0, 3)]
CONVERT = ["", "plain ASCII", "a😀b🇹🇷c", "Яна Орехова", "Akıncı Şentop İ ı", *random_texts(200)]


@pytest.fixture(scope="module")
def js(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    runner = tmp_path_factory.mktemp("offsets_js") / "runner.mjs"
    runner.write_text(RUNNER, encoding="utf-8")
    payload = {
        "snap": TABLE + RANDOM + BAD,
        "convert": CONVERT,
        "locate": [case[:3] for case in LOCATE_CASES],
    }
    done = subprocess.run(
        [node, str(runner), str(MODULE)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_js_snaps_the_shared_examples_like_python(js: dict[str, Any]) -> None:
    got = js["snap"][: len(TABLE)]
    for (text, start, end), js_result, (_, fragment, expected) in zip(
        TABLE, got, SNAP_CASES, strict=True
    ):
        assert js_result == python_snap(text, start, end), fragment
        quote = None if js_result is None else text[js_result[0] : js_result[1]]
        assert quote == expected, fragment


def test_js_snaps_random_selections_like_python(js: dict[str, Any]) -> None:
    got = js["snap"][len(TABLE) : len(TABLE) + len(RANDOM)]
    differ = [
        (text, start, end, js_result, python_snap(text, start, end))
        for (text, start, end), js_result in zip(RANDOM, got, strict=True)
        if js_result != python_snap(text, start, end)
    ]
    assert not differ, differ[:5]
    assert any(r is None for r in got) and sum(r is not None for r in got) > 300


def test_js_rejects_offsets_that_are_not_a_span(js: dict[str, Any]) -> None:
    assert js["snap"][-len(BAD) :] == ["RangeError"] * len(BAD)


def test_js_converts_offsets_like_python(js: dict[str, Any]) -> None:
    for text, result in zip(CONVERT, js["convert"], strict=True):
        offsets = OffsetMap(text)
        assert result["length"] == len(text)
        assert result["toUtf16"] == [offsets.to_utf16(cp) for cp in range(len(text) + 1)]
        expected: list[int | str] = []
        for unit in range(offsets.utf16_length + 1):
            try:
                expected.append(offsets.to_codepoint(unit))
            except ValueError:
                expected.append("RangeError")
        assert result["toCodePoint"] == expected, text
        assert result["end"] == [offsets.utf16_length, len(text)]
        assert result["slice"] == (text[1:] if text else "RangeError")
    assert "RangeError" in js["convert"][2]["toCodePoint"]


def test_js_locates_offsets_among_text_nodes(js: dict[str, Any]) -> None:
    assert js["locate"] == [case[3] for case in LOCATE_CASES]


# The DOM half, in a real browser: every span of a container with nested highlights goes
# to a Range and back; element boundary points, ranges reaching outside the container, a
# boundary inside a surrogate pair and a snapped selection.
PAGE = """<!doctype html><meta charset="utf-8">
<div id="c" style="white-space: pre-wrap">Hulusi <mark>Akar 😀 said</mark> Ankara<span>
is <b>ready</b></span> 🇹🇷 now, “Turkey’s <mark></mark>role”.</div><pre id="out"></pre>
<script>
addEventListener("error", (e) => { document.getElementById("out").textContent = e.message; });
</script>
<script type="module">
import * as o from "./offsets.js";
const c = document.getElementById("c"), text = c.textContent, fails = [];
const n = [...text].length, same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
let checked = 0;
for (let s = 0; s < n; s++) for (let e = s + 1; e <= n; e++) {
  const r = o.offsetsToRange(c, s, e);
  if (r.toString() !== o.sliceCodePoints(text, s, e)) fails.push(["toRange", s, e]);
  if (!same(o.rangeToOffsets(c, r), { start: s, end: e })) fails.push(["back", s, e]);
  checked++;
}
const r = document.createRange(), out = document.getElementById("out");
r.setStart(c, 1); r.setEnd(c.querySelector("span"), 2);
const end = [..."Hulusi Akar 😀 said Ankara\\nis ready"].length;
if (!same(o.rangeToOffsets(c, r), { start: 7, end })) fails.push(["element points"]);
r.setStart(document.body, 0); r.setEnd(document.body, document.body.childNodes.length);
if (!same(o.rangeToOffsets(c, r), { start: 0, end: n })) fails.push(["clipped"]);
r.setStart(out, 0); r.setEnd(out, 0);
if (o.rangeToOffsets(c, r) !== null) fails.push(["outside"]);
const mark = c.querySelector("mark").firstChild;
r.setStart(mark, mark.data.indexOf("😀") + 1); r.setEnd(mark, mark.data.length);
if (!same(o.rangeToOffsets(c, r), { start: 12, end: 18 })) fails.push(["surrogate pair"]);
r.setStart(mark, 3); r.setEnd(c.querySelector("b").firstChild, 3);
getSelection().removeAllRanges(); getSelection().addRange(r);
const span = o.selectedSpan(c);
const want = { start: 7, end, quote: "Akar 😀 said Ankara\\nis ready" };
if (!same(span, want)) fails.push(["selected", span]);
out.textContent = JSON.stringify({ checked, fails: fails.slice(0, 10) });
</script>
"""


@pytest.fixture
def page_url(tmp_path: Path) -> Iterator[str]:
    shutil.copy(MODULE, tmp_path / "offsets.js")
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/page.html"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_dom_ranges_and_offsets_round_trip_in_chromium(page_url: str) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed")
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page_url],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=90,
        check=False,
    )
    found = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found and found.group(1), f"the page's script did not finish: {done.stderr[-2000:]}"
    output = html.unescape(found.group(1))
    assert output.startswith("{"), output  # otherwise the page's error
    result = json.loads(output)
    assert result["fails"] == []
    assert result["checked"] > 1000
