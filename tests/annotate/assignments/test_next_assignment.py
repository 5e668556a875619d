"""``next_assignment``: the next article to open, found by a few LIMIT-1 queries instead of
loading the whole queue. Checked against the rule written out in Python over the whole
queue (what the function did before), on random queues across projects with duplicate
titles and every status."""

from __future__ import annotations

import random
from typing import Any

import pytest

from annotate.assignments.selectors import next_assignment
from annotate.models import Assignment, AssignmentStatus
from corpus.models import Role
from tests.factories import ArticleFactory, AssignmentFactory, MembershipFactory, ProjectFactory

STATUSES = [AssignmentStatus.NOT_STARTED, AssignmentStatus.IN_PROGRESS, AssignmentStatus.DONE]


def reference(user: Any, after: Any | None) -> int | None:
    """The rule over the whole queue in Python: the article id of the next assignment."""
    queue = list(
        Assignment.objects.filter(annotator=user)
        .select_related("article__project")
        .order_by("article__project__name", "article__project_id", "article__title", "article_id")
    )
    open_ = [a for a in queue if a.status != AssignmentStatus.DONE]
    if after is None:
        started = [a for a in open_ if a.status == AssignmentStatus.IN_PROGRESS]
        found = next(iter(started or open_), None)
        return found.article_id if found else None
    here = next((i for i, a in enumerate(queue) if a.article_id == after.pk), -1)
    rotated = [a for a in queue[here + 1 :] + queue[: here + 1] if a.article_id != after.pk]
    candidates = [a for a in rotated if a.status != AssignmentStatus.DONE]
    same = [a for a in candidates if a.article.project_id == after.project_id]
    found = next(iter(same or candidates), None)
    return found.article_id if found else None


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_the_next_article_follows_the_queue_order_rule(annotator: Any, seed: int) -> None:
    rng = random.Random(seed)
    # Two projects share a name: the queue orders them by id.
    projects = [ProjectFactory(name=n) for n in ("Beta", "Alpha", "Beta")]
    for project in projects:
        MembershipFactory(project=project, user=annotator, role=Role.ANNOTATOR)
    articles = []
    for k in range(rng.randint(6, 14)):
        project = rng.choice(projects)
        title = rng.choice(["Ankara", "Baku", "Çorum", "Astana", "Ankara"])  # duplicates
        article = ArticleFactory(project=project, title=title, text=f"Text {seed} {k}.")
        AssignmentFactory(article=article, annotator=annotator, status=rng.choice(STATUSES))
        articles.append(article)
    for after in [None, *articles]:
        found = next_assignment(annotator, after=after)
        assert (found.article_id if found else None) == reference(annotator, after), after


@pytest.mark.django_db
def test_everything_done_means_no_next_article(annotator: Any, project: Any) -> None:
    article = ArticleFactory(project=project)
    AssignmentFactory(article=article, annotator=annotator, status=AssignmentStatus.DONE)
    assert next_assignment(annotator) is None
    assert next_assignment(annotator, after=article) is None


@pytest.mark.django_db
@pytest.mark.parametrize("n", [3, 40])
def test_finding_the_next_article_takes_a_few_queries_however_long_the_queue(
    annotator: Any, project: Any, n: int, django_assert_max_num_queries: Any
) -> None:
    other = ProjectFactory(name="Zeta")
    MembershipFactory(project=other, user=annotator, role=Role.ANNOTATOR)
    last = None
    for k in range(n):
        last = ArticleFactory(project=project, title=f"A{k:03d}", text=f"Text {k}.")
        AssignmentFactory(article=last, annotator=annotator, status=AssignmentStatus.DONE)
    waiting = ArticleFactory(project=other, title="Waiting")
    AssignmentFactory(article=waiting, annotator=annotator)
    # The worst case: nothing left in the same project, so the other projects are searched.
    with django_assert_max_num_queries(4):
        found = next_assignment(annotator, after=last)
    assert found is not None and found.article_id == waiting.pk
    with django_assert_max_num_queries(1):
        assert next_assignment(annotator) == found
