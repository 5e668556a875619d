"""The project's suggestion settings (managers): suggestions on or off, which suggester
makes them (``Project.suggestion_backend``, changed through ``corpus.services.
project_update``), and a run over every article as a background task whose progress and
report (tokens, cost, quotes dropped) the page shows while it runs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from annotate.suggest import llm
from annotate.suggest import tasks as suggestion_tasks
from common.http import AuthenticatedHttpRequest
from corpus import permissions, services
from corpus.models import Project, Role, SuggestionBackend

PAGE = "annotate/suggestions.html"


def _context(project: Project, **extra: Any) -> dict[str, Any]:
    job = suggestion_tasks.latest_suggestion_job(project)
    return {
        "project": project,
        "backends": SuggestionBackend.choices,
        "llm_configured": llm.configured(),
        "llm_model": llm.settings_model(),
        "job": job,
        "active": suggestion_tasks.suggestion_job_active(job),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
def suggestion_settings(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.MANAGER, "change its suggestions")
    if request.method == "POST":
        if request.POST.get("action") == "run":
            suggestion_tasks.start_suggestions(project=project, unless_running=True)
            messages.success(request, "Suggestions are being made for every article.")
            return redirect("annotate:suggestion-settings", slug=project.slug)
        try:
            services.project_update(
                project=project,
                suggestions_enabled=request.POST.get("suggestions_enabled") == "on",
                suggestion_backend=request.POST.get("suggestion_backend", ""),
            )
        except ValidationError as error:
            project.refresh_from_db()
            return render(request, PAGE, _context(project, errors=error.messages), status=400)
        messages.success(request, "Suggestion settings saved.")
        return redirect("annotate:suggestion-settings", slug=project.slug)
    return render(request, PAGE, _context(project))


@require_GET
@login_required
def suggestion_job(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The latest run's progress (polled by the page while it runs)."""
    project = permissions.project_for(request.user, slug, Role.MANAGER, "change its suggestions")
    return render(request, f"{PAGE}#suggestion-job", _context(project))
