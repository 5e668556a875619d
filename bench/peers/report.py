"""The side-by-side table: each figure per tool (the range over runs), and Claimdesk's ratio
to the best peer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from bench.peers.common import Figures


def _s(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f} s"


def line(f: Figures) -> str:
    mem = f.memory
    parts = [
        f"{f.tool} {f.variant}".strip() + ":",
        f"import {_s(f.import_s)}",
        f"spans {_s(f.spans_s)}",
        f"export {_s(f.export_s)} ({f.exported or 0:,}"
        + (f"; {f.export_note})" if f.export_note else ")"),
        f"fetch p50 {f.fetch_p50() or 0:.1f} / p95 {f.fetch_p(0.95) or 0:.1f} ms",
        f"largest process {mem.largest_mb:.0f} MB ({mem.largest.strip()[:60]}), "
        f"all {mem.total_mb:.0f} MB in {mem.processes}"
        if mem
        else "",
        f"span past the end: {f.past_end_status}",
    ]
    if f.errors:
        parts.append("ERRORS: " + " | ".join(f.errors))
    return "  ".join(p for p in parts if p)


def _range(values: list[float], fmt: Callable[[float], str]) -> str:
    if not values:
        return "—"
    lo, hi = min(values), max(values)
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"


ROWS: list[tuple[str, Callable[[Figures], float | None], Callable[[float], str], bool]] = [
    ("import the documents", lambda f: f.import_s, lambda v: f"{v:.2f} s", True),
    ("create the spans", lambda f: f.spans_s, lambda v: f"{v:.1f} s", True),
    ("export the project", lambda f: f.export_s, lambda v: f"{v:.2f} s", True),
    (
        "fetch one document with its spans, p50",
        lambda f: f.fetch_p50(),
        lambda v: f"{v:.1f} ms",
        True,
    ),
    ("the same, p95", lambda f: f.fetch_p(0.95), lambda v: f"{v:.1f} ms", True),
    (
        "largest single server process",
        lambda f: f.memory.largest_mb if f.memory else None,
        lambda v: f"{v:.0f} MB",
        True,
    ),
    (
        "all server processes (sum of peaks)",
        lambda f: f.memory.total_mb if f.memory else None,
        lambda v: f"{v:.0f} MB",
        True,
    ),
]


def table(runs: list[Figures], machine: str, documents: int, spans: int) -> str:
    by_tool: dict[str, list[Figures]] = defaultdict(list)
    for f in runs:
        by_tool[f"{f.tool} {f.variant}".strip()].append(f)
    names = list(by_tool)
    peers = [n for n in names if not n.startswith("Claimdesk")]
    ours = [n for n in names if n.startswith("Claimdesk")]
    head = ["figure", *names]
    if peers and ours:
        head.append("best peer ÷ Claimdesk (worst)")
    out = [
        f"bench-peers, {machine}: {documents:,} documents, {spans:,} spans",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for label, get, fmt, lower_is_better in ROWS:
        cells = [label]
        for n in names:
            vals = [v for v in (get(f) for f in by_tool[n]) if v is not None]
            cells.append(_range(vals, fmt))
        if peers and ours:
            best_peer = [
                min(vals)
                for n in peers
                if (vals := [v for v in (get(f) for f in by_tool[n]) if v is not None])
            ]
            worst_ours = [v for n in ours for f in by_tool[n] if (v := get(f)) is not None]
            if best_peer and worst_ours and max(worst_ours) > 0:
                ratio = min(best_peer) / max(worst_ours) if lower_is_better else 0
                cells.append(f"{ratio:.1f}×" + ("" if ratio >= 1 else " (behind)"))
            else:
                cells.append("—")
        out.append("| " + " | ".join(cells) + " |")
    statuses = ["a span ending past the text"] + [
        ", ".join(sorted({str(f.past_end_status) for f in by_tool[n]})) for n in names
    ]
    if peers and ours:
        statuses.append("")
    out.append("| " + " | ".join(statuses) + " |")
    errors = [f"{n}: {e}" for n in names for f in by_tool[n] for e in f.errors]
    if errors:
        out += ["", "Errors:", *errors]
    return "\n".join(out)
