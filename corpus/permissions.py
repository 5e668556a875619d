"""Who may see and do what in a project. One place for the rules, used by views and API.

Roles: a manager can do everything in the project; a curator reads every article and
claim of the project and adjudicates; an annotator sees only the articles assigned to
them. Users outside a project see nothing of it: lookups answer 404, not 403, so that
existence does not leak. A member whose role is below what an action needs gets 403, with a
sentence that says who may: ``project_for(user, slug, at_least=Role.CURATOR, action=…)``,
``article_for(…, at_least=…)`` and ``require_role`` are the one guard of pages and API alike
(the API's error handler turns Django's ``PermissionDenied`` into its 403 with the message).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404

from common.prepared import Prepared, attnames, instance
from corpus.models import (
    AnnotatorSources,
    Article,
    ArticleQuerySet,
    Membership,
    Project,
    Role,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def role_in(user: User, project: Project) -> str | None:
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


# Each role with the roles below it: a manager may do what a curator may, and so on.
_RANK = {Role.ANNOTATOR: 1, Role.CURATOR: 2, Role.MANAGER: 3}
# Who holds at least the role, for the 403's sentence ("Only curators and managers of …").
_WHO = {Role.ANNOTATOR: "members", Role.CURATOR: "curators and managers", Role.MANAGER: "managers"}


def has_role(user: User, project: Project, at_least: Role) -> bool:
    """Whether the user holds ``at_least`` or a higher role in the project."""
    role = role_in(user, project)
    return role is not None and _RANK[Role(role)] >= _RANK[at_least]


def require_role(user: User, project: Project, at_least: Role, action: str) -> None:
    """403 unless the user holds ``at_least`` or a higher role in the project; ``action``
    completes "Only managers of “…” can"."""
    if not has_role(user, project, at_least):
        raise PermissionDenied(f"Only {_WHO[at_least]} of “{project}” can {action}.")


def can_manage(user: User, project: Project) -> bool:
    return role_in(user, project) == Role.MANAGER


def can_curate(user: User, project: Project) -> bool:
    return role_in(user, project) in (Role.MANAGER, Role.CURATOR)


def can_add_source(user: User, project: Project) -> bool:
    """Whether the user may add a source to the registry from the workspace: curators and
    managers always, annotators as the project's ``annotator_sources`` setting says."""
    role = role_in(user, project)
    if role in (Role.MANAGER, Role.CURATOR):
        return True
    return role == Role.ANNOTATOR and project.annotator_sources in (
        AnnotatorSources.CREATE,
        AnnotatorSources.PROPOSE,
    )


def proposes_sources(user: User, project: Project) -> bool:
    """Whether a source this user adds is only proposed (a curator confirms it): an
    annotator where the project's ``annotator_sources`` is "propose"."""
    return (
        role_in(user, project) == Role.ANNOTATOR
        and project.annotator_sources == AnnotatorSources.PROPOSE
    )


def can_create_project(user: User) -> bool:
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


def project_for(
    user: User, slug: str, at_least: Role = Role.ANNOTATOR, action: str = "do this"
) -> Project:
    """The project with this slug: 404 unless the user belongs to it, 403 unless their role
    is ``at_least`` or higher (any member by default; ``action`` as ``require_role``'s)."""
    project = Project.objects.for_user(user).filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    if at_least != Role.ANNOTATOR:  # every member is one (the query above checked membership)
        require_role(user, project, at_least, action)
    return project


def visible_articles(user: User, project: Project) -> ArticleQuerySet:
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


def article_for(
    user: User, pk: int, at_least: Role | None = None, action: str = "do this"
) -> Article:
    """The article if the user may read it, else 404. With ``at_least``, the article if the
    user holds that role or a higher one in its project: 404 outside the project, 403 for
    its other members (an annotator it is not assigned to included)."""
    if at_least is None:
        return _readable_article(user, pk)
    article = Article.objects.select_related("project").filter(pk=pk).first()
    if article is None:
        raise Http404("No such article.")
    if role_in(user, article.project) is None:
        raise Http404("No such article.")
    require_role(user, article.project, at_least, action)
    return article


def _readable_article_query(pk: int, user: int) -> QuerySet[Article]:
    """The article with every column of it and of its project, the user's role in the
    project and whether the article is assigned to them (``_readable_article``'s query)."""
    assignment = Article._meta.get_field("assignments").related_model  # annotate's Assignment
    return (
        Article.objects.filter(pk=pk)
        .order_by()
        .annotate(
            user_role=Subquery(
                Membership.objects.filter(project=OuterRef("project_id"), user_id=user)
                .order_by("id")
                .values("role")[:1]
            ),
            assigned_to_user=Exists(
                assignment._default_manager.filter(article=OuterRef("pk"), annotator_id=user)
            ),
        )
        .values_list(
            *attnames(Article),
            *(f"project__{name}" for name in attnames(Project)),
            "user_role",
            "assigned_to_user",
        )
    )


# Built and compiled once (``common.prepared``): building this query cost the ORM ~1.1 ms
# a call against ~0.05 ms for SQLite to run it, the largest share of a one-request fetch.
_READABLE_ARTICLE = Prepared(_readable_article_query, pk=int, user=int)


def _readable_article(user: User, pk: int) -> Article:
    """``article_for(user, pk)`` without a role: the article if ``visible_articles`` holds
    it, else 404 — in one query (the article, its project, the user's role and whether the
    article is assigned to them), where asking each takes three; the role goes to
    ``role_in``'s cache for the rest of the request."""
    if not user.is_authenticated:
        raise Http404("No such article.")
    found = _READABLE_ARTICLE.rows(pk=pk, user=user.pk)
    if not found:
        raise Http404("No such article.")
    row = found[0]
    n_article = len(Article._meta.concrete_fields)
    n_project = len(Project._meta.concrete_fields)
    article = instance(Article, row[:n_article])
    Article._meta.get_field("project").set_cached_value(  # as select_related("project")
        article, instance(Project, row[n_article : n_article + n_project])
    )
    role, assigned = row[-2], row[-1]
    if user.is_superuser:
        return article
    user.__dict__.setdefault("_claimdesk_roles", {})[article.project_id] = role
    if role in (Role.MANAGER, Role.CURATOR) or (role == Role.ANNOTATOR and assigned):
        return article
    raise Http404("No such article.")
