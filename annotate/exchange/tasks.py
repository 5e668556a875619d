"""Big exports in the background, with Django's tasks framework (``django.tasks``).

``start_export`` records the job in the cache, enqueues ``run_export`` and returns the
job's id; the task streams the export into a temporary file (spooled to disk past 8 MB),
saves it through ``default_storage`` under ``exports/<slug>/<job>/<name>``, and keeps
its progress (claims written of the total) and, at the end, the file's path in the cache,
where the export page reads it. No table holds jobs: a job is forgotten with the cache
entry (a day), the file stays in storage.

Which backend runs the task is the ``TASKS`` setting: Django's default, the
``ImmediateBackend``, runs it at once inside the request that asked (fine for one
process and moderate sizes); a worker backend (e.g. the ``django-tasks`` database
backend) runs it elsewhere, and then the cache must be shared between the web and worker
processes (database or Redis cache, not the default local-memory one).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.tasks import task
from django.utils import timezone

from annotate.exchange import formats
from annotate.exchange.options import ExportOptions
from annotate.exchange.rows import claims_queryset
from corpus.models import Project

if TYPE_CHECKING:
    from django.contrib.auth.models import User

JOB_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
JOB_TTL = 24 * 3600
# Exports of at most this many claims stream straight to the browser; bigger ones are
# queued. Streaming never holds the export in memory, but a long one would outlive the
# proxy's request timeout.
DIRECT_LIMIT = 20_000


def _key(job_id: str) -> str:
    return f"claimdesk:export-job:{job_id}"


def job_status(job_id: str) -> dict[str, Any] | None:
    """The job's state, or None for an id no job has (anything but 32 hex digits among
    them: it never reaches the cache's key)."""
    if not JOB_ID.fullmatch(job_id):
        return None
    status: dict[str, Any] | None = cache.get(_key(job_id))
    return status


def _update(job_id: str, **changes: Any) -> dict[str, Any]:
    status = job_status(job_id) or {}
    status.update(changes)
    cache.set(_key(job_id), status, JOB_TTL)
    return status


def claim_count(project: Project, fmt: str, options: ExportOptions) -> int:
    if fmt == "archive":
        return claims_queryset(project, ExportOptions(layer="all")).count()
    return claims_queryset(project, options).count()


def start_export(*, project: Project, fmt: str, options: ExportOptions, user: User) -> str:
    """Queue an export; returns the job id to follow it with ``job_status``.
    ``ValidationError`` at once if the options don't apply to the format."""
    formats.check_options(fmt, options)
    job_id = uuid.uuid4().hex
    _update(
        job_id,
        state="queued",
        project=project.slug,
        format=fmt,
        user=user.pk,
        done=0,
        total=claim_count(project, fmt, options),
        queued_at=timezone.now().isoformat(),
    )
    run_export.enqueue(job_id=job_id, project_id=project.pk, fmt=fmt, options=options.as_dict())
    return job_id


@task
def run_export(*, job_id: str, project_id: int, fmt: str, options: dict[str, Any]) -> str:
    """Write the export to storage; returns the stored file's path."""
    project = Project.objects.get(pk=project_id)
    export_options = ExportOptions.from_dict(options)
    _update(job_id, state="running", started_at=timezone.now().isoformat())
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        _update(job_id, done=done)

    name = formats.filename(fmt, project, timezone.now())
    try:
        with tempfile.SpooledTemporaryFile(max_size=settings.EXPORT_SPOOL_BYTES) as spool:
            for chunk in formats.stream(fmt, project, export_options, on_chunk=progress):
                spool.write(chunk)
            size = spool.tell()
            spool.seek(0)
            path = default_storage.save(f"exports/{project.slug}/{job_id}/{name}", File(spool))
    except Exception as exc:
        _update(job_id, state="failed", error=str(exc) or type(exc).__name__)
        raise
    _update(
        job_id,
        state="done",
        path=path,
        name=name,
        size=size,
        finished_at=timezone.now().isoformat(),
    )
    return path
