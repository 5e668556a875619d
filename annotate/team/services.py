"""Writes of the team that need annotate's data (the others are ``corpus.services``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.models import Assignment, Claim
from corpus.models import Membership
from corpus.services import membership_delete


@transaction.atomic
def member_remove(*, membership: Membership, actor: Any) -> int:
    """Take a member out of the project, with the assignment service's claim-safety rule
    (``assignment_delete``): refused while they have live claims in the project, which
    they could no longer reach. Their assignments (none with live claims, then) are taken
    back. The last manager stays (``corpus.services.membership_delete``). Returns the
    number of assignments taken back."""
    current = (
        Membership.objects.select_for_update()
        .select_related("project", "user")
        .filter(pk=membership.pk)
        .first()
    )
    if current is None:
        raise ValidationError("This member has left the project already.")
    project, user = current.project, current.user
    live = Claim.objects.live().filter(article__project=project, annotator=user).count()
    if live:
        raise ValidationError(
            f"{user} has {live} claim{'s' if live != 1 else ''} in “{project}”; they stay a "
            "member so that they can still reach them (delete or reassign the work first)."
        )
    taken, _ = Assignment.objects.filter(article__project=project, annotator=user).delete()
    membership_delete(membership=current)
    return taken
