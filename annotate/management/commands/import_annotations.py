"""manage.py import_annotations PATH --project SLUG (--annotator USERNAME | --as-gold CURATOR |
--as-suggestions [--suggester NAME]): import claims, gold claims or suggestions, from a JSONL
or W3C file, a brat zip, or a Label Studio or doccano export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.exchange import importing, importing_brat, importing_files, importing_suggestions
from corpus.models import Project


class Command(BaseCommand):
    help = (
        "Import annotations (pre-annotations from another tool or a model) from JSONL (one "
        "article per line, as `export --format jsonl` writes) or W3C Web Annotation "
        "JSON-LD, either as the claims of one member of the project (--annotator; sources "
        "and stance targets must be in the project already), as its gold layer (--as-gold, "
        "by a curator), or as suggestions that each "
        "annotator of the article accepts or dismisses in the workspace (--as-suggestions; "
        "labels may be incomplete, a speaker the registry lacks is proposed as a new "
        "source). Offsets and quotes are checked against the text, label values against "
        "the scheme. One transaction: if any item is rejected nothing is written (unless "
        "--partial), every rejected item is listed with why, and the exit status is 1. "
        "What is already there (a claim of the annotator, or a suggestion of the same "
        "suggester, at the same offsets) is skipped, so importing twice adds nothing. "
        "brat standoff: a .zip of .txt/.ann pairs (or a folder of them) with a mapping "
        "(--mapping, or mapping.json/.toml in the zip) that says which brat types are "
        "claims, source mentions and labels; --create-articles makes the texts the "
        "project lacks into articles. Label Studio JSON and doccano JSONL exports are read "
        "the same way (--format label-studio / doccano, or guessed from the content), with "
        "--mapping saying which labels are claims and source mentions; their offsets are "
        "converted to code points and checked against the text."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", type=Path, help="The .jsonl or .jsonld file, or a brat .zip or folder."
        )
        parser.add_argument("--project", required=True, metavar="SLUG", help="The project.")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "--annotator",
            metavar="USERNAME",
            help="Import as this member's claims (assigning them the articles).",
        )
        target.add_argument(
            "--as-gold",
            metavar="CURATOR",
            help="Import as the project's gold layer, by this curator or manager of it.",
        )
        target.add_argument(
            "--as-suggestions",
            action="store_true",
            help="Import as suggestions, shared by the annotators of each article.",
        )
        parser.add_argument(
            "--suggester",
            metavar="NAME",
            help="With --as-suggestions: the name they are stored under, at most "
            f"{importing_suggestions.SUGGESTER_MAX} characters (default: import:<file name>). "
            "Re-importing under the same name skips the spans it already has.",
        )
        parser.add_argument(
            "--format",
            choices=importing.FORMATS,
            help="Default: by the file's extension (.jsonl, .jsonld), else its content.",
        )
        parser.add_argument(
            "--partial", action="store_true", help="Keep the good items when some are rejected."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--mapping",
            type=Path,
            metavar="FILE",
            help="brat, Label Studio, doccano: the mapping (.json or .toml); default: the "
            "zip's mapping.json/.toml, else the types Claimdesk's brat export writes (brat) "
            "or the labels Claim and Source (Label Studio, doccano).",
        )
        parser.add_argument(
            "--create-articles",
            action="store_true",
            help="brat, Label Studio, doccano: make each text the project lacks an article "
            "(else its claims are rejected).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["suggester"] is not None and not options["as_suggestions"]:
            raise CommandError("--suggester goes with --as-suggestions.")
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug “{options['project']}”.")
        user = None
        if options["annotator"] is not None:
            user = get_user_model().objects.filter(username=options["annotator"]).first()
            if user is None:
                raise CommandError(f"No user “{options['annotator']}”.")
        path: Path = options["path"]
        try:
            brat = importing.BratOptions(create_articles=options["create_articles"])
            if options["mapping"] is not None:
                brat = importing.BratOptions(
                    importing_brat.mapping_from_text(
                        options["mapping"].read_text(encoding="utf-8"), options["mapping"].name
                    ),
                    options["create_articles"],
                )
            if path.is_dir():
                data = importing_brat.zip_folder(path)
                fmt = importing_files.BRAT
            else:
                data = path.read_bytes()
                fmt = options["format"] or (
                    importing_files.BRAT
                    if path.suffix.lower() == ".zip"
                    else importing_files.guess_format(path.name, importing_files.decode(data))
                )
            common = {
                "project": project,
                "data": data,
                "fmt": fmt,
                "partial": options["partial"],
                "dry_run": options["dry_run"],
                "brat": brat,
            }
            if options["as_gold"] is not None:
                curator = get_user_model().objects.filter(username=options["as_gold"]).first()
                if curator is None:
                    raise CommandError(f"No user “{options['as_gold']}”.")
                report = importing.import_annotations(
                    annotator=None, as_gold=True, actor=curator, **common
                )
                what = "gold claims"
            elif user is not None:
                report = importing.import_annotations(annotator=user, **common)
                what = f"claims as {user}"
            else:
                suggester = options["suggester"] or importing_suggestions.default_suggester_name(
                    path.name
                )
                report = importing_suggestions.import_suggestions(suggester=suggester, **common)
                what = f"suggestions by “{suggester.strip()}”"
        except OSError as exc:
            raise CommandError(f"Can't read {path}: {exc.strerror or exc}.") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for rejected in report.rejected:
            self.stderr.write(f"rejected: {rejected}")
        for warning in report.warnings:
            self.stderr.write(f"note: {warning}")
        verb = "Imported" if report.written else "Nothing written; would import"
        assigned = f", {report.assigned} articles newly assigned" if user is not None else ""
        if report.articles_created:
            assigned += f", {report.articles_created} articles created"
        if report.sources_created:
            assigned += f", {report.sources_created} sources created"
        self.stdout.write(
            f"{verb} {report.created} {what} ({report.skipped} already there, "
            f"{len(report.rejected)} rejected{assigned})."
        )
        if report.rejected and not options["partial"]:
            raise CommandError(
                f"{len(report.rejected)} items were rejected, so nothing was written: "
                "fix them, or import the rest with --partial."
            )
