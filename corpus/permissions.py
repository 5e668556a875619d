"""Who may see and do what in a project. One place for the rules, used by views and API.

Roles: a manager can do everything in the project; a curator reads every article and
claim of the project and adjudicates; an annotator sees only the articles assigned to
them. Users outside a project see nothing of it: lookups answer 404, not 403, so that
existence does not leak.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404

from corpus.models import (
    AnnotatorSources,
    Article,
    ArticleQuerySet,
    Membership,
    Project,
    Role,
)


def role_in(user: Any, project: Project) -> str | None:
    """The user's role in the project, or None. Superusers act as managers."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.MANAGER
    cache: dict[int, str | None] = user.__dict__.setdefault("_claimdesk_roles", {})
    if project.pk not in cache:
        cache[project.pk] = (
            Membership.objects.filter(project=project, user=user)
            .values_list("role", flat=True)
            .first()
        )
    return cache[project.pk]


def can_manage(user: Any, project: Project) -> bool:
    return role_in(user, project) == Role.MANAGER


def can_curate(user: Any, project: Project) -> bool:
    return role_in(user, project) in (Role.MANAGER, Role.CURATOR)


def can_add_source(user: Any, project: Project) -> bool:
    """Whether the user may add a source to the registry from the workspace: curators and
    managers always, annotators as the project's ``annotator_sources`` setting says."""
    role = role_in(user, project)
    if role in (Role.MANAGER, Role.CURATOR):
        return True
    return role == Role.ANNOTATOR and project.annotator_sources == AnnotatorSources.CREATE


def can_create_project(user: Any) -> bool:
    """Whether the user may create a project, as ``CLAIMDESK_PROJECT_CREATORS`` says:
    "everyone" (any active, logged-in user), "staff", or "group:<name>" (members of the
    group, and staff). Superusers always may."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    rule = settings.CLAIMDESK_PROJECT_CREATORS
    if rule == "everyone":
        return True
    if user.is_staff:
        return True
    if rule.startswith("group:"):
        return bool(user.groups.filter(name=rule[len("group:") :].strip()).exists())
    return False


def project_for(user: Any, slug: str) -> Project:
    """The project with this slug if the user belongs to it, else 404."""
    project = Project.objects.for_user(user).filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    return project


def visible_articles(user: Any, project: Project) -> ArticleQuerySet:
    """Articles of the project that the user may read.

    Annotators see only articles assigned to them. ``assignments`` is the reverse name of
    ``annotate.Assignment.article``: corpus names the relation without importing annotate.
    """
    role = role_in(user, project)
    articles = Article.objects.in_project(project)
    if role in (Role.MANAGER, Role.CURATOR):
        return articles
    if role == Role.ANNOTATOR:
        return articles.filter(assignments__annotator=user)
    return articles.none()


def article_for(user: Any, pk: int) -> Article:
    """The article if the user may read it, else 404."""
    article = Article.objects.select_related("project").filter(pk=pk).first()
    if article is None or not visible_articles(user, article.project).filter(pk=pk).exists():
        raise Http404("No such article.")
    return article
