"""Article imports as background jobs: uploaded files and pages fetched by URL.

A job is a record in Django's cache (a day, as the export jobs) and a task of Django's
tasks framework (``django.tasks``). Uploaded files are first **staged**: their bytes go
into ``default_storage`` under ``imports/<job>/`` and the job waits ("staged") while the
page shows the preview; ``start`` queues the task, which imports the files one by one
(each in its own transaction, ``corpus.importers.import_file``), saying how far it got,
and deletes the staged files. An add-by-URL job is queued at once: the task fetches each
page (``corpus.fetch``) and imports it as an HTML file.

With the default ``ImmediateBackend`` the task runs inside the request that queues it;
with a worker backend (``TASKS_BACKEND=database``) the page polls the job's progress,
and the cache must be shared between the web and the worker processes.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.tasks import task
from django.utils import timezone

from common import limits
from corpus import fetch, importers
from corpus.models import Project
from corpus.uploads import UploadFile, safe_name

JOB_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
JOB_TTL = 24 * 3600
UNWRAP = {"auto": None, "yes": True, "no": False}
FILES, URLS = "files", "urls"
# Articles listed per file in a job's result (the counts say how many in all).
LISTED_ARTICLES = 50


def _key(job_id: str) -> str:
    return f"claimdesk:article-import-job:{job_id}"


def job_status(job_id: str) -> dict[str, Any] | None:
    """The job's record, or None (also for anything but 32 hex digits)."""
    if not JOB_ID.fullmatch(job_id):
        return None
    status: dict[str, Any] | None = cache.get(_key(job_id))
    return status


def job_for(project: Project, job_id: str) -> dict[str, Any] | None:
    """The job's record if it is one of the project's jobs, else None."""
    status = job_status(job_id)
    if status is None or status.get("project") != project.pk:
        return None
    return status


def _update(job_id: str, **changes: Any) -> dict[str, Any]:
    status = job_status(job_id) or {}
    status.update(changes, updated_at=time.time())
    cache.set(_key(job_id), status, JOB_TTL)
    return status


def options_clean(
    *, unwrap: str = "auto", strip_boilerplate: bool = True, language: str = "en"
) -> dict[str, Any]:
    """The import options as the importers take them (``unwrap``: auto, yes or no)."""
    if unwrap not in UNWRAP:
        raise ValidationError({"unwrap": "Choose auto, yes or no."})
    language = (language or "en").strip() or "en"
    limits.LANGUAGE.check(language, field="language")
    return {
        "unwrap": UNWRAP[unwrap],
        "strip_boilerplate": bool(strip_boilerplate),
        "language": language,
    }


def _article_out(article: Any) -> dict[str, Any]:
    return {"id": article.pk, "title": article.title, "byline": article.byline}


def _result_out(result: importers.FileResult, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "created": [_article_out(a) for a in result.created[:LISTED_ARTICLES]],
        "skipped": [_article_out(a) for a in result.skipped[:LISTED_ARTICLES]],
        "created_count": len(result.created),
        "skipped_count": len(result.skipped),
        "error": result.error,
    }


def _tally(status: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    return {
        "results": [*status.get("results", []), out],
        "created": status.get("created", 0) + out["created_count"],
        "skipped": status.get("skipped", 0) + out["skipped_count"],
        "failed": status.get("failed", 0) + (1 if out["error"] else 0),
    }


def _new(job_id: str, *, kind: str, project: Project, user: Any, **fields: Any) -> None:
    _update(
        job_id,
        kind=kind,
        project=project.pk,
        slug=project.slug,
        user=user.pk,
        done=0,
        created=0,
        skipped=0,
        failed=0,
        results=[],
        error="",
        queued_at=timezone.now().isoformat(),
        **fields,
    )


# --- Uploaded files ------------------------------------------------------------------


def _sweep_staged() -> None:
    """Delete the files of staged uploads nobody imported or discarded: those of a job
    the cache has forgotten, older than a job lives."""
    try:
        folders, _ = default_storage.listdir("imports")
    except (FileNotFoundError, NotImplementedError):
        return
    cutoff = timezone.now() - dt.timedelta(seconds=JOB_TTL)
    for folder in folders:
        if not JOB_ID.fullmatch(folder) or job_status(folder) is not None:
            continue
        _, names = default_storage.listdir(f"imports/{folder}")
        for name in names:
            path = f"imports/{folder}/{name}"
            try:
                if default_storage.get_modified_time(path) < cutoff:
                    default_storage.delete(path)
            except (FileNotFoundError, NotImplementedError):
                continue


def stage_files(
    *, project: Project, user: Any, files: Sequence[UploadFile], options: dict[str, Any]
) -> str:
    """Keep the files for an import that starts later (``start``); returns the job id."""
    _sweep_staged()
    job_id = uuid.uuid4().hex
    entries: list[dict[str, str]] = []
    for i, file in enumerate(files):
        path = ""
        if not file.problem:
            path = default_storage.save(f"imports/{job_id}/{i:05d}", ContentFile(file.data))
        entries.append({"name": file.name, "path": path, "problem": file.problem})
    _new(
        job_id,
        kind=FILES,
        project=project,
        user=user,
        state="staged",
        total=len(entries),
        entries=entries,
        options=options,
    )
    return job_id


def start(*, project: Project, job_id: str) -> dict[str, Any]:
    """Queue the import of a staged job (once: a job already queued is left as it is)."""
    status = job_for(project, job_id)
    if status is None:
        raise ValidationError(
            {"job": "No such upload: it expired or was imported. Upload the files again."}
        )
    if status.get("state") != "staged":
        return status
    _update(job_id, state="queued")
    run_file_import.enqueue(job_id=job_id)
    return job_status(job_id) or status


def discard(*, project: Project, job_id: str) -> None:
    """Forget a staged upload and delete its files."""
    status = job_for(project, job_id)
    if status is None or status.get("state") != "staged":
        return
    for entry in status.get("entries", []):
        if entry.get("path"):
            default_storage.delete(entry["path"])
    cache.delete(_key(job_id))


def staged_files(status: dict[str, Any]) -> list[UploadFile]:
    """The files of a staged job, read back from storage (for the preview)."""
    found: list[UploadFile] = []
    for entry in status.get("entries", []):
        if entry.get("problem") or not entry.get("path"):
            found.append(UploadFile(entry["name"], problem=entry.get("problem") or "missing"))
            continue
        with default_storage.open(entry["path"], "rb") as handle:
            found.append(UploadFile(entry["name"], handle.read()))
    return found


@task
def run_file_import(*, job_id: str) -> dict[str, Any]:
    """Import a staged job's files one by one, saying how far it got."""
    status = job_status(job_id) or {}
    project = Project.objects.get(pk=status["project"])
    options = status.get("options", {})
    status = _update(job_id, state="running", started_at=timezone.now().isoformat())
    try:
        for done, entry in enumerate(status.get("entries", []), start=1):
            name, path = entry["name"], entry.get("path")
            if entry.get("problem") or not path:
                result = importers.FileResult(name=name, error=entry.get("problem") or "missing")
            else:
                with default_storage.open(path, "rb") as handle:
                    data = handle.read()
                result = importers.import_file(project=project, name=name, data=data, **options)
                default_storage.delete(path)
            status = _update(job_id, done=done, **_tally(status, _result_out(result, name)))
    except Exception as exc:
        _update(job_id, state="failed", error=str(exc) or type(exc).__name__)
        raise
    return _update(job_id, state="done", entries=[], finished_at=timezone.now().isoformat())


# --- Pages by URL ----------------------------------------------------------------------


def urls_clean(value: str | Sequence[str]) -> list[str]:
    """The URLs of a list (one per line, or a sequence): each once, in order, each a URL
    that may be fetched (``corpus.fetch.url_problem``), at most
    ``CLAIMDESK_URL_FETCH_MAX_URLS``; ``ValidationError`` naming every bad line."""
    from django.conf import settings

    lines = value.splitlines() if isinstance(value, str) else list(value)
    urls = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not urls:
        raise ValidationError({"urls": "Give at least one URL."})
    most = int(settings.CLAIMDESK_URL_FETCH_MAX_URLS)
    if len(urls) > most:
        raise ValidationError(
            {"urls": f"At most {most:,} URLs at once (CLAIMDESK_URL_FETCH_MAX_URLS); this has "
             f"{len(urls):,}."}
        )  # fmt: skip
    problems = []
    for url in urls:
        problem = fetch.url_problem(url) if len(url) <= limits.URL.size else "too long"
        if not problem and not url.isprintable():
            problem = "it has characters a URL cannot have"
        if problem:
            problems.append(f"{safe_name(url)[:200]}: {problem}")
    if problems:
        raise ValidationError({"urls": problems})
    return urls


def start_urls(*, project: Project, user: Any, urls: Sequence[str], options: dict[str, Any]) -> str:
    """Queue fetching and importing the pages at ``urls`` (checked by ``urls_clean``)."""
    urls = urls_clean(urls)
    job_id = uuid.uuid4().hex
    _new(
        job_id, kind=URLS, project=project, user=user, state="queued", total=len(urls),
        urls=urls, options=options,
    )  # fmt: skip
    run_url_import.enqueue(job_id=job_id)
    return job_id


@task
def run_url_import(*, job_id: str) -> dict[str, Any]:
    """Fetch each URL of the job and import its page, saying how far it got."""
    status = job_status(job_id) or {}
    project = Project.objects.get(pk=status["project"])
    options = status.get("options", {})
    status = _update(job_id, state="running", started_at=timezone.now().isoformat())
    try:
        for done, url in enumerate(status.get("urls", []), start=1):
            try:
                page = fetch.fetch_html(url)
            except fetch.FetchError as exc:
                result = importers.FileResult(name=url, error=str(exc))
            else:
                result = importers.import_file(
                    project=project,
                    name=url,
                    data=page.html.encode("utf-8"),
                    suffix=".html",
                    url=page.final_url,
                    **options,
                )
            status = _update(job_id, done=done, **_tally(status, _result_out(result, url)))
    except Exception as exc:
        _update(job_id, state="failed", error=str(exc) or type(exc).__name__)
        raise
    return _update(job_id, state="done", finished_at=timezone.now().isoformat())


def job_out(status: dict[str, Any], job_id: str) -> dict[str, Any]:
    """The job as the API and the page show it."""
    return {
        "job": job_id,
        "kind": status.get("kind"),
        "state": status.get("state"),
        "done": status.get("done", 0),
        "total": status.get("total", 0),
        "created": status.get("created", 0),
        "skipped": status.get("skipped", 0),
        "failed": status.get("failed", 0),
        "error": status.get("error") or "",
        "results": status.get("results", []),
    }
