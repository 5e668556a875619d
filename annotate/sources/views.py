"""Pages of the source registry (the workspace is in ``annotate.workspace.views``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotate.models import Source, SourceKind
from annotate.sources import selectors as source_selectors
from annotate.sources.services import source_merge
from common.http import HtmxHttpRequest
from common.params import id_or_none
from corpus import permissions
from corpus.selectors import project_switcher

SOURCES_PER_PAGE = 25


@require_GET
@login_required
@vary_on_headers("HX-Request")
def source_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug)
    # Annotators pick sources from the registry but stay blind to what others cited.
    show_counts = permissions.can_curate(request.user, project)
    filters = source_selectors.SourceFilters.from_query(request.GET)
    sources = source_selectors.source_registry(project, filters, with_counts=show_counts)
    page = Paginator(sources, SOURCES_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "project": project,
        "filters": filters,
        "page": page,
        "show_counts": show_counts,
        "can_import": show_counts,  # curators and managers (annotate/sources/upload_views.py)
        "kinds": SourceKind.choices,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotate/source_list.html#source-list", context)
    context["switcher"] = project_switcher(request.user)
    return render(request, "annotate/source_list.html", context)


@require_GET
@login_required
def source_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    source = source_selectors.source_for(request.user, pk)
    show_counts = permissions.can_curate(request.user, source.project)
    can_merge = permissions.can_curate(request.user, source.project)
    return render(
        request,
        "annotate/source_detail.html",
        {
            "source": source,
            "project": source.project,
            "show_counts": show_counts,
            "claim_counts": source_selectors.claim_counts_of(source) if show_counts else None,
            "merge_candidates": (
                Source.objects.in_project(source.project).exclude(pk=source.pk).only("id", "name")
                if can_merge
                else None
            ),
            "switcher": project_switcher(request.user),
        },
    )


@require_POST
@login_required
def source_merge_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Curators and managers fold another source of the project into this one (claims
    follow) — the same rule as the API's merge."""
    keep = source_selectors.source_for(request.user, pk)
    if not permissions.can_curate(request.user, keep.project):
        raise PermissionDenied("Only the project's curators and managers can merge sources.")
    merge_id = id_or_none(request.POST.get("merge", ""))
    other = (
        Source.objects.in_project(keep.project).filter(pk=merge_id).first()
        if merge_id is not None
        else None
    )
    if other is None:
        messages.error(request, "Choose a source of this project to merge into this one.")
        return redirect("annotate:source-detail", pk=keep.pk)
    name = other.name
    try:
        source_merge(keep=keep, merge=other, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"“{name}” was merged into “{keep.name}”; its names are aliases now."
        )
    return redirect("annotate:source-detail", pk=keep.pk)
