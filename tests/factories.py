"""factory_boy factories for every model the tests touch, and ``make_claim``: a valid claim
made through the service."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from annotate.claims.checks import StanceInput
from annotate.claims.services import claim_create
from annotate.claims.values import claim_fields
from annotate.models import Assignment, Claim, ClaimStance, Source, SourceAlias, Target
from corpus.models import Article, Membership, Project, Role
from corpus.scheme import default_scheme
from corpus.text import search_key, sha256_text

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    scheme = factory.LazyFunction(default_scheme)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ANNOTATOR


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    byline = "Vladimir Danilov"
    outlet = "New Eastern Outlook"
    text = factory.Sequence(
        lambda n: f"Article {n}. Turkey’s influence in Central Asia grows, says Akıncı. 🇹🇷 Яна."
    )
    sha256 = factory.LazyAttribute(lambda a: sha256_text(a.text))
    char_count = factory.LazyAttribute(lambda a: len(a.text))


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Source {n}")
    name_key = factory.LazyAttribute(lambda s: search_key(s.name))


class SourceAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceAlias

    source = factory.SubFactory(SourceFactory)
    alias = factory.Sequence(lambda n: f"Alias {n}")
    alias_key = factory.LazyAttribute(lambda a: search_key(a.alias))


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Target {n}")
    name_key = factory.LazyAttribute(lambda t: search_key(t.name))


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    article = factory.SubFactory(ArticleFactory)
    annotator = factory.SubFactory(UserFactory)


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim row as given, written straight to the table (no check, no history): over the
    first word of the article unless told. ``stances`` maps targets to stances;
    ``deleted=True`` makes it a deleted claim. For a claim as the app makes it, ``make_claim``."""

    class Meta:
        model = Claim
        skip_postgeneration_save = True

    class Params:
        deleted = factory.Trait(deleted_at=factory.LazyFunction(timezone.now))

    article = factory.SubFactory(ArticleFactory)
    annotator = factory.SubFactory(UserFactory)
    start = 0
    end = factory.LazyAttribute(lambda c: c.article.text.index(" "))
    quote = factory.LazyAttribute(lambda c: c.article.text[c.start : c.end])

    @factory.post_generation
    def stances(
        claim: Claim, create: bool, extracted: dict[Any, str] | None, **kwargs: Any
    ) -> None:
        for target, stance in (extracted or {}).items():
            ClaimStance.objects.create(claim=claim, target=target, stance=stance)


# --- A claim as the app makes it -----------------------------------------------------------

# Labels that make a claim complete under the default scheme.
VALID_LABELS: dict[str, Any] = {
    "attribution": "reported",
    "source_reliability": "B",
    "information_credibility": "2",
    "claim_type": "factual",
}


def span(text: str, words: str) -> tuple[int, int]:
    """The code-point offsets of the first occurrence of ``words`` in ``text``."""
    start = text.index(words)
    return start, start + len(words)


def claim_over(article: Article, words: str, annotator: Any = None, **fields: Any) -> Claim:
    """A ``ClaimFactory`` row over the first occurrence of ``words`` (unchecked, no history):
    a gold claim unless ``annotator`` is given. ``fields`` gives the rest (``source``,
    ``stances={target: "favor"}``, …)."""
    start, end = span(article.text, words)
    return ClaimFactory(
        article=article, annotator=annotator, start=start, end=end, quote=words, **fields
    )


def make_claim(
    article: Article,
    annotator: Any,
    words: str = "Turkey’s influence",
    *,
    source: Source | None = None,
    target: Target | None = None,
    stance: str = "favor",
    actor: Any = None,
    **fields: Any,
) -> Claim:
    """A complete, valid claim over the first occurrence of ``words``, made through
    ``claim_create`` as the workspace makes it (checked, with its history row). Its source is
    ``source``, else the project's first one, else a new one; its stance is ``stance`` towards
    ``target``, else the project's first target, else a new one (or give ``stances``). The
    labels are ``VALID_LABELS``; ``fields`` overrides them and gives the rest (``note``, …)."""
    project = article.project
    if source is None:
        source = project.sources.order_by("pk").first() or SourceFactory(project=project)
    if "stances" not in fields:
        if target is None:
            target = project.targets.order_by("pk").first() or TargetFactory(project=project)
        fields["stances"] = [StanceInput(target=target, stance=stance)]
    start, end = span(article.text, words)
    return claim_create(
        article=article,
        annotator=annotator,
        actor=actor,
        fields=claim_fields(
            {
                "start": start,
                "end": end,
                "quote": words,
                "source": source,
                **{**VALID_LABELS, **fields},
            }
        ),
    )
