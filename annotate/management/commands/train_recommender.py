"""manage.py train_recommender --project SLUG [--if-grown]: train the project's learned
recommender on its gold and accepted claims, store it and print its held-out score. It
is not switched on: a manager does that on the project's Recommender page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.suggest.recommender import recommender_needs_training, recommender_train
from corpus.models import Project


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, metavar="SLUG")
        parser.add_argument(
            "--if-grown",
            action="store_true",
            help="Only when the labelled claims grew by RECOMMENDER_RETRAIN_GROWTH since the "
            "last model (for a cron job).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug “{options['project']}”.")
        if options["if_grown"] and not recommender_needs_training(project):
            self.stdout.write("The labelled claims have not grown enough: nothing trained.")
            return
        try:
            model = recommender_train(project=project)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Trained learned/{model.version} on {model.articles} articles ({model.claims} "
            f"claims). Held out {model.held_out_articles} articles ({model.held_out_claims} "
            f"claims): {model.proposed} proposed, precision {model.precision:.2f}, recall "
            f"{model.recall:.2f}, F1 {model.f1:.2f}, speaker accuracy "
            f"{model.source_accuracy:.2f} (n={model.matched})."
        )
