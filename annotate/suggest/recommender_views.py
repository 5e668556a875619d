"""The project's recommender page: the models trained on its gold and accepted claims, each
with its held-out score (precision, recall, F1, speaker accuracy, with their n), a button
to train a new one (a background task; the page polls its progress) and, for managers,
the switch that puts one model to work for the project's suggestions — shown only beside
the score, so nobody switches on a model without seeing what it is worth.

Curators and managers see the page and train; only managers switch a model on or off.
Annotators get 403, people outside the project 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotate.models import LearnedModel
from annotate.suggest import recommender, recommender_tasks
from common.http import AuthenticatedHttpRequest
from corpus import permissions
from corpus.models import Project, Role


def _context(request: AuthenticatedHttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    return {
        "project": project,
        "models": LearnedModel.objects.filter(project=project)[:20],
        "status": recommender_tasks.training_status(project),
        "can_manage": permissions.can_manage(request.user, project),
        "min_articles": recommender.MIN_ARTICLES,
        **extra,
    }


@require_GET
@login_required
def recommender_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.CURATOR, "see its recommender")
    context = _context(request, project)
    if getattr(request, "htmx", False):
        return render(request, "annotate/recommender.html#recommender-models", context)
    return render(request, "annotate/recommender.html", context)


@require_POST
@login_required
def recommender_train(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.CURATOR, "see its recommender")
    recommender_tasks.start_training(project=project, actor=request.user)
    return redirect("annotate:recommender", slug=project.slug)


@require_POST
@login_required
def recommender_activate(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.CURATOR, "see its recommender")
    model = get_object_or_404(LearnedModel, pk=pk, project=project)
    try:
        recommender.recommender_activate(project=project, model=model, actor=request.user)
    except ValidationError as error:
        context = _context(request, project, errors=error.messages)
        return render(request, "annotate/recommender.html", context, status=400)
    return redirect("annotate:recommender", slug=project.slug)


@require_POST
@login_required
def recommender_deactivate(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.CURATOR, "see its recommender")
    recommender.recommender_deactivate(project=project, actor=request.user)
    return redirect("annotate:recommender", slug=project.slug)
