"""Writes of assignments: who annotates which article (one, or many balanced at once), an
annotator's progress (done, reopened), and taking an assignment back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.assignments import selectors as assignment_selectors
from annotate.models import Assignment, AssignmentStatus, Claim
from corpus.models import Article, Membership, Project, Role
from corpus.permissions import role_in

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def assignment_create(
    *, article: Article, annotator: User, assigned_by: User | None = None
) -> Assignment:
    """Assign the article to an annotator (a no-op if already assigned)."""
    if role_in(annotator, article.project) is None:
        raise ValidationError(
            {"annotator": f"{annotator} is not a member of the project “{article.project}”."}
        )
    assignment, _ = Assignment.objects.get_or_create(
        article=article, annotator=annotator, defaults={"assigned_by": assigned_by}
    )
    return assignment


@transaction.atomic
def assignments_create_many(
    *, articles: Sequence[Article], annotator: User, assigned_by: User | None = None
) -> list[Assignment]:
    """Assign each of the articles (all of one project) to an annotator, as
    ``assignment_create`` does one: the articles already assigned to them are left as they
    are. Three queries whatever the number of articles; the new assignments."""
    if not articles:
        return []
    projects = {article.project_id for article in articles}
    if len(projects) != 1:
        raise ValidationError("The articles of one project at a time.")
    if role_in(annotator, articles[0].project) is None:
        raise ValidationError(
            {"annotator": f"{annotator} is not a member of the project “{articles[0].project}”."}
        )
    have = set(
        Assignment.objects.filter(
            article_id__in=[a.pk for a in articles], annotator=annotator
        ).values_list("article_id", flat=True)
    )
    created = [
        Assignment(article=article, annotator=annotator, assigned_by=assigned_by)
        for article in {a.pk: a for a in articles}.values()
        if article.pk not in have
    ]
    Assignment.objects.bulk_create(created)
    return created


@transaction.atomic
def assignment_status_set(*, assignment: Assignment, status: str, actor: User | None) -> Assignment:
    """Set an assignment's status as a manager would (any status, e.g. from the admin);
    the annotator's own moves are ``assignment_mark_done`` and ``assignment_reopen``."""
    if status not in AssignmentStatus.values:
        raise ValidationError(
            {"status": f"Unknown status “{status}”: use one of {AssignmentStatus.values}."}
        )
    current = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if current.status != status:
        current.status = status
        current.save(update_fields=["status", "updated"])
    return current


# --- Many at once, and taking back ---


def _pool(project: Project, annotators: Sequence[Any] | None) -> list[Any]:
    """The annotators to spread the work over, by id: the given ones (each must belong to
    the project), or every annotator of the project."""
    members = Membership.objects.filter(project=project)
    if annotators is None:
        ids = members.filter(role=Role.ANNOTATOR).values_list("user_id", flat=True)
    else:
        wanted = {getattr(a, "pk", a) for a in annotators}
        ids = members.filter(user_id__in=wanted).values_list("user_id", flat=True)
        strangers = wanted - set(ids)
        if strangers:
            raise ValidationError(
                {"annotators": f"Not members of this project: {sorted(strangers)}."}
            )
    return list(get_user_model().objects.filter(pk__in=list(ids)).order_by("pk"))


@transaction.atomic
def assignments_bulk(
    *,
    project: Project,
    k: int,
    only_unassigned: bool,
    annotators: Sequence[Any] | None = None,
    assigned_by: User,
) -> list[Assignment]:
    """Give each article of the project ``k`` distinct annotators, spreading the load.

    Articles are taken in id order; each is topped up to ``k`` annotators (those it already
    has count), each time choosing the annotators of the pool with the fewest assignments in
    the project so far (ties: lowest id), so loads differ by at most one when the pool
    starts even. With ``only_unassigned``, articles that have any assignment are left as
    they are. Deterministic and idempotent: a second run adds nothing. Returns the new
    assignments.
    """
    pool = _pool(project, annotators)
    if k < 1:
        raise ValidationError({"k": "Assign each article to at least one annotator."})
    if k > len(pool):
        raise ValidationError(
            {"k": f"Only {len(pool)} annotator(s) to choose from; {k} were asked for each."}
        )
    existing = list(
        Assignment.objects.select_for_update()
        .filter(article__project=project)
        .values_list("article_id", "annotator_id")
    )
    has: dict[int, set[int]] = {}
    for article_id, annotator_id in existing:
        has.setdefault(article_id, set()).add(annotator_id)
    load = Counter(annotator_id for _, annotator_id in existing)
    articles = Article.objects.in_project(project).order_by("pk").values_list("pk", flat=True)
    created = []
    for article_id in articles:
        already = has.get(article_id, set())
        if only_unassigned and already:
            continue
        need = k - len(already)
        if need <= 0:
            continue
        free = [u for u in pool if u.pk not in already]
        for user in sorted(free, key=lambda u: (load[u.pk], u.pk))[:need]:
            load[user.pk] += 1
            created.append(
                Assignment(article_id=article_id, annotator=user, assigned_by=assigned_by)
            )
    Assignment.objects.bulk_create(created)
    return created


@transaction.atomic
def assignment_delete(*, assignment: Assignment, actor: User | None) -> None:
    """Take an article back from an annotator who has not annotated it yet (their claims
    would otherwise be stranded where they cannot reach them)."""
    current = Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
    if current is None:
        raise ValidationError("This assignment no longer exists.")
    if assignment_selectors.assignment_has_live_claims(current):  # again, under the lock
        raise ValidationError(
            "This annotator has claims on the article; the assignment stays so that they "
            "can still reach them."
        )
    current.delete()


# --- An annotator's progress ---


def _locked(assignment: Assignment, actor: User) -> Assignment:
    if assignment.annotator_id != actor.pk:
        raise ValidationError("Only the annotator of an assignment can change its status.")
    return Assignment.objects.select_for_update().get(pk=assignment.pk)


@transaction.atomic
def assignment_mark_done(*, assignment: Assignment, actor: User) -> Assignment:
    """Mark the annotator's work on the article as finished (a no-op if it already is)."""
    current = _locked(assignment, actor)
    if current.status != AssignmentStatus.DONE:
        current.status = AssignmentStatus.DONE
        current.save(update_fields=["status", "updated"])
    return current


@transaction.atomic
def assignment_reopen(*, assignment: Assignment, actor: User) -> Assignment:
    """Take a finished article back up: in progress if the annotator has claims in it,
    otherwise not started, so that the queue tells the truth."""
    current = _locked(assignment, actor)
    if current.status == AssignmentStatus.DONE:
        has_claims = (
            Claim.objects.live().for_article(current.article).by(current.annotator).exists()
        )
        current.status = (
            AssignmentStatus.IN_PROGRESS if has_claims else AssignmentStatus.NOT_STARTED
        )
        current.save(update_fields=["status", "updated"])
    return current
