"""A small project with every kind of claim an export must carry: gold and two
annotators' layers, decisions (accepted, rejected, pending), sources with aliases and
external ids, source mentions, several stances, and texts with emoji, flags, Cyrillic and
Turkish letters, and a quote that spans a line break."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from annotate.assignments import services as assignment_services
from annotate.claims import services as claim_services
from annotate.claims.checks import StanceInput
from annotate.claims.values import claim_fields
from annotate.models import Claim, Decision, DecisionAction, DecisionOrigin, Source, Target
from annotate.sources import services as source_services
from corpus.models import Article, Project, Role
from corpus.services import article_create, membership_set
from tests.factories import ProjectFactory, UserFactory
from tests.helpers import cache_entries, cache_entries_put, rows_kept_for_the_module

TEXTS = [
    (
        "Ankara and the Turkic world",
        "Яна Орехова said: “Turkey’s influence in Central Asia is growing 😀 fast.”\n"
        "Akıncı disagreed. 🇹🇷 Ankara is ready to act,\nsays Hulusi Akar.",
    ),
    (
        "Bishkek notes",
        "Experts doubt the CSTO will survive. Daria Isachenko comments that "
        "“the Organization of Turkic States is a forum, not an alliance”.",
    ),
    (
        "Zhenis",
        "Temur Umarov argues China’s influence grows in Kazakhstan 🇰🇿 and beyond.",
    ),
]


@dataclass
class Corpus:
    project: Project
    manager: Any
    curator: Any
    annotators: list[Any]
    articles: list[Article]
    sources: dict[str, Source]
    targets: list[Target]
    claims: list[Claim] = field(default_factory=list)
    gold: list[Claim] = field(default_factory=list)

    def claim(
        self,
        article: Article,
        annotator: Any,
        quote: str,
        *,
        source: str,
        mention: str | None = None,
        stances: tuple[tuple[int, str], ...] = ((0, "favor"),),
        note: str = "",
        **labels: str,
    ) -> Claim:
        start = article.text.index(quote)
        values: dict[str, Any] = {
            "attribution": "direct",
            "source_reliability": "B",
            "information_credibility": "2",
            "claim_type": "evaluative",
        }
        values.update(labels)
        mention_span = None
        if mention is not None:
            at = article.text.index(mention)
            mention_span = (at, at + len(mention))
        claim = claim_services.claim_create(
            article=article,
            annotator=annotator,
            fields=claim_fields(
                {
                    "start": start,
                    "end": start + len(quote),
                    "quote": quote,
                    "source": self.sources[source],
                    "mention": mention_span,
                    "stances": [StanceInput(self.targets[t], s) for t, s in stances],
                    "note": note,
                    **values,
                }
            ),
        )
        (self.gold if annotator is None else self.claims).append(claim)
        return claim


def decide(curator: Any, action: str, gold: Claim | None, origins: list[Claim]) -> Decision:
    article = (gold or origins[0]).article
    decision = Decision.objects.create(article=article, curator=curator, action=action, gold=gold)
    for origin in origins:
        DecisionOrigin.objects.create(
            decision=decision, claim=origin, claim_version=origin.version, fields=["span"]
        )
    return decision


@pytest.fixture
def corpus(request: pytest.FixtureRequest, db: Any) -> Corpus:
    """The corpus, built for this test; in a module that uses ``_module_corpus``, a copy of
    the one built once for the module."""
    if "_module_corpus" not in request.fixturenames:
        return _build_corpus()
    built, cached = request.getfixturevalue("_module_corpus")
    cache_entries_put(cached)
    copied: Corpus = copy.deepcopy(built)
    return copied


# A module whose tests share one corpus says so with
#     pytestmark = pytest.mark.usefixtures("_module_corpus")
# Its rows are written once for the module (per xdist worker) in a transaction rolled back
# after its last test; each test runs in a savepoint rolled back after it
# (``tests.helpers.rows_kept_for_the_module``) and gets copies of the objects and of the
# cache entries the building left. Only for a module whose every test that reaches the
# database uses ``corpus`` and none is transactional (``transaction=True``, ``live_server``).
# Building it cost ~0.17 s of CPU per test on SQLite, more on PostgreSQL (issue 21).
@pytest.fixture(scope="module")
def _module_corpus(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    from django.core.cache import cache

    def build() -> tuple[Corpus, dict[str, Any]]:
        cache.clear()
        built = _build_corpus()
        cached = cache_entries()
        cache.clear()
        return built, cached

    with rows_kept_for_the_module(django_db_blocker, build) as kept:
        yield kept


def _build_corpus() -> Corpus:
    project = ProjectFactory(name="Turkic world", slug="turkic")
    source_services.project_targets_ensure(project=project)
    targets = list(Target.objects.filter(project=project))
    manager = UserFactory(username="mira")
    curator = UserFactory(username="cora")
    ann1 = UserFactory(username="anna")
    ann2 = UserFactory(username="boris")
    for user, role in (
        (manager, Role.MANAGER),
        (curator, Role.CURATOR),
        (ann1, Role.ANNOTATOR),
        (ann2, Role.ANNOTATOR),
    ):
        membership_set(project=project, user=user, role=role)
    articles = [
        article_create(
            project=project,
            title=title,
            text=text,
            byline="Vladimir Danilov",
            outlet="New Eastern Outlook",
            url=f"https://example.org/{n}",
            published=dt.date(2024, 5, n + 1),
            metadata={"section": "analysis"},
        ).article
        for n, (title, text) in enumerate(TEXTS)
    ]
    for article in articles:
        for annotator in (ann1, ann2):
            assignment_services.assignment_create(article=article, annotator=annotator)
    sources = {
        "orekhova": source_services.source_create(
            project=project,
            name="Яна Орехова",
            kind="person",
            external_id="Q4000001",
            aliases=["Yana Orekhova", "Orekhova"],
        ),
        "akinci": source_services.source_create(project=project, name="Akıncı", kind="person"),
        "akar": source_services.source_create(
            project=project, name="Hulusi Akar", kind="government", aliases=["Akar"]
        ),
        "experts": source_services.source_create(
            project=project, name="Experts", kind="organisation"
        ),
        "isachenko": source_services.source_create(
            project=project, name="Daria Isachenko", kind="person", aliases=["Isachenko"]
        ),
        "umarov": source_services.source_create(
            project=project, name="Temur Umarov", kind="person"
        ),
    }
    c = Corpus(project, manager, curator, [ann1, ann2], articles, sources, targets)
    a0, a1, a2 = articles
    growing = "Turkey’s influence in Central Asia is growing 😀 fast."
    x1 = c.claim(a0, ann1, growing, source="orekhova", mention="Яна Орехова", note="emoji")
    x2 = c.claim(
        a0, ann2, growing, source="orekhova", mention="Яна Орехова", stances=((0, "favor"),)
    )
    c.claim(a0, ann1, "Akıncı disagreed", source="akinci", attribution="reported")
    ready = "Ankara is ready to act,\nsays Hulusi Akar"
    x4 = c.claim(
        a0,
        ann2,
        ready,
        source="akar",
        mention="Hulusi Akar",
        attribution="reported",
        claim_type="predictive",
        stances=((0, "favor"), (4, "none")),
        note='says "ready"; a note, with a comma\nand a line break',
    )
    y1 = c.claim(
        a1,
        ann1,
        "Experts doubt the CSTO will survive",
        source="experts",
        attribution="unnamed",
        stances=((4, "against"),),
        claim_type="predictive",
    )
    y2 = c.claim(
        a1,
        ann2,
        "the Organization of Turkic States is a forum, not an alliance",
        source="isachenko",
        mention="Daria Isachenko",
        stances=((3, "against"),),
    )
    c.claim(
        a2,
        ann1,
        "China’s influence grows in Kazakhstan 🇰🇿 and beyond",
        source="umarov",
        mention="Temur Umarov",
        attribution="reported",
        stances=((2, "favor"),),
        claim_type="factual",
    )
    # Gold: accepted from both annotators, an edit, and a rejection.
    g1 = c.claim(a0, None, growing, source="orekhova", mention="Яна Орехова")
    decide(curator, DecisionAction.MERGE, g1, [x1, x2])
    g2 = c.claim(
        a0,
        None,
        ready,
        source="akar",
        mention="Hulusi Akar",
        attribution="reported",
        claim_type="predictive",
        stances=((0, "favor"), (4, "none")),
    )
    decide(curator, DecisionAction.ACCEPT, g2, [x4])
    g3 = c.claim(
        a1,
        None,
        "the Organization of Turkic States is a forum, not an alliance",
        source="isachenko",
        mention="Daria Isachenko",
        stances=((3, "against"),),
    )
    decide(curator, DecisionAction.ACCEPT, g3, [y2])
    decide(curator, DecisionAction.REJECT, None, [y1])
    # A deleted claim is in the archive, never in an export.
    deleted = c.claim(a2, ann2, "Temur Umarov argues", source="umarov")
    claim_services.claim_delete(claim=deleted, actor=ann2)
    c.claims.remove(deleted)
    return c


@pytest.fixture
def hf_offline(tmp_path: Any, monkeypatch: Any) -> None:
    """``datasets`` never touches the network or the home directory's cache."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
