"""Load the demo: the seed project, its articles and source registry, and demo users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from annotate.assignments.services import assignment_create
from annotate.campaign.examples import examples_load
from annotate.sources.services import project_targets_ensure
from corpus.models import Project, Role
from corpus.services import membership_set, project_create

DEMO_SLUG = "central-asia"
DEMO_PROJECT = "Turkey in Central Asia"
DEMO_DESCRIPTION = (
    "Analyses of Turkey's influence in Central Asia against Russia and China: who claims "
    "what, with what stance, and how reliable it is."
)
DEMO_GUIDELINES = """\
## What to mark
Mark every **claim**: a span that asserts something — a statement of fact, a judgement,
a forecast or a call to act. Quoted sentences inside the author's argument are claims of
their own.

## Attribution
- *author*: the writer's own voice — the source is the byline author.
- *direct*: a quotation ("…," comments Daria Isachenko).
- *reported*: indirect speech or paraphrase.
- *unnamed*: "experts", "some senior Turkish officials".

## Reliability
Rate the **source** A–F on this topic and the **information** 1–6, independently.
"""

# username, password, role, full name
DEMO_USERS = [
    ("manager", "claimdesk-manager", Role.MANAGER, "Mona Manager"),
    ("curator", "claimdesk-curator", Role.CURATOR, "Cem Curator"),
    ("annotator1", "claimdesk-annotator1", Role.ANNOTATOR, "Ada Annotator"),
    ("annotator2", "claimdesk-annotator2", Role.ANNOTATOR, "Ali Annotator"),
]


class Command(BaseCommand):
    help = (
        "Create the demo project with the seed articles (seeds/*.txt), the seed source "
        "registry (seeds/sources.csv), the default stance targets and four demo users "
        "(a manager, a curator, two annotators), and assign every seed article to both "
        "annotators. Safe to run again: nothing is duplicated. Refuses to run with DEBUG "
        "off unless --force is given, because the demo passwords are public."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seeds",
            default=str(Path(settings.BASE_DIR) / "seeds"),
            help="Folder with the seed articles and sources.csv (default: %(default)s).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates users with the public demo passwords).",
        )
        parser.add_argument(
            "--examples",
            action="store_true",
            help=(
                "Also annotate the first three articles as the demo annotators would (from "
                "the rule suggester's suggestions, with some disagreements) and accept the "
                "unanimous units into gold, so that review, analysis and networks have "
                "something to show. Skipped when the project already has claims."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: the demo users have public passwords. Use --force if you mean it."
            )
        seeds = Path(options["seeds"])
        articles = sorted(seeds.glob("*.txt"))
        if not articles:
            raise CommandError(f"No seed articles (*.txt) in {seeds}.")
        verbosity = options["verbosity"]
        quiet = {"verbosity": 0 if verbosity < 2 else verbosity, "no_progress": True}

        with transaction.atomic():
            project = Project.objects.filter(slug=DEMO_SLUG).first() or project_create(
                name=DEMO_PROJECT,
                slug=DEMO_SLUG,
                description=DEMO_DESCRIPTION,
                guidelines=DEMO_GUIDELINES,
            )
            project_targets_ensure(project=project)
            users = self._users(project)

        call_command("import_sources", str(seeds / "sources.csv"), project=DEMO_SLUG, **quiet)
        call_command("import_articles", *map(str, articles), project=DEMO_SLUG, **quiet)

        with transaction.atomic():
            annotators = [u for u, role in users if role == Role.ANNOTATOR]
            manager = next(u for u, role in users if role == Role.MANAGER)
            for article in project.articles.all():
                for annotator in annotators:
                    assignment_create(article=article, annotator=annotator, assigned_by=manager)

        examples = None
        if options["examples"]:
            examples = examples_load(
                project=project,
                annotators=[u for u, role in users if role == Role.ANNOTATOR],
                curator=next(u for u, role in users if role == Role.CURATOR),
            )

        if verbosity:
            if examples is not None:
                self.stdout.write(f"Examples: {examples}.")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo project “{project.name}” (/projects/{project.slug}/): "
                    f"{project.articles.count()} articles, {project.sources.count()} sources."
                )
            )
            self.stdout.write("Demo users (username / password — role):")
            for username, password, role, _ in DEMO_USERS:
                self.stdout.write(f"  {username:<11} / {password:<21} — {role}")

    def _users(self, project: Project) -> list[tuple[Any, str]]:
        User = get_user_model()
        result: list[tuple[Any, str]] = []
        for username, password, role, full_name in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                first, last = full_name.split(" ", 1)
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.org",
                )
            membership_set(project=project, user=user, role=role)
            result.append((user, role))
        return result
