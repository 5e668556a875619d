"""Uploading a source registry file (CSV or JSONL) in the browser: the same parsing and
import as ``manage.py import_sources`` (``annotate.sources.registry``), with a preview first.

The preview checks every row (each bad one reported with its line) and runs the import in
a transaction that is rolled back, to show what each line would do: create a source,
update one (adding aliases, filling an empty description or external id — and through
which name it matched), or change nothing. The file's text waits in the cache (an hour,
for this user and project) so that "Import" imports what was previewed, in one
transaction: all rows or none.

Curators and managers (the registry is theirs to keep; annotators 403, outsiders 404).
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from annotate.sources import registry
from common.http import HtmxHttpRequest
from corpus import permissions
from corpus.models import Project, Role

TEMPLATE = "annotate/sources_import.html"
STASH_SECONDS = 3600
SHOWN_ROWS = 500

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _project(user: User, slug: str) -> Project:
    return permissions.project_for(user, slug, Role.CURATOR, "import sources")


class SourceUploadForm(forms.Form):
    file = forms.FileField(required=False)
    format = forms.ChoiceField(
        choices=[("", "From the file's name"), ("csv", "CSV"), ("jsonl", "JSONL")],
        required=False,
    )
    staged = forms.CharField(required=False, max_length=32)


def _stash_key(token: str) -> str:
    return f"claimdesk:source-upload:{token}"


class _Rollback(Exception):
    pass


def _read_upload(upload: Any, fmt: str) -> tuple[str, str, str]:
    """The file's name, format and text, or ``ValidationError``."""
    name = "".join(ch for ch in upload.name or "" if ch.isprintable())[:200] or "upload"
    fmt = registry.format_for(PurePath(name), fmt or None)  # type: ignore[arg-type]
    limit = int(settings.CLAIMDESK_MAX_UPLOAD_FILE_BYTES)
    if (upload.size or 0) > limit:
        raise ValidationError(
            f"“{name}” has {upload.size:,} bytes; the limit is {limit:,} "
            "(CLAIMDESK_MAX_UPLOAD_FILE_BYTES)."
        )
    data = upload.read(limit + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"“{name}” is not UTF-8 (byte {exc.start + 1} can't be read); "
            "save it as UTF-8 and try again."
        ) from exc
    return name, fmt, text


def _render(request: HtmxHttpRequest, project: Project, status: int = 200, **context: Any) -> Any:
    context.setdefault("form", SourceUploadForm())
    context["project"] = project
    result = context.get("result")
    if result is not None:
        context["shown"] = result.outcomes[:SHOWN_ROWS]
        context["more"] = max(0, len(result.outcomes) - SHOWN_ROWS)
    return render(request, TEMPLATE, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def source_import(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """GET: the form. POST: preview a file (``action=preview``), import it at once
    (``action=import``), or import the file of a preview (``staged``)."""
    project = _project(request.user, slug)
    if request.method == "GET":
        return _render(request, project)
    form = SourceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, project, 400, form=form)
    action = request.POST.get("action", "preview")
    token = form.cleaned_data["staged"]
    try:
        if token:
            stash = cache.get(_stash_key(token))
            if not stash or stash["project"] != project.pk or stash["user"] != request.user.pk:
                raise ValidationError("That preview has expired: upload the file again.")
            name, fmt, text = stash["name"], stash["format"], stash["text"]
        elif form.cleaned_data["file"] is None:
            raise ValidationError("Choose a CSV or JSONL file.")
        else:
            name, fmt, text = _read_upload(form.cleaned_data["file"], form.cleaned_data["format"])
        rows = registry.parse_rows(text, fmt)
        if action == "import":
            # The stash expires on its own; importing it twice changes nothing (idempotent).
            result = registry.import_rows(project=project, rows=rows)
            return _render(request, project, result=result, name=name, written=True)
        try:
            with transaction.atomic():
                result = registry.import_rows(project=project, rows=rows)
                raise _Rollback
        except _Rollback:
            pass
    except ValidationError as error:
        return _render(request, project, 400, form=form, errors=error.messages)
    token = uuid.uuid4().hex
    cache.set(
        _stash_key(token),
        {"project": project.pk, "user": request.user.pk, "name": name, "format": fmt, "text": text},
        STASH_SECONDS,
    )
    return _render(request, project, result=result, name=name, staged=token, written=False)
