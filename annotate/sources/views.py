"""Pages of the source registry (the workspace is in ``annotate.workspace.views``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from annotate.models import Source, SourceKind, SourceStatus
from annotate.sources import selectors as source_selectors
from annotate.sources.services import source_confirm, source_merge, source_split
from common.http import HtmxHttpRequest
from common.params import id_or_none
from corpus import permissions

SOURCES_PER_PAGE = 25


@require_GET
@login_required
@vary_on_headers("HX-Request")
def source_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug)
    # Annotators pick sources from the registry but stay blind to what others cited.
    show_counts = permissions.can_curate(request.user, project)
    filters = source_selectors.SourceFilters.from_query(request.GET)
    sources = source_selectors.source_registry(
        project, filters, with_counts=show_counts, viewer=request.user
    )
    page = Paginator(sources, SOURCES_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "project": project,
        "filters": filters,
        "page": page,
        "show_counts": show_counts,
        "can_import": show_counts,  # curators and managers (annotate/sources/upload_views.py)
        "kinds": SourceKind.choices,
        "statuses": SourceStatus.choices,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotate/source_list.html#source-list", context)
    if show_counts:  # the curators' queue of proposed sources
        context["proposed"] = list(source_selectors.proposed_sources(project))
        context["confirmed"] = (
            Source.objects.in_project(project).confirmed().only("id", "name")
            if context["proposed"]
            else None
        )
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
            "kinds": SourceKind.choices,
            "merges": source_selectors.merges_into(source) if can_merge else None,
            "can_split": permissions.can_manage(request.user, source.project),
            "claim_counts": source_selectors.claim_counts_of(source) if show_counts else None,
            "merge_candidates": (
                Source.objects.in_project(source.project).exclude(pk=source.pk).only("id", "name")
                if can_merge
                else None
            ),
        },
    )


def _other_source(keep: Source, value: str) -> Source | None:
    pk = id_or_none(value)
    if pk is None:
        return None
    return Source.objects.in_project(keep.project).filter(pk=pk).exclude(pk=keep.pk).first()


@require_http_methods(["GET", "POST"])
@login_required
def source_merge_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Curators and managers fold another source of the project into this one (claims
    follow) — the same rule as the API's merge. GET shows what would change and asks for
    confirmation (``?merge=<id>``: that source into this one; ``?into=<id>``: this one
    into that, as when rejecting a proposed source); POST merges."""
    source = source_selectors.source_for(request.user, pk)
    if not permissions.can_curate(request.user, source.project):
        raise PermissionDenied("Only the project's curators and managers can merge sources.")
    if request.method == "GET":
        keep: Source | None = source
        other: Source | None
        if "into" in request.GET:
            keep, other = _other_source(source, request.GET["into"]), source
        else:
            other = _other_source(source, request.GET.get("merge", ""))
        if keep is None or other is None:
            messages.error(request, "Choose another source of this project to merge.")
            return redirect("annotate:source-detail", pk=source.pk)
        return render(
            request,
            "annotate/source_merge.html",
            {
                "keep": keep,
                "other": other,
                "project": keep.project,
                "preview": source_selectors.merge_preview(keep, other),
            },
        )
    duplicate = _other_source(source, request.POST.get("merge", ""))
    if duplicate is None:
        messages.error(request, "Choose a source of this project to merge into this one.")
        return redirect("annotate:source-detail", pk=source.pk)
    name = duplicate.name
    try:
        source_merge(keep=source, merge=duplicate, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"“{name}” was merged into “{source.name}”; its names are aliases now. "
            "A manager can split it back below.",
        )
    return redirect("annotate:source-detail", pk=source.pk)


@require_POST
@login_required
def source_confirm_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Curators and managers confirm a proposed source (renamed or re-kinded if the form
    says so); back to where the form was (the queue or the source's page)."""
    source = source_selectors.source_for(request.user, pk)
    if not permissions.can_curate(request.user, source.project):
        raise PermissionDenied("Only the project's curators and managers can confirm sources.")
    name = request.POST.get("name") or None
    kind = request.POST.get("kind") or None
    try:
        confirmed = source_confirm(source=source, actor=request.user, name=name, kind=kind)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{confirmed.name}” is confirmed: every annotator sees it.")
    if request.POST.get("next") == "list":
        return redirect("annotate:source-list", slug=source.project.slug)
    return redirect("annotate:source-detail", pk=source.pk)


@require_POST
@login_required
def source_split_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Managers split a merge back: the merged source returns with its claims."""
    record = source_selectors.source_merge_for(request.user, pk)
    if not permissions.can_manage(request.user, record.project):
        raise PermissionDenied("Only the project's managers can split a merge back.")
    try:
        source = source_split(record=record, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        if Source.objects.filter(pk=record.kept_id).exists():
            return redirect("annotate:source-detail", pk=record.kept_id)
        return redirect("annotate:source-list", slug=record.project.slug)
    messages.success(request, f"“{source.name}” is back, with the claims that came from it.")
    return redirect("annotate:source-detail", pk=source.pk)
