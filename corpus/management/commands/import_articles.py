"""``manage.py import_articles PATH... --project SLUG``: import article files into a project.

Thin on purpose: reading files and writing articles is ``corpus.importers``' job.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    DjangoHelpFormatter,
)
from tqdm import tqdm

from corpus.formats import SUPPORTED_SUFFIXES
from corpus.importers import FileResult, collect_files, import_files
from corpus.models import Project
from corpus.services import project_create

EPILOG = """\
formats (by file name ending; files must be UTF-8):
  .txt         one article; the title is the first line (or the first sentence,
               shortened, if the text starts with a paragraph); a byline, date and
               outlet are read where the text states them ("by Vladimir Danilov on
               22 Jan 2022", "Source: inosmi.ru", "Published by: emerging-europe.com")
  .md          one article; Markdown markup stripped, title from the first heading,
               optional front matter (title, author, date, outlet, url, language)
  .html .htm   one article; main text, title, author, date and site name extracted
               with trafilatura
  .jsonl       one article per line, a JSON object with the keys
                 text        the article text (required)
                 title       default: read from the text as for .txt
                 byline      the author(s) as printed ("author" is accepted too)
                 outlet      the publication
                 url         where it was published
                 published   ISO date, e.g. 2022-01-22
                 language    e.g. en, ru, tr
                 metadata    an object, stored as it is
               other keys are stored in the metadata

Each file is imported in its own transaction: a file that fails (unreadable, not
UTF-8, empty, a bad JSONL line) is reported and nothing of it is written; the other
files go on, and the command exits with status 1 at the end. A text the project
already has is skipped (already imported), so running the command again is safe.
When the project has suggestions turned on, the new articles then get suggested
claims (as "manage.py suggest --project SLUG --article ID" makes them).

examples:
  manage.py import_articles seeds/ --project central-asia
  manage.py import_articles scans/*.txt --project central-asia --unwrap
  manage.py import_articles feed.jsonl --project new-one --create-project
"""


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's ordering of options, with the epilog's layout kept."""


class Command(BaseCommand):
    help = (
        "Import articles from files, and from folders searched recursively for\n"
        f"{' '.join(SUPPORTED_SUFFIXES)} files, into a project. Boilerplate is stripped\n"
        "and hard-wrapped text is unwrapped before a text is frozen."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = EPILOG
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="+",
            metavar="PATH",
            help="Files, and folders to search recursively (hidden files are skipped).",
        )
        parser.add_argument(
            "--project", required=True, metavar="SLUG", help="The project to import into."
        )
        parser.add_argument(
            "--create-project",
            action="store_true",
            help="Create the project (named after its slug) if there is none with this slug.",
        )
        unwrap = parser.add_mutually_exclusive_group()
        unwrap.add_argument(
            "--unwrap",
            dest="unwrap",
            action="store_const",
            const=True,
            default=None,
            help="Join hard-wrapped lines (text extracted from a PDF) into paragraphs. "
            "Default: only texts that look hard-wrapped (most lines of about the same "
            "length, running on in mid-sentence) are unwrapped.",
        )
        unwrap.add_argument(
            "--no-unwrap",
            dest="unwrap",
            action="store_const",
            const=False,
            help="Never unwrap lines.",
        )
        boilerplate = parser.add_mutually_exclusive_group()
        boilerplate.add_argument(
            "--strip-boilerplate",
            dest="strip_boilerplate",
            action="store_true",
            default=True,
            help="Drop boilerplate lines (the default): share buttons, skip links, comment "
            "prompts, tag lists, 'Read also' blocks and lists of links to other articles, "
            "breadcrumbs, appeals for support; and the lines that only carry metadata "
            "(byline line, 'Source: ...'), which go into the article's fields.",
        )
        boilerplate.add_argument(
            "--keep-boilerplate",
            dest="strip_boilerplate",
            action="store_false",
            help="Keep the text as it is. Title, byline and outlet are still read from it.",
        )
        parser.add_argument(
            "--language",
            default="en",
            metavar="CODE",
            help="Language of articles that don't state one (default: en).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check everything and report it; write nothing.",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="No progress bar (there is none anyway when stderr is not a terminal, "
            "or with -v 0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = self._project(options["project"], create=options["create_project"])
        files = collect_files(options["paths"])
        verbosity: int = options["verbosity"]
        quiet_bar = options["no_progress"] or verbosity == 0 or not self.stderr.isatty()
        created = skipped = failed = 0
        with tqdm(total=len(files), unit="file", file=sys.stderr, disable=quiet_bar) as bar:
            results = import_files(
                project=project,
                files=files,
                unwrap=options["unwrap"],
                strip_boilerplate=options["strip_boilerplate"],
                language=options["language"],
                dry_run=options["dry_run"],
            )
            for result in results:
                with tqdm.external_write_mode(file=sys.stdout):
                    self._report(result, verbosity)
                bar.update()
                created += len(result.created)
                skipped += len(result.skipped)
                failed += result.failed
        if verbosity:
            would = " (dry run: nothing written)" if options["dry_run"] else ""
            self.stdout.write(
                f"{created} created, {skipped} skipped (already imported), {failed} failed{would}."
            )
        if failed:
            raise CommandError(
                f"{failed} of {len(files)} files failed; nothing of them was written."
            )

    def _project(self, slug: str, *, create: bool) -> Project:
        project = Project.objects.filter(slug=slug).first()
        if project is not None:
            return project
        if not create:
            raise CommandError(
                f"There is no project with the slug “{slug}”. "
                "Create it first, or pass --create-project."
            )
        try:
            return project_create(name=slug, slug=slug)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def _report(self, result: FileResult, verbosity: int) -> None:
        if result.failed:
            self.stderr.write(f"failed   {result.name}: {result.error}")
            return
        if verbosity == 0:
            return
        for status, articles, style in (
            ("created", result.created, self.style.SUCCESS),
            ("skipped", result.skipped, self.style.WARNING),
        ):
            if not articles:
                continue
            if len(articles) == 1 or verbosity >= 2:
                for article in articles:
                    note = " (already imported)" if status == "skipped" else ""
                    self.stdout.write(f"{status:8} {result.name}: {article.title}{note}", style)
                    if verbosity >= 2:
                        self._details(article)
            else:
                note = " (already imported)" if status == "skipped" else ""
                self.stdout.write(
                    f"{status:8} {result.name}: {len(articles)} articles{note}", style
                )

    def _details(self, article: Any) -> None:
        published = article.published.isoformat() if article.published else "-"
        self.stdout.write(
            f"         byline: {article.byline or '-'} · outlet: {article.outlet or '-'} "
            f"· published: {published} · {article.char_count:,} characters"
        )
