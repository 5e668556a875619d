"""Background work of review: the agreement report of a large project.

Runs on Django's tasks framework (``django.tasks``). The default backend, ImmediateBackend,
runs the task inside the request that enqueues it; in production set ``TASKS`` to a backend
with a worker (the ``django-tasks`` package's ``DatabaseBackend`` and its ``db_worker``
command) and the dashboard shows the progress while a worker computes. Progress and the result
go through Django's cache (use a shared cache such as Redis or the database cache when the
worker is another process)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.tasks import task

from annotate.review.data import CACHE_SECONDS, cache_key, compute_agreement
from annotate.review.figures import derive_views
from corpus.models import Project

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
    # The curators' small entries first: the data's own entry says "ready" to the pages.
    derive_views(project, data, result_key)
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
