"""The "Add articles" page of a project: upload files (a .zip of them too) with a preview,
add pages by URL, paste a text. Managers only (curators and annotators 403, people outside
the project 404), as the API's article upload and ``manage.py import_articles``.

Uploads and URLs run as import jobs (``corpus.import_jobs``): the job's page follows its
progress (htmx polls it while it runs) and lists each file's or URL's result. A preview
keeps the files it read (staged), so that "Import" imports exactly what was previewed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common import limits
from common.http import HtmxHttpRequest
from corpus import import_jobs, importers, permissions, services, uploads
from corpus.models import Project, Role

TEMPLATE = "corpus/article_add.html"
JOB_TEMPLATE = "corpus/article_import_job.html"

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _project(user: User, slug: str) -> Project:
    return permissions.project_for(user, slug, Role.MANAGER, "add articles to the project")


class OptionsForm(forms.Form):
    unwrap = forms.ChoiceField(
        choices=[
            ("auto", "When the text looks hard-wrapped"),
            ("yes", "Always"),
            ("no", "Never"),
        ],
        initial="auto",
        required=False,
    )
    strip_boilerplate = forms.BooleanField(required=False, initial=True)
    language = forms.CharField(max_length=limits.LANGUAGE.size, required=False, initial="en")

    def options(self) -> dict[str, Any]:
        data = self.cleaned_data
        return import_jobs.options_clean(
            unwrap=data.get("unwrap") or "auto",
            strip_boilerplate=bool(data.get("strip_boilerplate")),
            language=data.get("language") or "en",
        )


class UrlsForm(OptionsForm):
    urls = forms.CharField(widget=forms.Textarea, max_length=200_000)


class PasteForm(forms.Form):
    title = forms.CharField(max_length=limits.TITLE.size, required=False)
    byline = forms.CharField(max_length=limits.BYLINE.size, required=False)
    text = forms.CharField(widget=forms.Textarea, strip=False)


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    found = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
    for name, messages in found.items():
        form.add_error(name if name in form.fields else None, messages)


def _render(request: HtmxHttpRequest, project: Project, status: int = 200, **context: Any) -> Any:
    context.setdefault("options_form", OptionsForm(initial={"strip_boilerplate": True}))
    context.setdefault("urls_form", UrlsForm(initial={"strip_boilerplate": True}))
    context.setdefault("paste_form", PasteForm())
    context |= {
        "project": project,
        "accept": ",".join(uploads.ACCEPTED_SUFFIXES),
        "max_file_bytes": uploads.Bounds.from_settings().file_bytes,
        "max_upload_bytes": uploads.Bounds.from_settings().total_bytes,
    }
    return render(request, TEMPLATE, context, status=status)


@require_GET
@login_required
def article_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The page: upload, by URL, paste."""
    project = _project(request.user, slug)
    return _render(request, project)


def _job_url(project: Project, job: str) -> str:
    return reverse("corpus:article-import-job", kwargs={"slug": project.slug, "job": job})


@require_POST
@login_required
def article_upload(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Preview uploaded files (``action=preview``, the default), import them at once
    (``action=import``), or import / discard the files of a preview (``staged``)."""
    project = _project(request.user, slug)
    action = request.POST.get("action", "preview")
    staged = request.POST.get("staged", "")
    if staged:
        if action == "discard":
            import_jobs.discard(project=project, job_id=staged)
            return redirect("corpus:article-add", slug=project.slug)
        try:
            import_jobs.start(project=project, job_id=staged)
        except ValidationError as error:
            return _render(request, project, 400, upload_errors=error.messages)
        return redirect(_job_url(project, staged))
    form = OptionsForm(request.POST)
    if not form.is_valid():
        return _render(request, project, 400, options_form=form)
    try:
        options = form.options()
        files = uploads.expand(
            (upload.name or "", upload) for upload in request.FILES.getlist("files")
        )
    except ValidationError as error:
        return _render(request, project, 400, options_form=form, upload_errors=error.messages)
    job = import_jobs.stage_files(project=project, user=request.user, files=files, options=options)
    if action == "import":
        import_jobs.start(project=project, job_id=job)
        return redirect(_job_url(project, job))
    previews = [
        importers.preview_file(project=project, name=f.name, data=f.data, **options)
        if not f.problem
        else importers.FilePreview(name=f.name, error=f.problem)
        for f in files
    ]
    return _render(
        request,
        project,
        options_form=form,
        staged=job,
        previews=previews,
        preview_articles=sum(len(p.articles) for p in previews),
        preview_new=sum(a.new for p in previews for a in p.articles),
        preview_failed=sum(p.failed for p in previews),
    )


@require_POST
@login_required
def article_from_urls(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Queue fetching the pages of a list of URLs (one a line)."""
    project = _project(request.user, slug)
    form = UrlsForm(request.POST)
    if form.is_valid():
        try:
            job = import_jobs.start_urls(
                project=project,
                user=request.user,
                urls=import_jobs.urls_clean(form.cleaned_data["urls"]),
                options=form.options(),
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            return redirect(_job_url(project, job))
    return _render(request, project, 400, urls_form=form)


@require_POST
@login_required
def article_paste(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """One article from a pasted text, title and byline."""
    project = _project(request.user, slug)
    form = PasteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.article_create(
                project=project,
                text=data["text"],
                title=data["title"],
                byline=data["byline"],
                source_file="pasted",
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            if result.created:
                importers.after_import(project=project, articles=[result.article])
            return _render(request, project, 201 if result.created else 200, pasted=result)
    return _render(request, project, 400, paste_form=form)


@require_http_methods(["GET"])
@login_required
def article_import_job(request: HtmxHttpRequest, slug: str, job: str) -> HttpResponse:
    """An import job's progress and results; an htmx request gets the job's part only."""
    project = _project(request.user, slug)
    status = import_jobs.job_for(project, job)
    if status is None:
        raise Http404("No such import job.")
    context = {
        "project": project,
        "job": job,
        "status": import_jobs.job_out(status, job),
        "running": status.get("state") in ("queued", "running"),
    }
    if getattr(request, "htmx", False):
        return render(request, f"{JOB_TEMPLATE}#import-job", context)
    return render(request, JOB_TEMPLATE, context)
