"""Reads of the managers' assignment page: which articles a page lists, and its figures.

Everything here costs the same for a project of 100 articles as for one of 10,000: the list
is a filtered QuerySet that the view pages through, the figures one aggregate query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef

from annotate.models import Assignment
from common.params import id_or_none
from corpus.models import Article, ArticleQuerySet, Project

ASSIGNMENT_STATES = {"unassigned": "Nobody assigned", "assigned": "Someone assigned"}


def parse_id(raw: Any) -> int | None:
    """A positive integer id from a request parameter, or None ("abc", "²", "-1", 2**63:
    ``common.params.id_or_none``)."""
    return id_or_none(str(raw or "").strip())


@dataclass(frozen=True)
class AssignmentFilters:
    """The assignment page's filters: title words, assigned or not, one annotator's."""

    q: str = ""
    state: str = ""
    annotator: int | None = None

    @classmethod
    def from_query(cls, params: Any) -> AssignmentFilters:
        state = params.get("state", "").strip()
        return cls(
            q=params.get("q", "").strip()[:200],
            state=state if state in ASSIGNMENT_STATES else "",
            annotator=parse_id(params.get("annotator")),
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.state or self.annotator)

    def as_query(self) -> dict[str, str]:
        """The filters as GET parameters, leaving out the empty ones."""
        params = {"q": self.q, "state": self.state, "annotator": str(self.annotator or "")}
        return {key: value for key, value in params.items() if value}


def assignment_articles(project: Project, filters: AssignmentFilters) -> ArticleQuerySet:
    """The project's articles that pass the filters, by title then id, with only their
    title loaded. ``q`` matches the title case-insensitively; ``annotator`` keeps the
    articles assigned to that user."""
    assigned = Assignment.objects.filter(article=OuterRef("pk"))
    articles = Article.objects.in_project(project).only("pk", "title").order_by("title", "pk")
    if filters.q:
        articles = articles.filter(title__icontains=filters.q)
    if filters.state == "unassigned":
        articles = articles.filter(~Exists(assigned))
    elif filters.state == "assigned":
        articles = articles.filter(Exists(assigned))
    if filters.annotator:
        articles = articles.filter(Exists(assigned.filter(annotator_id=filters.annotator)))
    return articles


def assignment_figures(project: Project) -> dict[str, int]:
    """``total`` articles of the project and how many are ``unassigned``: one query."""
    figures = Article.objects.in_project(project).aggregate(
        total=Count("pk"),
        unassigned=Count("pk", filter=~Exists(Assignment.objects.filter(article=OuterRef("pk")))),
    )
    return {"total": figures["total"], "unassigned": figures["unassigned"]}
