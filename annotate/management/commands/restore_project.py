"""manage.py restore_project ARCHIVE.zip: rebuild a project from its archive."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotate.exchange import restoring


class Command(BaseCommand):
    help = (
        "Rebuild a project from an archive made by `manage.py export SLUG --format archive` "
        "(the same or another database: SQLite and PostgreSQL both). Keeps every id, so the "
        "instance must not hold those rows yet (an empty one). The whole archive is checked "
        "first (members, sizes up to CLAIMDESK_MAX_ARCHIVE_BYTES inflated, every record). "
        "Users are matched by username and never changed; those missing here are created "
        "inactive with unusable passwords and listed. One transaction: on any error nothing "
        "is written and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The archive (.zip).")
        parser.add_argument("--slug", help="Give the restored project this slug.")
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="No progress bar (there is none anyway when stderr is not a terminal or -v0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        quiet = options["no_progress"] or options["verbosity"] == 0 or not self.stderr.isatty()
        bar = tqdm(unit=" rows", file=sys.stderr, disable=quiet, desc="Restoring")

        def rows_written(n: int) -> None:
            bar.update(n)

        try:
            with bar, path.open("rb") as handle:
                result = restoring.restore(handle, slug=options["slug"], on_rows=rows_written)
        except OSError as exc:
            raise CommandError(f"Can't read {path}: {exc.strerror or exc}.") from exc
        except ValidationError as exc:
            raise CommandError(f"Nothing was restored: {' '.join(exc.messages)}") from exc
        counts = ", ".join(f"{n:,} {name}" for name, n in result.counts.items())
        self.stdout.write(f"Restored “{result.project}” ({result.project.slug}): {counts}.")
        if result.created_users:
            self.stdout.write(
                "Created these users inactive, without passwords (activate them and set "
                f"passwords to let them log in): {', '.join(result.created_users)}."
            )
