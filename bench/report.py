"""Markdown tables of a benchmark run (one per database) and the comparison with the peers.

``python -m bench.report RESULTS.json`` prints the tables of a saved run again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# The peers, as measured in /work/shared/PEERS.md (2-core machine, SQLite, 1,000 documents
# of ~6,000 characters, 20 spans each, through their REST APIs).
PEERS = {
    "import": ("0.41–0.43 s", "2.6–2.7 s (background job)"),
    "create": ("~570 spans/s (20 per request)", "~90 spans/s (one per request)"),
    "export": ("~10,000 spans/s", "~4,000 spans/s"),
    "fetch": ("p50 42 ms, p95 46–57 ms", "p50 12–15 ms, p95 15–18 ms (2 requests)"),
    "memory": ("~580 MB, 1 process", "~1.6–2.0 GB, 9 processes"),
    "checks": ("none (span past the text: 201)", "none"),
}


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def _extra(extra: dict[str, Any]) -> str:
    labels = {
        "claims_per_s": "{:,.0f} claims/s",
        "articles_per_s": "{:,.0f} articles/s",
        "peak_mb": "peak {} MB (Python)",
        "peak_gold_mb": "{} MB for the gold layer alone",
        "mb": "{} MB",
        "kb": "{} KB",
        "queries_20_claims": "{} queries at 20 claims",
        "cpu_ms": "{:,.0f} ms CPU",
        "db_cpu_ms": "{:,.0f} ms database CPU",
        "search_entries_ms": "search entries after it (the task worker's) {:,.0f} ms",
        "search_entries_db_cpu_ms": "{:,.0f} ms database CPU",
        "peak_growth_mb": "peak growth {} MB (fresh process)",
        "cpu_s": "{} s CPU",
        "claims_per_cpu_s": "{:,.0f} claims per CPU s",
        "peak_rss_mb": "peak RSS {} MB",
        "peak_rss_gold_mb": "{} MB for the gold layer alone",
    }
    parts = [fmt.format(extra[k]) for k, fmt in labels.items() if extra.get(k) is not None]
    return ", ".join(parts)


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: ""}[value]


def table(run: dict[str, Any]) -> str:
    """The Markdown table of one database's run."""
    if "error" in run:
        return f"### {run['db']}\n\n{run['error']}\n"
    project = run["project"]
    lines = [
        f"### {run['db_version']} — {project['articles']:,} articles, "
        f"{project['claims']:,} annotator claims, {project['gold']:,} gold claims",
        "",
        f"Generated in {run['generate_s']:.1f} s (bulk inserts; migrations {run['migrate_s']} s"
        + (f"; VACUUM (ANALYZE) {run['analyze_s']} s" if run.get("analyze_s") is not None else "")
        + ").",
        "",
        "| scenario | n | median | p95 | queries | figures | target | met |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for r in run["results"]:
        figures = "; ".join(part for part in (_extra(r.get("extra") or {}), r.get("note")) if part)
        queries = "" if r.get("queries") is None else str(r["queries"])
        lines.append(
            f"| {r['name']} | {r['n'] or ''} | {_ms(r['median_ms'])} | {_ms(r['p95_ms'])} | "
            f"{queries} | {figures} | {r.get('target', '')} | {_met(r.get('met'))} |"
        )
    memory = run.get("server_memory")
    if memory and "rss_mb" in memory:
        lines.append(
            f"| server process RSS after {memory['requests']} requests | | | | | "
            f"{memory['rss_mb']} MB (peak {memory['peak_rss_mb']} MB; "
            f"{memory['after_setup_mb']} MB after start-up) | < 200 MB | "
            f"{_met(memory['peak_rss_mb'] < 200)} |"
        )
    mixed = (memory or {}).get("mixed") or {}
    if "steady_mb" in mixed:
        lines.append(
            f"| worker RSS after a mixed load (requests, bulk import of "
            f"{mixed['imported_claims']:,} claims, 1,000-document upload, JSONL and Parquet "
            f"exports, requests again) | | | | | {mixed['steady_mb']} MB steady (peak "
            f"{mixed['peak_rss_mb']} MB; PSS {mixed.get('pss_mb')} MB, private "
            f"{mixed.get('uss_mb')} MB; after the import {mixed['after_import_mb']} MB, "
            f"the upload {mixed['after_upload_mb']} MB, the exports "
            f"{mixed['after_exports_mb']} MB) | < 150 MB | {_met(mixed['steady_mb'] < 150)} |"
        )
    elif mixed:
        lines.append(f"| worker RSS after a mixed load | | | | | {mixed} | < 150 MB | |")
    return "\n".join(lines) + "\n"


def render(payload: dict[str, Any]) -> str:
    m = payload["machine"]
    head = (
        f"## Benchmark, scale {payload['scale']} ({payload['at']})\n\n"
        f"{m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"SQLite {m['sqlite']}\n"
    )
    speeds = [
        f"{db} run: {speed['before']['loop_ms']} ms at load {speed['before']['load']} before, "
        f"{speed['after']['loop_ms']} ms at load {speed['after']['load']} after"
        for db, run in payload["runs"].items()
        if (speed := run.get("speed"))
    ]
    if speeds:
        head += (
            "\nMachine speed (`bench.run.speed_probe`: a fixed loop's CPU time, lower is faster; "
            "figures of different days compare through it): " + "; ".join(speeds) + "\n"
        )
    if any(run.get("speed", {}).get("side_by_side") for run in payload["runs"].values()):
        head += (
            "\nThe databases ran side by side (`--side-by-side`), each beside the other's "
            "run: figures of a busy machine, not to compare with a run one after the other.\n"
        )
    return head + "\n" + "\n".join(table(run) for run in payload["runs"].values())


def _find(run: dict[str, Any], scenario: str, prefix: str = "") -> dict[str, Any] | None:
    for r in run.get("results", []):
        if r["scenario"] == scenario and r["name"].startswith(prefix) and r["median_ms"]:
            return r
    return None


def _ours(run: dict[str, Any], row: str) -> str:
    if "error" in run:
        return "—"
    if row == "import":
        r = _find(run, "import")
        if r is None:
            return "—"
        n = r["extra"].get("articles", 0)
        scaled = f" ({n:,} articles)" if n != 1000 else ""
        return f"{_ms(r['median_ms'])}{scaled}"
    if row == "create":
        api = _find(run, "claims_api", "API claim create")
        one_by_one = _find(run, "claims_bulk", "claim_create")
        bulk = _find(run, "claims_bulk", "claims_create_many")
        parts = []
        if api:
            parts.append(f"~{api['extra']['claims_per_s']:,.0f} claims/s (API, one per request)")
        if one_by_one:
            rate = one_by_one["extra"]["claims_per_s"]
            parts.append(f"{rate:,.0f} claims/s (service, one by one in a transaction)")
        if bulk:
            parts.append(f"{bulk['extra']['claims_per_s']:,.0f} claims/s (bulk service)")
        return "; ".join(parts) or "—"
    if row == "export":
        found = [
            f"{r['name'].split()[1].rstrip(',')}"
            f"{' (fresh process)' if 'fresh process' in r['name'] else ''}"
            f" {r['extra']['claims_per_s']:,} claims/s"
            for r in run.get("results", [])
            if r["scenario"] == "exports" and r["median_ms"]
        ]
        return "; ".join(found) or "not available yet"
    if row == "fetch":
        # The one-request fetch (``fetch_one``: ?include=claims) when it ran, else the
        # article and its claim list (``fetch_api``: 2 requests).
        one = _find(run, "fetch_api", "API: one article with its")
        r = one or _find(run, "fetch_api")
        if r is None:
            return "—"
        requests = "1 request, ?include=claims" if one else "2 requests"
        return f"p50 {_ms(r['median_ms'])}, p95 {_ms(r['p95_ms'])} ({requests})"
    if row == "memory":
        memory = run.get("server_memory") or {}
        if "rss_mb" not in memory:
            return "—"
        return f"{memory['rss_mb']} MB RSS, 1 process (peak {memory['peak_rss_mb']} MB)"
    return "every offset, cluster boundary, quote and label (400 / 422)"


def peer_table(payload: dict[str, Any]) -> str:
    """Claimdesk beside Label Studio and doccano on the rows of PEERS.md."""
    runs = payload["runs"]
    names = {"import": "import 1,000 documents", "create": "create spans/claims",
             "export": "export the project", "fetch": "fetch one document with its 20 spans",
             "memory": "server memory", "checks": "offset checks on write"}  # fmt: skip
    header = "| figure | Label Studio 1.23.2 | doccano 1.8.4 | " + " | ".join(
        f"Claimdesk ({db})" for db in runs
    )
    lines = ["\n## Claimdesk and its peers (PEERS.md)\n", header + " |"]
    lines.append("|---" * (3 + len(runs)) + "|")
    for key, label in names.items():
        ours = " | ".join(_ours(run, key) for run in runs.values())
        lines.append(f"| {label} | {PEERS[key][0]} | {PEERS[key][1]} | {ours} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    data = json.loads(Path(sys.argv[1]).read_text())
    print(render(data))
    print(peer_table(data))
