"""Reads of the corpus pages that are more than one QuerySet method.

Assignments live in the annotate app, which corpus must not import; they are reached
through the reverse relation ``Article.assignments`` by name only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    F,
    Field,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from common import limits
from common.text import check_text
from corpus.models import Article, ArticleQuerySet, Membership, Project, ProjectQuerySet, Role
from corpus.permissions import visible_articles
from corpus.search import articles_matching, search_order

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def count_of(queryset: QuerySet[Any], column: str) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``queryset`` grouped by ``column``, 0 when empty."""
    counted = queryset.order_by().values(column).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def projects_for_user(user: User) -> ProjectQuerySet:
    """The user's projects with ``role``, ``assigned_count`` (articles assigned to the
    user) and ``article_count`` annotated: one query however many projects.
    ``article_count`` counts the articles the user may read (``visible_articles``): for an
    annotator, the assigned ones; how many the project has is not theirs to know."""
    if user.is_superuser:
        role: Any = Value(Role.MANAGER.value)
    else:
        role = Subquery(
            Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
        )
    articles = Article.objects.filter(project=OuterRef("pk"))
    return (
        Project.objects.for_user(user)
        .defer("guidelines", "scheme")
        .annotate(
            role=role,
            assigned_count=count_of(articles.filter(assignments__annotator=user), "project"),
        )
        .annotate(
            article_count=Case(
                When(role__in=[Role.MANAGER, Role.CURATOR], then=count_of(articles, "project")),
                default=F("assigned_count"),
            )
        )
    )


def assignment_statuses() -> list[tuple[str, str]]:
    """The choices of ``annotate.Assignment.status``, read through the reverse relation."""
    assignment = Article._meta.get_field("assignments").related_model
    status = assignment._meta.get_field("status")
    assert isinstance(status, Field)
    return [(str(value), str(label)) for value, label in status.choices or []]


def outlets_of(articles: ArticleQuerySet) -> list[str]:
    return list(
        articles.exclude(outlet="").order_by("outlet").values_list("outlet", flat=True).distinct()
    )


@dataclass(frozen=True)
class ArticleFilters:
    q: str = ""
    outlet: str = ""
    status: str = ""

    @classmethod
    def from_query(cls, params: Any) -> ArticleFilters:
        return cls(
            q=params.get("q", "").strip()[:200],
            outlet=params.get("outlet", "").strip()[:200],
            status=params.get("status", "").strip()[:32],
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.outlet or self.status)


def article_list(user: User, project: Project, filters: ArticleFilters) -> ArticleQuerySet:
    """The articles of the project the user may read, without their text, filtered.

    ``my_status`` is the user's own assignment status on each article (None when the
    article is not assigned to them), ``my_status_label`` its label; ``status`` filters
    on it.
    """
    status_label = Case(
        *(When(my_status=value, then=Value(label)) for value, label in assignment_statuses()),
        default=Value(""),
    )
    articles = (
        visible_articles(user, project)
        .without_text()
        .annotate(
            mine=FilteredRelation("assignments", condition=Q(assignments__annotator=user)),
            my_status=F("mine__status"),
        )
        .annotate(my_status_label=status_label)
        # The model's order without its project (one here): ordering by the project's
        # name joined the projects to every match before a page of them was taken.
        .order_by("title", "id")
    )
    if filters.q:
        articles = articles_matching(articles, filters.q).order_by(*search_order())
    if filters.outlet:
        articles = articles.filter(outlet=filters.outlet)
    if filters.status:
        articles = articles.filter(my_status=filters.status)
    return articles


def members_of(project: Project) -> QuerySet[Membership]:
    """The project's memberships, managers first, then curators, then annotators."""
    rank = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate(Role.values)),
        default=Value(len(Role.values)),
    )
    return (
        Membership.objects.filter(project=project)
        .select_related("user")
        .order_by(rank, "user__username")
    )


def project_switcher(user: User) -> ProjectQuerySet:
    """Projects for the top bar's switcher (not archived ones); lazy, so fragments that
    skip the bar skip it."""
    return Project.objects.for_user(user).active().only("name", "slug")


def user_by_name_or_email(who: str) -> Any:
    """The active user whose username is ``who`` (exactly, else ignoring case), or whose
    e-mail address it is (ignoring case; refused if several users share it); else a
    ValidationError that says to invite them instead."""
    who = check_text((who or "").strip(), field="who", limit=limits.EMAIL)
    if not who:
        raise ValidationError({"who": "Give a username or an e-mail address."})
    users = get_user_model().objects.filter(is_active=True)
    found = users.filter(username=who).first() or users.filter(username__iexact=who).first()
    if found is not None:
        return found
    if "@" in who:
        by_email = list(users.filter(email__iexact=who)[:2])
        if len(by_email) == 2:
            raise ValidationError(
                {"who": f"Several users have the address {who}: give the username instead."}
            )
        if by_email:
            return by_email[0]
    raise ValidationError(
        {"who": f"No user is called or has the address “{who}”: invite them by e-mail instead."}
    )
