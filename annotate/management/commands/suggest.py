"""manage.py suggest --project SLUG [--article ID ...] [--backend NAME] [--dry-run]: fill
suggested claims with the project's suggester (or NAME's)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotate.suggest import backends
from annotate.suggest.llm import LLMError
from annotate.suggest.services import (
    project_suggester,
    registry_entries,
    suggestions_refresh,
    suggestions_run,
)
from corpus.models import Article, Project


class Command(BaseCommand):
    help = (
        "Propose claims for a project's articles: quoted and reported speech with the "
        "source that makes it (linked to the registry by name, alias or surname, or "
        "proposed as a new source), and, when an article has a byline, the author's own "
        "judgements. Each article's unanswered suggestions from this suggester are replaced in "
        "one transaction; suggestions an annotator already accepted or dismissed, and imported "
        "ones (import_annotations --as-suggestions), are kept. Annotators see "
        "suggestions only when the project has them turned on (Project.suggestions_enabled). "
        "The suggester is the project's (Project.suggestion_backend) unless --backend names "
        "another; the language model runs here, in this process, with its report at the end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, metavar="SLUG", help="The project.")
        parser.add_argument(
            "--article",
            type=int,
            action="append",
            metavar="ID",
            help="Only this article (repeat for several). Default: every article.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Run the suggester and report how many claims it proposes; write nothing.",
        )
        parser.add_argument(
            "--backend",
            choices=sorted(backends.BACKENDS),
            help="The suggester to run (default: the project's).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (none with -v 0)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"There is no project with the slug “{options['project']}”.")
        articles = Article.objects.in_project(project).order_by("id")
        if options["article"]:
            articles = articles.filter(pk__in=options["article"])
            missing = set(options["article"]) - set(articles.values_list("pk", flat=True))
            if missing:
                raise CommandError(
                    f"Not articles of {project.slug}: {', '.join(map(str, sorted(missing)))}."
                )
        verbosity: int = options["verbosity"]
        quiet = options["no_progress"] or verbosity == 0 or not self.stderr.isatty()
        try:
            suggester = project_suggester(project, options["backend"])
        except LLMError as error:
            raise CommandError(str(error)) from error
        ids = list(articles.values_list("pk", flat=True))
        if backends.runs_in_background(suggester.name) and not options["dry_run"]:
            with tqdm(total=len(ids), unit="article", file=sys.stderr, disable=quiet) as bar:
                report = suggestions_run(
                    project=project,
                    article_ids=ids,
                    suggester=suggester,
                    on_progress=lambda done, total: bar.update(done - bar.n),
                )
            if verbosity:
                self.stdout.write(report.summary() + ".")
            if report.state == "failed":
                raise CommandError(report.error)
            return
        registry = registry_entries(project)
        total = 0
        for pk in tqdm(ids, unit="article", file=sys.stderr, disable=quiet):
            article = Article.objects.select_related("project").get(pk=pk)
            if options["dry_run"]:
                try:
                    found = suggester.suggest(
                        article.text, byline=article.byline, registry=registry
                    )
                except LLMError as error:
                    raise CommandError(f"Article {pk}: {error}") from error
                total += len(found)
            else:
                total += len(
                    suggestions_refresh(article=article, suggester=suggester, registry=registry)
                )
        if verbosity:
            done = "would be proposed (dry run: nothing written)" if options["dry_run"] else "new"
            self.stdout.write(f"{len(ids)} articles, {total} suggestions {done}.")
            if not project.suggestions_enabled:
                self.stdout.write(
                    self.style.WARNING(
                        "Suggestions are turned off for this project: annotators won't see "
                        "them until a manager turns them on."
                    )
                )
