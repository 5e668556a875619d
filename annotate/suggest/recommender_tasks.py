"""Training the project's recommender in the background (``django.tasks``), as the export
tasks do: ``start_training`` records the job in the cache and enqueues ``train_recommender``,
which says how far it got (``training_status``: queued → running → done with the new
model's version, or failed with the reason). One job per project at a time.

With ``RECOMMENDER_AUTO_RETRAIN`` the gold services call ``retrain_if_grown`` after a
gold claim is made: it queues a training when the labelled claims grew enough
(``recommender_needs_training``). With the default ``ImmediateBackend`` the task runs in
the request that queued it; set ``TASKS_BACKEND=database`` to train in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.tasks import task
from django.utils import timezone

from annotate.suggest.recommender import recommender_needs_training, recommender_train
from corpus.models import Project

if TYPE_CHECKING:
    from django.contrib.auth.models import User

JOB_TTL = 24 * 3600
BUSY = ("queued", "running")


def _key(project_id: int) -> str:
    return f"claimdesk:recommender-training:{project_id}"


def training_status(project: Project) -> dict[str, Any] | None:
    found: dict[str, Any] | None = cache.get(_key(project.pk))
    return found


def _update(project_id: int, **changes: Any) -> None:
    status = cache.get(_key(project_id)) or {}
    status.update(changes)
    cache.set(_key(project_id), status, JOB_TTL)


def start_training(*, project: Project, actor: User | None = None) -> bool:
    """Queue a training of the project's recommender; False if one is queued or running."""
    status = training_status(project)
    if status is not None and status.get("state") in BUSY:
        return False
    cache.set(
        _key(project.pk),
        {"state": "queued", "queued_at": timezone.now().isoformat()},
        JOB_TTL,
    )
    train_recommender.enqueue(project_id=project.pk, actor_id=actor.pk if actor else None)
    return True


def retrain_if_grown(project_id: int) -> bool:
    """Queue a training if the labelled claims grew enough since the last model (and
    ``RECOMMENDER_AUTO_RETRAIN`` is on)."""
    if not settings.RECOMMENDER_AUTO_RETRAIN:
        return False
    project = Project.objects.get(pk=project_id)
    if not recommender_needs_training(project):
        return False
    return start_training(project=project)


@task
def train_recommender(*, project_id: int, actor_id: int | None) -> str:
    """Train and store a model; returns its version ("" when the data could not make one:
    the reason is in the status)."""
    project = Project.objects.get(pk=project_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    _update(project_id, state="running", started_at=timezone.now().isoformat())
    try:
        model = recommender_train(project=project, actor=actor)
    except ValidationError as error:
        _update(project_id, state="failed", error=" ".join(error.messages))
        return ""
    except Exception as exc:
        _update(project_id, state="failed", error=str(exc) or type(exc).__name__)
        raise
    _update(
        project_id,
        state="done",
        version=model.version,
        finished_at=timezone.now().isoformat(),
    )
    return model.version
