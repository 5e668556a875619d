"""Bulk assignment: k distinct annotators per article, balanced loads, deterministic,
idempotent, only_unassigned respected; taking an assignment back."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from annotate.assignments.services import assignment_delete, assignments_bulk
from annotate.models import Assignment
from corpus.models import Role
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    MembershipFactory,
    SourceFactory,
    TargetFactory,
    UserFactory,
    make_claim,
)


def annotators(project: Any, n: int) -> list[Any]:
    users = [UserFactory() for _ in range(n)]
    for user in users:
        MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    return users


def pairs(project: Any) -> list[tuple[int, int]]:
    return list(
        Assignment.objects.filter(article__project=project)
        .order_by("article_id", "annotator_id")
        .values_list("article_id", "annotator_id")
    )


@pytest.mark.parametrize(("n_articles", "n_annotators", "k"), [(7, 3, 2), (10, 4, 3), (5, 5, 1)])
def test_each_article_gets_k_distinct_annotators_with_balanced_loads(
    project: Any, manager: Any, n_articles: int, n_annotators: int, k: int
) -> None:
    articles = [ArticleFactory(project=project) for _ in range(n_articles)]
    users = annotators(project, n_annotators)

    made = assignments_bulk(project=project, k=k, only_unassigned=False, assigned_by=manager)

    assert len(made) == n_articles * k
    per_article = Counter(a for a, _ in pairs(project))
    assert per_article == dict.fromkeys((a.pk for a in articles), k)
    loads = Counter(u for _, u in pairs(project))
    assert set(loads) == {u.pk for u in users}  # the manager is not an annotator
    assert max(loads.values()) - min(loads.values()) <= 1
    assert all(a.assigned_by_id == manager.pk for a in Assignment.objects.all())


def test_bulk_assignment_is_deterministic_and_idempotent(project: Any, manager: Any) -> None:
    for _ in range(6):
        ArticleFactory(project=project)
    annotators(project, 4)
    assignments_bulk(project=project, k=2, only_unassigned=False, assigned_by=manager)
    first = pairs(project)

    assert assignments_bulk(project=project, k=2, only_unassigned=False, assigned_by=manager) == []
    assert pairs(project) == first
    Assignment.objects.all().delete()
    assignments_bulk(project=project, k=2, only_unassigned=False, assigned_by=manager)
    assert pairs(project) == first


def test_only_unassigned_leaves_assigned_articles_alone(project: Any, manager: Any) -> None:
    taken, free = ArticleFactory(project=project), ArticleFactory(project=project)
    users = annotators(project, 3)
    AssignmentFactory(article=taken, annotator=users[0])

    assignments_bulk(project=project, k=2, only_unassigned=True, assigned_by=manager)

    assert [u for a, u in pairs(project) if a == taken.pk] == [users[0].pk]
    assert len([u for a, u in pairs(project) if a == free.pk]) == 2


def test_existing_assignments_count_toward_k(project: Any, manager: Any) -> None:
    article = ArticleFactory(project=project)
    users = annotators(project, 3)
    AssignmentFactory(article=article, annotator=users[2])
    made = assignments_bulk(project=project, k=2, only_unassigned=False, assigned_by=manager)
    assert [a.annotator_id for a in made] == [users[0].pk]


def test_a_chosen_pool_is_respected_and_checked(project: Any, manager: Any, outsider: Any) -> None:
    ArticleFactory(project=project)
    users = annotators(project, 3)
    assignments_bulk(
        project=project, k=1, only_unassigned=False, annotators=[users[1]], assigned_by=manager
    )
    assert [u for _, u in pairs(project)] == [users[1].pk]
    with pytest.raises(ValidationError):
        assignments_bulk(
            project=project, k=1, only_unassigned=False, annotators=[outsider], assigned_by=manager
        )


@pytest.mark.parametrize("k", [0, 3])
def test_k_must_fit_the_pool(project: Any, manager: Any, k: int) -> None:
    ArticleFactory(project=project)
    annotators(project, 2)
    with pytest.raises(ValidationError):
        assignments_bulk(project=project, k=k, only_unassigned=False, assigned_by=manager)
    assert not Assignment.objects.exists()


def test_delete_refuses_an_assignment_with_claims(
    project: Any, manager: Any, annotator: Any
) -> None:
    SourceFactory(project=project)
    TargetFactory(project=project)
    article = ArticleFactory(project=project)
    assignment = AssignmentFactory(article=article, annotator=annotator)
    make_claim(article, annotator, "Turkey")
    with pytest.raises(ValidationError):
        assignment_delete(assignment=assignment, actor=manager)
    empty = AssignmentFactory(article=ArticleFactory(project=project), annotator=annotator)
    assignment_delete(assignment=empty, actor=manager)
    assert list(Assignment.objects.all()) == [assignment]
