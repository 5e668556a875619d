"""manage.py suggest --project SLUG [--article ID ...] [--dry-run]: fill suggested claims."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotate.services.suggestions import registry_entries, suggestions_refresh
from annotate.suggest import default_suggester
from corpus.models import Article, Project


class Command(BaseCommand):
    help = (
        "Propose claims for a project's articles: quoted and reported speech with the "
        "source that makes it (linked to the registry by name, alias or surname, or "
        "proposed as a new source), and, when an article has a byline, the author's own "
        "judgements. Each article's unanswered suggestions from this suggester are replaced in "
        "one transaction; suggestions an annotator already accepted or dismissed, and imported "
        "ones (import_annotations --as-suggestions), are kept. Annotators see "
        "suggestions only when the project has them turned on (Project.suggestions_enabled)."
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
        suggester = default_suggester()
        registry = registry_entries(project)
        total = 0
        ids = list(articles.values_list("pk", flat=True))
        for pk in tqdm(ids, unit="article", file=sys.stderr, disable=quiet):
            article = Article.objects.select_related("project").get(pk=pk)
            if options["dry_run"]:
                total += len(
                    suggester.suggest(article.text, byline=article.byline, registry=registry)
                )
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
