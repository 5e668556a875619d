"""The clusters' card on a project's page (``corpus.sections`` hook): curators and managers
always see it; annotators only when the project lets them cluster — before, such an
annotator had no link to the clusters page anywhere."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from annotate.clusters.services import cluster_settings_update
from annotate.models import ClusterWho
from tests.conftest import login


def _has_card(client: Client, user: Any, project: Any) -> bool:
    login(client, user)
    html = client.get(reverse("corpus:project-detail", args=[project.slug])).content.decode()
    return f'href="{reverse("annotate:clusters", args=[project.slug])}"' in html


def test_curators_and_managers_get_the_clusters_card(
    client: Client, project: Any, curator: Any, manager: Any
) -> None:
    assert _has_card(client, curator, project)
    assert _has_card(client, manager, project)


def test_annotators_get_it_only_when_the_project_lets_them_cluster(
    client: Client, project: Any, annotator: Any, manager: Any
) -> None:
    assert not _has_card(client, annotator, project)
    cluster_settings_update(project=project, actor=manager, who=ClusterWho.ANNOTATORS)
    assert _has_card(client, annotator, project)
    login(client, annotator)
    assert client.get(reverse("annotate:clusters", args=[project.slug])).status_code == 200
