"""Article search through an index on both databases (corpus/search.py): the same answers on
PostgreSQL (GIN over to_tsvector) and SQLite (FTS5) — Turkish, Cyrillic, emoji, hostile
input — and the index follows every write."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from common.fulltext import fts5_available
from corpus.models import Article
from corpus.search import ARTICLE_FTS, articles_matching
from corpus.services import ArticleInput, articles_create_many, articles_index_pending
from tests.factories import ArticleFactory, ProjectFactory

pytestmark = pytest.mark.django_db

TEXTS = {
    "turkish": ("Şentop ve AKıNCı", "İstanbul'da toplantı: ŞENTOP konuştu, Akıncı dinledi."),
    "cyrillic": ("Москва отвечает", "МОСКВА и Яна Орехова: 🇹🇷 переговоры🙂продолжаются."),
    "english": ("Pipeline talks", "The pipeline opens; Kazakhstan and Turkey sign. user_name"),
}


def _fts_intact() -> None:
    """SQLite: the FTS5 table is consistent (a 'delete' of a row never indexed breaks it)."""
    if connection.vendor == "sqlite" and fts5_available():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {ARTICLE_FTS}({ARTICLE_FTS}) VALUES ('integrity-check')")


@pytest.fixture(params=["saved", "imported", "indexed"])
def found(request: Any) -> Any:
    """Search over the articles of ``TEXTS``: saved one by one (indexed as written),
    imported (pending: found by the scan of pending articles) or imported and then
    indexed by the background task's service (corpus.indexing)."""
    project = ProjectFactory()
    if request.param == "saved":
        for key, (title, text) in TEXTS.items():
            ArticleFactory(project=project, title=title, text=text, byline="", outlet=key.upper())
    else:
        items = [
            ArticleInput(text=text, title=title, outlet=key.upper())
            for key, (title, text) in TEXTS.items()
        ]
        articles_create_many(project=project, items=items)
        assert Article.objects.filter(search_pending=True).count() == len(TEXTS)
        if request.param == "indexed":
            assert articles_index_pending() == len(TEXTS)
            assert not Article.objects.filter(search_pending=True).exists()
        _fts_intact()
    ArticleFactory(project=ProjectFactory(), title="Pipeline elsewhere", text="pipeline")

    def search(query: str) -> set[str]:
        articles = articles_matching(Article.objects.filter(project=project), query)
        return {title for title, _ in TEXTS.values() if articles.filter(title=title).exists()}

    return search


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pipeline", {"Pipeline talks"}),  # title and text
        ("PIPE", {"Pipeline talks"}),  # a prefix, any case
        ("pipeline turkey", {"Pipeline talks"}),  # every word
        ("pipeline moscow", set()),
        ("stan", set()),  # a word's start, not its middle (Kazakhstan)
        ("kazakh", {"Pipeline talks"}),
        ("english", {"Pipeline talks"}),  # the outlet
        ("şentop", {"Şentop ve AKıNCı"}),  # Turkish letters fold their case…
        ("ŞENTOP", {"Şentop ve AKıNCı"}),
        ("sentop", set()),  # …and keep their marks
        ("akıncı", {"Şentop ve AKıNCı"}),  # the dotless ı is a letter of its own
        ("istanbul", {"Şentop ve AKıNCı"}),  # İ is i on both databases
        ("İSTANBUL", {"Şentop ve AKıNCı"}),
        ("москва", {"Москва отвечает"}),
        ("МОСК", {"Москва отвечает"}),
        ("орехова", {"Москва отвечает"}),
        ("переговоры", {"Москва отвечает"}),
        ("🙂", set()),  # no letter or digit: nothing
        ("🇹🇷", set()),
        ("user", {"Pipeline talks"}),  # an underscore separates words
        ("name", {"Pipeline talks"}),
    ],
)
def test_the_search_answers_alike_on_both_databases(
    found: Any, query: str, expected: set[str]
) -> None:
    assert found(query) == expected


TALKS = {"Pipeline talks"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', set()),
        ("'", set()),
        ("\\", set()),
        ("pipeline'", TALKS),
        ("pipe:*", TALKS),
        ("pipe*", TALKS),
        ("^pipeline", TALKS),
        ("pipeline & !turkey", TALKS),  # no NOT: both are words it has
        ("pipeline | moscow", set()),  # no OR: "moscow" must be there too
        ("pipeline AND NOT turkey", set()),  # "and", "not": words it lacks
        ("NEAR(pipeline turkey)", set()),
        ("title:pipeline", set()),
        ('" OR 1=1 --', set()),
        ("(((", set()),
        ("pipeline" * 40, set()),  # one long word no article has
        (" ".join(["pipeline"] * 50), TALKS),  # (the first 20 words)
    ],
)
def test_hostile_input_is_words_and_nothing_else(
    found: Any, query: str, expected: set[str]
) -> None:
    """Operators of either search syntax are separators: the words alone count."""
    assert found(query) == expected


def test_the_index_follows_edits_and_deletes(found: Any) -> None:
    article = Article.objects.get(title="Pipeline talks")
    Article.objects.filter(pk=article.pk).update(title="Corridor talks", outlet="X")
    assert found("corridor") == set()  # (the helper looks titles up in TEXTS)
    matching = articles_matching(Article.objects.all(), "corridor")
    assert list(matching.values_list("pk", flat=True)) == [article.pk]
    assert not articles_matching(Article.objects.filter(pk=article.pk), "english").exists()
    article.delete()
    assert not articles_matching(Article.objects.all(), "corridor").exists()
    if connection.vendor == "sqlite" and fts5_available():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {ARTICLE_FTS} WHERE {ARTICLE_FTS} MATCH 'corridor'"
            )
            assert cursor.fetchone()[0] == 0
    _fts_intact()


def test_the_search_is_one_query_through_the_index() -> None:
    project = ProjectFactory()
    ArticleFactory.create_batch(3, project=project)
    articles = articles_matching(Article.objects.filter(project=project), "influence")
    sql, params = articles.query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "to_tsvector" in sql and "to_tsquery" in sql
    elif fts5_available():
        assert ARTICLE_FTS in sql and "LIKE" not in sql
    assert articles.count() == 3


def test_without_pending_articles_the_index_alone_answers_in_as_many_queries(
    django_assert_num_queries: Any,
) -> None:
    """No article waiting for its entries (the usual case): the index's condition on the
    articles themselves, no UNION with the pending ones (at 20,001 articles a word in
    nearly all of them was 167 ms to count, 399 ms for a page through the UNION of ids);
    with some pending, the same answers through the UNION — one query to tell, either way."""
    project = ProjectFactory()
    ArticleFactory.create_batch(3, project=project, title="Pipeline news")
    articles = Article.objects.filter(project=project)
    with django_assert_num_queries(1):  # the one look at the pending articles
        matching = articles_matching(articles, "pipeline")
    sql = str(matching.query).upper()
    assert "UNION" not in sql
    if connection.vendor == "sqlite":
        assert "SEARCH_PENDING" not in sql.split(" WHERE ", 1)[1]
    found = set(matching.values_list("pk", flat=True))
    assert len(found) == 3
    _import_pending(project, ["Pipeline later", "Other news"])
    with django_assert_num_queries(1):
        matching = articles_matching(articles, "pipeline")
    if connection.vendor == "postgresql":
        assert "UNION" in str(matching.query).upper()
    assert len(set(matching.values_list("pk", flat=True)) - found) == 1
    articles_index_pending()
    assert articles_matching(articles, "pipeline").count() == 4


def _import_pending(project: Any, titles: list[str]) -> None:
    """Articles as an import leaves them: their index entries built later."""
    items = [ArticleInput(text=f"{t}: text {i}.", title=t) for i, t in enumerate(titles)]
    articles_create_many(project=project, items=items)
    assert Article.objects.filter(project=project, search_pending=True).count() == len(titles)


def _plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(str(row[0]) for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(row[-1]) for row in cursor.fetchall())


def _list_of(curator: Any, *titles: str) -> Any:
    from corpus.models import Membership, Role

    project = ProjectFactory()
    Membership.objects.create(project=project, user=curator, role=Role.CURATOR)
    for title in titles:
        ArticleFactory(project=project, title=title)
    return project


def test_a_search_page_walks_the_title_index_on_sqlite_only(curator: Any) -> None:
    """SQLite: a page of the article list's search reads the index of its order
    (``article_project_title``) rather than sorting every match. PostgreSQL has the index
    too (migration 0014) but its search must not walk it: the planner, misjudging a
    prefix's matches, tested each article's to_tsvector() (1.4 s for "Rahmon" at 20,001
    articles). Even with sorts and sequential scans made as dear as PostgreSQL allows, the
    search's order is sorted, not read from that index (fails with the plain ``title``
    order)."""
    from django.db import transaction

    from corpus.selectors import ArticleFilters, article_list

    project = _list_of(curator, "Pipeline news", "Pipeline views", "Pipeline c")
    page = article_list(curator, project, ArticleFilters(q="pipeline"))[:25]
    assert len(page) == 3
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = _plan(page)
        # The order is sorted, not read from the index (which may still find the
        # project's rows: at this size the planner tests each one's words).
        assert "Sort Key: (((corpus_article.title)::text || ''::text))" in plan, plan
        return
    plan = _plan(page)
    assert "article_project_title" in plan and "TEMP B-TREE" not in plan, plan


def test_the_list_reads_its_order_from_the_title_index(curator: Any) -> None:
    """The article list without a search reads its first page in order from
    ``article_project_title`` on both databases (PostgreSQL sorted all 20,001 articles of
    the xlarge bench: 40 ms for the page; the queue's ids 95 -> 26 ms, its plan walking the
    index there — at this size the planner sorts the queue). With sorts made dear, as a
    big project makes them, the plan walks the index (fails without the index)."""
    from django.db import transaction

    from annotate.assignments.selectors import QueueFilters, queue_of
    from corpus.selectors import ArticleFilters, article_list
    from tests.factories import AssignmentFactory

    project = _list_of(curator, "B", "A", "C")
    for article in project.articles.all():
        AssignmentFactory(article=article, annotator=curator)
    page = article_list(curator, project, ArticleFilters())[:25]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = _plan(page)
    assert "article_project_title" in plan and "Sort Key" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan
    assert list(queue_of(curator, QueueFilters())) == [
        a.pk for a in curator.assignments.order_by("article__title")
    ]
    titles = [a.title for a in article_list(curator, project, ArticleFilters())]
    assert titles == ["A", "B", "C"]


def test_a_search_lists_its_matches_in_the_list_order(curator: Any) -> None:
    """The search's order (``search_order``: ``title || ''`` on PostgreSQL) is the list's:
    the matches are the unsearched list's rows, in its order, ties on the title by id."""
    from corpus.selectors import ArticleFilters, article_list

    titles = ["pipeline b", "Pipeline a", "other", "pipeline b", "Ärger pipeline", "zeta pipeline"]
    project = _list_of(curator, *titles)
    everything = list(article_list(curator, project, ArticleFilters()))
    found = list(article_list(curator, project, ArticleFilters(q="pipeline")))
    assert [a.pk for a in found] == [a.pk for a in everything if "ipeline" in a.title]
    assert len(found) == 5
