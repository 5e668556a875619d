"""The corpus pages: project list, project page, article list (htmx) and the reader."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import AssignmentStatus
from corpus.markdown import render_markdown
from corpus.models import Article, Role
from tests.conftest import login
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
)

XSS_TITLE = "<script>alert(1)</script> headline"
XSS_TEXT = "Intro <img src=x onerror=alert(1)> and <script>alert(2)</script>.\n\nMore."


def article_list_url(project: Any, **params: str) -> str:
    url = reverse("corpus:article-list", args=[project.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def count_queries(client: Client, url: str, **extra: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries)


# --- Project list ----------------------------------------------------------------


@pytest.mark.django_db
def test_project_list_shows_only_the_users_projects_with_role_and_counts(
    client: Client, annotator: Any, project: Any
) -> None:
    ArticleFactory.create_batch(3, project=project)
    AssignmentFactory(article=ArticleFactory(project=project), annotator=annotator)
    managed = ProjectFactory(name="Managed elsewhere")
    MembershipFactory(project=managed, user=annotator, role=Role.MANAGER)
    ArticleFactory.create_batch(2, project=managed)
    hidden = ProjectFactory(name="Not mine")
    login(client, annotator)

    response = client.get(reverse("corpus:project-list"))

    rows = {p.name: p for p in response.context["projects"]}
    assert set(rows) == {project.name, "Managed elsewhere"}
    # An annotator counts the articles they may read, not the project's.
    assert (rows[project.name].role, rows[project.name].article_count) == ("annotator", 1)
    assert rows[project.name].assigned_count == 1
    assert (rows["Managed elsewhere"].role, rows["Managed elsewhere"].article_count) == (
        "manager",
        2,
    )
    assert hidden.name not in response.content.decode()


@pytest.mark.django_db
def test_project_list_query_count_does_not_grow_with_projects(
    client: Client, manager: Any, project: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, manager)
    url = reverse("corpus:project-list")
    few = count_queries(client, url)
    for _ in range(10):
        other = ProjectFactory()
        MembershipFactory(project=other, user=manager, role=Role.CURATOR)
        ArticleFactory.create_batch(2, project=other)
    assert count_queries(client, url) == few
    with django_assert_max_num_queries(4):
        client.get(url)


# --- Project page ------------------------------------------------------------------


@pytest.mark.django_db
def test_project_page_renders_guidelines_markdown(client: Client, curator: Any, project: Any):
    project.guidelines = "## Attribution\n\nMark the **speaker**, see [docs](https://example.org)."
    project.save()
    login(client, curator)
    html = client.get(reverse("corpus:project-detail", args=[project.slug])).content.decode()
    assert "<details" in html
    assert "<h2>Attribution</h2>" in html
    assert "<strong>speaker</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">docs</a>' in html


@pytest.mark.django_db
def test_project_page_sanitises_guidelines(client: Client, curator: Any, project: Any) -> None:
    project.guidelines = (
        "Hello\n\n<script>alert('guidelines')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) <a href='JavaScript:alert(2)'>raw</a> "
        '<a href="#" onclick="alert(3)">on</a> <iframe src="https://evil.example"></iframe>'
        '<div style="position:fixed">styled</div>'
    )
    project.save()
    login(client, curator)
    html = client.get(reverse("corpus:project-detail", args=[project.slug])).content.decode()
    guidelines = html[html.index('<div class="prose">') :]
    assert "Hello" in guidelines
    assert "alert('guidelines')" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "javascript:" not in html.lower()
    assert "<iframe" not in html
    assert "position:fixed" not in html


def test_render_markdown_keeps_code_escaped() -> None:
    html = render_markdown("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html


@pytest.mark.django_db
def test_project_page_without_guidelines_has_no_guidelines_block(
    client: Client, curator: Any, project: Any
) -> None:
    login(client, curator)
    html = client.get(reverse("corpus:project-detail", args=[project.slug])).content.decode()
    assert "Annotation guidelines" not in html


@pytest.mark.django_db
def test_project_page_links_articles_and_sources(client: Client, curator: Any, project: Any):
    login(client, curator)
    html = client.get(reverse("corpus:project-detail", args=[project.slug])).content.decode()
    assert reverse("corpus:article-list", args=[project.slug]) in html
    assert reverse("annotate:source-list", args=[project.slug]) in html


@pytest.mark.django_db
def test_project_page_links_export_and_import_for_curators_only(
    client: Client, curator: Any, annotator: Any, project: Any
) -> None:
    url = reverse("corpus:project-detail", args=[project.slug])
    links = [reverse(name, args=[project.slug]) for name in ("annotate:export", "annotate:import")]
    login(client, curator)
    html = client.get(url).content.decode()
    assert all(f'href="{link}"' in html for link in links)
    login(client, annotator)
    html = client.get(url).content.decode()
    assert not any(f'href="{link}"' in html for link in links)


@pytest.mark.django_db
def test_only_managers_see_the_member_list(
    client: Client, manager: Any, curator: Any, annotator: Any, project: Any
) -> None:
    url = reverse("corpus:project-detail", args=[project.slug])
    login(client, manager)
    html = client.get(url).content.decode()
    assert "Members" in html
    assert "curator" in html and "annotator" in html
    for user in (curator, annotator):
        client.logout()
        login(client, user)
        response = client.get(url)
        assert response.context["members"] is None
        assert "Members" not in response.content.decode()


# --- Article list ------------------------------------------------------------------


@pytest.mark.django_db
def test_annotator_lists_only_articles_assigned_to_them(
    client: Client, annotator: Any, other_annotator: Any, project: Any
) -> None:
    mine = ArticleFactory(project=project, title="Mine to annotate")
    AssignmentFactory(article=mine, annotator=annotator)
    theirs = ArticleFactory(project=project, title="Someone else's")
    AssignmentFactory(article=theirs, annotator=other_annotator)
    ArticleFactory(project=project, title="Nobody's yet")
    login(client, annotator)

    response = client.get(article_list_url(project))

    titles = [a.title for a in response.context["page"].object_list]
    assert titles == ["Mine to annotate"]
    assert "Someone else" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CURATOR, Role.MANAGER])
def test_curators_and_managers_list_every_article(client: Client, project: Any, role: str):
    ArticleFactory.create_batch(4, project=project)
    ArticleFactory(project=ProjectFactory())
    user = UserFactory()
    MembershipFactory(project=project, user=user, role=role)
    login(client, user)
    assert client.get(article_list_url(project)).context["page"].paginator.count == 4


@pytest.mark.django_db
def test_article_list_shows_metadata_columns(client: Client, curator: Any, project: Any):
    ArticleFactory(
        project=project,
        title="Ankara's pivot",
        byline="Jane Roe",
        outlet="Daily Sabah",
        published=dt.date(2024, 3, 5),
        text="x" * 12345,
    )
    login(client, curator)
    html = client.get(article_list_url(project)).content.decode()
    for expected in ("Ankara&#x27;s pivot", "Jane Roe", "Daily Sabah", "5 Mar 2024", "12,345"):
        assert expected in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("pivot", {"Turkey's pivot"}),  # title
        ("PIPELINE", {"Gas deal"}),  # text, any case
        ("eurasia", {"Eurasia piece"}),  # outlet
        ("nothing-like-this", set()),
    ],
)
def test_article_list_searches_title_text_and_outlet(
    client: Client, curator: Any, project: Any, q: str, expected: set[str]
) -> None:
    ArticleFactory(project=project, title="Turkey's pivot", outlet="A")
    ArticleFactory(project=project, title="Gas deal", text="The pipeline opens.", outlet="B")
    ArticleFactory(project=project, title="Eurasia piece", outlet="Eurasia Review")
    login(client, curator)
    response = client.get(article_list_url(project, q=q))
    assert {a.title for a in response.context["page"].object_list} == expected


@pytest.mark.django_db
def test_article_list_filters_by_outlet_from_the_projects_outlets(
    client: Client, curator: Any, project: Any
) -> None:
    ArticleFactory(project=project, title="One", outlet="Daily Sabah")
    ArticleFactory(project=project, title="Two", outlet="Eurasianet")
    ArticleFactory(project=ProjectFactory(), outlet="Elsewhere Times")
    login(client, curator)
    response = client.get(article_list_url(project, outlet="Eurasianet"))
    assert [a.title for a in response.context["page"].object_list] == ["Two"]
    assert response.context["outlets"] == ["Daily Sabah", "Eurasianet"]
    assert '<option value="Eurasianet" selected>' in response.content.decode()


@pytest.mark.django_db
def test_annotator_filters_by_their_assignment_status(
    client: Client, annotator: Any, other_annotator: Any, project: Any
) -> None:
    done = ArticleFactory(project=project, title="Finished")
    AssignmentFactory(article=done, annotator=annotator, status=AssignmentStatus.DONE)
    # Another annotator's "done" on this article must not count as the annotator's.
    AssignmentFactory(article=done, annotator=other_annotator, status=AssignmentStatus.DONE)
    todo = ArticleFactory(project=project, title="To do")
    AssignmentFactory(article=todo, annotator=annotator)
    AssignmentFactory(article=todo, annotator=other_annotator, status=AssignmentStatus.DONE)
    login(client, annotator)

    def titles(status: str) -> list[str]:
        page = client.get(article_list_url(project, status=status)).context["page"]
        return [a.title for a in page.object_list]

    assert titles("done") == ["Finished"]
    assert titles("not_started") == ["To do"]
    assert titles("in_progress") == []
    html = client.get(article_list_url(project)).content.decode()
    assert 'name="status"' in html
    assert "Not started" in html


@pytest.mark.django_db
def test_status_filter_is_only_offered_to_annotators(client: Client, curator: Any, project):
    login(client, curator)
    assert 'name="status"' not in client.get(article_list_url(project)).content.decode()


@pytest.mark.django_db
def test_article_list_paginates_by_25_with_real_links(
    client: Client, curator: Any, project: Any
) -> None:
    ArticleFactory.create_batch(30, project=project, outlet="Same")
    login(client, curator)
    first = client.get(article_list_url(project, outlet="Same"))
    assert len(first.context["page"].object_list) == 25
    html = first.content.decode()
    assert 'href="?outlet=Same&amp;page=2"' in html
    assert 'hx-get="?outlet=Same&amp;page=2"' in html
    second = client.get(article_list_url(project, outlet="Same", page="2"))
    assert len(second.context["page"].object_list) == 5
    # Out-of-range pages show the last page rather than failing.
    assert client.get(article_list_url(project, page="99")).context["page"].number == 2


@pytest.mark.django_db
def test_htmx_article_list_request_gets_only_the_fragment(
    client: Client, curator: Any, project: Any, article: Any
) -> None:
    login(client, curator)
    response = client.get(article_list_url(project, q="Article"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="article-list"')
    assert "<html" not in html
    assert 'class="filters"' not in html
    assert article.title in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_htmx_history_restore_gets_the_whole_page(client: Client, curator: Any, project: Any):
    login(client, curator)
    response = client.get(
        article_list_url(project),
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in response.content.decode()


@pytest.mark.django_db
def test_article_list_filter_form_is_wired_for_htmx(client: Client, curator: Any, project):
    login(client, curator)
    html = client.get(article_list_url(project)).content.decode()
    url = reverse("corpus:article-list", args=[project.slug])
    assert f'hx-get="{url}"' in html
    assert 'hx-target="#article-list"' in html
    assert 'hx-push-url="true"' in html
    assert 'id="article-list"' in html


@pytest.mark.django_db
def test_article_list_query_count_does_not_grow_with_articles(
    client: Client, annotator: Any, curator: Any, project: Any, django_assert_max_num_queries: Any
) -> None:
    def assign(articles: list[Article]) -> None:
        for article in articles:
            AssignmentFactory(article=article, annotator=annotator)

    assign(ArticleFactory.create_batch(3, project=project))
    counts = {}
    for user in (curator, annotator):
        client.logout()
        login(client, user)
        counts[user.pk] = count_queries(client, article_list_url(project))
    assign(ArticleFactory.create_batch(30, project=project, outlet="Bulk"))
    for user in (curator, annotator):
        client.logout()
        login(client, user)
        assert count_queries(client, article_list_url(project)) == counts[user.pk]
        # (+ 1 for a search: whether any article waits for its index entries, corpus.search)
        with django_assert_max_num_queries(9):
            client.get(article_list_url(project, q="Article", outlet="Bulk"))
        with django_assert_max_num_queries(6):
            client.get(article_list_url(project, page="2"), HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_article_list_does_not_load_article_text(client: Client, curator: Any, project: Any):
    ArticleFactory.create_batch(3, project=project)
    login(client, curator)
    with CaptureQueriesContext(connection) as queries:
        client.get(article_list_url(project))
    article_queries = [q["sql"] for q in queries if "corpus_article" in q["sql"]]
    assert article_queries
    for sql in article_queries:
        assert '"corpus_article"."text"' not in sql


@pytest.mark.django_db
def test_article_list_escapes_titles(client: Client, curator: Any, project: Any) -> None:
    ArticleFactory(project=project, title=XSS_TITLE, byline="<b onmouseover=x>me</b>")
    login(client, curator)
    for htmx in ("", "true"):
        html = client.get(article_list_url(project), HTTP_HX_REQUEST=htmx).content.decode()
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; headline" in html
        assert "<b onmouseover" not in html


# --- Reader --------------------------------------------------------------------------


@pytest.mark.django_db
def test_reader_shows_metadata_and_safe_original_link(
    client: Client, curator: Any, project: Any
) -> None:
    article = ArticleFactory(
        project=project,
        title="Ankara and Baku",
        byline="Vladimir Danilov",
        outlet="New Eastern Outlook",
        published=dt.date(2023, 11, 2),
        url="https://journal-neo.example/2023/11/02/ankara/",
    )
    login(client, curator)
    html = client.get(reverse("corpus:article-detail", args=[article.pk])).content.decode()
    for expected in (
        "Ankara and Baku",
        "Vladimir Danilov",
        "New Eastern Outlook",
        "2 November 2023",
    ):
        assert expected in html
    assert (
        '<a href="https://journal-neo.example/2023/11/02/ankara/" '
        'rel="noopener noreferrer nofollow"'
    ) in html


@pytest.mark.django_db
def test_reader_does_not_link_a_javascript_url(client: Client, curator: Any, article: Any):
    # The URLField validator would refuse it; this one got in behind the ORM's back.
    Article.objects.filter(pk=article.pk).update(url="javascript:alert(1)")
    login(client, curator)
    html = client.get(reverse("corpus:article-detail", args=[article.pk])).content.decode()
    assert 'href="javascript:' not in html


@pytest.mark.django_db
def test_reader_keeps_paragraphs_and_line_breaks(client: Client, curator: Any, project: Any):
    article = ArticleFactory(
        project=project, text="First line\nsecond line\n\nSecond paragraph.\n\nThird."
    )
    login(client, curator)
    html = client.get(reverse("corpus:article-detail", args=[article.pk])).content.decode()
    assert "<p>First line<br>second line</p>" in html
    assert "<p>Second paragraph.</p>" in html
    assert "<p>Third.</p>" in html


@pytest.mark.django_db
def test_reader_escapes_article_text_and_title(client: Client, curator: Any, project: Any):
    article = ArticleFactory(project=project, title=XSS_TITLE, text=XSS_TEXT)
    login(client, curator)
    html = client.get(reverse("corpus:article-detail", args=[article.pk])).content.decode()
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert(2)" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


@pytest.mark.django_db
def test_reader_query_count(
    client: Client, curator: Any, article: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, curator)
    with django_assert_max_num_queries(7):
        client.get(reverse("corpus:article-detail", args=[article.pk]))


@pytest.mark.django_db
def test_a_search_counts_its_matches_up_to_the_cap(
    client: Client, curator: Any, project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search counts at most SEARCH_COUNT_CAP matches (one COUNT over a LIMIT cap + 1
    subquery, as many queries as an uncapped search) and says "More than …"; its pages are
    those of the first cap matches. The list without words counts them all."""
    from corpus import views

    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 3)
    monkeypatch.setattr(views, "ARTICLES_PER_PAGE", 2)
    for i in range(5):
        ArticleFactory(project=project, title=f"Pipeline news {i}")
    ArticleFactory(project=project, title="Steppe weather")
    login(client, curator)
    few = count_queries(client, article_list_url(project, q="steppe"))
    with CaptureQueriesContext(connection) as queries:
        html = client.get(article_list_url(project, q="pipeline")).content.decode()
    assert len(queries) == few
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 4" in counts[0].upper(), counts
    # Without the list's order (it sorted every match by title before the LIMIT).
    assert "ORDER BY" not in counts[0].upper(), counts
    assert "More than 3 articles match: the first 3 are listed." in html
    assert "Page 1 of 2" in html
    html = client.get(article_list_url(project, q="pipeline", page="99")).content.decode()
    assert "Page 2 of 2" in html and html.count("Pipeline news") == 1
    # At the cap exactly: the number, no "More than".
    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 5)
    html = client.get(article_list_url(project, q="pipeline")).content.decode()
    assert "5 articles match" in html and "More than" not in html
    html = client.get(article_list_url(project)).content.decode()
    assert "6 articles" in html and "More than" not in html


@pytest.mark.django_db
def test_a_search_page_reads_its_rows_by_id_in_the_same_query(
    client: Client, annotator: Any, project: Any
) -> None:
    """The list's query picks the page's ids (sorted by title and id) in a subquery, and
    the page's rows are read by id: the search's condition is in the query once (the
    rows were sorted whole, and testing them again cost PostgreSQL ``to_tsvector()`` of
    each page's text), the number of queries is that of the list without words, and the
    rows keep the order and the annotator's own status."""
    titles = ["Pipeline c", "Pipeline a", "Steppe", "Pipeline b"]
    for i, title in enumerate(titles):
        AssignmentFactory(
            article=ArticleFactory(project=project, title=title),
            annotator=annotator,
            status=AssignmentStatus.DONE if i == 1 else AssignmentStatus.NOT_STARTED,
        )
    login(client, annotator)
    plain = count_queries(client, article_list_url(project))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(article_list_url(project, q="pipeline"))
    rows = response.context["page"].object_list
    assert [(a.title, a.my_status) for a in rows] == [
        ("Pipeline a", "done"),
        ("Pipeline b", "not_started"),
        ("Pipeline c", "not_started"),
    ]
    assert len(queries) == plain + 1  # (+ 1: whether any article waits for its index)
    rows_read = 'SELECT "corpus_article"."id", "corpus_article"."project_id"'
    (page,) = [q["sql"] for q in queries if q["sql"].startswith(rows_read)]
    # The LIMIT in the subquery of ids, none on the rows read.
    assert "LIMIT" in page and not re.search(r"LIMIT \d+( OFFSET \d+)?$", page.strip()), page
    match = "@@" if connection.vendor == "postgresql" else " MATCH "
    assert page.count(match) == 1, page
