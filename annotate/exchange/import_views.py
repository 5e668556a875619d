"""The Import page of a project: upload a JSONL or W3C file of annotations, a brat zip, or
a Label Studio or doccano export (with a mapping file), and import it as one annotator's
claims or as suggestions, or only check it (dry run); the report
(created, skipped, every rejected item with why) is shown on the page.

Who may: the project's managers and curators (annotators 403, people outside the project
404). Importing claims in an annotator's name writes their work for them, which only
managers may change (``annotate.permissions``), so that target is for managers;
suggestions only propose claims that each annotator accepts or dismisses, and curators
may import them too. The API (``annotate.exchange.import_api``) follows the same rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from annotate.exchange.importing_request import (
    AUTO,
    CLAIMS,
    SUGGESTIONS,
    ImportOutcome,
    ImportRequest,
    check_size,
    mapping_text,
    max_bytes,
    run_import,
    safe_file_name,
)
from annotate.suggest.imported import SUGGESTER_MAX
from common.http import AuthenticatedHttpRequest
from corpus import permissions
from corpus.models import Membership, Project, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TEMPLATE = "annotate/import.html"
# Rejected items listed on the page; the command and the API list them all.
SHOWN_REJECTED = 500


def require_import_target(user: User, project: Project, *, as_suggestions: bool) -> None:
    """403 for a curator importing claims in an annotator's name (managers only)."""
    if not as_suggestions and not permissions.can_manage(user, project):
        raise PermissionDenied(
            "Only managers can import claims in an annotator's name; curators can import "
            "them as suggestions."
        )


class ImportForm(forms.Form):
    file = forms.FileField()
    format = forms.ChoiceField(
        choices=[
            (AUTO, "Guess from the file's name and content"),
            ("jsonl", "JSONL — one article per line with its claims"),
            ("w3c", "W3C Web Annotation (JSON-LD)"),
            ("brat", "brat standoff — a .zip of .txt/.ann pairs and a mapping"),
            ("label-studio", "Label Studio JSON export — tasks with their annotations"),
            ("doccano", "doccano JSONL export — one text a line with its spans"),
        ],
        initial=AUTO,
    )
    mapping = forms.FileField(required=False)
    target = forms.ChoiceField(
        choices=[(CLAIMS, "An annotator's claims"), (SUGGESTIONS, "Suggestions")]
    )
    annotator = forms.ChoiceField(required=False)
    suggester = forms.CharField(required=False, max_length=SUGGESTER_MAX)
    dry_run = forms.BooleanField(required=False)
    partial = forms.BooleanField(required=False)

    def __init__(self, *args: Any, annotators: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["annotator"]
        field.choices = [("", "—"), *((name, name) for name in annotators)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("target") == CLAIMS and not data.get("annotator"):
            self.add_error("annotator", "Choose the annotator whose claims these become.")
        if data.get("target") == SUGGESTIONS and data.get("annotator"):
            self.add_error("annotator", "Suggestions belong to no annotator: leave this empty.")
        return data


def _annotators(project: Project) -> list[str]:
    return list(
        Membership.objects.filter(project=project, role=Role.ANNOTATOR)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def _render(
    request: AuthenticatedHttpRequest,
    project: Project,
    form: ImportForm,
    *,
    outcome: ImportOutcome | None = None,
    status: int = 200,
) -> HttpResponse:
    report = outcome.as_dict() if outcome is not None else None
    context = {
        "project": project,
        "form": form,
        "can_import_claims": permissions.can_manage(request.user, project),
        "outcome": outcome,
        "report": report,
        "shown_rejected": report["rejected"][:SHOWN_REJECTED] if report else [],
        "more_rejected": max(0, len(report["rejected"]) - SHOWN_REJECTED) if report else 0,
        "max_bytes": max_bytes(),
    }
    return render(request, TEMPLATE, context, status=status)


@csrf_exempt  # only until the upload handlers are set: ``_import_page`` checks the token
def import_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The uploaded file goes to a temporary file as it arrives, never into memory whatever
    its size (as the API's ``DiskMultiPartParser``), and the import reads it from there (JSON
    Lines line by line). The handlers must be set before anything reads the body — the CSRF
    check reads it — hence the check inside (Django's documented order)."""
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    # (``login_required`` on ``_import_page`` makes it an authenticated request.)
    return _import_page(cast("AuthenticatedHttpRequest", request), slug)


@csrf_protect
@require_http_methods(["GET", "POST"])
@login_required
def _import_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """GET: the form. POST: import (or check) the file and show the report."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, "import annotations")
    annotators = _annotators(project)
    if request.method == "GET":
        initial = {"target": CLAIMS if permissions.can_manage(request.user, project) else None}
        return _render(request, project, ImportForm(annotators=annotators, initial=initial))
    form = ImportForm(request.POST, request.FILES, annotators=annotators)
    if not form.is_valid():
        return _render(request, project, form, status=400)
    data = form.cleaned_data
    as_suggestions = data["target"] == SUGGESTIONS
    require_import_target(request.user, project, as_suggestions=as_suggestions)
    upload = data["file"]
    try:
        check_size(upload.size)
        given = data.get("mapping")
        mapping = mapping_text(given.read(), given.size) if given else ""
        outcome = run_import(
            project=project,
            request=ImportRequest(
                file_name=safe_file_name(upload.name),
                data=upload.file,
                fmt=data["format"],
                annotator=data["annotator"] or "",
                as_suggestions=as_suggestions,
                suggester=data["suggester"],
                partial=data["partial"],
                dry_run=data["dry_run"],
                create_articles=permissions.can_manage(request.user, project),
                mapping=mapping,
                mapping_name=safe_file_name(given.name) if given else "mapping.json",
            ),
            actor=request.user,
        )
    except ValidationError as error:
        found = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        for name, messages in found.items():
            form.add_error(name if name in form.fields else None, messages)
        return _render(request, project, form, status=400)
    return _render(request, project, form, outcome=outcome)
