"""The export API: ``GET /api/projects/{slug}/export/?format=…&layer=…`` streams the
export (the same parameters as the Export page and ``manage.py export``); with
``background=1`` it queues the export and answers 202 with the job to poll at
``/api/projects/{slug}/export/jobs/{job}/``. Curators and managers only (annotators 403,
others 404); the project archive for managers only."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.exchange import formats, tasks
from annotate.exchange.export_views import (
    export_project,
    job_file_response,
    read_export_request,
    streaming_export,
)
from annotate.exchange.options import LAYERS, STATUSES
from common.http import AuthenticatedRequest


def _job_out(
    request: AuthenticatedRequest, slug: str, job: str, job_status: dict[str, Any]
) -> dict[str, Any]:
    out = {
        "job": job,
        "state": job_status.get("state"),
        "format": job_status.get("format"),
        "done": job_status.get("done", 0),
        "total": job_status.get("total", 0),
        "error": job_status.get("error"),
        "download": None,
    }
    if job_status.get("state") == "done":
        # The API's own file route: it takes the token as well as the session (the page's
        # route redirects a token client to the login page).
        out["download"] = request.build_absolute_uri(
            reverse("api:project-export-job-file", kwargs={"slug": slug, "job": job})
        )
    return out


_PARAMETERS = [
    OpenApiParameter("format", str, enum=list(formats.FORMATS), required=True),
    OpenApiParameter("layer", str, enum=list(LAYERS), description="Default: gold."),
    OpenApiParameter("annotator", str, many=True, description="Usernames (layer annotators)."),
    OpenApiParameter("article", int, many=True),
    OpenApiParameter("source", int, many=True),
    OpenApiParameter("stance", str, many=True, description="Claims with this stance value."),
    OpenApiParameter("status", str, many=True, enum=list(STATUSES)),
    OpenApiParameter("split", bool, description="Add a train/dev/test split by article."),
    OpenApiParameter("seed", int),
    OpenApiParameter("ratios", str, description="train,dev,test shares, e.g. 0.8,0.1,0.1."),
    OpenApiParameter("bom", bool, description="CSV: start with a UTF-8 byte-order mark."),
    OpenApiParameter(
        "csv_raw",
        bool,
        description="CSV: text cells exactly as stored. By default a cell a spreadsheet would "
        "run as a formula (beginning with =, +, -, @, a tab or a carriage return) gets a "
        "leading ' (CSV injection).",
    ),
    OpenApiParameter(
        "all_articles",
        bool,
        description="JSONL and brat: every article (or every one of `article`), also those "
        "without selected claims (with an empty claims list). 400 for the other formats.",
    ),
    OpenApiParameter("background", bool, description="Queue the export; answer 202."),
]


class _FormatIsTheExportFormat(DefaultContentNegotiation):
    """``?format=`` names the export's format here, not DRF's renderer: answer JSON (the
    job, or errors) and leave ``format`` to the view."""

    def select_renderer(
        self, request: Request, renderers: Any, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["exports"])
class ProjectExport(APIView):
    content_negotiation_class = _FormatIsTheExportFormat

    @extend_schema(
        parameters=_PARAMETERS,
        responses={
            # One entry per media type an export can have (the format decides which).
            **{
                (200, media): OpenApiResponse(
                    # The W3C export is one JSON-LD document; the others are files.
                    OpenApiTypes.OBJECT if media.endswith("+json") else OpenApiTypes.BINARY,
                    description="The export file, streamed.",
                )
                for media in sorted(
                    {m.split(";")[0] for m in (f.media_type for f in formats.TABLE.values())}
                )
            },
            202: OpenApiResponse(OpenApiTypes.OBJECT, description="The queued job."),
        },
        summary="Export the project's claims",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response | StreamingHttpResponse:
        project = export_project(request.user, slug, request.query_params.get("format"))
        fmt, options = read_export_request(project, request.query_params)
        if request.query_params.get("background") not in ("1", "true"):
            return streaming_export(project, fmt, options)
        job = tasks.start_export(project=project, fmt=fmt, options=options, user=request.user)
        job_status = tasks.job_status(job) or {}
        return Response(_job_out(request, slug, job, job_status), status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["exports"])
class ProjectExportJob(APIView):
    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The job's state.")},
        summary="Follow a background export",
    )
    def get(self, request: AuthenticatedRequest, slug: str, job: str) -> Response:
        job_status = _job_status(request, slug, job)
        return Response(_job_out(request, slug, job, job_status))


def _job_status(request: AuthenticatedRequest, slug: str, job: str) -> dict[str, Any]:
    """The job's status, after the same access checks as starting it (archive: managers)."""
    export_project(request.user, slug)
    job_status = tasks.job_status(job)
    if job_status is None or job_status.get("project") != slug:
        raise exceptions.NotFound("No such export.")
    if job_status.get("format") == "archive":
        export_project(request.user, slug, "archive")
    return job_status


@extend_schema(tags=["exports"])
class ProjectExportJobFile(APIView):
    content_negotiation_class = _FormatIsTheExportFormat

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="The export file."),
            404: OpenApiResponse(
                description="No such export, not finished yet, or its file is gone."
            ),
        },
        summary="Download a finished background export",
    )
    def get(self, request: AuthenticatedRequest, slug: str, job: str) -> FileResponse:
        return job_file_response(_job_status(request, slug, job))
