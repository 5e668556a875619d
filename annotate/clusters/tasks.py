"""Building the cluster-suggestion index in the background (Django's tasks framework, as
``annotate.review.tasks``; the task itself, ``build_cluster_index``, sits in
``annotate.clusters.indexing`` so that claim writes can queue it after they commit):
``index_refresh`` is what a request calls before it suggests.
It never fits: it reads the index's state, queues one build when there is no index or
claims changed since the last one (one per project at a time), and hands back the last
built index to query. With the default ``ImmediateBackend`` the build runs in the request
that queues it; with ``TASKS_BACKEND=database`` a ``db_worker`` builds it and requests go
on with the previous index meanwhile.
"""

from __future__ import annotations

from annotate.clusters import indexing, suggest
from annotate.clusters.indexing import build_cluster_index
from corpus.models import Project

__all__ = ["build_cluster_index", "index_refresh"]


def index_refresh(project: Project) -> indexing.IndexStatus:
    """The index's state, after queuing a build if it is missing or stale, with the last
    built index loaded (None before the first build)."""
    status = indexing.index_status(project)
    if status.needs_build and indexing.index_mark_requested(project, status):
        build_cluster_index.enqueue(project.pk)
        status = indexing.index_status(project)  # an immediate backend has built it
    status.index = suggest.loaded(status.row)
    return status
