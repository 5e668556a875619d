"""Reads of the team page and API."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from annotate.models import Assignment, Claim
from corpus.models import Invitation, Membership, Project
from corpus.selectors import members_of


def members_with_work(project: Project) -> list[Membership]:
    """The project's memberships (managers first), each with ``assignment_count`` and
    ``claim_count`` (live claims) for the team page. Three queries."""
    members = list(members_of(project))
    assignments = dict(
        Assignment.objects.filter(article__project=project)
        .order_by()
        .values_list("annotator_id")
        .annotate(n=Count("pk"))
    )
    claims = dict(
        Claim.objects.live()
        .filter(article__project=project)
        .order_by()
        .values_list("annotator_id")
        .annotate(n=Count("pk"))
    )
    for member in members:
        member.assignment_count = assignments.get(member.user_id, 0)  # type: ignore[attr-defined]
        member.claim_count = claims.get(member.user_id, 0)  # type: ignore[attr-defined]
    return members


def member_of(project: Project, user_id: Any) -> Membership | None:
    """The membership of the user with this id in the project, or None."""
    return (
        Membership.objects.select_related("user", "project")
        .filter(project=project, user_id=user_id)
        .first()
    )


def pending_invitations(project: Project) -> Any:
    """Invitations of the project neither used nor revoked (expired ones too: the page
    marks them), newest first."""
    return Invitation.objects.pending().filter(project=project).select_related("inviter")


def invitation_of(project: Project, pk: Any) -> Invitation | None:
    return Invitation.objects.filter(project=project, pk=pk).first()
