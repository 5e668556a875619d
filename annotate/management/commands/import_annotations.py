"""manage.py import_annotations PATH --project SLUG --annotator USERNAME: import claims."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.exports import importing
from corpus.models import Project


class Command(BaseCommand):
    help = (
        "Import annotations (e.g. pre-annotations from another tool or a model) as the "
        "claims of one annotator of the project, from JSONL (one article per line, as "
        "`export --format jsonl` writes) or W3C Web Annotation JSON-LD. Offsets and quotes "
        "are checked against the text, labels against the scheme; sources and targets must "
        "be in the project already. One transaction: if any item is rejected nothing is "
        "written (unless --partial), every rejected item is listed with why, and the exit "
        "status is 1. Claims the annotator already has (same offsets) are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--project", required=True, metavar="SLUG")
        parser.add_argument("--annotator", required=True, metavar="USERNAME")
        parser.add_argument("--format", choices=importing.FORMATS)
        parser.add_argument(
            "--partial", action="store_true", help="Keep the good items when some are rejected."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug “{options['project']}”.")
        user = get_user_model().objects.filter(username=options["annotator"]).first()
        if user is None:
            raise CommandError(f"No user “{options['annotator']}”.")
        path: Path = options["path"]
        try:
            fmt = options["format"] or importing.guess_format(path.name)
            report = importing.import_annotations(
                project=project,
                annotator=user,
                data=path.read_bytes(),
                fmt=fmt,
                partial=options["partial"],
                dry_run=options["dry_run"],
            )
        except OSError as exc:
            raise CommandError(f"Can't read {path}: {exc.strerror or exc}.") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for rejected in report.rejected:
            self.stderr.write(f"rejected: {rejected}")
        verb = "Imported" if report.written else "Nothing written; would import"
        self.stdout.write(
            f"{verb} {report.created} claims as {user} ({report.skipped} already there, "
            f"{len(report.rejected)} rejected, {report.assigned} articles newly assigned)."
        )
        if report.rejected and not options["partial"]:
            raise CommandError(
                f"{len(report.rejected)} items were rejected, so nothing was written: "
                "fix them, or import the rest with --partial."
            )
