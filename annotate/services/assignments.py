"""Writes of assignments: who annotates which article."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.models import Assignment
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
