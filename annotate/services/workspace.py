"""Writes of the annotation workspace that are not claim CRUD: an annotator's progress."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.models import Assignment, AssignmentStatus, Claim


def _locked(assignment: Assignment, actor: Any) -> Assignment:
    if assignment.annotator_id != actor.pk:
        raise ValidationError("Only the annotator of an assignment can change its status.")
    return Assignment.objects.select_for_update().get(pk=assignment.pk)


@transaction.atomic
def assignment_mark_done(*, assignment: Assignment, actor: Any) -> Assignment:
    """Mark the annotator's work on the article as finished (a no-op if it already is)."""
    current = _locked(assignment, actor)
    if current.status != AssignmentStatus.DONE:
        current.status = AssignmentStatus.DONE
        current.save(update_fields=["status", "updated"])
    return current


@transaction.atomic
def assignment_reopen(*, assignment: Assignment, actor: Any) -> Assignment:
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
