"""common.prepared: a queryset's SQL built once and run again with new values gives what
``values_list`` gives (its converters too), and refuses values that do not reach the SQL
as parameters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.prepared import Prepared, attnames, instance
from corpus.models import Article, Membership, Project
from tests.factories import ArticleFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_the_rows_are_what_values_list_gives_with_new_values_each_time(project: Any) -> None:
    """Dates, JSON and text come converted as ``values_list`` converts them (a Turkish,
    Cyrillic and emoji text, metadata, a publication date), for each article asked."""
    articles = [ArticleFactory(project=project) for _ in range(3)]
    Article.objects.filter(pk=articles[1].pk).update(
        published=dt.date(2025, 3, 1), metadata={"feed": "rss", "tags": ["ı", 1]}
    )
    built: list[int] = []

    def build(pk: int, title: str) -> Any:
        built.append(pk)
        return Article.objects.filter(pk=pk, title=title).values_list(
            *attnames(Article), "project__slug", "project__scheme"
        )

    prepared = Prepared(build, pk=int, title=str)
    for article in articles:
        expected = list(build(article.pk, article.title))
        with CaptureQueriesContext(connection) as captured:
            assert prepared.rows(pk=article.pk, title=article.title) == expected
        assert len(captured.captured_queries) == 1
        assert prepared.rows(pk=article.pk, title="another title") == []
    assert len(built) == 1 + len(articles)  # the prepared one built once, at its first use
    row = prepared.rows(pk=articles[1].pk, title=articles[1].title)[0]
    assert row[attnames(Article).index("published")] == dt.date(2025, 3, 1)
    assert row[attnames(Article).index("metadata")] == {"feed": "rss", "tags": ["ı", 1]}
    assert row[-1] == project.scheme


def test_instance_is_the_orm_s(project: Any) -> None:
    article = ArticleFactory(project=project)
    row = Article.objects.filter(pk=article.pk).values_list(*attnames(Article))[0]
    built = instance(Article, row)
    loaded = Article.objects.get(pk=article.pk)
    assert built == loaded and not built._state.adding
    assert {f: getattr(built, f) for f in attnames(Article)} == {
        f: getattr(loaded, f) for f in attnames(Article)
    }


def test_values_that_do_not_reach_the_sql_as_parameters_are_refused() -> None:
    ignored = Prepared(lambda pk: Project.objects.values_list("pk"), pk=int)
    with pytest.raises(ImproperlyConfigured, match="'pk' does not reach the SQL"):
        ignored.rows(pk=1)
    transformed = Prepared(
        lambda pk: Project.objects.filter(slug=str(pk)).values_list("pk"), pk=int
    )
    with pytest.raises(ImproperlyConfigured):
        transformed.rows(pk=1)


def test_values_of_the_wrong_kind_or_name_are_refused(project: Any, annotator: Any) -> None:
    role = Prepared(
        lambda project, user: Membership.objects.filter(
            project_id=project, user_id=user
        ).values_list("role"),
        project=int,
        user=int,
    )
    assert role.rows(project=project.pk, user=annotator.pk) == [("annotator",)]
    assert role.rows(project=ProjectFactory().pk, user=annotator.pk) == []
    with pytest.raises(TypeError):
        role.rows(project=str(project.pk), user=annotator.pk)
    with pytest.raises(TypeError):
        role.rows(project=project.pk)
    with pytest.raises(TypeError):
        Prepared(lambda when: Project.objects.all(), when=dt.date)
