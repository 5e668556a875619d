"""Background work of the analysis pages: computing a figure anew after the project
changed, while the pages serve the older one marked "being updated"
(``filters.kept_figures``). Needs a task worker (``TASKS_BACKEND=database``); with the
immediate backend the pages compute their figures in the request instead."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from annotate.analysis.filters import ClaimFilters, maker, store_figure
from annotate.analysis.versions import figures_version
from corpus.models import Project


def queue_refresh(
    project: Project, what: str, filters: ClaimFilters, extra: tuple[Any, ...]
) -> None:
    refresh_figures.enqueue(project.pk, what, filters.as_query(), list(extra))


@task
def refresh_figures(project_id: int, what: str, query: dict[str, str], extra: list[Any]) -> str:
    """Compute the figure ``what`` of the layer ``query`` names under the project's current
    version, and keep it (the version is read before the rows: a change while computing
    makes the stored figure stale at once, and the next request queues another)."""
    # The pages' modules register their figures' makers when imported.
    from annotate.analysis import overview, profiles, search, stance_map  # noqa: F401

    project = Project.objects.filter(pk=project_id).first()
    if project is None:  # deleted while queued
        return ""
    layer = query.get("layer", "")
    annotators = {int(layer)} if layer.isdigit() else set()
    filters = ClaimFilters.from_query(query, annotator_ids=annotators)
    version = figures_version(project)
    parts = tuple(tuple(x) if isinstance(x, list) else x for x in extra)
    value = maker(what)(project, filters, *parts)
    store_figure(project, what, (filters, *parts), version, value)
    return what
