"""The clusters' card on a project's page (``corpus.sections``; settings'
``CLAIMDESK_PROJECT_SECTIONS``): for whoever may cluster there — curators and managers, and
annotators when the project lets them, who had no link to the page before."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from annotate.clusters.selectors import may_cluster
from corpus.models import Project
from corpus.sections import Section


def cluster_section(user: Any, project: Project) -> list[Section]:
    if not may_cluster(user, project):
        return []
    return [
        Section(
            title="Clusters",
            meta="The same claim across articles: who said it first, who repeats it",
            url=reverse("annotate:clusters", args=[project.slug]),
        )
    ]
