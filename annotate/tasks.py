"""Background work: the agreement report of a large project, and suggestion runs.

Runs on Django's tasks framework (``django.tasks``). The default backend, ImmediateBackend,
runs the task inside the request that enqueues it; in production set ``TASKS`` to a backend
with a worker (the ``django-tasks`` package's ``DatabaseBackend`` and its ``db_worker``
command) and the dashboard shows the progress while a worker computes. Progress and the result
go through Django's cache (use a shared cache such as Redis or the database cache when the
worker is another process).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

from annotate.agreement_data import CACHE_SECONDS, cache_key, compute_agreement
from annotate.services import suggestions
from annotate.suggest import backends
from corpus.models import Article, Project

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 60 * 60


def _progress_key(project_id: int, threshold: float) -> str:
    return f"claimdesk:agreement-progress:{project_id}:{threshold}"


def progress_of(project: Project, threshold: float) -> dict[str, Any] | None:
    """What the running computation last said: ``{"step", "fraction", "failed"}``."""
    found: dict[str, Any] | None = cache.get(_progress_key(project.pk, threshold))
    return found


@task
def compute_project_agreement(project_id: int, threshold: float) -> str:
    """Compute and cache the project's agreement data, saying how far it got."""
    project = Project.objects.get(pk=project_id)
    key = _progress_key(project_id, threshold)
    # The key is read before reading the rows: a change while computing makes it stale.
    result_key = cache_key(project, threshold)

    def say(step: str, fraction: float) -> None:
        cache.set(key, {"step": step, "fraction": fraction, "failed": False}, PROGRESS_SECONDS)

    try:
        data = compute_agreement(project, threshold, say)
    except Exception:
        cache.set(key, {"step": "Failed", "fraction": 1.0, "failed": True}, PROGRESS_SECONDS)
        raise
    cache.set(result_key, data, CACHE_SECONDS)
    return result_key


def start_agreement(project: Project, threshold: float) -> dict[str, Any]:
    """Enqueue the computation unless one is already running; the progress so far."""
    running = progress_of(project, threshold)
    if running is None or running.get("failed") or running.get("fraction", 0) >= 1.0:
        cache.set(
            _progress_key(project.pk, threshold),
            {"step": "Queued", "fraction": 0.0, "failed": False},
            PROGRESS_SECONDS,
        )
        compute_project_agreement.enqueue(project.pk, threshold)
    return progress_of(project, threshold) or {"step": "Queued", "fraction": 0.0}


# --- Suggestion runs -----------------------------------------------------------------
# A run of the project's suggester over some or all of its articles (the language model's
# runs always come here: never inside a request). Like exports (annotate/exports/tasks.py),
# the job lives in the cache for a day: its state (queued, running, done, failed), the
# articles done of the total, and at the end the run's report (tokens, cost, dropped
# quotes, failures). The project remembers its latest job.

SUGGEST_JOB_TTL = 24 * 3600
# A job that said nothing for this long is taken for dead (its worker stopped).
SUGGEST_STALE_SECONDS = 30 * 60


def _suggest_key(job_id: str) -> str:
    return f"claimdesk:suggest-job:{job_id}"


def _suggest_project_key(project_id: int) -> str:
    return f"claimdesk:suggest-latest:{project_id}"


def suggestion_job(job_id: str) -> dict[str, Any] | None:
    status: dict[str, Any] | None = cache.get(_suggest_key(job_id))
    return status


def latest_suggestion_job(project: Project) -> dict[str, Any] | None:
    """The project's latest suggestion job (with its ``id``), or None."""
    job_id = cache.get(_suggest_project_key(project.pk))
    status = suggestion_job(job_id) if job_id else None
    return {**status, "id": job_id} if status else None


def _suggest_update(job_id: str, **changes: Any) -> dict[str, Any]:
    status = suggestion_job(job_id) or {}
    status.update(changes, updated_at=time.time())
    cache.set(_suggest_key(job_id), status, SUGGEST_JOB_TTL)
    return status


def suggestion_job_active(status: dict[str, Any] | None) -> bool:
    if not status or status.get("state") not in ("queued", "running"):
        return False
    return time.time() - float(status.get("updated_at") or 0) < SUGGEST_STALE_SECONDS


def start_suggestions(
    *, project: Project, article_ids: list[int] | None = None, unless_running: bool = False
) -> str:
    """Queue a run of the project's suggester over ``article_ids`` (None: every article);
    returns the job's id. With ``unless_running``, a job of the project that is still
    queued or running is returned instead of starting another (the page's button)."""
    latest = latest_suggestion_job(project)
    if unless_running and latest and suggestion_job_active(latest):
        return str(latest["id"])
    job_id = uuid.uuid4().hex
    total = (
        len(article_ids) if article_ids is not None else Article.objects.in_project(project).count()
    )
    _suggest_update(
        job_id,
        state="queued",
        project=project.slug,
        backend=project.suggestion_backend,
        done=0,
        total=total,
        queued_at=timezone.now().isoformat(),
    )
    cache.set(_suggest_project_key(project.pk), job_id, SUGGEST_JOB_TTL)
    run_suggestions.enqueue(job_id=job_id, project_id=project.pk, article_ids=article_ids)
    return job_id


@task
def run_suggestions(
    *, job_id: str, project_id: int, article_ids: list[int] | None = None
) -> dict[str, Any]:
    """Run the project's suggester (``suggestions_run``), saying how far it got; returns
    the run's report."""
    project = Project.objects.get(pk=project_id)
    _suggest_update(job_id, state="running", started_at=timezone.now().isoformat())
    try:
        report = suggestions.suggestions_run(
            project=project,
            article_ids=article_ids,
            on_progress=lambda done, total: _suggest_update(job_id, done=done, total=total),
        )
    except Exception as exc:
        _suggest_update(job_id, state="failed", error=str(exc) or type(exc).__name__)
        raise
    _suggest_update(
        job_id,
        state=report.state,
        error=report.error,
        report=report.as_dict(),
        finished_at=timezone.now().isoformat(),
    )
    return report.as_dict()


def suggestions_after_import(*, project: Project, articles: Sequence[Article]) -> None:
    """The import hook (``CLAIMDESK_AFTER_IMPORT``): suggest claims for newly imported
    articles when the project has suggestions on: at once with the rules, as a background
    task with a backend that takes its time (the language model). A failing suggester
    never undoes an import: it is logged, and ``manage.py suggest`` can be run again
    later."""
    if not project.suggestions_enabled or not articles:
        return
    try:
        if backends.runs_in_background(project.suggestion_backend):
            start_suggestions(project=project, article_ids=[a.pk for a in articles])
            return
        registry = suggestions.registry_entries(project)
        for article in articles:
            suggestions.suggestions_refresh(article=article, registry=registry)
    except Exception:  # the articles are safely stored; suggestions can be made later
        logger.exception("Suggestions for %d imported articles failed.", len(articles))
