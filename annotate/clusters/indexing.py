"""The cluster-suggestion index of a project: built in the background, persisted, loaded
by requests (``annotate.clusters.suggest`` does the maths).

Where it lives: a ``ClusterIndex`` row per project (state, when and from what it was
built, how long it took) and the index itself as a ``.npz`` file in ``default_storage``,
the place the app servers and the workers already share for export files and learned
models. The file is NumPy arrays read with ``allow_pickle=False``, so that a file in shared
storage is never code; a request loads it once per process and build.

When it is stale: every claim change (create, edit, delete, restore, bulk import, gold)
records a History row in the same transaction, so the project's "index stale" marker is
"a History row of entity ``claim`` later than the latest one the build saw" (``source_at``,
read before the claims): no extra write on the claim paths, exact, and one indexed query
(``history_project``: project, at) to check. A write whose transaction was still open when
the build began, with a History row older than one already committed, would be missed
until the next change: a window of the length of one claim write.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone

from annotate.clusters import suggest
from annotate.models import Claim, ClusterIndex, ClusterIndexState, History
from corpus.models import Project

logger = logging.getLogger(__name__)

# A build that said nothing for this long is taken for dead (its worker stopped): a new
# one may be queued.
BUILD_TIMEOUT = dt.timedelta(hours=1)
# After a failed build, the next one is queued no sooner than this.
RETRY_AFTER = dt.timedelta(minutes=10)
# After claim changes, a project's index is rebuilt no sooner than this after its last
# build (the changes of a working session make one build, not one each).
REBUILD_EVERY = dt.timedelta(minutes=5)
BUSY = (ClusterIndexState.QUEUED, ClusterIndexState.BUILDING)
INDEX_FOLDER = "cluster-index"  # in default_storage: <folder>/<project id>/<uuid>.npz
CHUNK = 5000


@dataclass
class IndexStatus:
    """What the cluster page says about the index, and the index to query (None before
    the first build)."""

    row: ClusterIndex | None
    stale: bool
    index: suggest.Index | None = None

    @property
    def busy(self) -> bool:
        """A build is queued or running, or the last one failed a moment ago."""
        if self.row is None or self.row.requested_at is None:
            return False
        waited = timezone.now() - self.row.requested_at
        if self.row.state == ClusterIndexState.FAILED:
            return waited < RETRY_AFTER
        return self.row.state in BUSY and waited < BUILD_TIMEOUT

    @property
    def needs_build(self) -> bool:
        return self.row is None or not self.row.file or self.stale

    @property
    def label(self) -> str:
        """none | building | ready | stale | failed"""
        if self.row is not None and self.row.state == ClusterIndexState.FAILED:
            return "failed"
        if self.row is None or not self.row.file:
            return "building" if self.busy else "none"
        return "stale" if self.stale else "ready"


def index_status(project: Project) -> IndexStatus:
    """The project's index row and whether claims changed since its build: two indexed
    queries at most, whatever the project's size."""
    row = ClusterIndex.objects.filter(project=project).first()
    if row is None or not row.file or row.source_at is None:
        return IndexStatus(row, stale=False)
    changed = History.objects.filter(project=project, at__gt=row.source_at, entity="claim")
    return IndexStatus(row, stale=changed.exists())


def claim_rows(project: Project) -> list[tuple[int, int, int | None, str]]:
    """(id, article, annotator, quote) of the project's live claims, by id."""
    rows = (
        Claim.objects.live()
        .filter(article__project=project)
        .order_by("pk")
        .values_list("pk", "article_id", "annotator_id", "quote")
    )
    return list(rows.iterator(chunk_size=CHUNK))


def index_build(project: Project) -> ClusterIndex:
    """Read the project's live claims, fit the index, save it to storage and point the
    row at it (the previous file is deleted). The background task's work; also
    ``manage.py cluster_index``."""
    started = timezone.now()
    began = time.perf_counter()
    seen = (
        History.objects.filter(project=project, entity="claim")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    row, _ = ClusterIndex.objects.get_or_create(project=project)
    ClusterIndex.objects.filter(pk=row.pk).update(
        state=ClusterIndexState.BUILDING, requested_at=started, error=""
    )
    try:
        index = suggest.build(claim_rows(project))
        raw = suggest.dump(index)
        name = default_storage.save(
            f"{INDEX_FOLDER}/{project.pk}/{uuid.uuid4().hex}.npz", ContentFile(raw)
        )
    except Exception as exc:
        ClusterIndex.objects.filter(pk=row.pk).update(
            state=ClusterIndexState.FAILED, error=(str(exc) or type(exc).__name__)[:1000]
        )
        raise
    previous = ClusterIndex.objects.filter(pk=row.pk).values_list("file", flat=True).first()
    updated = ClusterIndex.objects.filter(pk=row.pk).update(
        state=ClusterIndexState.READY,
        file=name,
        source_at=seen or started,
        built_at=timezone.now(),
        claims=len(index.ids),
        seconds=round(time.perf_counter() - began, 3),
        size=len(raw),
        error="",
    )
    if not updated:  # the project was deleted during the build: its file goes too
        default_storage.delete(name)
        return row
    if previous and previous != name:
        try:
            default_storage.delete(previous)
        except OSError:  # another process may still read it; a stray file is harmless
            logger.warning("Could not delete the old cluster index %s.", previous)
    row.refresh_from_db()
    return row


def index_mark_requested(project: Project, status: IndexStatus) -> bool:
    """Record that a build is queued, unless one is queued or building already (the
    debounce: many requests or changes, one build). True if the caller should enqueue."""
    now = timezone.now()
    if status.row is None:
        _, created = ClusterIndex.objects.get_or_create(
            project=project,
            defaults={"state": ClusterIndexState.QUEUED, "requested_at": now},
        )
        return created
    if status.busy:
        return False
    claimed = ClusterIndex.objects.filter(pk=status.row.pk, state=status.row.state)
    claimed = claimed.filter(requested_at=status.row.requested_at)
    return bool(claimed.update(state=ClusterIndexState.QUEUED, requested_at=now))


def index_drop(project: Project) -> None:
    """Delete the project's index (row and file)."""
    row = ClusterIndex.objects.filter(project=project).first()
    if row is None:
        return
    if row.file:
        default_storage.delete(row.file)
    row.delete()
    suggest.forget(project.pk)


def index_files_delete_on_commit(project_id: int) -> None:
    """When the transaction commits (a project's deletion), delete every index file of
    the project from storage (``cluster-index/<project>/``: the current one and any a
    failed delete left) and its loaded copy; a rolled-back deletion keeps them."""

    def delete() -> None:
        folder = f"{INDEX_FOLDER}/{project_id}"
        try:
            _, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            files = []
        for name in files:
            try:
                default_storage.delete(f"{folder}/{name}")
            except OSError:
                logger.warning("Could not delete the cluster index %s/%s.", folder, name)
        suggest.forget(project_id)

    transaction.on_commit(delete)


@task
def build_cluster_index(project_id: int) -> int:
    """Build the project's index (``index_build``); the number of claims in it."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:  # deleted while queued
        return 0
    return index_build(project).claims


def claims_changed(project_ids: Iterable[int]) -> None:
    """Claims of these projects change in the current transaction (``annotate.history``
    calls this as it records them). Once it commits, the index of each project that has
    one, with no build queued, gets a rebuild queued to run ``REBUILD_EVERY`` after its
    last build at the soonest: the debounce, one build for a session's changes. Only
    with a task worker: the immediate backend would build inside the write, so there the
    next cluster page queues it (``tasks.index_refresh``)."""
    if isinstance(build_cluster_index.get_backend(), ImmediateBackend):
        return
    for project_id in set(project_ids):
        transaction.on_commit(partial(_queue_rebuild, project_id))


def _queue_rebuild(project_id: int) -> None:
    now = timezone.now()
    ready = ClusterIndex.objects.filter(project_id=project_id, state=ClusterIndexState.READY)
    built_at = ready.values_list("built_at", flat=True).first()
    if built_at is None or not ready.update(state=ClusterIndexState.QUEUED, requested_at=now):
        return  # no index yet (the first page builds it), or a build is queued already
    queued = build_cluster_index
    if queued.get_backend().supports_defer:
        queued = queued.using(run_after=max(now, built_at + REBUILD_EVERY))
    queued.enqueue(project_id)
