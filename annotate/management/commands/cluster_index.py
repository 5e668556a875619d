"""manage.py cluster_index --project SLUG [--if-stale]: build the project's
cluster-suggestion index here and now (what the background task does), and say how big
it is and how long it took. For a first build of a large project, or from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.clusters import indexing
from corpus.models import Project


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, metavar="SLUG")
        parser.add_argument(
            "--if-stale",
            action="store_true",
            help="Only when there is no index or claims changed since it was built.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug “{options['project']}”.")
        if options["if_stale"] and not indexing.index_status(project).needs_build:
            self.stdout.write("The index is up to date: nothing built.")
            return
        row = indexing.index_build(project)
        self.stdout.write(
            f"Indexed {row.claims} claims in {row.seconds:.1f} s ({row.size / 2**20:.1f} MB)."
        )
