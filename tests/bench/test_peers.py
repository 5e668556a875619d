"""``make bench-peers`` (bench/peers/): the workload every tool gets, the table, and the
Claimdesk leg against the real production shape at a tiny size, so that the harness can't
rot between the (manual) runs beside the peers. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.peers import report
from bench.peers import workload as wl
from bench.peers.common import Figures, Memory, multipart

ROOT = Path(__file__).resolve().parents[2]


def test_the_workload_is_seeded_and_its_spans_are_the_text() -> None:
    work = wl.make(4, 20, seed=7)
    assert work.n_spans == 80
    assert wl.make(4, 20, seed=7) == work
    assert wl.make(4, 20, seed=8) != work
    for doc in work.documents:
        assert len(doc.text) >= 5_500
        assert any(ch in doc.text for ch in "ğışİç") and any("а" <= ch <= "я" for ch in doc.text)
        assert any(ord(ch) > 0xFFFF for ch in doc.text)  # the emoji
        starts = [s.start for s in doc.spans]
        assert starts == sorted(set(starts))
        for s in doc.spans:
            assert doc.text[s.start : s.end] == s.quote and s.quote.strip() == s.quote
    lines = work.jsonl().decode().splitlines()
    assert [json.loads(line)["text"] for line in lines] == [d.text for d in work.documents]


def test_utf16_offsets_count_an_emoji_twice() -> None:
    text = "a😀бğ😀c"
    assert [wl.utf16(text, i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 5, 7, 8]
    assert text.encode("utf-16-le")[2 * wl.utf16(text, 4) :].decode("utf-16-le") == text[4:]


def test_multipart_bodies_carry_fields_and_files() -> None:
    body, media = multipart(
        {"file": ("a.jsonl", b'{"text": "x"}\n', "application/x-ndjson")}, {"unwrap": "no"}
    )
    boundary = media.split("boundary=")[1]
    assert body.count(boundary.encode()) == 3 and body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="unwrap"\r\n\r\nno\r\n' in body and b'filename="a.jsonl"' in body


def _figures(tool: str, variant: str, seconds: float, status: int) -> Figures:
    f = Figures(
        tool,
        variant,
        import_s=seconds,
        spans_s=seconds * 10,
        export_s=seconds,
        exported=400,
        fetch_ms=[seconds * 10, seconds * 20],
        past_end_status=status,
    )
    f.memory = Memory(100 * seconds, "x", 300 * seconds, 3)
    return f


def test_the_table_gives_each_tool_and_the_ratio_to_the_best_peer() -> None:
    runs = [
        _figures("Label Studio", "1.23.2", 2.0, 201),
        _figures("doccano", "1.8.4", 4.0, 201),
        _figures("Claimdesk", "PostgreSQL", 0.5, 400),
        _figures("Claimdesk", "SQLite", 1.0, 400),
    ]
    table = report.table(runs, "test machine", 20, 400)
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()}
    assert "| import the documents | 2.00 s | 4.00 s | 0.50 s | 1.00 s | 2.0× |" in table
    assert rows["a span ending past the text"].count("201") == 2
    assert "behind" not in table
    slow = [*runs[:2], _figures("Claimdesk", "SQLite", 3.0, 400)]
    assert "0.7× (behind)" in report.table(slow, "m", 20, 400)


def test_the_claimdesk_leg_runs_on_the_production_shape(tmp_path: Any) -> None:
    out = tmp_path / "peers.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.peers",
            "--only",
            "claimdesk-sqlite",
            "--documents",
            "3",
            "--spans",
            "4",
            "--fetches",
            "3",
            "--no-wait",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (run,) = json.loads(out.read_text())["runs"]
    assert run["errors"] == []
    assert run["exported"] == 12 and len(run["fetch_ms"]) == 3
    # The export is timed once the task worker is idle (the upload's search entries built).
    assert run["export_note"].startswith("after the task queue drained")
    assert "still busy" not in run["export_note"]
    assert run["past_end_status"] == 400
    assert run["memory"]["processes"] >= 3  # gunicorn's master and workers, the task worker


def test_the_claimdesk_leg_writes_only_in_its_own_directory(tmp_path: Any) -> None:
    """The leg's collectstatic, uploads and database stay in its temporary directory: into
    the repository's staticfiles/ it raced with the suite's other leg (WhiteNoise listing
    files collectstatic was replacing: a 500 in the hostile sweep)."""
    from bench.peers import claimdesk

    for database in ("sqlite", "postgresql://example/db"):
        env = claimdesk._env(database, 8000, tmp_path)
        for name in ("STATIC_ROOT", "MEDIA_ROOT") + (
            ("SQLITE_PATH",) if database == "sqlite" else ()
        ):
            assert Path(env[name]).is_relative_to(tmp_path), name


def test_a_peer_is_installed_again_when_its_pins_change(tmp_path: Path, monkeypatch: Any) -> None:
    """A cache installed before a pin was added (Label Studio 1.23.2 with sentry-sdk 3, which
    it cannot start with) is brought up to date; an up-to-date one is left alone."""
    from bench.peers import common, label_studio

    calls: list[list[str]] = []

    def run(command: list[str], **_: Any) -> None:
        calls.append(command)
        if command[1:3] == ["-m", "venv"]:
            (Path(command[3]) / "bin").mkdir(parents=True)
            (Path(command[3]) / "bin" / "pip").touch()

    monkeypatch.setattr(common.subprocess, "run", run)
    venv = tmp_path / "tool"
    common.install_venv(venv, ["tool==1"], "tool")
    assert [c[1:3] for c in calls] == [["-m", "venv"], ["install", "-q"]]
    assert calls[1][3:] == ["tool==1"]
    calls.clear()
    common.install_venv(venv, ["tool==1"], "tool")
    assert calls == []
    common.install_venv(venv, ["tool==1", "dep<3"], "tool")
    assert [c[1:] for c in calls] == [["install", "-q", "tool==1", "dep<3"]]  # same venv
    assert "sentry-sdk>=2.16,<3" in label_studio.PACKAGES
