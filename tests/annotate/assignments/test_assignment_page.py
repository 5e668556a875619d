"""The managers' assignment page: articles in pages of 50, the filters, the header figures,
assigning from each row, redirects that keep the page and filters, the htmx list, query
counts that do not grow with the project, and who may use it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.assignments.views import PER_PAGE
from annotate.models import Assignment
from tests.conftest import login
from tests.factories import ArticleFactory, AssignmentFactory

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def page_url(project: Any) -> str:
    return reverse("annotate:assignments", args=[project.slug])


def add_url(project: Any) -> str:
    return reverse("annotate:assignment-add", args=[project.slug])


def titles(response: Any) -> list[str]:
    return [article.title for article, _, _ in response.context["rows"]]


def row_html(html: str, article: Any) -> str:
    found = re.search(rf'<tr id="article-{article.pk}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {article.title}"
    return found.group(1)


def numbered(project: Any, n: int) -> list[Any]:
    """``n`` articles titled so that their title order is their creation order."""
    return [ArticleFactory(project=project, title=f"Article {i:03}") for i in range(1, n + 1)]


@pytest.fixture
def trio(project: Any, annotator: Any, other_annotator: Any) -> dict[str, Any]:
    """Three articles: one the annotator's, one the other annotator's, one nobody's."""
    mine = ArticleFactory(project=project, title="Ankara talks")
    theirs = ArticleFactory(project=project, title="Moscow replies")
    nobodys = ArticleFactory(project=project, title="ankara waits")
    AssignmentFactory(article=mine, annotator=annotator)
    AssignmentFactory(article=theirs, annotator=other_annotator)
    return {"mine": mine, "theirs": theirs, "nobodys": nobodys}


# --- the list --------------------------------------------------------------------------------


def test_the_articles_come_in_pages_of_50_by_title(
    client: Client, project: Any, manager: Any
) -> None:
    numbered(project, PER_PAGE + 5)
    login(client, manager)
    first = client.get(page_url(project))
    assert PER_PAGE == 50
    assert titles(first) == [f"Article {i:03}" for i in range(1, 51)]
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(page_url(project), {"page": 2})
    assert titles(second) == [f"Article {i:03}" for i in range(51, 56)]
    assert "Article 051" in second.content.decode()
    assert "Article 051" not in first.content.decode()


def test_the_title_filter_matches_words_of_the_title_in_any_case(
    client: Client, project: Any, manager: Any, trio: dict[str, Any]
) -> None:
    login(client, manager)
    assert titles(client.get(page_url(project), {"q": "ANKARA"})) == [
        "Ankara talks",
        "ankara waits",
    ]
    assert titles(client.get(page_url(project), {"q": "replies"})) == ["Moscow replies"]


def test_the_state_filter_keeps_unassigned_or_assigned_articles(
    client: Client, project: Any, manager: Any, trio: dict[str, Any]
) -> None:
    login(client, manager)
    assert titles(client.get(page_url(project), {"state": "unassigned"})) == ["ankara waits"]
    assert titles(client.get(page_url(project), {"state": "assigned"})) == [
        "Ankara talks",
        "Moscow replies",
    ]
    # An unknown state is no filter.
    assert len(titles(client.get(page_url(project), {"state": "bogus"}))) == 3


def test_the_annotator_filter_keeps_that_annotators_articles(
    client: Client, project: Any, manager: Any, annotator: Any, trio: dict[str, Any]
) -> None:
    AssignmentFactory(article=trio["theirs"], annotator=annotator)
    login(client, manager)
    response = client.get(page_url(project), {"annotator": annotator.pk})
    assert titles(response) == ["Ankara talks", "Moscow replies"]
    assert f'<option value="{annotator.pk}" selected>' in response.content.decode()
    combined = {"annotator": annotator.pk, "q": "moscow"}
    assert titles(client.get(page_url(project), combined)) == ["Moscow replies"]


@pytest.mark.parametrize("raw", ["abc", "²", "-1", "9" * 40, ""])
def test_an_annotator_filter_that_is_no_id_is_ignored(
    client: Client, project: Any, manager: Any, trio: dict[str, Any], raw: str
) -> None:
    login(client, manager)
    response = client.get(page_url(project), {"annotator": raw})
    assert response.status_code == 200
    assert len(titles(response)) == 3


def test_an_annotator_filter_on_someone_outside_the_project_is_ignored(
    client: Client, project: Any, manager: Any, trio: dict[str, Any], outsider: Any
) -> None:
    login(client, manager)
    response = client.get(page_url(project), {"annotator": outsider.pk})
    assert len(titles(response)) == 3
    assert " selected>" not in response.content.decode()  # "Anyone", the blank option


def test_an_empty_filter_result_says_so(
    client: Client, project: Any, manager: Any, trio: dict[str, Any]
) -> None:
    login(client, manager)
    html = client.get(page_url(project), {"q": "Beijing"}).content.decode()
    assert "No article matches these filters." in html


def test_the_header_counts_every_article_and_the_unassigned_ones(
    client: Client, project: Any, manager: Any, annotator: Any
) -> None:
    articles = numbered(project, PER_PAGE + 5)
    for article in (articles[0], articles[-1]):
        AssignmentFactory(article=article, annotator=annotator)
    login(client, manager)
    # The figures are the project's, whatever page or filter is shown.
    for params in ({}, {"page": 2}, {"q": "Article 001"}):
        response = client.get(page_url(project), params)
        assert response.context["figures"] == {"total": 55, "unassigned": 53}
        assert "55 articles, 53 not assigned" in response.content.decode()


def test_the_header_figures_are_kept_and_never_stale(
    client: Client, project: Any, manager: Any, annotator: Any, other_annotator: Any
) -> None:
    """The loads and figures are kept in the cache under the project's version: a second
    request reads them (two queries fewer), and any change of the assignments or the
    articles — a bulk assignment, one by hand, a deletion, a new article — shows at once."""
    articles = numbered(project, 6)
    login(client, manager)

    def header() -> tuple[dict[str, int], list[tuple[str, int]]]:
        context = client.get(page_url(project)).context
        return context["figures"], [(u.username, n) for u, n in context["annotators"]]

    with CaptureQueriesContext(connection) as computed:
        assert header()[0] == {"total": 6, "unassigned": 6}
    with CaptureQueriesContext(connection) as kept:
        assert header()[0] == {"total": 6, "unassigned": 6}
    assert len(kept) == len(computed) - 2
    assert not any('COUNT("annotate_assignment"' in q["sql"] for q in kept)
    client.post(
        reverse("annotate:assignments-bulk", args=[project.slug]),
        {"k": "1", "annotators": [str(annotator.pk)]},
    )
    figures, loads = header()
    assert figures == {"total": 6, "unassigned": 0}
    assert dict(loads)[annotator.username] == 6
    AssignmentFactory(article=articles[0], annotator=other_annotator)
    assert dict(header()[1])[other_annotator.username] == 1
    Assignment.objects.filter(article=articles[1]).delete()
    assert header()[0] == {"total": 6, "unassigned": 1}
    ArticleFactory(project=project, title="A new one")
    assert header()[0] == {"total": 7, "unassigned": 2}


# --- assigning from each row -----------------------------------------------------------------


def test_each_row_offers_only_the_annotators_not_yet_on_it(
    client: Client,
    project: Any,
    manager: Any,
    annotator: Any,
    other_annotator: Any,
    trio: dict[str, Any],
) -> None:
    AssignmentFactory(article=trio["theirs"], annotator=annotator)  # now both are on it
    login(client, manager)
    html = client.get(page_url(project)).content.decode()
    mine = row_html(html, trio["mine"])
    assert f'<option value="{other_annotator.pk}">' in mine
    assert f'<option value="{annotator.pk}">' not in mine
    assert f'name="article" value="{trio["mine"].pk}"' in mine
    nobodys = row_html(html, trio["nobodys"])
    assert f'<option value="{other_annotator.pk}">' in nobodys
    assert f'<option value="{annotator.pk}">' in nobodys
    # Every annotator is on it: no form, only the buttons that take it back.
    full = row_html(html, trio["theirs"])
    assert add_url(project) not in full
    assert full.count(">×</button>") == 2
    # The select of every article of the project is gone.
    assert '<select name="article"' not in html


def test_assigning_from_a_row_returns_to_the_same_page_and_filters(
    client: Client, project: Any, manager: Any, annotator: Any
) -> None:
    articles = numbered(project, PER_PAGE + 5)
    target = articles[PER_PAGE]
    login(client, manager)
    back = "q=Article&state=unassigned&page=2"
    response = client.post(
        add_url(project), {"article": target.pk, "annotator": annotator.pk, "back": back}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(project)}?{back}#article-{target.pk}"
    assert Assignment.objects.filter(article=target, annotator=annotator).exists()


def test_taking_back_returns_to_the_same_page_and_filters(
    client: Client, project: Any, manager: Any, annotator: Any, trio: dict[str, Any]
) -> None:
    taken = Assignment.objects.get(article=trio["mine"])
    login(client, manager)
    back = f"annotator={annotator.pk}&q=ankara"
    response = client.post(reverse("annotate:assignment-remove", args=[taken.pk]), {"back": back})
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(project)}?q=ankara&annotator={annotator.pk}"
    assert not Assignment.objects.filter(pk=taken.pk).exists()


def test_the_forms_on_the_page_carry_the_current_filters(
    client: Client, project: Any, manager: Any, trio: dict[str, Any]
) -> None:
    login(client, manager)
    html = client.get(page_url(project), {"q": "ankara", "state": "assigned"}).content.decode()
    row = row_html(html, trio["mine"])
    # One remove form and one add form, both sending the query string back.
    assert row.count('name="back" value="q=ankara&amp;state=assigned"') == 2


@pytest.mark.parametrize(
    ("back", "query"),
    [
        ("//evil.example", ""),
        ("https://evil.example/", ""),
        ("next=https://evil.example&q=talks", "?q=talks"),
        ("?state=assigned", "?state=assigned"),
        ("state=evil&annotator=evil&page=evil", ""),
        ("page=0", ""),
        ("q=%0d%0aLocation: https://evil.example", "?q=Location%3A+https%3A%2F%2Fevil.example"),
        ("q=" + "x" * 5000, "?q=" + "x" * 200),
    ],
)
def test_the_redirect_keeps_only_the_known_parameters_of_back(
    client: Client, project: Any, manager: Any, annotator: Any, back: str, query: str
) -> None:
    article = ArticleFactory(project=project)
    login(client, manager)
    response = client.post(
        add_url(project), {"article": article.pk, "annotator": annotator.pk, "back": back}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(project)}{query}#article-{article.pk}"


def test_assigning_something_that_is_not_there_says_so_and_changes_nothing(
    client: Client, project: Any, manager: Any, annotator: Any, outsider: Any
) -> None:
    article = ArticleFactory(project=project)
    elsewhere = ArticleFactory()
    login(client, manager)
    for data in (
        {"article": "abc", "annotator": annotator.pk},
        {"article": "²", "annotator": annotator.pk},
        {"article": article.pk, "annotator": outsider.pk},
        {"article": elsewhere.pk, "annotator": annotator.pk},
    ):
        response = client.post(add_url(project), data, follow=True)
        assert response.status_code == 200
        assert "Choose an article and an annotator of this project." in response.content.decode()
    assert not Assignment.objects.exists()


def test_bulk_assignment_ignores_values_that_are_not_numbers(
    client: Client, project: Any, manager: Any, annotator: Any
) -> None:
    ArticleFactory(project=project)
    login(client, manager)
    url = reverse("annotate:assignments-bulk", args=[project.slug])
    response = client.post(url, {"k": "²", "annotators": ["²", "9" * 5000]}, follow=True)
    assert response.status_code == 200
    assert not Assignment.objects.exists()


# --- htmx --------------------------------------------------------------------------------


def test_htmx_gets_only_the_list(client: Client, project: Any, manager: Any, trio: Any) -> None:
    login(client, manager)
    html = client.get(page_url(project), {"q": "moscow"}, **HX).content.decode()
    assert html.lstrip().startswith('<div id="assignment-list"')
    assert "Moscow replies" in html and "Ankara talks" not in html
    assert "<html" not in html and "bulk-form" not in html and "assignment-filters" not in html
    # A history restore needs the whole page.
    restore = client.get(page_url(project), **HX, HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()


def test_the_filter_form_works_with_and_without_javascript(
    client: Client, project: Any, manager: Any, trio: Any
) -> None:
    login(client, manager)
    html = client.get(page_url(project)).content.decode()
    form = re.search(r'<form class="filters" method="get"[^>]*>', html, re.S)
    assert form
    assert f'action="{page_url(project)}"' in form.group(0)
    assert 'hx-target="#assignment-list"' in form.group(0)
    assert 'hx-push-url="true"' in form.group(0)


# --- cost --------------------------------------------------------------------------------


# Session, user, project, role, annotators, count, page of articles, their assignments, the
# header's version (its loads and figures kept in the cache: two more when not), the
# switcher: the same for any size of project.
MAX_QUERIES = 12


@pytest.mark.parametrize("n_articles", [5, 60])
def test_the_query_count_does_not_grow_with_the_articles(
    client: Client,
    project: Any,
    manager: Any,
    annotator: Any,
    other_annotator: Any,
    django_assert_max_num_queries: Any,
    n_articles: int,
) -> None:
    for i, article in enumerate(numbered(project, n_articles)):
        AssignmentFactory(article=article, annotator=annotator)
        if i % 2:
            AssignmentFactory(article=article, annotator=other_annotator)
    login(client, manager)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(page_url(project))
    assert len(response.context["rows"]) == min(n_articles, PER_PAGE)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(page_url(project), {"page": 2}, **HX).status_code == 200
    filters = {"state": "assigned", "annotator": other_annotator.pk, "q": "Article"}
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(page_url(project), filters).status_code == 200


# --- who may use it ----------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client: Client, project: Any) -> None:
    response = client.get(page_url(project))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_annotators_and_curators_get_403(
    client: Client, project: Any, annotator: Any, curator: Any, trio: dict[str, Any]
) -> None:
    taken = Assignment.objects.get(article=trio["mine"])
    for user in (annotator, curator):
        login(client, user)
        assert client.get(page_url(project)).status_code == 403
        assert client.get(page_url(project), **HX).status_code == 403
        data = {"article": trio["nobodys"].pk, "annotator": annotator.pk}
        assert client.post(add_url(project), data).status_code == 403
        remove = reverse("annotate:assignment-remove", args=[taken.pk])
        assert client.post(remove).status_code == 403
    assert Assignment.objects.count() == 2


def test_outsiders_get_404(client: Client, project: Any, outsider: Any, trio: Any) -> None:
    login(client, outsider)
    assert client.get(page_url(project)).status_code == 404
    assert client.post(add_url(project), {"article": trio["nobodys"].pk}).status_code == 404


def test_wrong_methods_are_refused(client: Client, project: Any, manager: Any) -> None:
    login(client, manager)
    assert client.post(page_url(project)).status_code == 405
    assert client.get(add_url(project)).status_code == 405
