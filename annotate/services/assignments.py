"""Writes of assignments: who annotates which article."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.models import Assignment, AssignmentStatus
from corpus.models import Article
from corpus.permissions import role_in


@transaction.atomic
def assignment_create(*, article: Article, annotator: Any, assigned_by: Any = None) -> Assignment:
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
def assignment_status_set(*, assignment: Assignment, status: str, actor: Any) -> Assignment:
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
