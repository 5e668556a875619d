"""``corpus.permissions``' one guard: outside the project 404, a member below the role 403
with a sentence that says who may (the permission matrix checks every route with it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from corpus.models import Role
from corpus.permissions import article_for, project_for, require_role


def test_project_for_answers_404_outside_and_403_below_the_role(
    project: Any, annotator: Any, curator: Any, outsider: Any
) -> None:
    assert project_for(annotator, project.slug) == project  # any member by default
    assert project_for(curator, project.slug, Role.CURATOR, "review its claims") == project
    with pytest.raises(Http404):
        project_for(outsider, project.slug, Role.CURATOR, "review its claims")
    with pytest.raises(PermissionDenied) as denied:
        project_for(annotator, project.slug, Role.CURATOR, "review its claims")
    assert str(denied.value) == f"Only curators and managers of “{project}” can review its claims."


def test_require_role_ranks_the_roles(project: Any, curator: Any, manager: Any) -> None:
    require_role(manager, project, Role.CURATOR, "export its claims")
    with pytest.raises(PermissionDenied, match=f"^Only managers of “{project}” can assign"):
        require_role(curator, project, Role.MANAGER, "assign articles")


def test_article_for_with_a_role_is_403_for_members_who_cannot_see_it(
    article: Any, annotator: Any, manager: Any, outsider: Any
) -> None:
    # ``annotator`` is not assigned to the article: they don't see it (404) ...
    with pytest.raises(Http404):
        article_for(annotator, article.pk)
    # ... but a manager's page of it tells them it is not for their role (403).
    with pytest.raises(PermissionDenied):
        article_for(annotator, article.pk, Role.MANAGER, "restore others' claims")
    with pytest.raises(Http404):
        article_for(outsider, article.pk, Role.MANAGER, "restore others' claims")
    assert article_for(manager, article.pk, Role.MANAGER, "restore others' claims") == article


def test_article_for_reads_as_visible_articles_says_in_one_query(
    django_assert_num_queries: Any,
    project: Any,
    article: Any,
    annotator: Any,
    other_annotator: Any,
    curator: Any,
    manager: Any,
    outsider: Any,
) -> None:
    """Who may read an article (``article_for`` without a role: one query for the article,
    the role and the assignment) is who ``visible_articles`` gives it to; the role it read
    is ``role_in``'s for the rest of the request (no second query)."""
    from django.contrib.auth.models import AnonymousUser

    from corpus.permissions import role_in, visible_articles
    from tests.factories import AssignmentFactory, UserFactory

    AssignmentFactory(article=article, annotator=annotator)
    AssignmentFactory(article=article, annotator=outsider)  # assigned, but no member
    superuser = UserFactory(is_superuser=True)
    for user in (annotator, other_annotator, curator, manager, outsider, superuser):
        user = type(user).objects.get(pk=user.pk)  # no role cached
        sees = visible_articles(user, project).filter(pk=article.pk).exists()
        user = type(user).objects.get(pk=user.pk)
        with django_assert_num_queries(1):
            try:
                assert article_for(user, article.pk) == article
                read = True
            except Http404:
                read = False
            if not user.is_superuser:
                role_in(user, project)  # cached by the one query
        assert read == sees, user
    with pytest.raises(Http404):
        article_for(AnonymousUser(), article.pk)  # type: ignore[arg-type]
    with pytest.raises(Http404):
        article_for(manager, article.pk + 1000)
