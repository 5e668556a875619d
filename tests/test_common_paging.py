"""``common.paging.EitherEndPaginator``: every page, orphans and the pages past the end
as Django's ``Paginator`` gives them, the later half read from the end (reversed order,
a smaller OFFSET)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.paging import EitherEndPaginator
from corpus.models import Article
from tests.factories import ArticleFactory, ProjectFactory


@pytest.mark.django_db
@pytest.mark.parametrize(("per_page", "orphans"), [(3, 0), (4, 0), (3, 2), (30, 0)])
def test_every_page_is_the_one_paginator_gives(per_page: int, orphans: int) -> None:
    project = ProjectFactory()
    for i in range(11):  # titles repeat: the id decides among equals
        ArticleFactory(project=project, title=f"Title {i % 4}")
    ids = (
        Article.objects.filter(project=project).order_by("title", "id").values_list("pk", flat=True)
    )
    plain = Paginator(ids, per_page, orphans=orphans)
    either = EitherEndPaginator(ids, per_page, orphans=orphans)
    assert either.num_pages == plain.num_pages
    for wanted in [*range(1, plain.num_pages + 1), "99", "last", "x", 0]:
        mine, theirs = either.get_page(wanted), plain.get_page(wanted)
        assert mine.number == theirs.number
        assert list(mine.object_list) == list(theirs.object_list), wanted
        assert (mine.start_index(), mine.end_index()) == (theirs.start_index(), theirs.end_index())


@pytest.mark.django_db
def test_the_last_page_reads_the_reversed_order_from_its_start() -> None:
    project = ProjectFactory()
    for i in range(12):
        ArticleFactory(project=project, title=f"Title {i:02}")
    ids = (
        Article.objects.filter(project=project).order_by("title", "id").values_list("pk", flat=True)
    )
    every = list(ids.all())
    paginator = EitherEndPaginator(ids, 4)
    assert paginator.count == 12

    def page_sql(number: int) -> tuple[list[Any], str]:
        with CaptureQueriesContext(connection) as captured:
            rows = list(paginator.page(number).object_list)
        (query,) = captured.captured_queries
        return rows, query["sql"]

    first, sql = page_sql(1)
    assert first == every[:4] and "DESC" not in sql
    last, sql = page_sql(3)
    assert last == every[8:] and sql.count("DESC") == 2 and "OFFSET" not in sql
    middle, sql = page_sql(2)  # as many rows before as after: from the start
    assert middle == every[4:8] and "DESC" not in sql
    paginator = EitherEndPaginator(ids, 5)  # fewer after page 2 than before: from the end
    assert paginator.count == 12
    second, sql = page_sql(2)
    assert second == every[5:10] and sql.count("DESC") == 2 and "OFFSET 2" in sql
