"""Who may see and change which claims: the claim rules beside ``corpus.permissions``.

- Reading: an annotator reads their own claims on the articles assigned to them;
  curators and managers read every claim of their projects.
- Adding: to an article assigned to you (whatever your role), or as a manager.
- Changing, deleting, restoring: your own claims (while you can see the article), or
  any claim as a manager. A curator who can see another's claim gets 403 on changing it.
- Outside your projects nothing exists (404).

Plain functions, so that the workspace pages can use them as the API does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from annotate.models import Claim, ClaimQuerySet
from corpus.models import Article
from corpus.permissions import can_curate, can_manage, visible_articles

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def can_annotate(user: User, article: Article) -> bool:
    """Whether the user may add claims of their own to the article."""
    return can_manage(user, article.project) or article.assignments.filter(annotator=user).exists()


def visible_claims(user: User, article: Article) -> ClaimQuerySet:
    """Claims on the article that the user may read (live and deleted)."""
    claims = Claim.objects.for_article(article)
    return claims if can_curate(user, article.project) else claims.by(user)


def claim_for(user: User, pk: int) -> Claim:
    """The claim (live or deleted) if the user may read it, else 404."""
    claim = (
        Claim.objects.select_related("article__project", "annotator")
        .prefetch_related("stances", "chain")
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404("No such claim.")
    project = claim.article.project
    readable = can_curate(user, project) or claim.annotator_id == user.pk
    if not readable or not visible_articles(user, project).filter(pk=claim.article_id).exists():
        raise Http404("No such claim.")
    return claim


def require_claim_owner_or_manager(user: User, claim: Claim, action: str) -> None:
    """403 unless the claim is the user's own or the user manages its project."""
    if claim.annotator_id != user.pk and not can_manage(user, claim.article.project):
        raise PermissionDenied(
            f"Only the claim's annotator and the project's managers can {action} it."
        )
