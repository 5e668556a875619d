"""Deleted claims of an article, for its project's managers to restore.

Annotators undo their own deletes in the workspace; managers may restore anyone's (the
same rule as the API's ``POST /api/claims/{id}/restore/``), from this page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.claims import services as claim_services
from annotate.models import Claim
from common.http import AuthenticatedHttpRequest
from corpus import permissions
from corpus.models import Role


@require_GET
@login_required
def deleted_claims(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The article's deleted annotator claims, newest delete first, each with Restore."""
    article = permissions.article_for(request.user, pk, Role.MANAGER, "restore others' claims")
    claims = (
        Claim.objects.for_article(article)
        .annotations()
        .filter(deleted_at__isnull=False)
        .select_related("annotator")
        .order_by("-deleted_at", "-id")
    )
    return render(
        request,
        "annotate/deleted_claims.html",
        {
            "article": article,
            "project": article.project,
            "claims": claims,
        },
    )


@require_POST
@login_required
def deleted_claim_restore(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A manager restores a deleted annotator claim; the history names the manager."""
    claim = Claim.objects.annotations().select_related("article").filter(pk=pk).first()
    if claim is None:
        raise Http404("No such claim.")
    article = permissions.article_for(
        request.user, claim.article_id, Role.MANAGER, "restore others' claims"
    )
    if claim.deleted_at is None:
        messages.info(request, "That claim is not deleted.")
    else:
        claim_services.claim_restore(claim=claim, actor=request.user)
        messages.success(request, f"The claim “{claim.quote[:60]}” is restored.")
    return redirect("annotate:deleted-claims", pk=article.pk)
