"""The Export page of a project (curators and managers): pick format, layer, filters and
split; small exports stream straight to the browser, big ones run as a background task
whose progress the page polls (htmx) until a download link appears.

Annotators get 403 (they see the project, but exporting is not theirs to do: it would
hand them other annotators' claims); people outside the project 404. The project archive
holds everyone's work, history and user emails, so it is for managers only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from annotate.exchange import formats, tasks
from annotate.exchange.options import LAYERS, STATUSES, ExportOptions
from annotate.exchange.rows import claims_queryset
from annotate.models import Claim, Source
from common.http import AuthenticatedHttpRequest
from corpus import permissions
from corpus.models import Project, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def export_project(user: User, slug: str, fmt: str | None = None) -> Project:
    """The project if the user may export from it: 404 outside it, 403 for annotators
    (and for curators asking for the archive). The pages' guard and the API's."""
    project = permissions.project_for(user, slug, Role.CURATOR, "export its claims")
    if fmt == "archive":
        permissions.require_role(user, project, Role.MANAGER, "download its archive")
    return project


def streaming_export(project: Project, fmt: str, options: ExportOptions) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        formats.stream(fmt, project, options), content_type=formats.TABLE[fmt].media_type
    )
    name = formats.filename(fmt, project, timezone.now())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def read_export_request(project: Project, query: Any) -> tuple[str, ExportOptions]:
    """The format and options a request asks for; ``ValidationError`` if they are bad."""
    fmt = str(query.get("format") or "")
    if fmt not in formats.FORMATS:
        raise ValidationError({"format": f"Choose a format: {', '.join(formats.FORMATS)}."})
    options = ExportOptions.from_query(query)
    formats.check_options(fmt, options)
    claims_queryset(project, options)  # unknown annotators are reported now
    return fmt, options


@require_GET
@login_required
def export_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = export_project(request.user, slug)
    return render(request, "annotate/export.html", _context(request, project))


def _context(request: AuthenticatedHttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    annotators = (
        Claim.objects.filter(article__project=project, annotator__isnull=False)
        .values_list("annotator__username", flat=True)
        .distinct()
        .order_by("annotator__username")
    )
    return {
        "project": project,
        "formats": [
            (f.name, f.label)
            for f in formats.TABLE.values()
            if f.name != "archive" or permissions.can_manage(request.user, project)
        ],
        "layers": LAYERS,
        "statuses": STATUSES,
        "annotators": list(annotators),
        "sources": Source.objects.in_project(project).only("id", "name"),
        "direct_limit": tasks.DIRECT_LIMIT,
        **extra,
    }


@require_GET
@login_required
def export_download(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """Stream the export, or queue it when it is big (or ``background=1``)."""
    project = export_project(request.user, slug, request.GET.get("format"))
    try:
        fmt, options = read_export_request(project, request.GET)
    except ValidationError as error:
        context = _context(request, project, errors=error.messages)
        return render(request, "annotate/export.html", context, status=400)
    count = tasks.claim_count(project, fmt, options)
    if count <= tasks.DIRECT_LIMIT and request.GET.get("background") != "1":
        return streaming_export(project, fmt, options)
    job = tasks.start_export(project=project, fmt=fmt, options=options, user=request.user)
    return redirect("annotate:export-job", slug=project.slug, job=job)


def _job(request: AuthenticatedHttpRequest, slug: str, job: str) -> tuple[Project, dict[str, Any]]:
    project = export_project(request.user, slug)
    status = tasks.job_status(job)
    if status is None or status.get("project") != project.slug:
        raise Http404("No such export.")
    if status.get("format") == "archive":
        export_project(request.user, slug, "archive")
    return project, status


@require_GET
@login_required
def export_job(request: AuthenticatedHttpRequest, slug: str, job: str) -> HttpResponse:
    project, status = _job(request, slug, job)
    context = _context(request, project, job=job, status=status)
    if getattr(request, "htmx", False):
        return render(request, "annotate/export.html#export-job", context)
    return render(request, "annotate/export.html", context)


@require_GET
@login_required
def export_job_file(request: AuthenticatedHttpRequest, slug: str, job: str) -> HttpResponseBase:
    _, status = _job(request, slug, job)
    return job_file_response(status)


def job_file_response(status: dict[str, Any]) -> FileResponse:
    """A finished job's file, streamed through the app from storage (the filesystem or a
    private bucket: the storage's own URLs are never handed out), once the caller has
    checked access. 404 if the job is not done, or its file is no longer in storage (a
    bucket's expiry rule, a cleaned volume) rather than a server error."""
    if status.get("state") != "done":
        raise Http404("The export is not ready.")
    try:
        handle = default_storage.open(status["path"], "rb")
    except FileNotFoundError:
        raise Http404("The export file is no longer in storage; export again.") from None
    return FileResponse(handle, as_attachment=True, filename=status["name"])
