"""The import API: ``POST /api/projects/{slug}/import/`` imports a JSONL or W3C file of
annotations, a brat zip, or a Label Studio or doccano export with its ``mapping`` (a
multipart upload, ``file``; or a JSON body with the text as ``content``)
as one annotator's claims or as suggestions, or only checks it (``dry_run``), and
answers with the report.

The same rules as the Import page (``annotate.exchange.import_views``): curators and managers
(annotators 403, others 404); claims in an annotator's name for managers only. Answers:
201 (written, something created), 200 (a dry run, or nothing new), 400 for a request that
can't be carried out (no file, not UTF-8, unknown format or annotator, over the size
limit) and for a file with rejected items (nothing written) — then with the report.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from annotate.exchange.import_views import require_import_target
from annotate.exchange.importing_files import FORMATS
from annotate.exchange.importing_request import (
    CLAIMS,
    FORMAT_CHOICES,
    SUGGESTIONS,
    ImportRequest,
    check_size,
    mapping_text,
    run_import,
    safe_file_name,
)
from annotate.suggest.imported import SUGGESTER_MAX
from common.api import ApiView
from common.http import AuthenticatedRequest
from common.parsers import BoundedJSONParser, DiskMultiPartParser
from config.api_errors import ValidationErrorSerializer
from corpus import permissions
from corpus.models import Role
from corpus.serializers import FormBooleanField, StrictSerializer, TextField

# --- Input ------------------------------------------------------------------------------


class ImportOptionsSerializer(StrictSerializer):
    """What to import the file as: an annotator's claims, or suggestions."""

    format = serializers.ChoiceField(
        choices=FORMAT_CHOICES,
        default="auto",
        help_text="auto: by the file's extension (.jsonl, .jsonld, .zip), else its content "
        "(a list of Label Studio tasks, doccano lines with text and spans).",
    )
    annotator = TextField(
        required=False,
        max_length=150,
        help_text="Username of the project member whose claims these become (managers "
        "only); their missing assignments are made. Leave out with as_suggestions.",
    )
    as_suggestions = FormBooleanField(
        default=False,
        help_text="Import as suggestions, which each annotator of the article accepts or "
        "dismisses (curators and managers); labels may be incomplete, and a speaker the "
        "registry lacks is proposed as a new source.",
    )
    suggester = TextField(
        required=False,
        max_length=SUGGESTER_MAX,
        help_text="With as_suggestions: the name they are stored under (default "
        "import:<file name>); spans it already has are skipped.",
    )
    # (A field named like Serializer.partial: DRF's metaclass takes it off the class.)
    partial = FormBooleanField(  # type: ignore[assignment]
        default=False, help_text="Keep the good items when some are rejected."
    )
    dry_run = FormBooleanField(default=False, help_text="Check everything; write nothing.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["as_suggestions"] == bool(attrs.get("annotator")):
            raise serializers.ValidationError(
                {"annotator": "Give an annotator's username, or as_suggestions=true (not both)."}
            )
        if attrs.get("suggester") and not attrs["as_suggestions"]:
            raise serializers.ValidationError({"suggester": "Only with as_suggestions=true."})
        return attrs


class ImportUploadSerializer(ImportOptionsSerializer):
    """The file as a multipart upload, with the options."""

    file = serializers.FileField(
        help_text="JSONL (one article per line with its claims) or W3C Web Annotation "
        "JSON-LD, UTF-8, as the exports write them; a brat .zip; a Label Studio JSON or "
        "doccano JSONL export."
    )
    mapping = serializers.FileField(
        required=False,
        help_text="brat, Label Studio, doccano: the mapping (.json or .toml, at most 64 KiB) "
        "saying which labels are claims and source mentions.",
    )


class ImportBodySerializer(ImportOptionsSerializer):
    """The file's text in a JSON body, with the options."""

    content = TextField(
        multiline=True,
        trim_whitespace=False,
        help_text="The file's text: JSON Lines, or a W3C Web Annotation document.",
    )
    filename = TextField(
        required=False,
        max_length=200,
        default="upload",
        help_text="A name for it (guessing the format, the default suggester name).",
    )
    mapping = serializers.DictField(
        required=False,
        help_text="Label Studio, doccano: the mapping as a JSON object (see docs/formats.md).",
    )


# --- Output -----------------------------------------------------------------------------


class RejectedItemSerializer(serializers.Serializer):
    where = serializers.CharField(help_text="“line 3, claim 2” or “annotation 5 (urn:…)”.")
    reasons = serializers.ListField(child=serializers.CharField())


class ImportReportSerializer(serializers.Serializer):
    file = serializers.CharField()
    format = serializers.CharField(help_text=f"The format read: {' or '.join(FORMATS)}.")
    target = serializers.ChoiceField(choices=[CLAIMS, SUGGESTIONS])
    annotator = serializers.CharField(allow_null=True, help_text="With target claims.")
    suggester = serializers.CharField(allow_null=True, help_text="With target suggestions.")
    dry_run = serializers.BooleanField()
    partial = serializers.BooleanField()  # type: ignore[assignment]
    written = serializers.BooleanField(help_text="Whether anything was stored.")
    created = serializers.IntegerField(help_text="Created (in a dry run: would be).")
    skipped = serializers.IntegerField(help_text="Already there (or twice in the file).")
    assigned = serializers.IntegerField(help_text="Articles newly assigned to the annotator.")
    articles_created = serializers.IntegerField(
        help_text="brat: texts the project lacked, made articles (managers only)."
    )
    sources_created = serializers.IntegerField(
        help_text="brat: registry entries made for unknown sources (the mapping's choice)."
    )
    rejected = RejectedItemSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())


class ImportRefusedSerializer(ValidationErrorSerializer):
    report = ImportReportSerializer(
        required=False, help_text="When items of the file were rejected: the whole report."
    )


# --- The view ---------------------------------------------------------------------------


def _read(view: ApiView, request: AuthenticatedRequest) -> ImportRequest:
    mapping, mapping_name = "", "mapping.json"
    if (request.content_type or "").startswith("application/json"):
        data = view.validated(ImportBodySerializer)
        name, content = safe_file_name(data["filename"]), data["content"]
        if data.get("mapping") is not None:
            mapping = json.dumps(data["mapping"], ensure_ascii=False)
    else:
        data = view.validated(ImportUploadSerializer)
        upload = data["file"]
        check_size(upload.size)
        # On disk (DiskMultiPartParser): JSON Lines are read from there line by line.
        name, content = safe_file_name(upload.name), upload.file
        if (given := data.get("mapping")) is not None:
            mapping = mapping_text(given.read(), given.size)
            mapping_name = safe_file_name(given.name)
    return ImportRequest(
        mapping=mapping,
        mapping_name=mapping_name,
        file_name=name,
        data=content,
        fmt=data["format"],
        annotator=data.get("annotator", ""),
        as_suggestions=data["as_suggestions"],
        suggester=data.get("suggester", ""),
        partial=data["partial"],
        dry_run=data["dry_run"],
    )


@extend_schema(tags=["imports"])
class ProjectImport(ApiView):
    parser_classes = [DiskMultiPartParser, BoundedJSONParser]
    serializer_class = ImportReportSerializer
    pagination_class = None

    @extend_schema(
        request={
            "multipart/form-data": ImportUploadSerializer,
            "application/json": ImportBodySerializer,
        },
        responses={
            201: OpenApiResponse(ImportReportSerializer, "Imported: the report."),
            200: OpenApiResponse(
                ImportReportSerializer, "A dry run, or nothing new (all already there)."
            ),
            400: OpenApiResponse(
                ImportRefusedSerializer,
                "Not imported, nothing written: the request or the file can't be read, or "
                "items were rejected (then with the report listing each and why).",
            ),
        },
        summary="Import annotations as claims or suggestions (curators, managers)",
        description="Read as manage.py import_annotations reads it: offsets and quotes are "
        "checked against the text, labels against the scheme; one transaction; every "
        "rejected item is reported with why. Claims in an annotator's name: managers only.",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = permissions.project_for(request.user, slug, Role.CURATOR, "import annotations")
        wanted = _read(self, request)
        require_import_target(request.user, project, as_suggestions=wanted.as_suggestions)
        if permissions.can_manage(request.user, project):
            wanted = replace(wanted, create_articles=True)
        outcome = run_import(project=project, request=wanted, actor=request.user)
        report = ImportReportSerializer(outcome.as_dict()).data
        if outcome.refused:
            count = len(outcome.report.rejected)
            detail = (
                f"{count} item{'s were' if count != 1 else ' was'} rejected, so nothing was "
                "written: fix them, or send partial=true to import the rest."
            )
            body = {
                "detail": detail,
                "code": "invalid",
                "errors": {"file": [str(r) for r in outcome.report.rejected]},
                "report": report,
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        written = outcome.report.written and outcome.report.created > 0
        return Response(report, status=status.HTTP_201_CREATED if written else status.HTTP_200_OK)
