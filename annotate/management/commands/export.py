"""manage.py export SLUG --format FORMAT [filters] [-o PATH]: export a project's claims."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.exchange import formats
from annotate.exchange.options import LAYERS, STATUSES, ExportOptions
from annotate.exchange.rows import claims_queryset
from corpus.models import Project


class _NoBar:
    """What the command asks of a progress bar, when it shows none."""

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


class Command(BaseCommand):
    help = (
        "Export a project's claims as jsonl (one line per article), csv or parquet (one row "
        "per claim), w3c (Web Annotation JSON-LD), brat (zipped standoff) or archive (the "
        "whole project, zipped JSON, for restore_project). Streams: memory stays flat "
        "whatever the size of the project. Writes to --output, or to standard output."
    )
    # No system checks: they import the whole URLconf (the API schema, every view), a
    # second or more of a fresh process's start that an export never uses (issue 21: the
    # command is timed from process start). ``manage.py check`` and the server run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", metavar="SLUG", help="The project's slug.")
        parser.add_argument("--format", required=True, choices=formats.FORMATS)
        parser.add_argument(
            "-o", "--output", type=Path, help="The file to write (default: standard output)."
        )
        parser.add_argument(
            "--layer",
            choices=LAYERS,
            default="gold",
            help="gold (default), annotators (one row per annotator claim) or all.",
        )
        parser.add_argument(
            "--annotator", action="append", default=[], help="Only this annotator (repeatable)."
        )
        parser.add_argument("--article", action="append", default=[], help="Article id.")
        parser.add_argument("--source", action="append", default=[], help="Source id.")
        parser.add_argument(
            "--stance", action="append", default=[], help="Claims with this stance value."
        )
        parser.add_argument("--status", action="append", default=[], choices=STATUSES)
        parser.add_argument(
            "--split", action="store_true", help="Add a train/dev/test split by article."
        )
        parser.add_argument("--seed", type=int, default=0, help="The split's seed (default 0).")
        parser.add_argument(
            "--ratios", default="0.8,0.1,0.1", help="train,dev,test shares (default 0.8,0.1,0.1)."
        )
        parser.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM.")
        parser.add_argument(
            "--csv-raw",
            action="store_true",
            help="CSV: text cells exactly as stored. By default a cell a spreadsheet would "
            "run as a formula (beginning with =, +, -, @, a tab or a carriage return) gets a "
            "leading ' (CSV injection).",
        )
        parser.add_argument(
            "--all-articles",
            action="store_true",
            help="jsonl and brat only: every article of the project (or of --article), also "
            "those without selected claims (an empty claims list, an empty .ann), so that a "
            "dataset keeps its true negatives.",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="No progress bar (there is none anyway when stderr is not a terminal, when "
            "writing to standard output, or with -v0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug “{options['project']}”.")
        fmt: str = options["format"]
        try:
            export_options = ExportOptions.from_query(
                {
                    "layer": options["layer"],
                    "annotator": options["annotator"],
                    "article": options["article"],
                    "source": options["source"],
                    "stance": options["stance"],
                    "status": options["status"],
                    "split": "1" if options["split"] else "",
                    "seed": str(options["seed"]),
                    "ratios": options["ratios"],
                    "bom": "1" if options["bom"] else "",
                    "csv_raw": "1" if options["csv_raw"] else "",
                    "all_articles": "1" if options["all_articles"] else "",
                }
            )
            formats.check_options(fmt, export_options)
            claims = None
            if fmt != "archive":
                claims = claims_queryset(project, export_options)  # unknown annotators fail here
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

        output: Path | None = options["output"]
        quiet = (
            options["no_progress"]
            or options["verbosity"] == 0
            or output is None
            or not self.stderr.isatty()
        )
        bar: Any = _NoBar()
        if not quiet:  # tqdm only for a bar (a fresh process's start is in the export's time)
            from tqdm import tqdm

            bar = tqdm(
                total=None if claims is None else claims.count(),
                unit=" claims",
                file=sys.stderr,
                desc=f"Exporting {fmt}",
            )
        started = time.perf_counter()
        rows = 0

        def progress(n: int) -> None:
            nonlocal rows
            rows += n
            bar.update(n)

        target = output.open("wb") if output else sys.stdout.buffer
        size = 0
        try:
            for chunk in formats.stream(fmt, project, export_options, on_chunk=progress):
                target.write(chunk)
                size += len(chunk)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            bar.close()
            if output:
                target.close()
            else:
                target.flush()
        seconds = time.perf_counter() - started
        if options["verbosity"] > 0:
            rate = f", {rows / seconds:,.0f} claims/s" if rows and seconds else ""
            self.stderr.write(
                f"Exported {rows:,} claims of “{project}” as {fmt} "
                f"({size:,} bytes) in {seconds:.2f} s{rate}"
                + (f" to {output}." if output else "."),
                # On stderr (stdout may be the export), but not in the colour of errors.
                style_func=self.style.SUCCESS,
            )
