"""The annotator's queue: my articles per project, my status and claim counts, the next
article to open, the status filter."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate.models import Assignment, AssignmentStatus, Claim
from annotate.workspace.views import QUEUE_PER_PAGE
from corpus.models import Role
from tests.conftest import login
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    MembershipFactory,
    ProjectFactory,
    make_claim,
)
from tests.helpers import HX, default_targets


@pytest.fixture
def targets(project: Any) -> list[Any]:
    return default_targets(project)


@pytest.fixture
def queue_setup(project: Any, annotator: Any, other_annotator: Any, targets: Any) -> Any:
    """Three articles of mine in two projects (one of each status) and one that is only
    the other annotator's; both of us have claims."""
    second = ProjectFactory(name="Second project")
    MembershipFactory(project=second, user=annotator, role=Role.ANNOTATOR)
    started = ArticleFactory(project=project, title="Started")
    fresh = ArticleFactory(project=project, title="Fresh")
    finished = ArticleFactory(project=second, title="Finished")
    not_mine = ArticleFactory(project=project, title="Not mine")
    for article in (started, fresh, finished):
        AssignmentFactory(article=article, annotator=annotator)
    AssignmentFactory(article=not_mine, annotator=other_annotator)
    AssignmentFactory(article=started, annotator=other_annotator)
    make_claim(started, annotator, "Turkey’s")
    make_claim(started, annotator, "Akıncı")
    for word in ("Central", "Asia", "grows"):
        make_claim(started, other_annotator, word)
    Assignment.objects.filter(article=finished).update(status=AssignmentStatus.DONE)
    return {"started": started, "fresh": fresh, "finished": finished, "not_mine": not_mine}


def rows(response: Any) -> dict[str, tuple[str, int]]:
    return {a.article.title: (a.status, a.claim_count) for a in response.context["assignments"]}


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client: Client) -> None:
    response = client.get(reverse("annotate:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_queue_refuses_post(client: Client, annotator: Any) -> None:
    login(client, annotator)
    assert client.post(reverse("annotate:queue")).status_code == 405


@pytest.mark.django_db
def test_queue_lists_my_articles_with_my_status_and_my_claim_counts(
    client: Client, annotator: Any, queue_setup: Any
) -> None:
    login(client, annotator)
    response = client.get(reverse("annotate:queue"))
    assert rows(response) == {
        "Fresh": (AssignmentStatus.NOT_STARTED, 0),
        "Started": (AssignmentStatus.IN_PROGRESS, 2),  # not the other annotator's 3
        "Finished": (AssignmentStatus.DONE, 0),
    }
    html = response.content.decode()
    assert "Not mine" not in html
    assert "Second project" in html
    # The next article to open: the one in progress.
    started = queue_setup["started"]
    assert f'id="open-next" href="{reverse("annotate:workspace", args=[started.pk])}"' in html
    assert response.context["counts"] == {
        "not_started": 1,
        "in_progress": 1,
        "done": 1,
        "all": 3,
    }


@pytest.mark.django_db
def test_queue_filters_by_status_with_an_htmx_fragment(
    client: Client, annotator: Any, queue_setup: Any
) -> None:
    login(client, annotator)
    response = client.get(reverse("annotate:queue"), {"status": "done"}, **HX)
    assert list(rows(response)) == ["Finished"]
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="queue-list"')
    assert "<html" not in html
    # An unknown status is ignored rather than emptying the list.
    response = client.get(reverse("annotate:queue"), {"status": "bogus"})
    assert len(rows(response)) == 3


@pytest.mark.django_db
def test_queue_query_count_does_not_grow_with_articles(
    client: Client,
    project: Any,
    annotator: Any,
    targets: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(30):
        article = ArticleFactory(project=project, title=f"Article {i:02}")
        AssignmentFactory(article=article, annotator=annotator)
        make_claim(article, annotator, "Akıncı")
    login(client, annotator)
    # Session, user, count, the page's ids, its rows, their claim counts, the status
    # counts, the next article, the project switcher.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("annotate:queue"))
    assert len(rows(response)) == 30
    assert all(count == 1 for _, count in rows(response).values())


@pytest.mark.django_db
def test_claim_counts_on_a_later_page_are_mine_and_live(
    client: Client, project: Any, annotator: Any, other_annotator: Any, targets: Any
) -> None:
    for i in range(QUEUE_PER_PAGE + 2):
        article = ArticleFactory(project=project, title=f"Article {i:03}")
        AssignmentFactory(article=article, annotator=annotator)
    last = article
    make_claim(last, annotator, "Akıncı")
    make_claim(last, annotator, "Turkey’s")
    deleted = make_claim(last, annotator, "Asia")
    Claim.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    AssignmentFactory(article=last, annotator=other_annotator)
    make_claim(last, other_annotator, "grows")
    login(client, annotator)
    second = client.get(reverse("annotate:queue"), {"page": 2})
    assert rows(second)[last.title] == ("in_progress", 2)  # claims start it
    assert rows(second)["Article 050"] == ("not_started", 0)


@pytest.mark.django_db
def test_a_long_queue_comes_in_pages_that_keep_the_status_filter(
    client: Client, project: Any, annotator: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(QUEUE_PER_PAGE + 5):
        article = ArticleFactory(project=project, title=f"Article {i:03}")
        AssignmentFactory(article=article, annotator=annotator)
    login(client, annotator)
    with django_assert_max_num_queries(9):
        first = client.get(reverse("annotate:queue"))
    assert len(rows(first)) == QUEUE_PER_PAGE
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(reverse("annotate:queue"), {"page": "2", "status": "not_started"}, **HX)
    assert list(rows(second)) == [
        f"Article {i:03}" for i in range(QUEUE_PER_PAGE, QUEUE_PER_PAGE + 5)
    ]
    html = second.content.decode()
    assert 'rel="prev"' in html and "status=not_started" in html
    # A page past the end shows the last one rather than failing.
    assert len(rows(client.get(reverse("annotate:queue"), {"page": 99}))) == 5


@pytest.mark.django_db
def test_the_other_annotator_sees_only_their_own_queue(
    client: Client, other_annotator: Any, queue_setup: Any
) -> None:
    login(client, other_annotator)
    response = client.get(reverse("annotate:queue"))
    assert rows(response) == {
        "Not mine": (AssignmentStatus.NOT_STARTED, 0),
        "Started": (AssignmentStatus.IN_PROGRESS, 3),
    }


@pytest.mark.django_db
def test_the_top_bar_links_to_my_queue(client: Client, annotator: Any) -> None:
    login(client, annotator)
    html = client.get(reverse("corpus:project-list")).content.decode()
    assert f'href="{reverse("annotate:queue")}"' in html
