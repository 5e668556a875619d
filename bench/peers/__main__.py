"""``make bench-peers``: Claimdesk beside Label Studio and doccano, same workload, one run.

    python -m bench.peers [--documents 1000] [--spans 20] [--fetches 200] [--runs 1]
                          [--only claimdesk-postgres,claimdesk-sqlite,label-studio,doccano]
                          [--cache DIR] [--json OUT]

Each tool is installed (once) into a virtualenv in a cache outside the repository
(``$CLAIMDESK_PEERS_CACHE``, default ``~/.cache/claimdesk-peers``), started on a fresh
database in a temporary folder, given the same seeded workload through its documented REST
API — the documents in one upload, the spans (each tool's fastest documented write path),
an export, one document with its spans fetched ``--fetches`` times — and stopped. Before
each tool the run waits (up to two minutes) for the machine to be idle. Claimdesk runs in
its production shape (gunicorn with two workers and one task worker) on PostgreSQL, a
cluster of its own with fsync on (``PEERS_DATABASE_URL`` to use another server), and on
SQLite. The table printed at the end gives each figure and Claimdesk's ratio to the best
peer; ``--json`` keeps every figure.

Not part of ``make test``: it downloads the peers from PyPI (about 1.7 GB installed) and
takes 10–20 minutes at the default size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path

TOOLS = ("claimdesk-postgres", "claimdesk-sqlite", "label-studio", "doccano")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peers",
        description="Claimdesk beside Label Studio and doccano on the same workload.",
    )
    parser.add_argument("--documents", type=int, default=1000, help="documents (default 1000)")
    parser.add_argument("--spans", type=int, default=20, help="spans per document (default 20)")
    parser.add_argument("--fetches", type=int, default=200, help="fetches of one document")
    parser.add_argument("--runs", type=int, default=1, help="runs of every tool (default 1)")
    parser.add_argument("--only", default=",".join(TOOLS), help="comma-separated tools")
    parser.add_argument(
        "--cache",
        default=os.environ.get(
            "CLAIMDESK_PEERS_CACHE", str(Path.home() / ".cache" / "claimdesk-peers")
        ),
        help="where the peers are installed",
    )
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--no-wait", action="store_true", help="don't wait for an idle machine")
    args = parser.parse_args(argv)
    tools = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tools: {', '.join(unknown)} (known: {', '.join(TOOLS)})")
    if args.documents < 1 or args.spans < 1 or args.fetches < 1 or args.runs < 1:
        parser.error("--documents, --spans, --fetches and --runs must be at least 1")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from bench.peers import doccano, label_studio, report
    from bench.peers import workload as wl
    from bench.peers.claimdesk import run as claimdesk_run
    from bench.peers.common import wait_idle
    from bench.peers.postgres import Cluster

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    work = wl.make(args.documents, args.spans)
    print(
        f"bench-peers: {len(work.documents):,} documents, {work.n_spans:,} spans, "
        f"{len(work.jsonl()) / 1e6:.1f} MB of JSONL; tools: {', '.join(tools)}",
        flush=True,
    )
    runs = []
    for run in range(1, args.runs + 1):
        for tool in tools:
            load = None if args.no_wait else wait_idle()
            print(
                f"bench-peers: run {run}, {tool} (load {load or os.getloadavg()[0]:.2f})",
                flush=True,
            )
            if tool == "claimdesk-postgres":
                given = os.environ.get("PEERS_DATABASE_URL")
                if given:
                    figures = claimdesk_run(work, given, args.fetches)
                else:
                    with Cluster(durable=True) as cluster:
                        figures = claimdesk_run(work, cluster.url, args.fetches)
            elif tool == "claimdesk-sqlite":
                figures = claimdesk_run(work, "sqlite", args.fetches)
            elif tool == "label-studio":
                figures = label_studio.run(work, cache, args.fetches)
            else:
                figures = doccano.run(work, cache, args.fetches)
            print(report.line(figures), flush=True)
            runs.append(figures)
    machine = (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )
    print()
    print(report.table(runs, machine, len(work.documents), work.n_spans))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"machine": machine, "runs": [asdict(f) for f in runs]}, indent=1, default=str
            )
        )
    return 1 if any(f.errors for f in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
