"""factory_boy factories for every model the tests touch."""

from __future__ import annotations

import factory
from django.contrib.auth.models import User

from annotate.models import Assignment, Claim, Source, SourceAlias, Target
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
    """A claim over the first word of the article (offsets and quote consistent)."""

    class Meta:
        model = Claim

    article = factory.SubFactory(ArticleFactory)
    annotator = factory.SubFactory(UserFactory)
    start = 0
    end = factory.LazyAttribute(lambda c: c.article.text.index(" "))
    quote = factory.LazyAttribute(lambda c: c.article.text[c.start : c.end])
