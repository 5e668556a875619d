"""Reads of assignments: the managers' assignment page (which articles a page lists, and its
figures: the header's kept in the cache), and the annotator's queue (its filters, counts and
the next article).

Everything here costs the same for a project of 100 articles as for one of 10,000: the list
is a filtered QuerySet that the view pages through, the figures one aggregate query.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, When
from django.http import Http404

from annotate.analysis.versions import FIGURES_SECONDS, figures_version
from annotate.models import Assignment, AssignmentStatus, Claim
from common.params import id_or_none
from corpus.models import Article, ArticleQuerySet, Project

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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


def annotator_loads(project: Project) -> dict[int, int]:
    """How many articles of the project each annotator has. One query."""
    rows = (
        Assignment.objects.filter(article__project=project)
        .order_by()
        .values("annotator_id")
        .annotate(n=Count("pk"))
    )
    return {row["annotator_id"]: row["n"] for row in rows}


def header_figures(project: Project) -> tuple[dict[int, int], dict[str, int]]:
    """The assignment page's header: the annotators' loads and the articles' figures
    (total, unassigned), kept in the cache under ``figures_version`` (the project's version
    counter, which every write to its assignments raises, and its articles' number and
    latest edit): one query when kept. Both figures read every assignment of the project
    (at 10,001 articles and 30,003 assignments, 33 + 23 ms of PostgreSQL's time; the
    version 8 ms). After a change they are computed in the request, never served stale: the
    manager who just assigned sees the new figures."""
    version = figures_version(project)
    digest = hashlib.sha256(repr(version).encode()).hexdigest()[:32]
    key = f"claimdesk:assignment-figures:{project.pk}:{digest}"
    found = cache.get(key)
    if found is None:
        found = (annotator_loads(project), assignment_figures(project))
        cache.set(key, found, FIGURES_SECONDS)
    return found


# --- The annotation workspace and the annotator's queue -------------------------------


def assignment_for(user: User, article_pk: int) -> Assignment:
    """The user's own assignment of the article, with the article and project; else 404.

    The workspace is for assigned annotators only: an article of another project, or one
    not assigned to the user, answers 404 whatever the user's role."""
    assignment = (
        Assignment.objects.select_related("article__project")
        .filter(article_id=article_pk, annotator_id=user.pk)
        .first()
    )
    if assignment is None:
        raise Http404("No such article in your queue.")
    return assignment


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""

    @classmethod
    def from_query(cls, params: Any) -> QueueFilters:
        status = params.get("status", "").strip()
        return cls(status=status if status in AssignmentStatus.values else "")


QUEUE_ORDER = ("article__project__name", "article__project_id", "article__title", "article_id")


def queue_of(user: User, filters: QueueFilters) -> QuerySet[Assignment, int]:
    """The ids of the user's assignments in queue order (``QUEUE_ORDER``), filtered: what
    the queue pages through. Only ids: the columns a row shows are read for the page alone
    (``queue_rows``). Sorting whole rows made SQLite walk each article's text for the
    columns stored after it, and a claim count in this query would run for every row an
    OFFSET skips (0.3–0.5 s for the last page of 10,000 assignments)."""
    assignments = Assignment.objects.filter(annotator_id=user.pk).order_by(*QUEUE_ORDER)
    if filters.status:
        assignments = assignments.filter(status=filters.status)
    return assignments.values_list("pk", flat=True)


def queue_rows(ids: list[int]) -> list[Assignment]:
    """The assignments ``ids`` in that order, with their article (no text) and project and
    ``claim_count``: two queries."""
    found = (
        Assignment.objects.filter(pk__in=ids)
        .select_related("article__project")
        .defer("article__text", "article__metadata", "article__project__guidelines")
    )
    by_id = {assignment.pk: assignment for assignment in found}
    return with_claim_counts([by_id[pk] for pk in ids if pk in by_id])


def with_claim_counts(assignments: list[Assignment]) -> list[Assignment]:
    """Set ``claim_count`` on each assignment: its annotator's live claims on its article.
    One grouped query for the lot."""
    pairs = {(a.article_id, a.annotator_id) for a in assignments}
    counts: dict[tuple[int, int], int] = {}
    if pairs:
        rows = (
            Claim.objects.live()
            .filter(
                article_id__in={article for article, _ in pairs},
                annotator_id__in={annotator for _, annotator in pairs},
            )
            .order_by()
            .values_list("article_id", "annotator_id")
            .annotate(n=Count("pk"))
        )
        counts = {(article, annotator): n for article, annotator, n in rows}
    for assignment in assignments:
        assignment.claim_count = counts.get(  # type: ignore[attr-defined]
            (assignment.article_id, assignment.annotator_id), 0
        )
    return assignments


def queue_counts(user: User) -> dict[str, int]:
    """How many of the user's assignments are in each status, and ``all``: one query."""
    rows = (
        Assignment.objects.filter(annotator_id=user.pk)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(AssignmentStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["all"] = sum(counts.values())
    return counts


def next_assignment(user: User, *, after: Article | None = None) -> Assignment | None:
    """The next article to open: with ``after``, the user's first unfinished assignment
    that follows it in queue order (wrapping around, same project first, then the
    others); without it, the first one in progress, else the first not started. None when
    everything is done. At most four small queries (each the first row of an index range),
    however many articles are assigned."""
    open_ = (
        Assignment.objects.filter(annotator_id=user.pk)
        .exclude(status=AssignmentStatus.DONE)
        .select_related("article__project")
        .defer("article__text", "article__metadata", "article__project__guidelines")
    )
    if after is None:
        started_first = Case(When(status=AssignmentStatus.IN_PROGRESS, then=0), default=1)
        return open_.order_by(started_first, *QUEUE_ORDER).first()
    others = open_.exclude(article_id=after.pk)
    same = others.filter(article__project_id=after.project_id).order_by(*QUEUE_ORDER)
    later = Q(article__title__gt=after.title) | Q(
        article__title=after.title, article_id__gt=after.pk
    )
    found = same.filter(later).first() or same.first()
    if found is not None:
        return found
    name = Project.objects.filter(pk=after.project_id).values_list("name", flat=True).first()
    later_project = Q(article__project__name__gt=name) | Q(
        article__project__name=name, article__project_id__gt=after.project_id
    )
    rest = others.order_by(*QUEUE_ORDER)
    return rest.filter(later_project).first() or rest.first()


def assignment_has_live_claims(assignment: Assignment) -> bool:
    """Whether the annotator has live claims on the article (then the assignment stays)."""
    return (
        Claim.objects.live()
        .filter(article_id=assignment.article_id, annotator_id=assignment.annotator_id)
        .exists()
    )
