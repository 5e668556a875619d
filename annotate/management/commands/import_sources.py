"""manage.py import_sources PATH --project SLUG: load a source registry file."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from annotate.models import SourceKind
from annotate.sources import registry
from corpus.models import Project

# Smaller files are done before a progress bar would be worth drawing.
PROGRESS_MIN_ROWS = 200


class _DryRun(Exception):
    """Raised inside the transaction to roll a --dry-run back."""


class Command(BaseCommand):
    help = (
        "Import sources into a project's registry from a CSV or JSONL file. "
        "CSV: a header line name,kind,description,aliases,external_id, aliases separated "
        "by '|' or ';'. JSONL: one JSON object per line with those fields, aliases a list. "
        f"kind is one of {', '.join(SourceKind.values)}. "
        "A row whose name (ignoring case, diacritics and spacing) or one of whose aliases "
        "already names a source of the project updates that source — adds the aliases, "
        "fills an empty description or external id — so importing a file twice changes "
        "nothing. The whole file is checked first and imported in one transaction: any bad "
        "row is reported with its line number, nothing is written, and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The .csv or .jsonl file to import.")
        parser.add_argument(
            "--project",
            required=True,
            metavar="SLUG",
            help="Slug of the project whose registry receives the sources.",
        )
        parser.add_argument(
            "--format",
            choices=registry.FORMATS,
            help="The file's format (default: from its extension, .csv or .jsonl/.ndjson).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, without writing anything.",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="No progress bar (there is none anyway when stderr is not a terminal or -v0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        verbosity: int = options["verbosity"]
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug “{options['project']}”.")
        try:
            rows = registry.read_rows(path, options["format"])
        except OSError as exc:
            raise CommandError(f"Can't read {path}: {exc.strerror or exc}.") from exc
        except ValidationError as exc:
            raise CommandError(self._problems(path, exc)) from exc

        show_progress = (
            verbosity > 0 and not options["no_progress"] and len(rows) >= PROGRESS_MIN_ROWS
        )

        def progress(items: Sequence[registry.SourceRow]) -> Iterable[registry.SourceRow]:
            # disable=None: tqdm draws only when stderr is a terminal.
            return tqdm(items, desc="Sources", unit="row", file=sys.stderr, disable=None)

        try:
            with transaction.atomic():
                result = registry.import_rows(
                    project=project, rows=rows, progress=progress if show_progress else None
                )
                if options["dry_run"]:
                    raise _DryRun
        except ValidationError as exc:
            raise CommandError(self._problems(path, exc)) from exc
        except _DryRun:
            pass

        if verbosity == 0:
            return
        for outcome in result.outcomes:
            by_alias = outcome.matched_by_alias
            if verbosity >= 2 or (by_alias and outcome.action == "updated"):
                how = f" (matched by “{outcome.matched_by}”)" if by_alias else ""
                self.stdout.write(
                    f"  line {outcome.line}: {outcome.action} “{outcome.source.name}”{how}"
                )
        summary = (
            f"{path.name} → “{project.name}”: {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged."
        )
        if options["dry_run"]:
            self.stdout.write(f"Dry run, nothing written. {summary}")
        else:
            self.stdout.write(self.style.SUCCESS(summary))

    @staticmethod
    def _problems(path: Path, exc: ValidationError) -> str:
        lines = "\n".join(f"  {m}" for m in exc.messages)
        return f"{path.name}: nothing imported.\n{lines}"
