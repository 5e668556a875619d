"""Pages of the annotate app: the source registry (the annotation workspace comes next)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from annotate import selectors
from annotate.models import SourceKind
from corpus import permissions
from corpus.selectors import project_switcher

SOURCES_PER_PAGE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
@login_required
@vary_on_headers("HX-Request")
def source_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug)
    # Annotators pick sources from the registry but stay blind to what others cited.
    show_counts = permissions.can_curate(request.user, project)
    filters = selectors.SourceFilters.from_query(request.GET)
    sources = selectors.source_registry(project, filters, with_counts=show_counts)
    page = Paginator(sources, SOURCES_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "project": project,
        "filters": filters,
        "page": page,
        "show_counts": show_counts,
        "kinds": SourceKind.choices,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotate/source_list.html#source-list", context)
    context["switcher"] = project_switcher(request.user)
    return render(request, "annotate/source_list.html", context)


@require_GET
@login_required
def source_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    source = selectors.source_for(request.user, pk)
    show_counts = permissions.can_curate(request.user, source.project)
    return render(
        request,
        "annotate/source_detail.html",
        {
            "source": source,
            "project": source.project,
            "show_counts": show_counts,
            "claim_count": selectors.claim_count_of(source) if show_counts else None,
            "switcher": project_switcher(request.user),
        },
    )
