"""A small project to import annotations into, shared by the import tests (service,
command, API, page): texts with emoji, a flag, Cyrillic and Turkish letters; a registry
with aliases; members of every role; and helpers that write JSONL lines of claims."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from annotate.assignments import services as assignment_services
from annotate.models import Source, Target
from annotate.sources import services as source_services
from corpus.models import Article, Project, Role
from corpus.services import article_create, membership_set
from tests.factories import ProjectFactory, UserFactory

TEXTS = (
    "Яна Орехова said: “Turkey’s influence in Central Asia is growing 😀 fast.”\nAkıncı disagreed.",
    "İhsan Şener: “Türk dünyası 🇹🇷 güçleniyor.” Ayşe Yılmaz thinks the CSTO is weaker now.",
)
# A complete set of labels of the default scheme (the stance toward targets[0]).
LABELS: dict[str, Any] = {
    "attribution": "direct",
    "source_reliability": "B",
    "information_credibility": "2",
    "claim_type": "evaluative",
}


@dataclass
class ImportWorld:
    project: Project
    manager: Any
    curator: Any
    annotator: Any  # assigned to both articles
    other: Any  # another annotator, assigned to both articles
    outsider: Any  # a manager of another project
    articles: list[Article]
    sources: dict[str, Source]
    targets: list[Target]

    def claim(self, n: int, quote: str, **fields: Any) -> dict[str, Any]:
        """A JSONL claim over ``quote`` in article ``n`` (its first occurrence)."""
        start = self.articles[n].text.index(quote)
        return {"start": start, "end": start + len(quote), "quote": quote, **fields}

    def mention(self, n: int, words: str) -> dict[str, int]:
        start = self.articles[n].text.index(words)
        return {"start": start, "end": start + len(words)}

    def jsonl(self, *lines: tuple[int, list[dict[str, Any]]]) -> bytes:
        """One line per (article number, claims), naming the article by its SHA-256."""
        return "".join(
            json.dumps({"sha256": self.articles[n].sha256, "claims": claims}, ensure_ascii=False)
            + "\n"
            for n, claims in lines
        ).encode()

    def full_claim(self) -> dict[str, Any]:
        """A complete claim of Яна Орехова with a mention, two stances and a note."""
        return self.claim(
            0,
            "Turkey’s influence in Central Asia is growing 😀 fast.",
            source={"name": "Yana Orekhova"},  # an alias
            source_mention=self.mention(0, "Яна Орехова"),
            stances=[
                {"target": self.targets[0].name, "stance": "favor"},
                {"target": "the csto", "stance": "none"},  # case-insensitive
            ],
            note="model: 😀 sure",
            score=0.87,
            **LABELS,
        )


def build_world(*, suggestions_enabled: bool = True) -> ImportWorld:
    project = ProjectFactory(
        name="Türk dünyası", slug="turk", suggestions_enabled=suggestions_enabled
    )
    source_services.project_targets_ensure(project=project)
    targets = list(Target.objects.filter(project=project))
    users = {}
    for username, role in (
        ("mira", Role.MANAGER),
        ("cora", Role.CURATOR),
        ("anna", Role.ANNOTATOR),
        ("boris", Role.ANNOTATOR),
    ):
        users[username] = UserFactory(username=username)
        membership_set(project=project, user=users[username], role=role)
    outsider = UserFactory(username="olaf")
    membership_set(project=ProjectFactory(), user=outsider, role=Role.MANAGER)
    articles = [
        article_create(project=project, title=f"Article {n}", text=text, byline="").article
        for n, text in enumerate(TEXTS)
    ]
    for article in articles:
        for username in ("anna", "boris"):
            assignment_services.assignment_create(article=article, annotator=users[username])
    sources = {
        "orekhova": source_services.source_create(
            project=project, name="Яна Орехова", aliases=["Yana Orekhova"], external_id="Q1"
        ),
        "akinci": source_services.source_create(project=project, name="Akıncı"),
        "sener": source_services.source_create(
            project=project, name="İhsan Şener", aliases=["Şener"]
        ),
    }
    return ImportWorld(
        project=project,
        manager=users["mira"],
        curator=users["cora"],
        annotator=users["anna"],
        other=users["boris"],
        outsider=outsider,
        articles=articles,
        sources=sources,
        targets=targets,
    )
