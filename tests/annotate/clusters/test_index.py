"""The cluster-suggestion index (issue 20): built by a background task, persisted in
storage, loaded (never fitted) by requests, rebuilt when claims change, and never
suggesting a deleted claim."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.tasks import default_task_backend
from django.test import Client
from django.urls import reverse

from annotate.campaign.services import project_destroy
from annotate.claims.services import claim_create, claim_delete
from annotate.claims.values import ClaimFields, StanceInput
from annotate.clusters import indexing, services
from annotate.clusters import suggest as cluster_suggest
from annotate.clusters.tasks import build_cluster_index, index_refresh
from annotate.models import ClusterIndex, ClusterIndexState
from tests.annotate.clusters.scene import Corpus
from tests.conftest import login
from tests.factories import ProjectFactory

LABELS: dict[str, Any] = {
    "attribution": "reported",
    "source_reliability": "B",
    "information_credibility": "2",
    "claim_type": "factual",
}
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    cluster_suggest.forget()
    yield
    cluster_suggest.forget()


@pytest.fixture
def no_worker(settings: Any) -> Any:
    """Tasks are queued, never run (a worker that has not got to them yet)."""
    settings.TASKS = DUMMY
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


@pytest.fixture
def never_fit(monkeypatch: Any) -> None:
    """Fitting (or building) the index raises: what a request must never do."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request fitted the cluster index")

    monkeypatch.setattr(cluster_suggest, "fit", refuse)
    monkeypatch.setattr(cluster_suggest, "build", refuse)


def _fields(corpus: Corpus, article: Any, words: str) -> ClaimFields:
    start = article.text.index(words)
    return ClaimFields(
        start=start,
        end=start + len(words),
        quote=words,
        source=corpus.sources[0],
        stances=[StanceInput(corpus.targets[0], "favor")],
        labels=LABELS,
    )


def _queued(backend: Any) -> list[Any]:
    return [r for r in backend.results if r.task.name == build_cluster_index.name]


def _gold(corpus: Corpus, curator: Any) -> Any:
    return services.cluster_create(
        project=corpus.project,
        actor=curator,
        annotator_id=None,
        statement="Turkey grows",
        claim_ids=[corpus.same[0].pk],
    )


def test_the_task_builds_the_index_into_storage(corpus: Corpus) -> None:
    result = build_cluster_index.enqueue(corpus.project.pk)
    assert result.return_value == 6
    row = ClusterIndex.objects.get(project=corpus.project)
    assert row.state == ClusterIndexState.READY and row.claims == 6 and row.built_at
    assert row.size > 0 and default_storage.exists(row.file)
    index = cluster_suggest.loaded(row)
    assert index is not None and set(index.ids) == {c.pk for c in corpus.same + corpus.other}
    # A rebuild replaces the file.
    old = row.file
    row = indexing.index_build(corpus.project)
    assert row.file != old and not default_storage.exists(old)


def test_the_request_path_never_fits(
    client: Client, corpus: Corpus, curator: Any, no_worker: Any, never_fit: None
) -> None:
    cluster = _gold(corpus, curator)
    login(client, curator)
    page = client.get(reverse("annotate:cluster-suggestions", args=[cluster.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-state="building"' in body and "being built" in body
    api = client.get(f"/api/claims/{corpus.same[0].pk}/cluster-suggestions/")
    assert api.status_code == 503
    assert api.json()["code"] == "index_building" and api["Retry-After"]
    # One build queued for both requests (and the page's again): the debounce.
    client.get(reverse("annotate:cluster", args=[cluster.pk]))
    assert len(_queued(no_worker)) == 1
    assert ClusterIndex.objects.get(project=corpus.project).state == ClusterIndexState.QUEUED


def test_requests_query_the_built_index_without_fitting(
    client: Client, corpus: Corpus, curator: Any, no_worker: Any, monkeypatch: Any
) -> None:
    indexing.index_build(corpus.project)
    cluster = _gold(corpus, curator)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request fitted the cluster index")

    monkeypatch.setattr(cluster_suggest, "fit", refuse)
    cluster_suggest.forget()  # another process: it loads the file
    login(client, curator)
    api = client.get(f"/api/claims/{corpus.same[0].pk}/cluster-suggestions/")
    assert api.status_code == 200 and api["Claimdesk-Index"] == "ready"
    assert {row["claim"] for row in api.json()[:2]} == {corpus.same[1].pk, corpus.same[2].pk}
    page = client.get(reverse("annotate:cluster-suggestions", args=[cluster.pk]))
    body = page.content.decode()
    assert 'data-state="ready"' in body and "From the suggestion index of 6 claims" in body
    assert f'data-claim="{corpus.same[1].pk}"' in body
    assert not _queued(no_worker)


def test_a_claim_change_makes_the_index_stale_and_queues_one_rebuild(
    corpus: Corpus, curator: Any, no_worker: Any
) -> None:
    indexing.index_build(corpus.project)
    assert not indexing.index_status(corpus.project).stale
    new = claim_create(
        article=corpus.articles[1],
        annotator=None,
        actor=curator,
        fields=_fields(corpus, corpus.articles[1], "Intro 1"),
    )
    status = index_refresh(corpus.project)
    assert status.stale and status.label == "stale" and status.index is not None
    assert new.pk not in status.index.ids  # not a candidate until the rebuild...
    # ...but a query: transformed with the built index.
    assert cluster_suggest.suggestions_for_claim(new, curator=True, index=status.index) == []
    index_refresh(corpus.project)
    assert len(_queued(no_worker)) == 1
    # The worker builds it: fresh again, with the new claim.
    _queued(no_worker)[0].task.call(corpus.project.pk)
    status = index_refresh(corpus.project)
    assert not status.stale and status.label == "ready"
    assert status.index is not None and new.pk in status.index.ids


def test_a_claim_made_after_the_build_finds_its_neighbours(
    corpus: Corpus, curator: Any, annotator: Any
) -> None:
    indexing.index_build(corpus.project)
    words = "Turkey's influence in Central Asia is growing day by day"
    new = claim_create(
        article=corpus.articles[0],
        annotator=annotator,
        fields=_fields(corpus, corpus.articles[0], words),
    )
    found = cluster_suggest.suggestions_for_claim(new, curator=True)
    assert {s.claim.pk for s in found[:2]} == {corpus.same[1].pk, corpus.same[2].pk}


def test_deleted_claims_are_not_suggested(corpus: Corpus, curator: Any) -> None:
    indexing.index_build(corpus.project)
    claim_delete(claim=corpus.same[1], actor=curator)
    index = cluster_suggest.current(corpus.project)
    assert index is not None and corpus.same[1].pk in index.ids  # still in the old index
    found = cluster_suggest.suggestions_for_claim(corpus.same[0], curator=True)
    assert [s.claim.pk for s in found][:1] == [corpus.same[2].pk]
    assert corpus.same[1].pk not in {s.claim.pk for s in found}
    cluster = _gold(corpus, curator)
    found = cluster_suggest.suggestions_for_cluster(cluster, curator=True)
    assert corpus.same[1].pk not in {s.claim.pk for s in found}
    # The rebuild leaves it out.
    indexing.index_build(corpus.project)
    index = cluster_suggest.current(corpus.project)
    assert index is not None and corpus.same[1].pk not in index.ids


def test_a_failed_build_says_so_and_is_not_retried_at_once(
    client: Client, corpus: Corpus, curator: Any, monkeypatch: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("out of memory")

    monkeypatch.setattr(cluster_suggest, "build", broken)
    with pytest.raises(MemoryError):
        indexing.index_build(corpus.project)
    row = ClusterIndex.objects.get(project=corpus.project)
    assert row.state == ClusterIndexState.FAILED and "out of memory" in row.error
    status = index_refresh(corpus.project)  # immediate backend: would build in here
    assert status.label == "failed" and status.index is None
    login(client, curator)
    api = client.get(f"/api/claims/{corpus.same[0].pk}/cluster-suggestions/")
    assert api.status_code == 503 and api.json()["code"] == "index_failed"


def test_the_command_builds_only_when_stale(corpus: Corpus) -> None:
    call_command("cluster_index", project=corpus.project.slug, if_stale=True)
    row = ClusterIndex.objects.get(project=corpus.project)
    call_command("cluster_index", project=corpus.project.slug, if_stale=True)
    assert ClusterIndex.objects.get(project=corpus.project).file == row.file


def test_deleting_the_project_leaves_no_row(corpus: Corpus) -> None:
    indexing.index_drop(corpus.project)
    indexing.index_build(corpus.project)
    indexing.index_drop(corpus.project)
    assert not ClusterIndex.objects.exists()


def _files(project_id: int) -> list[str]:
    try:
        return default_storage.listdir(f"cluster-index/{project_id}")[1]
    except FileNotFoundError:
        return []


@pytest.fixture
def own_media(settings: Any, tmp_path: Any) -> None:
    """A storage of this test's own (project ids are reused from test to test)."""
    settings.MEDIA_ROOT = str(tmp_path)


def test_deleting_a_project_deletes_its_index_files_once_it_commits(
    own_media: None, corpus: Corpus, django_capture_on_commit_callbacks: Any
) -> None:
    """Issue 20: the project's rows went, its .npz stayed in storage. A rolled-back
    deletion keeps the file; a committed one deletes it and any stray file beside it,
    and the copy loaded in memory."""
    project = corpus.project
    row = indexing.index_build(project)
    default_storage.save(f"cluster-index/{project.pk}/stray.npz", ContentFile(b"x"))
    other = ProjectFactory()
    kept = default_storage.save(f"cluster-index/{other.pk}/other.npz", ContentFile(b"x"))
    assert cluster_suggest.loaded(row) is not None  # loaded in this process
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        project_destroy(project=project, confirm_name=project.name, confirm_gold=True)
        raise RuntimeError("rolled back")
    assert not callbacks
    assert len(_files(project.pk)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        project_destroy(project=project, confirm_name=project.name, confirm_gold=True)
    assert _files(project.pk) == []
    assert default_storage.exists(kept)
    assert project.pk not in cluster_suggest._LOADED


def test_a_build_finishing_after_its_project_was_deleted_leaves_no_file(
    own_media: None, corpus: Corpus, monkeypatch: Any
) -> None:
    dump = cluster_suggest.dump

    def deleted_meanwhile(index: Any) -> bytes:
        ClusterIndex.objects.filter(project=corpus.project).delete()  # as the cascade does
        return dump(index)

    monkeypatch.setattr(cluster_suggest, "dump", deleted_meanwhile)
    indexing.index_build(corpus.project)
    assert _files(corpus.project.pk) == []


def test_with_a_worker_claim_writes_queue_one_rebuild_after_commit(
    corpus: Corpus, curator: Any, no_worker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    indexing.index_build(corpus.project)
    for words in ("Intro 1", "End"):
        with django_capture_on_commit_callbacks(execute=True):
            claim_create(
                article=corpus.articles[1],
                annotator=None,
                actor=curator,
                fields=_fields(corpus, corpus.articles[1], words),
            )
    # Two writes, one build queued (the debounce); the index stays until it runs.
    assert len(_queued(no_worker)) == 1
    assert ClusterIndex.objects.get(project=corpus.project).state == ClusterIndexState.QUEUED
    assert index_refresh(corpus.project).index is not None


def test_with_the_immediate_backend_a_claim_write_builds_nothing(
    corpus: Corpus, curator: Any, django_capture_on_commit_callbacks: Any, never_fit: None
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        claim_create(
            article=corpus.articles[1],
            annotator=None,
            actor=curator,
            fields=_fields(corpus, corpus.articles[1], "Intro 1"),
        )
    assert not ClusterIndex.objects.exists()
