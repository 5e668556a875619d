"""Fingerprints of every export of a project, to prove a refactoring left the outputs alone.

    python scripts/export_fingerprint.py generate --articles 1000   # once, before the change
    python scripts/export_fingerprint.py fingerprint > before.txt   # before the change
    python scripts/export_fingerprint.py fingerprint > after.txt    # after it, same database
    diff before.txt after.txt

Uses the database the settings name (``SQLITE_PATH`` or ``DATABASE_URL``). The clock is
frozen while exporting, so ``exported_at`` and zip member times are the same in both runs;
zipped formats are fingerprinted member by member.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

FROZEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FORMATS = ["jsonl", "csv", "parquet", "w3c", "brat", "archive"]
LAYERS = ["gold", "annotators", "all"]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _members(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [f"{i.filename} {_digest(archive.read(i))}" for i in archive.infolist()]


def fingerprint(slug: str) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock.patch("django.utils.timezone.now", return_value=FROZEN),
    ):
        for fmt in FORMATS:
            for layer in LAYERS if fmt != "archive" else ["all"]:
                out = Path(tmp) / f"{fmt}-{layer}"
                args = [slug, "--format", fmt, "-o", str(out), "--no-progress"]
                if fmt != "archive":
                    args += ["--layer", layer]
                call_command("export", *args)
                data = out.read_bytes()
                if data[:2] == b"PK":
                    for line in _members(data):
                        print(fmt, layer, line)
                else:
                    print(fmt, layer, _digest(data), len(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="migrate and write the bench project")
    gen.add_argument("--articles", type=int, default=1000)
    fp = sub.add_parser("fingerprint", help="print one line per export (and zip member)")
    fp.add_argument("--slug", default="bench")
    args = parser.parse_args()
    if args.command == "generate":
        from bench.generate import generate_project

        call_command("migrate", verbosity=0)
        generate_project(args.articles)
    else:
        fingerprint(args.slug)


if __name__ == "__main__":
    main()
