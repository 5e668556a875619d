"""Background suggestion runs (Django's tasks framework; see ``annotate.review.tasks`` for
backends), their progress in the cache, and the hook that suggests for freshly imported articles."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

from annotate.suggest import backends
from annotate.suggest import services as suggestions
from corpus.models import Article, Project

logger = logging.getLogger(__name__)


# --- Suggestion runs -----------------------------------------------------------------
# A run of the project's suggester over some or all of its articles (the language model's
# runs always come here: never inside a request). Like exports (annotate/exchange/tasks.py),
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
